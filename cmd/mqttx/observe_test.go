package main

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/mqttx/mqttx/mqtt"
	"github.com/mqttx/mqttx/mqtt/packet"
)

// serve with an http:// listener exposes /metrics and /healthz, and
// publishes the $SYS topics.
func TestServeMetricsAndSys(t *testing.T) {
	reload := make(chan struct{})
	addrs, _ := startServeReload(t, reload, "--listen", "tcp://127.0.0.1:0", "--listen", "http://127.0.0.1:0", "--sys-interval", "1s")
	c, _, err := dialClient(clientFor(addrs[0], "", ""), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer c.disconnect()
	for range 3 {
		if err := c.publish(&packet.Publish{Topic: "m/x", QoS: mqtt.QoS1, Payload: []byte("x")}); err != nil {
			t.Fatal(err)
		}
	}
	get := func(path string) (int, string) {
		t.Helper()
		resp, err := http.Get("http://" + addrs[1].String() + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("/healthz"); code != http.StatusOK {
		t.Errorf("/healthz: %d %q", code, body)
	}
	code, body := get("/metrics")
	if code != http.StatusOK || !strings.Contains(body, `mqttx_packets_received_total{type="PUBLISH"} 3`) {
		t.Errorf("/metrics: %d, want 3 PUBLISH received in:\n%.2000s", code, body)
	}

	sub := c.send(&packet.Subscribe{PacketID: c.id(), Subscriptions: []packet.Subscription{{Filter: "$SYS/broker/publish/messages/received"}}})
	if sub != nil {
		t.Fatal(sub)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		p, err := c.next(time.Until(deadline))
		if err != nil {
			t.Fatalf("no $SYS message: %v", err)
		}
		if m, ok := p.(*packet.Publish); ok {
			if m.Topic != "$SYS/broker/publish/messages/received" || string(m.Payload) == "" {
				t.Errorf("got %s %q", m.Topic, m.Payload)
			}
			break
		}
	}
}

func TestServeNeedsAnMQTTListener(t *testing.T) {
	if _, err := parseServeFlags([]string{"--listen", "http://127.0.0.1:0"}, io.Discard); err == nil || !strings.Contains(err.Error(), "no MQTT listener") {
		t.Errorf("only http://: %v", err)
	}
}
