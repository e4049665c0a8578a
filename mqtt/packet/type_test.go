package packet

import (
	"testing"

	"github.com/mqttx/mqttx/mqtt"
)

func TestTypeString(t *testing.T) {
	want := []string{"RESERVED", "CONNECT", "CONNACK", "PUBLISH", "PUBACK", "PUBREC", "PUBREL",
		"PUBCOMP", "SUBSCRIBE", "SUBACK", "UNSUBSCRIBE", "UNSUBACK", "PINGREQ", "PINGRESP",
		"DISCONNECT", "AUTH"}
	for i, w := range want {
		if got := Type(i).String(); got != w {
			t.Errorf("Type(%d).String() = %q, want %q", i, got, w)
		}
	}
	if got := Type(16).String(); got != "Type(16)" {
		t.Errorf("Type(16).String() = %q", got)
	}
}

func TestTypeValidAndNew(t *testing.T) {
	for ty := Type(0); ty < 16; ty++ {
		for _, v := range []mqtt.Version{mqtt.V31, mqtt.V311, mqtt.V5} {
			want := ty >= TypeConnect && ty <= TypeDisconnect || ty == TypeAuth && v == mqtt.V5
			if got := ty.Valid(v); got != want {
				t.Errorf("%v.Valid(%v) = %v, want %v", ty, v, got, want)
			}
		}
		p := New(ty)
		if ty == 0 {
			if p != nil {
				t.Errorf("New(0) = %v, want nil", p)
			}
			continue
		}
		if p == nil || p.Type() != ty {
			t.Errorf("New(%v) = %v", ty, p)
		}
		if ty != TypePingreq && ty != TypePingresp && p == New(ty) { // zero-size values may share an address
			t.Errorf("New(%v) returned the same value twice", ty)
		}
	}
	if New(16) != nil {
		t.Errorf("New(16) != nil")
	}
}
