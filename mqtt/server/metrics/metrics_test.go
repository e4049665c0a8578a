package metrics_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/goleak"

	"github.com/mqttx/mqttx/mqtt"
	"github.com/mqttx/mqttx/mqtt/packet"
	"github.com/mqttx/mqttx/mqtt/server"
	"github.com/mqttx/mqttx/mqtt/server/metrics"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// client is a raw MQTT client that counts the bytes it writes.
type client struct {
	t       *testing.T
	nc      net.Conn
	r       *packet.Reader
	v       mqtt.Version
	written int
}

func dial(t *testing.T, addr string, v mqtt.Version, id string) *client {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	r := packet.NewReader(nc)
	r.Version = v
	c := &client{t: t, nc: nc, r: r, v: v}
	c.send(&packet.Connect{Version: v, ClientID: id, CleanStart: true})
	if ack, ok := c.recv().(*packet.Connack); !ok || ack.ReasonCode != mqtt.Success {
		t.Fatalf("CONNACK: %+v", ack)
	}
	return c
}

func (c *client) send(p packet.Packet) {
	c.t.Helper()
	b, err := p.Append(nil, c.v)
	if err != nil {
		c.t.Fatal(err)
	}
	c.nc.SetWriteDeadline(time.Now().Add(5 * time.Second))
	n, err := c.nc.Write(b)
	c.written += n
	if err != nil {
		c.t.Fatal(err)
	}
}

func (c *client) recv() packet.Packet {
	c.t.Helper()
	c.nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	p, err := c.r.ReadPacket()
	if err != nil {
		c.t.Fatal(err)
	}
	return packet.Clone(p)
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// parse reads the text exposition format into series → value.
func parse(t *testing.T, body string) map[string]float64 {
	t.Helper()
	m := make(map[string]float64)
	for line := range strings.Lines(body) {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		m[line[:i]] = v
	}
	return m
}

func TestHandler(t *testing.T) {
	srv := &server.Server{Logger: slog.New(slog.DiscardHandler)}
	web := httptest.NewServer(metrics.Handler(srv))
	defer web.Close()

	if code, _ := get(t, web.URL+"/healthz"); code != http.StatusServiceUnavailable {
		t.Errorf("/healthz before Serve: %d, want 503", code)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	addr := ln.Addr().String()

	sub := dial(t, addr, mqtt.V5, "sub")
	sub.send(&packet.Subscribe{PacketID: 1, Subscriptions: []packet.Subscription{{Filter: "m/#"}}})
	if _, ok := sub.recv().(*packet.Suback); !ok {
		t.Fatal("no SUBACK")
	}
	pub := dial(t, addr, mqtt.V311, "pub")
	const n = 7
	for range n {
		pub.send(&packet.Publish{Topic: "m/x", Payload: []byte("payload")})
	}
	pub.send(&packet.Publish{Topic: "nobody", Payload: []byte("payload")})
	pub.send(&packet.Pingreq{})
	if _, ok := pub.recv().(*packet.Pingresp); !ok {
		t.Fatal("no PINGRESP")
	}
	for range n {
		if _, ok := sub.recv().(*packet.Publish); !ok {
			t.Fatal("no PUBLISH")
		}
	}

	if code, body := get(t, web.URL+"/healthz"); code != http.StatusOK || body != "ok\n" {
		t.Errorf("/healthz while serving: %d %q, want 200 \"ok\\n\"", code, body)
	}

	want := map[string]float64{
		`mqttx_packets_received_total{type="PUBLISH"}`:          n + 1,
		`mqttx_packets_received_total{type="CONNECT"}`:          2,
		`mqttx_packets_received_total{type="SUBSCRIBE"}`:        1,
		`mqttx_packets_received_total{type="PINGREQ"}`:          1,
		`mqttx_packets_received_total{type="PUBREL"}`:           0,
		`mqttx_packets_sent_total{type="PUBLISH"}`:              n,
		`mqttx_packets_sent_total{type="CONNACK"}`:              2,
		`mqttx_packets_sent_total{type="SUBACK"}`:               1,
		`mqttx_packets_sent_total{type="PINGRESP"}`:             1,
		`mqttx_bytes_received_total`:                            float64(sub.written + pub.written),
		`mqttx_payload_bytes_received_total`:                    (n + 1) * 7,
		`mqttx_payload_bytes_sent_total`:                        n * 7,
		`mqttx_messages_dropped_total{reason="no_subscribers"}`: 1,
		`mqttx_messages_dropped_total{reason="queue_full"}`:     0,
		`mqttx_connections`:                                     2,
		`mqttx_connections_total`:                               2,
		`mqttx_connects_total{result="accepted"}`:               2,
		`mqttx_connects_total{result="refused"}`:                0,
		`mqttx_clients_connected`:                               2,
		`mqttx_clients_maximum`:                                 2,
		`mqttx_sessions{state="online"}`:                        2,
		`mqttx_sessions{state="offline"}`:                       0,
		`mqttx_subscriptions`:                                   1,
		`mqttx_retained_messages`:                               0,
		`mqttx_inflight_messages`:                               0,
	}
	var got map[string]float64
	var body string
	for deadline := time.Now().Add(5 * time.Second); ; {
		var code int
		code, body = get(t, web.URL+"/metrics")
		if code != http.StatusOK {
			t.Fatalf("/metrics: %d", code)
		}
		got = parse(t, body)
		var bad []string
		for k, v := range want {
			if g, ok := got[k]; !ok || g != v {
				bad = append(bad, fmt.Sprintf("%s = %v (present %v), want %v", k, g, ok, v))
			}
		}
		if len(bad) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("metrics:\n%s", strings.Join(bad, "\n"))
		}
		time.Sleep(5 * time.Millisecond)
	}
	for _, name := range []string{"go_goroutines", "process_cpu_seconds_total", "mqttx_start_time_seconds", "mqttx_bytes_sent_total"} {
		if _, ok := got[name]; !ok {
			t.Errorf("no %s", name)
		}
	}
	for _, line := range []string{
		"# TYPE mqttx_packets_received_total counter",
		"# TYPE mqttx_connections gauge",
		"# TYPE mqttx_messages_dropped_total counter",
	} {
		if !strings.Contains(body, line+"\n") {
			t.Errorf("no %q", line)
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-served; !errors.Is(err, server.ErrServerClosed) {
		t.Fatalf("Serve: %v", err)
	}
	if code, _ := get(t, web.URL+"/healthz"); code != http.StatusServiceUnavailable {
		t.Errorf("/healthz after Shutdown: %d, want 503", code)
	}
	// Counters survive the connections: the totals stay after they end.
	_, body = get(t, web.URL+"/metrics")
	got = parse(t, body)
	if v := got[`mqttx_packets_received_total{type="PUBLISH"}`]; v != n+1 {
		t.Errorf("PUBLISH received after Shutdown: %v, want %d", v, n+1)
	}
	if v := got[`mqttx_connections`]; v != 0 {
		t.Errorf("connections after Shutdown: %v, want 0", v)
	}
}

// The collector's descriptions and metrics are consistent: a registry
// checks them when it gathers.
func TestCollectorRegistry(t *testing.T) {
	srv := &server.Server{}
	reg := prometheus.NewPedanticRegistry()
	if err := reg.Register(metrics.NewCollector(srv)); err != nil {
		t.Fatal(err)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	if len(mfs) != 22 {
		t.Errorf("%d metric families, want 22", len(mfs))
	}
	srv.Close()
}
