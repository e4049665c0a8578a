package server

import (
	"strings"
	"testing"

	"github.com/mqttx/mqttx/mqtt"
	"github.com/mqttx/mqttx/mqtt/packet"
)

// wrote counts the whole packets in what was written, by type, and the
// payload bytes of the PUBLISH packets, at every length a write may stop.
func TestCountersWrote(t *testing.T) {
	for _, v := range []mqtt.Version{mqtt.V311, mqtt.V5} {
		t.Run(v.String(), func(t *testing.T) {
			props := packet.Publish{Topic: "a/b", QoS: mqtt.QoS2, PacketID: 9, Payload: make([]byte, 300)}
			if v == mqtt.V5 {
				props.Properties.ContentType = "text/plain"
				props.Properties.Set(packet.PropContentType)
				props.Properties.User = []packet.UserProperty{{Key: "k", Value: strings.Repeat("v", 200)}} // a property length of two bytes
			}
			pkts := []packet.Packet{
				&packet.Connack{},
				&packet.Publish{Topic: "t", Payload: []byte("hello")},
				&packet.Puback{PacketID: 1},
				&props,
				&packet.Publish{Topic: "empty", QoS: mqtt.QoS1, PacketID: 2},
				&packet.Pingresp{},
			}
			var b []byte
			var ends []int
			for _, p := range pkts {
				var err error
				if b, err = p.Append(b, v); err != nil {
					t.Fatal(err)
				}
				ends = append(ends, len(b))
			}
			payloads := []uint64{0, 5, 0, 300, 0, 0}
			for n := 0; n <= len(b); n++ {
				var c counters
				c.wrote(b, n, v == mqtt.V5)
				var want [16]uint64
				var pay uint64
				for i, end := range ends {
					if end <= n {
						want[pkts[i].Type()]++
						pay += payloads[i]
					}
				}
				var st Stats
				c.addTo(&st)
				if st.PacketsSent != want || st.PublishBytesSent != pay || st.BytesSent != uint64(n) {
					t.Fatalf("n=%d: packets %v, payload %d, bytes %d; want %v, %d, %d", n, st.PacketsSent, st.PublishBytesSent, st.BytesSent, want, pay, n)
				}
			}
		})
	}
}
