package packet

import (
	"testing"

	"github.com/mqttx/mqttx/mqtt"
)

func TestUnsubscribeFilters(t *testing.T) {
	// Filters are not checked for wildcard syntax here (that is the
	// topic package's job); only for UTF-8.
	u := &Unsubscribe{PacketID: 1, Filters: []string{"a/#", "+", "#/bad/but/utf8", "$share/g/x"}}
	for _, v := range []mqtt.Version{mqtt.V31, mqtt.V311, mqtt.V5} {
		b, err := u.Append(nil, v)
		if err != nil {
			t.Fatalf("MQTT %v: %v", v, err)
		}
		p, _, err := Decode(b, v)
		if err != nil || !samePacket(p, u) {
			t.Errorf("MQTT %v: %v, %v", v, p, err)
		}
	}
}

func TestUnsubackV5ReasonCodes(t *testing.T) {
	for c := range 256 {
		p, _, err := Decode(pkt(0xb0, u16(1), 0, c), mqtt.V5)
		if ValidReason(TypeUnsuback, mqtt.ReasonCode(c)) != (err == nil) {
			t.Errorf("UNSUBACK reason %#02x: %v, %v", c, p, err)
		}
	}
	// 3.1.1 UNSUBACK has no payload; reason codes are not sent.
	b, err := (&Unsuback{PacketID: 1}).Append(nil, mqtt.V311)
	if err != nil || string(b) != "\xb0\x02\x00\x01" {
		t.Errorf("3.1.1 UNSUBACK: % x, %v", b, err)
	}
}
