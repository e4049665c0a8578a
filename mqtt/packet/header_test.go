package packet

import (
	"io"
	"testing"

	"github.com/mqttx/mqttx/mqtt"
)

func TestParseFixedHeader(t *testing.T) {
	tests := []struct {
		in   []byte
		v    mqtt.Version
		want FixedHeader
	}{
		{[]byte{0x10, 0x0e}, 0, FixedHeader{TypeConnect, 0, 14, 2}},
		{[]byte{0x3d, 0x05}, mqtt.V311, FixedHeader{TypePublish, 0xd, 5, 2}},
		{[]byte{0x62, 0x02, 0xaa}, mqtt.V5, FixedHeader{TypePubrel, 2, 2, 2}},
		{[]byte{0x30, 0x80, 0x01}, mqtt.V311, FixedHeader{TypePublish, 0, 128, 3}},
		{[]byte{0x30, 0xff, 0xff, 0xff, 0x7f}, mqtt.V5, FixedHeader{TypePublish, 0, MaxVarint, 5}},
		{[]byte{0xf0, 0x00}, 0, FixedHeader{TypeAuth, 0, 0, 2}}, // version unknown: AUTH passes the header
	}
	for _, tc := range tests {
		h, err := ParseFixedHeader(tc.in, tc.v)
		if err != nil || h != tc.want {
			t.Errorf("ParseFixedHeader(% x) = %+v, %v; want %+v", tc.in, h, err, tc.want)
		}
		if h.Total() != tc.want.Size+tc.want.Remaining {
			t.Errorf("Total = %d", h.Total())
		}
		for i := range tc.want.Size {
			if _, err := ParseFixedHeader(tc.in[:i], tc.v); err != io.ErrUnexpectedEOF {
				t.Errorf("ParseFixedHeader(% x) = %v, want io.ErrUnexpectedEOF", tc.in[:i], err)
			}
		}
	}
}

func TestParseFixedHeaderFlags(t *testing.T) {
	// Every first byte, for every version: accepted exactly when the type
	// exists in the version and its flags are the required ones.
	for _, v := range []mqtt.Version{0, mqtt.V31, mqtt.V311, mqtt.V5} {
		for first := range 256 {
			ty, flags := Type(first>>4), byte(first&15)
			_, err := ParseFixedHeader([]byte{byte(first), 0}, v)
			exists := ty != 0 && (ty != TypeAuth || v == 0 || v == mqtt.V5)
			want := flags
			if v == mqtt.V31 && requiredFlags[ty] != 0 {
				want &^= 0x08 // 3.1 allows DUP on a retried PUBREL, SUBSCRIBE, UNSUBSCRIBE
			}
			ok := exists && (ty == TypePublish || want == requiredFlags[ty])
			if (err == nil) != ok {
				t.Errorf("MQTT %v, first byte %#02x: err %v, want ok %v", v, first, err, ok)
			}
			if err != nil && mqtt.CodeOf(err) != mqtt.MalformedPacket {
				t.Errorf("MQTT %v, first byte %#02x: code %v", v, first, mqtt.CodeOf(err))
			}
		}
	}
}
