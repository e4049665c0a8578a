package conformance

import (
	"strings"
	"time"

	"github.com/mqttx/mqttx/mqtt"
	"github.com/mqttx/mqttx/mqtt/packet"
	. "github.com/onsi/gomega"
)

// Checks of client identifier refusal, authorization, QoS 2 with message
// expiry, and MQTT over WebSocket.

var _ = check(Check{
	Area: "connect", Name: "a refused client identifier gets a refusal and a close",
	V5:   []string{"MQTT-3.1.3-8"},
	V311: []string{"MQTT-3.1.3-9"},
	Run: func(t *T) {
		// Identifiers a broker may refuse; the check needs one it does.
		for _, id := range []string{strings.Repeat("i", 64) + t.ClientID(), "mqttcheck/#+" + t.ClientID(), strings.Repeat("L", 65000)} {
			c := t.Dial(t.V)
			ack := c.Handshake(withID(id))
			if ack.ReasonCode == mqtt.Success {
				c.Close()
				continue
			}
			if t.V == mqtt.V5 {
				t.Expect(ack.ReasonCode >= 0x80).To(BeTrue(), "refusing CONNACK code %s", code(ack.ReasonCode, packet.TypeConnack))
			} else {
				t.Expect(ack.ReasonCode.ConnectReturnCode()).To(Equal(mqtt.ConnectIdentifierRejected), "3.1.1 return code for a refused identifier")
			}
			c.ExpectClosed("after refusing the client identifier")
			return
		}
		t.Skipf("broker accepted every client identifier tried (64 characters, '/#+', 65000 characters)")
	},
})

var _ = check(Check{
	Area: "authorization", Name: "an unauthorized 3.1.1 PUBLISH is acknowledged or the connection closed, and not delivered",
	V311:  []string{"MQTT-3.3.5-2"},
	Needs: []Capability{CapDenied, CapQoS1},
	Run: func(t *T) {
		topic := t.Profile().DeniedTopic
		c, _ := t.Connect()
		c.Send(&packet.Publish{Topic: topic, QoS: 1, PacketID: 3, Payload: []byte("denied")})
		if r, ok := c.AwaitOrClose("PUBACK 3", func(p packet.Packet) bool { return p.Type() == packet.TypePuback }); ok {
			t.Expect(r.Packet.(*packet.Puback).PacketID).To(Equal(uint16(3)))
		}
	},
})

var _ = check(Check{
	Area: "qos", Name: "a QoS 2 message already sent is not expired before its flow completes",
	V5:    []string{"MQTT-4.3.3-7"},
	Needs: []Capability{CapQoS2, CapSessionExpiry},
	Run: func(t *T) {
		id, topic := t.ClientID(), t.Topic("q2exp")
		s, _ := t.ConnectManual(resume(id))
		defer t.cleanEnd(id, t.V)
		s.Sub(topic, 2)
		p, _ := t.Connect()
		m := &packet.Publish{Topic: topic, QoS: 2, Payload: []byte("sent")}
		m.Properties.MessageExpiry = 1
		p.PubPacket(m)
		first := s.ExpectPublishOn(topic)
		s.Close()
		time.Sleep(2 * time.Second) // beyond the 1 s expiry
		again, _ := t.ConnectManual(resume(id))
		got := again.ExpectPublishOn(topic)
		t.Expect(got.PacketID).To(Equal(first.PacketID), "the sent QoS 2 message is resent despite its expiry")
		again.Send(&packet.Pubrec{PacketID: got.PacketID})
		again.Expect(packet.TypePubrel)
		again.Send(&packet.Pubcomp{PacketID: got.PacketID})
		again.Disconnect()
	},
})

var _ = check(Check{
	Area: "qos", Name: "the QoS 2 handshake continues after the message expired",
	V5:    []string{"MQTT-4.3.3-13"},
	Needs: []Capability{CapQoS2},
	Run: func(t *T) {
		c, _ := t.Connect()
		m := &packet.Publish{Topic: t.Topic("exp"), QoS: 2, PacketID: 21, Payload: []byte("x")}
		m.Properties.MessageExpiry = 1
		c.Send(m)
		c.Expect(packet.TypePubrec)
		time.Sleep(1500 * time.Millisecond) // beyond the 1 s expiry
		c.Send(&packet.Pubrel{PacketID: 21})
		comp := c.Expect(packet.TypePubcomp).Packet.(*packet.Pubcomp)
		t.Expect(comp.PacketID).To(Equal(uint16(21)))
	},
})

