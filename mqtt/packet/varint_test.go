package packet

import (
	"bytes"
	"io"
	"testing"

	"github.com/mqttx/mqttx/mqtt"
)

func TestVarint(t *testing.T) {
	tests := []struct {
		x    uint32
		wire []byte
	}{
		{0, []byte{0x00}},
		{1, []byte{0x01}},
		{127, []byte{0x7f}},
		{128, []byte{0x80, 0x01}},
		{321, []byte{0xc1, 0x02}},
		{16_383, []byte{0xff, 0x7f}},
		{16_384, []byte{0x80, 0x80, 0x01}},
		{2_097_151, []byte{0xff, 0xff, 0x7f}},
		{2_097_152, []byte{0x80, 0x80, 0x80, 0x01}},
		{MaxVarint, []byte{0xff, 0xff, 0xff, 0x7f}},
	}
	for _, tc := range tests {
		if got := AppendVarint(nil, tc.x); !bytes.Equal(got, tc.wire) {
			t.Errorf("AppendVarint(%d) = % x, want % x", tc.x, got, tc.wire)
		}
		if n := VarintLen(tc.x); n != len(tc.wire) {
			t.Errorf("VarintLen(%d) = %d, want %d", tc.x, n, len(tc.wire))
		}
		x, n, err := ParseVarint(append(bytes.Clone(tc.wire), 0xff, 0xff))
		if x != tc.x || n != len(tc.wire) || err != nil {
			t.Errorf("ParseVarint(% x) = %d, %d, %v; want %d, %d, nil", tc.wire, x, n, err, tc.x, len(tc.wire))
		}
		for i := range len(tc.wire) {
			if _, _, err := ParseVarint(tc.wire[:i]); err != io.ErrUnexpectedEOF {
				t.Errorf("ParseVarint(% x) = %v, want io.ErrUnexpectedEOF", tc.wire[:i], err)
			}
		}
	}
	// Values above the maximum are truncated to 28 bits, as documented.
	if got := AppendVarint(nil, MaxVarint+1); !bytes.Equal(got, []byte{0x00}) {
		t.Errorf("AppendVarint(MaxVarint+1) = % x, want 00", got)
	}
}

func TestVarintRoundTrip(t *testing.T) {
	for x := uint32(0); x <= MaxVarint; x = x*3 + 1 {
		for _, y := range []uint32{x, x + 1, x - 1} {
			if y > MaxVarint {
				continue
			}
			b := AppendVarint(nil, y)
			got, n, err := ParseVarint(b)
			if got != y || n != len(b) || err != nil || n != VarintLen(y) {
				t.Fatalf("%d: % x parses as %d, %d, %v", y, b, got, n, err)
			}
		}
	}
}

func TestVarintMalformed(t *testing.T) {
	for _, b := range [][]byte{
		{0x80, 0x80, 0x80, 0x80},       // a fifth byte would be needed
		{0x80, 0x80, 0x80, 0x80, 0x01}, // five bytes
		{0xff, 0xff, 0xff, 0xff, 0x7f}, // five bytes, above the maximum
		{0x80, 0x00},                   // 0 in two bytes
		{0xff, 0x00},                   // 127 in two bytes
		{0x80, 0x80, 0x00},             // 0 in three bytes
		{0x81, 0x80, 0x80, 0x00},       // 1 in four bytes
	} {
		_, _, err := ParseVarint(b)
		checkErr(t, "ParseVarint "+string(hexString(b)), err, mqtt.MalformedPacket, "MQTT-1.5.5-1")
	}
}

// hexString spells b in hex, for test names.
func hexString(b []byte) []byte {
	const hex = "0123456789abcdef"
	var s []byte
	for _, c := range b {
		s = append(s, hex[c>>4], hex[c&15], ' ')
	}
	return s
}
