package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"flag"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mqttx/mqttx/mqtt"
	"github.com/mqttx/mqttx/mqtt/packet"
	"github.com/mqttx/mqttx/mqtt/server"
)

func TestParseListen(t *testing.T) {
	tests := []struct {
		in   string
		want listenURL // zero: an error wanted
		err  string
	}{
		{in: "tcp://127.0.0.1:0", want: listenURL{URL: "tcp://127.0.0.1:0", Scheme: "tcp", Address: "127.0.0.1:0"}},
		{in: "tcp://127.0.0.1:1883/", want: listenURL{URL: "tcp://127.0.0.1:1883/", Scheme: "tcp", Address: "127.0.0.1:1883"}},
		{in: "TCP://localhost", want: listenURL{URL: "TCP://localhost", Scheme: "tcp", Address: "localhost:1883"}},
		{in: "tcp://:1884", want: listenURL{URL: "tcp://:1884", Scheme: "tcp", Address: ":1884"}},
		{in: "tcp://[::1]:0", want: listenURL{URL: "tcp://[::1]:0", Scheme: "tcp", Address: "[::1]:0"}},
		{in: "tls://0.0.0.0", want: listenURL{URL: "tls://0.0.0.0", Scheme: "tls", Address: "0.0.0.0:8883", TLS: true}},
		{in: "tls://[::]:8884", want: listenURL{URL: "tls://[::]:8884", Scheme: "tls", Address: "[::]:8884", TLS: true}},
		{in: "ws://127.0.0.1:8080", want: listenURL{URL: "ws://127.0.0.1:8080", Scheme: "ws", Address: "127.0.0.1:8080", Path: "/mqtt"}},
		{in: "ws://localhost", want: listenURL{URL: "ws://localhost", Scheme: "ws", Address: "localhost:8083", Path: "/mqtt"}},
		{in: "WS://[::1]:0/", want: listenURL{URL: "WS://[::1]:0/", Scheme: "ws", Address: "[::1]:0", Path: "/"}},
		{in: "ws://:9001/mqtt/v2", want: listenURL{URL: "ws://:9001/mqtt/v2", Scheme: "ws", Address: ":9001", Path: "/mqtt/v2"}},
		{in: "wss://0.0.0.0", want: listenURL{URL: "wss://0.0.0.0", Scheme: "wss", Address: "0.0.0.0:8084", Path: "/mqtt", TLS: true}},
		{in: "wss://127.0.0.1:443/a%20b", want: listenURL{URL: "wss://127.0.0.1:443/a%20b", Scheme: "wss", Address: "127.0.0.1:443", Path: "/a b", TLS: true}},
		{in: "unix:///tmp/mqtt.sock", want: listenURL{URL: "unix:///tmp/mqtt.sock", Scheme: "unix", Address: "/tmp/mqtt.sock"}},
		{in: "unix:/run/mqttx/broker.sock", want: listenURL{URL: "unix:/run/mqttx/broker.sock", Scheme: "unix", Address: "/run/mqttx/broker.sock"}},
		{in: "ws://127.0.0.1:8083/mqtt?x=1", err: "only a host, port and path"},
		{in: "wss://u:p@127.0.0.1/mqtt", err: "only a host, port and path"},
		{in: "ws://127.0.0.1:8083#f", err: "only a host, port and path"},
		{in: "ws:///mqtt", err: "want scheme://host:port"},
		{in: "wss://127.0.0.1:", err: "empty port"},
		{in: "unix://tmp/mqtt.sock", err: "want unix:///absolute/path"},
		{in: "unix:mqtt.sock", err: "want unix:///absolute/path"},
		{in: "unix://", err: "want unix:///absolute/path"},
		{in: "unix:///tmp/", err: "not of a directory"},
		{in: "unix:///tmp/s?x=1", err: "only a path"},
		{in: "ftp://127.0.0.1:8080", err: `unknown scheme "ftp"`},
		{in: "udp://127.0.0.1:1883", err: `unknown scheme "udp"`},
		{in: "localhost:1883", err: `unknown scheme "localhost"`},
		{in: "127.0.0.1:1883", err: "want scheme://host:port"},
		{in: "", err: "want scheme://host:port"},
		{in: "tcp://", err: "want scheme://host:port"},
		{in: "tcp:127.0.0.1", err: "want scheme://host:port"},
		{in: "tcp://127.0.0.1:", err: "empty port"},
		{in: "tcp://127.0.0.1:1883/mqtt", err: "only a host and port"},
		{in: "tcp://user@127.0.0.1:1883", err: "only a host and port"},
		{in: "tcp://127.0.0.1:1883?x=1", err: "only a host and port"},
	}
	for _, tt := range tests {
		got, err := parseListen(tt.in)
		switch {
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("parseListen(%q) = %+v, %v; want error containing %q", tt.in, got, err, tt.err)
		case tt.err == "" && (err != nil || got != tt.want):
			t.Errorf("parseListen(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
}

func TestParseServeFlagsDefaults(t *testing.T) {
	var stderr bytes.Buffer
	c, err := parseServeFlags(nil, &stderr)
	if err != nil {
		t.Fatal(err)
	}
	want := []listenURL{{URL: "tcp://127.0.0.1:1883", Scheme: "tcp", Address: "127.0.0.1:1883"}}
	if !slices.Equal(c.Listen, want) {
		t.Errorf("Listen = %+v, want %+v", c.Listen, want)
	}
	if c.ShutdownTimeout != 10*time.Second || c.LogLevel != 0 || c.LogFormat != "text" {
		t.Errorf("ShutdownTimeout, LogLevel, LogFormat = %v, %v, %q; want 10s, INFO, text", c.ShutdownTimeout, c.LogLevel, c.LogFormat)
	}
	if c.TLSCert != "" || c.TLSKey != "" || c.TLSClientCA != "" || c.TLSIdentity != 0 {
		t.Errorf("TLS files = %q, %q, %q, identity %v; want none", c.TLSCert, c.TLSKey, c.TLSClientCA, c.TLSIdentity)
	}
	s := &c.Server
	if s.ConnectTimeout != 0 || s.WriteTimeout != 0 || s.MaxPacketSize != 0 || s.ServerKeepAlive != 0 ||
		s.MaxSessionExpiry != 0 || s.PersistentSessionExpiry != 0 || s.MaxQueuedMessages != 0 ||
		s.QueuePolicy != server.DropNewest || s.QueueQoS0 || s.QueueWait != 0 || s.MaxInflight != 0 || s.ReceiveMaximum != 0 {
		t.Errorf("server options are not all zero (the server's defaults): %+v", s)
	}
	if stderr.Len() != 0 {
		t.Errorf("stderr = %q, want nothing", stderr.String())
	}
}

func TestParseServeFlagsMapping(t *testing.T) {
	c, err := parseServeFlags([]string{
		"--listen", "tcp://127.0.0.1:0", "-listen", "tls://127.0.0.1:0",
		"--listen", "ws://127.0.0.1:0", "--listen", "wss://127.0.0.1:0/broker", "--listen", "unix:///run/mqtt.sock",
		"--tls-cert", "c.pem", "--tls-key", "k.pem", "--tls-client-ca", "ca.pem", "--tls-identity", "subject",
		"--shutdown-timeout", "3s", "--log-level", "debug", "--log-format", "json",
		"--connect-timeout", "5s", "--write-timeout", "6s", "--max-packet-size", "4096",
		"--server-keepalive", "60", "--max-session-expiry", "1h", "--persistent-session-expiry", "2h",
		"--max-queued", "50", "--queue-policy", "drop-oldest", "--queue-qos0", "--queue-wait", "250ms",
		"--max-inflight", "20", "--receive-maximum", "30",
	}, new(bytes.Buffer))
	if err != nil {
		t.Fatal(err)
	}
	var schemes []string
	for _, l := range c.Listen {
		schemes = append(schemes, l.Scheme)
	}
	if want := []string{"tcp", "tls", "ws", "wss", "unix"}; !slices.Equal(schemes, want) {
		t.Errorf("Listen = %+v, want schemes %q", c.Listen, want)
	}
	if c.TLSCert != "c.pem" || c.TLSKey != "k.pem" || c.TLSClientCA != "ca.pem" {
		t.Errorf("TLS files = %q, %q, %q", c.TLSCert, c.TLSKey, c.TLSClientCA)
	}
	if c.TLSIdentity != server.CertSubject {
		t.Errorf("TLSIdentity = %v, want %v", c.TLSIdentity, server.CertSubject)
	}
	if c.ShutdownTimeout != 3*time.Second || c.LogLevel != -4 || c.LogFormat != "json" {
		t.Errorf("ShutdownTimeout, LogLevel, LogFormat = %v, %v, %q", c.ShutdownTimeout, c.LogLevel, c.LogFormat)
	}
	s := &c.Server
	for _, f := range []struct {
		name      string
		got, want any
	}{
		{"ConnectTimeout", s.ConnectTimeout, 5 * time.Second},
		{"WriteTimeout", s.WriteTimeout, 6 * time.Second},
		{"MaxPacketSize", s.MaxPacketSize, 4096},
		{"ServerKeepAlive", s.ServerKeepAlive, uint16(60)},
		{"MaxSessionExpiry", s.MaxSessionExpiry, time.Hour},
		{"PersistentSessionExpiry", s.PersistentSessionExpiry, 2 * time.Hour},
		{"MaxQueuedMessages", s.MaxQueuedMessages, 50},
		{"QueuePolicy", s.QueuePolicy, server.DropOldest},
		{"QueueQoS0", s.QueueQoS0, true},
		{"QueueWait", s.QueueWait, 250 * time.Millisecond},
		{"MaxInflight", s.MaxInflight, 20},
		{"ReceiveMaximum", s.ReceiveMaximum, uint16(30)},
	} {
		if f.got != f.want {
			t.Errorf("%s = %v, want %v", f.name, f.got, f.want)
		}
	}
}

func TestParseServeFlagsErrors(t *testing.T) {
	tests := []struct {
		args []string
		err  string
	}{
		{[]string{"--listen", "ftp://127.0.0.1:0"}, `unknown scheme "ftp"`},
		{[]string{"--listen", "wss://127.0.0.1:0"}, "needs --tls-cert and --tls-key"},
		{[]string{"--listen", "ws://127.0.0.1:0", "--tls-cert", "c.pem", "--tls-key", "k.pem"}, `--tls-cert "c.pem": no tls:// or wss:// listener uses it`},
		{[]string{"--tls-identity", "cn"}, "--tls-identity cn needs --tls-client-ca"},
		{[]string{"--listen", "tls://127.0.0.1:0", "--tls-cert", "c.pem", "--tls-key", "k.pem", "--tls-identity", "subject"}, "needs --tls-client-ca"},
		{[]string{"--tls-identity", "email"}, `--tls-identity "email": want none, cn or subject`},
		{[]string{"--listen", "tcp://127.0.0.1:0", "--listen", "quic://127.0.0.1:0"}, `unknown scheme "quic"`},
		{[]string{"--listen", "tls://127.0.0.1:0"}, "needs --tls-cert and --tls-key"},
		{[]string{"--listen", "tls://127.0.0.1:0", "--tls-cert", "c.pem"}, "needs --tls-cert and --tls-key"},
		{[]string{"--listen", "tls://127.0.0.1:0", "--tls-key", "k.pem", "--tls-client-ca", "ca.pem"}, "needs --tls-cert and --tls-key"},
		{[]string{"--tls-cert", "c.pem", "--tls-key", "k.pem"}, `--tls-key "k.pem": no tls:// or wss:// listener uses it`},
		{[]string{"--queue-policy", "drop-all"}, "--queue-policy"},
		{[]string{"--log-level", "trace"}, "--log-level"},
		{[]string{"--log-format", "xml"}, "--log-format"},
		{[]string{"--server-keepalive", "65536"}, "at most 65535"},
		{[]string{"--receive-maximum", "70000"}, "at most 65535"},
		{[]string{"--max-inflight", "65536"}, "at most 65535"},
		{[]string{"--max-packet-size", "-1"}, "must not be negative"},
		{[]string{"--max-packet-size", "268435461"}, "at most 268435460"},
		{[]string{"--max-queued", "-5"}, "must not be negative"},
		{[]string{"--connect-timeout", "-1s"}, "must not be negative"},
		{[]string{"--shutdown-timeout", "-1s"}, "must not be negative"},
		{[]string{"--write-timeout", "soon"}, `--write-timeout "soon": want a duration`},
		{[]string{"--server-keepalive", "-1"}, "--server-keepalive -1: must not be negative"},
		{[]string{"--max-connections", "lots"}, `--max-connections "lots": want an integer`},
		{[]string{"--max-qos", "3"}, `--max-qos "3": want 0, 1 or 2`},
		{[]string{"--allow-anonymous=maybe"}, `--allow-anonymous "maybe": want true or false`},
		{[]string{"--config", "/nonexistent/mqttx.yaml"}, "/nonexistent/mqttx.yaml: cannot read it: no such file or directory"},
		{[]string{"--no-such-flag"}, "not defined"},
		{[]string{"tcp://127.0.0.1:0"}, "unexpected argument"},
	}
	for _, tt := range tests {
		_, err := parseServeFlags(tt.args, new(bytes.Buffer))
		var uerr usageError
		if !errors.As(err, &uerr) || !strings.Contains(err.Error(), tt.err) {
			t.Errorf("parseServeFlags(%q) error = %v; want a usageError containing %q", tt.args, err, tt.err)
		}
	}
}

func TestServeUsage(t *testing.T) {
	var stdout, stderr bytes.Buffer
	if code := run([]string{"serve", "--help"}, strings.NewReader(""), &stdout, &stderr); code != 0 {
		t.Errorf("mqttx serve --help: exit code %d, want 0", code)
	}
	for _, name := range []string{
		"listen", "tls-cert", "tls-key", "tls-client-ca", "tls-identity", "shutdown-timeout", "log-level", "log-format",
		"connect-timeout", "write-timeout", "max-packet-size", "server-keepalive", "max-session-expiry",
		"persistent-session-expiry", "max-queued", "queue-policy", "queue-qos0", "queue-wait",
		"max-inflight", "receive-maximum", "config", "password-file", "acl-file", "allow-anonymous",
		"max-connections", "connect-rate-per-ip", "message-rate", "stuck-timeout", "topic-alias-maximum",
		"max-qos", "retain-available", "subscription-identifiers",
	} {
		if !strings.Contains(stderr.String(), "-"+name+" ") && !strings.Contains(stderr.String(), "-"+name+"\n") {
			t.Errorf("mqttx serve --help does not list --%s", name)
		}
	}
	for _, def := range []string{"server.DefaultConnectTimeout", "server.DefaultWriteTimeout", "packet.DefaultMaxPacketSize",
		"server.DefaultMaxQueuedMessages", "server.DefaultQueueWait", "server.DefaultMaxInflight", "server.DefaultReceiveMaximum"} {
		if !strings.Contains(stderr.String(), def) {
			t.Errorf("mqttx serve --help does not name %s", def)
		}
	}

	stdout.Reset()
	stderr.Reset()
	if code := run(nil, strings.NewReader(""), &stdout, &stderr); code != 2 {
		t.Errorf("mqttx: exit code %d, want 2", code)
	}
	for _, cmd := range []string{"decode [", "serve ["} {
		if !strings.Contains(stderr.String(), cmd) {
			t.Errorf("mqttx usage lacks %q; got:\n%s", cmd, stderr.String())
		}
	}

	stderr.Reset()
	if code := run([]string{"serve", "--listen", "ftp://127.0.0.1:0"}, strings.NewReader(""), &stdout, &stderr); code != 2 {
		t.Errorf("mqttx serve --listen ftp://: exit code %d, want 2", code)
	}
	if !strings.Contains(stderr.String(), `unknown scheme "ftp"`) {
		t.Errorf("stderr lacks the unknown scheme; got:\n%s", stderr.String())
	}
}

// syncBuffer is a bytes.Buffer the server's goroutines may log to while
// the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// startServe runs runServe with args until the test ends or stop is
// called; stop returns runServe's error.
func startServe(t *testing.T, force context.Context, args ...string) (addrs []net.Addr, log *syncBuffer, stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	log = new(syncBuffer)
	readyc := make(chan []net.Addr, 1)
	errc := make(chan error, 1)
	go func() {
		errc <- runServe(ctx, force, args, log, func(a []net.Addr) { readyc <- a })
	}()
	var once sync.Once
	var err error
	stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case err = <-errc:
			case <-time.After(10 * time.Second):
				err = errors.New("runServe did not return 10s after its context was cancelled")
			}
		})
		return err
	}
	t.Cleanup(func() { stop() })
	select {
	case addrs = <-readyc:
	case err := <-errc:
		t.Fatalf("runServe(%q) = %v before it was ready; log:\n%s", args, err, log.String())
	case <-time.After(10 * time.Second):
		t.Fatalf("runServe(%q) not ready after 10s; log:\n%s", args, log.String())
	}
	return addrs, log, stop
}

