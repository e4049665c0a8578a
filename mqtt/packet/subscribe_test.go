package packet

import (
	"testing"

	"github.com/mqttx/mqttx/mqtt"
)

// TestSubscriptionOptions decodes every value of the options byte.
func TestSubscriptionOptions(t *testing.T) {
	for o := range 256 {
		for _, v := range []mqtt.Version{mqtt.V311, mqtt.V5} {
			var b []byte
			if v == mqtt.V5 {
				b = pkt(0x82, u16(1), 0, str("a/b"), o)
			} else {
				b = pkt(0x82, u16(1), str("a/b"), o)
			}
			p, _, err := Decode(b, v)
			qos, nl, rap, rh := o&3, o&4 != 0, o&8 != 0, o>>4&3
			var legal bool
			if v == mqtt.V5 {
				legal = o&0xc0 == 0 && qos != 3 && rh != 3
			} else {
				legal = o&0xfc == 0 && qos != 3
			}
			if !legal {
				if err == nil {
					t.Errorf("MQTT %v options %#02x accepted", v, o)
				}
				continue
			}
			if err != nil {
				t.Errorf("MQTT %v options %#02x: %v", v, o, err)
				continue
			}
			s := p.(*Subscribe).Subscriptions[0]
			want := Subscription{Filter: "a/b", QoS: mqtt.QoS(qos), NoLocal: nl, RetainAsPublished: rap, RetainHandling: byte(rh)}
			if s != want {
				t.Errorf("MQTT %v options %#02x: %+v, want %+v", v, o, s, want)
			}
			if again, _ := p.Append(nil, v); string(again) != string(b) {
				t.Errorf("MQTT %v options %#02x re-encodes as % x", v, o, again)
			}
		}
	}
}

func TestSubscribeManyFilters(t *testing.T) {
	s := &Subscribe{PacketID: 9}
	for i := range 300 {
		s.Subscriptions = append(s.Subscriptions, Subscription{Filter: "f/" + string(rune('a'+i%26)), QoS: mqtt.QoS(i % 3)})
	}
	for _, v := range []mqtt.Version{mqtt.V311, mqtt.V5} {
		b, err := s.Append(nil, v)
		if err != nil {
			t.Fatal(err)
		}
		p, _, err := Decode(b, v)
		if err != nil || !samePacket(p, s) {
			t.Errorf("MQTT %v: 300 filters: %v", v, err)
		}
	}
}

func TestSubackV3FailureCodes(t *testing.T) {
	// Any MQTT 5 failure is 0x80 to a 3.x client.
	s := &Suback{PacketID: 1, ReasonCodes: []mqtt.ReasonCode{mqtt.TopicFilterInvalid, mqtt.QuotaExceeded, mqtt.GrantedQoS1}}
	b, err := s.Append(nil, mqtt.V311)
	if err != nil || string(b) != string([]byte{0x90, 5, 0, 1, 0x80, 0x80, 0x01}) {
		t.Errorf("got % x, %v", b, err)
	}
}
