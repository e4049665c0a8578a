package packet

import (
	"io"

	"github.com/mqttx/mqttx/mqtt"
)

// MaxVarint is the largest value a Variable Byte Integer holds (four bytes).
const MaxVarint = 268_435_455

// VarintLen is the number of bytes AppendVarint uses for x.
func VarintLen(x uint32) int {
	switch {
	case x < 1<<7:
		return 1
	case x < 1<<14:
		return 2
	case x < 1<<21:
		return 3
	}
	return 4
}

// AppendVarint appends x as a minimal Variable Byte Integer. Values above
// MaxVarint are truncated to their low 28 bits.
func AppendVarint(b []byte, x uint32) []byte {
	x &= MaxVarint
	for x >= 0x80 {
		b = append(b, byte(x)|0x80)
		x >>= 7
	}
	return append(b, byte(x))
}

// The varint failures are compared by identity inside the package and
// copied before they reach a caller (see cursor.varint and
// ParseFixedHeader), so no caller can change what another one sees.
var (
	errVarintLong = mqtt.Malformed("MQTT-1.5.5-1", "variable byte integer longer than 4 bytes")
	errVarintWide = mqtt.Malformed("MQTT-1.5.5-1", "variable byte integer not in its minimal form")
)

// fresh returns a copy of a shared error value.
func fresh(err error) error {
	if e, ok := err.(*mqtt.Error); ok {
		c := *e
		return &c
	}
	return err
}

// ParseVarint reads a Variable Byte Integer from the start of b and returns
// it with the number of bytes used. It fails with io.ErrUnexpectedEOF when
// b ends inside the integer, and with a malformed-packet error when the
// integer uses more than four bytes or more bytes than its value needs
// [MQTT-1.5.5-1].
func ParseVarint(b []byte) (x uint32, n int, err error) {
	x, n, err = parseVarint(b)
	if err != nil {
		err = fresh(err)
	}
	return x, n, err
}

func parseVarint(b []byte) (x uint32, n int, err error) {
	var shift uint
	for i := 0; i < len(b); i++ {
		c := b[i]
		if i == 4 {
			return 0, 0, errVarintLong
		}
		x |= uint32(c&0x7f) << shift
		if c < 0x80 {
			if c == 0 && i > 0 {
				return 0, 0, errVarintWide
			}
			return x, i + 1, nil
		}
		shift += 7
	}
	if len(b) >= 4 {
		return 0, 0, errVarintLong
	}
	return 0, 0, io.ErrUnexpectedEOF
}