// client is a raw MQTT 3.1.1 client.
type client struct {
	t    *testing.T
	conn net.Conn
	r    *packet.Reader
}

func newClient(t *testing.T, conn net.Conn) *client {
	t.Helper()
	t.Cleanup(func() { conn.Close() })
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	r := packet.NewReader(conn)
	r.Version = mqtt.V311
	return &client{t: t, conn: conn, r: r}
}

func (c *client) send(p interface {
	Append([]byte, mqtt.Version) ([]byte, error)
}) {
	c.t.Helper()
	b, err := p.Append(nil, mqtt.V311)
	if err != nil {
		c.t.Fatalf("encoding %T: %v", p, err)
	}
	if _, err := c.conn.Write(b); err != nil {
		c.t.Fatalf("writing %T: %v", p, err)
	}
}

func (c *client) read() packet.Packet {
	c.t.Helper()
	p, err := c.r.ReadPacket()
	if err != nil {
		c.t.Fatalf("reading a packet: %v", err)
	}
	return p
}

// connect sends CONNECT and checks that the CONNACK accepts it.
func (c *client) connect(id string) {
	c.t.Helper()
	c.send(&packet.Connect{Version: mqtt.V311, CleanStart: true, ClientID: id, KeepAlive: 30})
	ack, ok := c.read().(*packet.Connack)
	if !ok {
		c.t.Fatalf("got %T after CONNECT, want *packet.Connack", ack)
	}
	if ack.ReasonCode != mqtt.Success || ack.SessionPresent {
		c.t.Fatalf("CONNACK = %+v, want accepted without a session", ack)
	}
}

