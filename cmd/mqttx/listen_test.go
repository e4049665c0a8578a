package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/mqttx/mqttx/mqtt"
	"github.com/mqttx/mqttx/mqtt/packet"
)

// socketPathIn returns a socket path in a new temporary directory, short
// enough for the limit on socket paths.
func socketPathIn(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "mqttx")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return filepath.Join(dir, "mqtt.sock")
}

// staleSocket leaves a socket file at path with no process listening.
func staleSocket(t *testing.T, path string) {
	t.Helper()
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	ln.Close()
	if _, err := os.Lstat(path); err != nil {
		t.Fatalf("the stale socket file is gone: %v", err)
	}
}

func TestRemoveStaleSocket(t *testing.T) {
	path := socketPathIn(t)
	if err := removeStaleSocket(path); err != nil {
		t.Errorf("no file: %v, want nil", err)
	}

	staleSocket(t, path)
	if err := removeStaleSocket(path); err != nil {
		t.Errorf("stale socket: %v, want nil", err)
	}
	if _, err := os.Lstat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stale socket: still there (%v)", err)
	}

	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	if err := removeStaleSocket(path); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Errorf("live socket: %v, want an error saying it is in use", err)
	}
	if c, err := net.Dial("unix", path); err != nil {
		t.Errorf("live socket no longer accepts: %v", err)
	} else {
		c.Close()
	}
	ln.Close()

	if err := os.WriteFile(path, []byte("data"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := removeStaleSocket(path); err == nil || !strings.Contains(err.Error(), "not a socket") {
		t.Errorf("regular file: %v, want an error saying it is not a socket", err)
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != "data" {
		t.Errorf("regular file changed: %q, %v", b, err)
	}
}

// dialWS dials a WebSocket URL offering the subprotocol mqtt and returns
// the connection as a net.Conn carrying binary messages.
func dialWS(t *testing.T, url string, tlsConfig *tls.Config) net.Conn {
	t.Helper()
	tr := &http.Transport{TLSClientConfig: tlsConfig}
	t.Cleanup(tr.CloseIdleConnections)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPClient: &http.Client{Transport: tr}, Subprotocols: []string{"mqtt"}})
	if err != nil {
		t.Fatalf("WebSocket handshake with %s: %v", url, err)
	}
	return websocket.NetConn(context.Background(), ws, websocket.MessageBinary)
}

// TestServeTransports serves tcp://, ws:// and unix:// at once (the socket
// path holding a stale socket file at first) and routes a message from
// each transport to the others.
func TestServeTransports(t *testing.T) {
	sock := socketPathIn(t)
	staleSocket(t, sock)
	addrs, log, stop := startServe(t, context.Background(),
		"--listen", "tcp://127.0.0.1:0", "--listen", "ws://127.0.0.1:0/broker", "--listen", "unix://"+sock)
	if len(addrs) != 3 {
		t.Fatalf("ready with %v, want three addresses", addrs)
	}
	wsURL := "ws://" + addrs[1].String() + "/broker"
	for _, want := range []string{
		"msg=listening url=ws://127.0.0.1:0/broker addr=" + addrs[1].String(),
		"msg=listening url=unix://" + sock + " addr=" + sock,
	} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("log lacks %q; got:\n%s", want, log.String())
		}
	}

	dials := []struct {
		name string
		dial func() net.Conn
	}{
		{"tcp", func() net.Conn {
			c, err := net.Dial("tcp", addrs[0].String())
			if err != nil {
				t.Fatal(err)
			}
			return c
		}},
		{"ws", func() net.Conn { return dialWS(t, wsURL, nil) }},
		{"unix", func() net.Conn {
			c, err := net.Dial("unix", sock)
			if err != nil {
				t.Fatal(err)
			}
			return c
		}},
	}
	var cs []*client
	for i, d := range dials {
		c := newClient(t, d.dial())
		c.connect(d.name)
		c.send(&packet.Subscribe{PacketID: uint16(i + 1), Subscriptions: []packet.Subscription{{Filter: "to/" + d.name}}})
		if ack, ok := c.read().(*packet.Suback); !ok || ack.ReasonCodes[0] != mqtt.GrantedQoS0 {
			t.Fatalf("%s: got %+v after SUBSCRIBE, want SUBACK", d.name, ack)
		}
		cs = append(cs, c)
	}
	for i, from := range dials {
		to := dials[(i+1)%len(dials)]
		cs[i].send(&packet.Publish{Topic: "to/" + to.name, Payload: []byte("from " + from.name)})
		p, ok := cs[(i+1)%len(dials)].read().(*packet.Publish)
		if !ok || p.Topic != "to/"+to.name || string(p.Payload) != "from "+from.name {
			t.Errorf("%s → %s: got %+v", from.name, to.name, p)
		}
	}

	// The WebSocket endpoint serves its path only.
	resp, err := http.Get("http://" + addrs[1].String() + "/mqtt")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /mqtt on a ws:// listener for /broker: %s, want 404", resp.Status)
	}
	http.DefaultClient.CloseIdleConnections()

	if err := stop(); err != nil {
		t.Fatalf("runServe = %v after cancel, want nil; log:\n%s", err, log.String())
	}
	for i, c := range cs {
		if _, err := c.r.ReadPacket(); err == nil {
			t.Errorf("%s: connection still open after runServe returned", dials[i].name)
		}
	}
	if c, err := net.DialTimeout("tcp", addrs[1].String(), time.Second); err == nil {
		c.Close()
		t.Errorf("the ws:// listener %s still accepts connections after runServe returned", addrs[1])
	}
	if _, err := os.Lstat(sock); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("socket file after runServe returned: %v, want it removed", err)
	}
}

