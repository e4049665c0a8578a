package server_test

import (
	"testing"

	"github.com/mqttx/mqttx/mqtt"
	"github.com/mqttx/mqttx/mqtt/packet"
	"github.com/mqttx/mqttx/mqtt/server"
)

// A client may send its first packets without waiting for CONNACK: the
// bytes after the CONNECT that arrive in the same read must not be lost.
func TestPacketsPipelinedAfterConnect(t *testing.T) {
	for _, v := range []mqtt.Version{mqtt.V311, mqtt.V5} {
		t.Run(v.String(), func(t *testing.T) {
			addr := start(t, &server.Server{})
			c := dial(t, addr, v)
			var b []byte
			for _, p := range []packet.Packet{
				&packet.Connect{Version: v, CleanStart: true, ClientID: "pipelined"},
				&packet.Subscribe{PacketID: 1, Subscriptions: []packet.Subscription{{Filter: "pipe/+", QoS: mqtt.QoS1}}},
				&packet.Publish{Topic: "pipe/1", QoS: mqtt.QoS1, PacketID: 2, Payload: []byte("hello")},
				&packet.Pingreq{},
			} {
				var err error
				if b, err = p.Append(b, v); err != nil {
					t.Fatal(err)
				}
			}
			c.sendRaw(b) // one write: the server reads them together
			expect[*packet.Connack](c)
			expect[*packet.Suback](c)
			// The PUBACK, the delivery to the client's own subscription and
			// the PINGRESP may come in any order.
			var acked, delivered, ponged bool
			for !acked || !delivered || !ponged {
				switch p := c.recv().(type) {
				case *packet.Puback:
					acked = p.PacketID == 2
				case *packet.Publish:
					delivered = p.Topic == "pipe/1" && string(p.Payload) == "hello"
				case *packet.Pingresp:
					ponged = true
				default:
					t.Fatalf("got %v, want PUBACK, PUBLISH and PINGRESP", p.Type())
				}
			}
		})
	}
}