func TestServeEndToEnd(t *testing.T) {
	addrs, log, stop := startServe(t, context.Background(), "--listen", "tcp://127.0.0.1:0", "--log-level", "debug")
	if len(addrs) != 1 {
		t.Fatalf("ready with %d addresses, want 1", len(addrs))
	}
	addr := addrs[0].String()
	if !strings.Contains(log.String(), "msg=listening url=tcp://127.0.0.1:0 addr="+addr) {
		t.Errorf("log lacks the listener and its bound address %s; got:\n%s", addr, log.String())
	}

	dial := func() *client {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		return newClient(t, conn)
	}
	sub := dial()
	sub.connect("sub")
	sub.send(&packet.Subscribe{PacketID: 7, Subscriptions: []packet.Subscription{{Filter: "a/+", QoS: mqtt.QoS0}}})
	ack, ok := sub.read().(*packet.Suback)
	if !ok || ack.PacketID != 7 || !slices.Equal(ack.ReasonCodes, []mqtt.ReasonCode{mqtt.GrantedQoS0}) {
		t.Fatalf("got %+v after SUBSCRIBE, want SUBACK 7 granting QoS 0", ack)
	}

	pub := dial()
	pub.connect("pub")
	pub.send(&packet.Publish{Topic: "a/b", Payload: []byte("hello")})

	p, ok := sub.read().(*packet.Publish)
	if !ok || p.Topic != "a/b" || string(p.Payload) != "hello" || p.QoS != mqtt.QoS0 {
		t.Fatalf("subscriber got %+v, want PUBLISH a/b \"hello\" QoS 0", p)
	}

	if err := stop(); err != nil {
		t.Fatalf("runServe = %v after cancel, want nil; log:\n%s", err, log.String())
	}
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Errorf("%s still accepts connections after runServe returned", addr)
	}
	// The server closed the clients' connections.
	if _, err := sub.r.ReadPacket(); err == nil {
		t.Errorf("subscriber connection still open after runServe returned")
	}
	for _, want := range []string{`msg="shutting down" cause="context canceled" timeout=10s`, "msg=stopped"} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("log lacks %q; got:\n%s", want, log.String())
		}
	}
}

