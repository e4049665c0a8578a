package server_test

import (
	"testing"

	"github.com/mqttx/mqttx/mqtt"
	"github.com/mqttx/mqttx/mqtt/packet"
	"github.com/mqttx/mqttx/mqtt/server"
)

// A client with a small Maximum Packet Size gets the server's DISCONNECT
// without its Reason String rather than a packet over its limit.
func TestDisconnectFitsClientMaximum(t *testing.T) {
	addr := start(t, &server.Server{})
	c := dial(t, addr, mqtt.V5)
	cp := &packet.Connect{Version: mqtt.V5, ClientID: "small", CleanStart: true}
	cp.Properties.MaximumPacketSize = 12
	c.send(cp)
	expect[*packet.Connack](c)
	c.sendRaw([]byte{0x36, 0x05, 0x00, 0x01, 'a', 0x00, 0x01}) // PUBLISH with QoS 3
	got := c.closed()
	if len(got) != 1 {
		t.Fatalf("got %d packets before the close, want one DISCONNECT", len(got))
	}
	d, ok := got[0].(*packet.Disconnect)
	if !ok || d.ReasonCode != mqtt.MalformedPacket {
		t.Fatalf("got %+v, want DISCONNECT 0x81", got[0])
	}
	if d.Properties.ReasonString != "" {
		t.Errorf("DISCONNECT carries %q over the client's 12-byte maximum", d.Properties.ReasonString)
	}
	if n := d.Len(mqtt.V5); n > 12 {
		t.Errorf("DISCONNECT is %d bytes, over the client's maximum", n)
	}
}

// The same client with room gets the Reason String.
func TestDisconnectReasonWithRoom(t *testing.T) {
	addr := start(t, &server.Server{})
	c := dial(t, addr, mqtt.V5)
	c.send(&packet.Connect{Version: mqtt.V5, ClientID: "roomy", CleanStart: true})
	expect[*packet.Connack](c)
	c.sendRaw([]byte{0x36, 0x05, 0x00, 0x01, 'a', 0x00, 0x01})
	got := c.closed()
	if len(got) != 1 || got[0].(*packet.Disconnect).Properties.ReasonString == "" {
		t.Fatalf("got %+v, want a DISCONNECT with a Reason String", got)
	}
}

// A CONNECT naming an authentication method the server does not support
// is refused with 0x8C and the connection closed [MQTT-4.12.0-1].
func TestUnsupportedAuthenticationMethod(t *testing.T) {
	addr := start(t, &server.Server{})
	c := dial(t, addr, mqtt.V5)
	cp := &packet.Connect{Version: mqtt.V5, ClientID: "auth", CleanStart: true}
	cp.Properties.AuthMethod = "NO-SUCH-METHOD"
	c.send(cp)
	got := c.closed()
	if len(got) != 1 {
		t.Fatalf("got %d packets before the close, want a CONNACK", len(got))
	}
	if a, ok := got[0].(*packet.Connack); !ok || a.ReasonCode != mqtt.BadAuthenticationMethod {
		t.Errorf("got %+v, want CONNACK 0x8C", got[0])
	}
}