var _ = check(Check{
	Area: "size", Name: "a PUBREL for an unknown PUBREC fits the client's Maximum Packet Size",
	V5: []string{"MQTT-3.6.2-2", "MQTT-3.6.2-3"},
	Run: func(t *T) {
		c, _ := t.Connect(withMaxPacket(smallMax))
		c.Send(&packet.Pubrec{PacketID: 777})
		for _, r := range c.Watch() {
			c.expectFits(r, smallMax)
			if rel, ok := r.Packet.(*packet.Pubrel); ok {
				t.Expect(packet.ValidReason(packet.TypePubrel, rel.ReasonCode)).To(BeTrue())
				return
			}
		}
		t.Skipf("broker sent no PUBREL for a PUBREC of an identifier it never used")
	},
})

// wsDial opens a WebSocket to the broker's WebSocket URL offering protocols.
func (t *T) wsDial(protocols []string) (*wsConn, string) {
	d := t.env.wsDialer
	nc, err := d.dialWS(t.Wait(), protocols)
	if err != nil {
		t.Fatalf("expected a WebSocket handshake with %s offering %v; got %v", d, protocols, err)
	}
	ws := nc.(*wsConn)
	t.Cleanup(func() { ws.Close() })
	return ws, ws.subprotocol()
}

var _ = check(Check{
	Area: "websocket", Name: "the broker selects the mqtt subprotocol",
	V5:    []string{"MQTT-6.0.0-4"},
	V311:  []string{"MQTT-6.0.0-4"},
	Needs: []Capability{CapWebSocket},
	Run: func(t *T) {
		_, proto := t.wsDial([]string{"mqtt"})
		t.Expect(proto).To(Equal("mqtt"), "Sec-WebSocket-Protocol selected")
	},
})

var _ = check(Check{
	Area: "websocket", Name: "packets split across and packed into WebSocket frames are read",
	V5:    []string{"MQTT-6.0.0-2"},
	V311:  []string{"MQTT-6.0.0-2"},
	Needs: []Capability{CapWebSocket},
	Run: func(t *T) {
		ws, _ := t.wsDial([]string{"mqtt"})
		c := t.wrap(ws, t.V, "ws-client")
		b, _ := t.ConnectPacket(t.V).Append(nil, 0)
		// The CONNECT in two frames, then SUBSCRIBE and PINGREQ in one.
		c.SendBytes(b[:3], "CONNECT, first frame")
		c.SendBytes(b[3:], "CONNECT, second frame")
		t.Expect(c.Expect(packet.TypeConnack).Packet.(*packet.Connack).ReasonCode).To(Equal(mqtt.Success))
		topic := t.Topic("ws")
		s, _ := (&packet.Subscribe{PacketID: 1, Subscriptions: []packet.Subscription{{Filter: topic}}}).Append(nil, t.V)
		s, _ = (&packet.Pingreq{}).Append(s, t.V)
		c.SendBytes(s, "SUBSCRIBE and PINGREQ in one frame")
		c.Expect(packet.TypeSuback)
		c.Expect(packet.TypePingresp)
	},
})

var _ = check(Check{
	Area: "websocket", Name: "a text frame closes the connection",
	V5:    []string{"MQTT-6.0.0-1"},
	V311:  []string{"MQTT-6.0.0-1"},
	Needs: []Capability{CapWebSocket},
	Run: func(t *T) {
		ws, _ := t.wsDial([]string{"mqtt"})
		c := t.wrap(ws, t.V, "ws-client")
		b, _ := t.ConnectPacket(t.V).Append(nil, 0)
		c.SendBytes(b, "CONNECT")
		c.Expect(packet.TypeConnack)
		t.logf("ws-client → PINGREQ in a text frame")
		ws.writeText([]byte{0xC0, 0x00})
		c.ExpectClosed("a WebSocket text frame")
	},
})
