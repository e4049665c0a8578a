package server_test

import (
	"errors"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mqttx/mqttx/mqtt"
	"github.com/mqttx/mqttx/mqtt/packet"
	"github.com/mqttx/mqttx/mqtt/server"
)

// TestUnixSocket serves a Unix domain socket: its clients, whose address
// is unnamed, connect, are listed, logged and routed to like TCP clients.
func TestUnixSocket(t *testing.T) {
	path := filepath.Join(t.TempDir(), "mqtt.sock")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	rec := newWSRecorder()
	var logs syncLog
	srv := &server.Server{Hooks: []server.Hook{rec}, Logger: slog.New(slog.NewTextHandler(&logs, nil))}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	tcp := start(t, srv)

	dialUnix := func(v mqtt.Version) *client {
		nc, err := net.DialTimeout("unix", path, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { nc.Close() })
		return newClient(t, nc, v)
	}
	sub := dialUnix(mqtt.V5)
	if ack := sub.connect(&packet.Connect{ClientID: "local", CleanStart: true, KeepAlive: 60}); ack.ReasonCode != mqtt.Success {
		t.Fatalf("CONNACK %v", ack.ReasonCode)
	}
	sub.subscribe(1, packet.Subscription{Filter: "local/#", QoS: mqtt.QoS1})

	cl := rec.client(t, "local")
	if a := cl.RemoteAddr(); a == nil || a.Network() != "unix" {
		t.Errorf("RemoteAddr = %v, want a unix address", a)
	}
	var listed bool
	for _, ci := range srv.Clients() {
		listed = listed || ci.ID == "local" && ci.Listener == path
	}
	if !listed {
		t.Errorf("Clients() = %+v, want local on listener %s", srv.Clients(), path)
	}

	pub := open(t, tcp, mqtt.V311, "remote")
	pub.send(&packet.Publish{Topic: "local/x", QoS: mqtt.QoS1, PacketID: 5, Payload: []byte("hi")})
	expect[*packet.Puback](pub)
	if p := expect[*packet.Publish](sub); p.Topic != "local/x" || string(p.Payload) != "hi" {
		t.Fatalf("got %q %q", p.Topic, p.Payload)
	}

	// A refused CONNECT is logged as on TCP.
	bad := dialUnix(mqtt.V31)
	if ack := bad.connect(&packet.Connect{CleanStart: true}); ack.ReasonCode != mqtt.ClientIdentifierNotValid {
		t.Fatalf("MQTT 3.1 without a client identifier: CONNACK %v", ack.ReasonCode)
	}
	bad.closed()
	if !strings.Contains(logs.String(), `msg="CONNECT refused" remote=`) {
		t.Errorf("log lacks the refused CONNECT; got:\n%s", logs.String())
	}

	srv.Close()
	if err := <-done; !errors.Is(err, server.ErrServerClosed) {
		t.Errorf("Serve = %v, want ErrServerClosed", err)
	}
	sub.closed()
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("socket file after Close: %v, want it removed", err)
	}
}