// TestServeUnixSocketInUse checks that serve leaves alone a socket another
// process listens on, and a file that is not a socket.
func TestServeUnixSocketInUse(t *testing.T) {
	sock := socketPathIn(t)
	ln, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	file := filepath.Join(filepath.Dir(sock), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ path, err string }{{sock, "in use"}, {file, "not a socket"}} {
		args := []string{"--listen", "tcp://127.0.0.1:0", "--listen", "unix://" + tt.path}
		err := runServe(context.Background(), context.Background(), args, new(syncBuffer), func([]net.Addr) { t.Error("ready called") })
		if err == nil || !strings.Contains(err.Error(), tt.err) {
			t.Errorf("runServe(%q) = %v, want an error containing %q", args, err, tt.err)
		}
		if _, err := os.Lstat(tt.path); err != nil {
			t.Errorf("%s: %v, want it left in place", tt.path, err)
		}
	}
}

// TestServeWSSIdentity serves wss:// and tls:// requiring client
// certificates that name the client (--tls-identity cn), and tcp://, where
// clients have none and are refused.
func TestServeWSSIdentity(t *testing.T) {
	certFile, keyFile, cert, pair := writeCert(t)
	addrs, log, stop := startServe(t, context.Background(),
		"--listen", "wss://127.0.0.1:0", "--listen", "tls://127.0.0.1:0", "--listen", "tcp://127.0.0.1:0",
		"--tls-cert", certFile, "--tls-key", keyFile, "--tls-client-ca", certFile, "--tls-identity", "cn")
	roots := x509.NewCertPool()
	roots.AddCert(cert)
	cfg := &tls.Config{RootCAs: roots, Certificates: []tls.Certificate{pair}}

	wss := newClient(t, dialWS(t, "wss://"+addrs[0].String()+"/mqtt", cfg))
	wss.connect("wss")
	conn, err := tls.Dial("tcp", addrs[1].String(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	tc := newClient(t, conn)
	tc.connect("tls")
	wss.send(&packet.Subscribe{PacketID: 1, Subscriptions: []packet.Subscription{{Filter: "t"}}})
	if _, ok := wss.read().(*packet.Suback); !ok {
		t.Fatal("no SUBACK")
	}
	tc.send(&packet.Publish{Topic: "t", Payload: []byte("x")})
	if p, ok := wss.read().(*packet.Publish); !ok || p.Topic != "t" {
		t.Fatalf("got %+v, want PUBLISH t", p)
	}

	pc, err := net.Dial("tcp", addrs[2].String())
	if err != nil {
		t.Fatal(err)
	}
	plain := newClient(t, pc)
	plain.send(&packet.Connect{Version: mqtt.V311, CleanStart: true, ClientID: "plain", KeepAlive: 30})
	if ack, ok := plain.read().(*packet.Connack); !ok || ack.ReasonCode.ConnectReturnCode() != mqtt.ConnectNotAuthorized {
		t.Fatalf("client without a certificate got %+v, want CONNACK return code 5", ack)
	}
	if err := stop(); err != nil {
		t.Fatalf("runServe = %v, want nil; log:\n%s", err, log.String())
	}
	if want := `msg="CONNECT refused: no verified TLS client certificate"`; !strings.Contains(log.String(), want) {
		t.Errorf("log lacks %q; got:\n%s", want, log.String())
	}
}