func TestServeSeveralListeners(t *testing.T) {
	addrs, _, stop := startServe(t, context.Background(), "--listen", "tcp://127.0.0.1:0", "--listen", "tcp://127.0.0.1:0", "--log-format", "json")
	if len(addrs) != 2 || addrs[0].String() == addrs[1].String() {
		t.Fatalf("ready with %v, want two addresses", addrs)
	}
	// One server behind both: a subscriber on one gets what is published
	// on the other.
	var cs []*client
	for i, a := range addrs {
		conn, err := net.Dial("tcp", a.String())
		if err != nil {
			t.Fatal(err)
		}
		cs = append(cs, newClient(t, conn))
		cs[i].connect(string(rune('a' + i)))
	}
	cs[0].send(&packet.Subscribe{PacketID: 1, Subscriptions: []packet.Subscription{{Filter: "#"}}})
	if _, ok := cs[0].read().(*packet.Suback); !ok {
		t.Fatal("no SUBACK")
	}
	cs[1].send(&packet.Publish{Topic: "x", Payload: []byte("y")})
	if p, ok := cs[0].read().(*packet.Publish); !ok || p.Topic != "x" {
		t.Fatalf("got %+v, want PUBLISH x", p)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	for _, a := range addrs {
		if c, err := net.DialTimeout("tcp", a.String(), time.Second); err == nil {
			c.Close()
			t.Errorf("%s still accepts connections after runServe returned", a)
		}
	}
}

func TestServeForce(t *testing.T) {
	force, forceNow := context.WithCancel(context.Background())
	forceNow()
	addrs, log, stop := startServe(t, force, "--listen", "tcp://127.0.0.1:0")
	conn, err := net.Dial("tcp", addrs[0].String())
	if err != nil {
		t.Fatal(err)
	}
	newClient(t, conn).connect("c")
	if err := stop(); err != nil {
		t.Fatalf("runServe = %v, want nil; log:\n%s", err, log.String())
	}
}

func TestServeListenFails(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var log syncBuffer
	args := []string{"--listen", "tcp://127.0.0.1:0", "--listen", "tcp://" + busy.Addr().String()}
	err = runServe(ctx, context.Background(), args, &log, func([]net.Addr) { t.Error("ready called") })
	if err == nil || !strings.Contains(err.Error(), busy.Addr().String()) {
		t.Errorf("runServe(%q) = %v, want an error naming the busy address", args, err)
	}
	var uerr usageError
	if errors.As(err, &uerr) || errors.Is(err, flag.ErrHelp) {
		t.Errorf("runServe(%q) = %#v, want an error other than a usage error", args, err)
	}
}

// writeCert writes a self-signed ECDSA certificate for 127.0.0.1, also
// usable as a CA and as a client certificate, and returns the files and
// the parsed certificate.
func writeCert(t *testing.T) (certFile, keyFile string, cert *x509.Certificate, pair tls.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "mqttx test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	if cert, err = x509.ParseCertificate(der); err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	if err := os.WriteFile(certFile, certPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, keyPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	if pair, err = tls.X509KeyPair(certPEM, keyPEM); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile, cert, pair
}

func TestServeTLS(t *testing.T) {
	certFile, keyFile, cert, _ := writeCert(t)
	addrs, log, stop := startServe(t, context.Background(), "--listen", "tls://127.0.0.1:0", "--tls-cert", certFile, "--tls-key", keyFile)
	if !strings.Contains(log.String(), "msg=listening url=tls://127.0.0.1:0 addr="+addrs[0].String()) {
		t.Errorf("log lacks the TLS listener; got:\n%s", log.String())
	}
	roots := x509.NewCertPool()
	roots.AddCert(cert)
	conn, err := tls.Dial("tcp", addrs[0].String(), &tls.Config{RootCAs: roots})
	if err != nil {
		t.Fatal(err)
	}
	newClient(t, conn).connect("tls")
	if err := stop(); err != nil {
		t.Fatalf("runServe = %v, want nil; log:\n%s", err, log.String())
	}
}

func TestServeTLSClientCA(t *testing.T) {
	certFile, keyFile, cert, pair := writeCert(t)
	addrs, log, stop := startServe(t, context.Background(), "--listen", "tls://127.0.0.1:0",
		"--tls-cert", certFile, "--tls-key", keyFile, "--tls-client-ca", certFile)
	roots := x509.NewCertPool()
	roots.AddCert(cert)

	conn, err := tls.Dial("tcp", addrs[0].String(), &tls.Config{RootCAs: roots, Certificates: []tls.Certificate{pair}})
	if err != nil {
		t.Fatal(err)
	}
	newClient(t, conn).connect("with-cert")

	// Without a certificate the handshake fails: at Dial with TLS 1.2,
	// at the first read with TLS 1.3.
	conn, err = tls.Dial("tcp", addrs[0].String(), &tls.Config{RootCAs: roots})
	if err == nil {
		c := newClient(t, conn)
		b, _ := (&packet.Connect{Version: mqtt.V311, CleanStart: true, ClientID: "no-cert", KeepAlive: 30}).Append(nil, mqtt.V311)
		conn.Write(b)
		var p packet.Packet
		p, err = c.r.ReadPacket()
		if err == nil {
			t.Errorf("a client without a certificate got %T", p)
		}
	}
	t.Logf("client without a certificate: %v", err)
	if err != nil && !strings.Contains(err.Error(), "certificate") {
		t.Errorf("client without a certificate: %v, want a certificate error", err)
	}
	if err := stop(); err != nil {
		t.Fatalf("runServe = %v, want nil; log:\n%s", err, log.String())
	}
}

func TestServeTLSBadFiles(t *testing.T) {
	certFile, keyFile, _, _ := writeCert(t)
	missing := filepath.Join(t.TempDir(), "missing.pem")
	tests := []struct {
		args []string
		err  string
	}{
		{[]string{"--tls-cert", missing, "--tls-key", keyFile}, "--tls-cert"},
		{[]string{"--tls-cert", certFile, "--tls-key", certFile}, "--tls-cert"},
		{[]string{"--tls-cert", certFile, "--tls-key", keyFile, "--tls-client-ca", missing}, "--tls-client-ca"},
		{[]string{"--tls-cert", certFile, "--tls-key", keyFile, "--tls-client-ca", keyFile}, "no PEM certificates"},
	}
	for _, tt := range tests {
		args := append([]string{"--listen", "tls://127.0.0.1:0"}, tt.args...)
		err := runServe(context.Background(), context.Background(), args, new(syncBuffer), func([]net.Addr) { t.Error("ready called") })
		if err == nil || !strings.Contains(err.Error(), tt.err) {
			t.Errorf("runServe(%q) = %v, want an error containing %q", args, err, tt.err)
		}
	}
}
