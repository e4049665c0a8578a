package packet

import (
	"bytes"
	"testing"

	"github.com/mqttx/mqttx/mqtt"
)

// benchPackets are the packets the encode and decode benchmarks use.
func benchPackets() []golden {
	mk := func(name string, v mqtt.Version, p Packet) golden {
		b, err := p.Append(nil, v)
		if err != nil {
			panic(err)
		}
		return golden{name, v, p, b}
	}
	return []golden{
		mk("Connect", mqtt.V5, &Connect{Version: mqtt.V5, CleanStart: true, KeepAlive: 60, ClientID: "client-0001",
			Username: "user", Password: []byte("secret"), Properties: Properties{SessionExpiry: 3600, ReceiveMaximum: 100},
			Will: &Will{QoS: 1, Topic: "clients/0001/status", Payload: []byte("offline")}}),
		mk("PublishV311", mqtt.V311, &Publish{QoS: mqtt.QoS1, PacketID: 7, Topic: "sensors/kitchen/temp", Payload: []byte("21.5")}),
		mk("PublishV5", mqtt.V5, &Publish{QoS: mqtt.QoS1, PacketID: 7, Topic: "sensors/kitchen/temp", Payload: []byte("21.5"),
			Properties: Properties{ContentType: "text/plain", MessageExpiry: 60, User: []UserProperty{{"unit", "celsius"}}}}),
		mk("Subscribe", mqtt.V5, &Subscribe{PacketID: 3, Subscriptions: []Subscription{
			{Filter: "sensors/+/temp", QoS: 1}, {Filter: "alerts/#", QoS: 2, NoLocal: true}}}),
	}
}

func BenchmarkEncode(b *testing.B) {
	for _, g := range benchPackets() {
		b.Run(g.name, func(b *testing.B) {
			buf := make([]byte, 0, 1024)
			b.ReportAllocs()
			b.SetBytes(int64(len(g.b)))
			for b.Loop() {
				buf, _ = g.p.Append(buf[:0], g.v)
			}
		})
	}
}

func BenchmarkDecode(b *testing.B) {
	for _, g := range benchPackets() {
		b.Run("Decoder/"+g.name, func(b *testing.B) {
			d := Decoder{Version: g.v}
			b.ReportAllocs()
			b.SetBytes(int64(len(g.b)))
			for b.Loop() {
				if _, _, err := d.Decode(g.b); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("Reader/"+g.name, func(b *testing.B) {
			br := bytes.NewReader(g.b)
			r := NewReader(br)
			r.Version = g.v
			b.ReportAllocs()
			b.SetBytes(int64(len(g.b)))
			for b.Loop() {
				br.Reset(g.b)
				r.Reset(br)
				if _, err := r.ReadPacket(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
