package packet

import (
	"unicode/utf8"

	"github.com/mqttx/mqttx/mqtt"
)

// AppendUint16 appends x big-endian, the form of every two-byte integer.
func AppendUint16(b []byte, x uint16) []byte { return append(b, byte(x>>8), byte(x)) }

// AppendUint32 appends x big-endian.
func AppendUint32(b []byte, x uint32) []byte {
	return append(b, byte(x>>24), byte(x>>16), byte(x>>8), byte(x))
}

// AppendString appends s with its two-byte length prefix. It does not check
// s: callers that need an illegal string on purpose use it directly.
func AppendString(b []byte, s string) []byte {
	b = AppendUint16(b, uint16(len(s)))
	return append(b, s...)
}

// AppendBinary appends binary data with its two-byte length prefix.
func AppendBinary(b []byte, d []byte) []byte {
	b = AppendUint16(b, uint16(len(d)))
	return append(b, d...)
}

// ValidString reports whether s may be sent as an MQTT UTF-8 Encoded
// String: well-formed UTF-8 with no surrogate code points [MQTT-1.5.4-1]
// (v3.1.1 [MQTT-1.5.3-1]), no U+0000 [MQTT-1.5.4-2] (v3.1.1
// [MQTT-1.5.3-2]), and at most 65,535 bytes. (utf8.ValidString alone
// accepts U+0000.)
func ValidString(s string) bool {
	n := len(s)
	if n > 0xffff {
		return false
	}
	// ASCII fast path, eight bytes at a time; the tail is checked as the
	// last eight bytes, overlapping what was checked already.
	i := 0
	for ; i+8 <= n; i += 8 {
		if !asciiWord(word(s, i)) {
			return validSlow(s[i:])
		}
	}
	if i == n || (n >= 8 && asciiWord(word(s, n-8))) || (n < 8 && asciiWord(shortWord(s))) {
		return true
	}
	return validSlow(s[i:])
}

// shortWord packs a string of fewer than eight bytes into a word, padded
// with spaces, which every check here passes.
func shortWord(s string) uint64 {
	x := uint64(0x2020202020202020)
	for i := 0; i < len(s) && i < 8; i++ {
		x = x<<8 | uint64(s[i])
	}
	return x
}

// asciiWord reports whether the eight bytes of x are ASCII other than NUL.
func asciiWord(x uint64) bool { return x&msb == 0 && !zeroByte(x) }

func validSlow(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == 0 {
			return false
		}
		if c >= utf8.RuneSelf {
			return utf8.ValidString(s[i:]) && !hasNUL(s[i:])
		}
	}
	return true
}

func hasNUL(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == 0 {
			return true
		}
	}
	return false
}

func validBytes(b []byte) bool {
	for i := 0; i < len(b); i++ {
		c := b[i]
		if c == 0 {
			return false
		}
		if c >= utf8.RuneSelf {
			return utf8.Valid(b[i:]) && !hasNUL(string(b[i:]))
		}
	}
	return true
}

// errString is the error for s, a string that is not valid MQTT UTF-8:
// ill-formed UTF-8 breaks [MQTT-1.5.4-1] (v3.1.1 [MQTT-1.5.3-1]), U+0000
// breaks [MQTT-1.5.4-2] (v3.1.1 [MQTT-1.5.3-2]).
func errString(v mqtt.Version, field, s string) *mqtt.Error {
	switch {
	case len(s) > 0xffff:
		return mqtt.Malformed("", field+" is longer than 65535 bytes")
	case !utf8.ValidString(s):
		return mqtt.Malformed(rule(v, "MQTT-1.5.4-1", "MQTT-1.5.3-1"), field+" is not well-formed UTF-8")
	}
	return mqtt.Malformed(rule(v, "MQTT-1.5.4-2", "MQTT-1.5.3-2"), field+" contains U+0000")
}

func checkString(v mqtt.Version, field, s string) error {
	if !ValidString(s) {
		return errString(v, field, s)
	}
	return nil
}

func hasWildcard(s string) bool {
	_, wild := scanTopic(s)
	return wild
}

const (
	lsb = 0x0101010101010101
	msb = 0x8080808080808080
)

// zeroByte reports whether any byte of x is zero.
func zeroByte(x uint64) bool { return (x-lsb)&^x&msb != 0 }

// scanTopic checks a topic name in one pass: ok is ValidString(s), wild
// is whether s holds '+' or '#'. Plain ASCII is checked eight bytes at a
// time.
func scanTopic(s string) (ok, wild bool) {
	if len(s) > 0xffff {
		return false, hasWildcardSlow(s)
	}
	n := len(s)
	i := 0
	for ; i+8 <= n; i += 8 {
		if !plainWord(word(s, i)) {
			return ValidString(s[i:]), hasWildcardSlow(s[i:])
		}
	}
	if i == n {
		return true, false
	}
	if (n >= 8 && plainWord(word(s, n-8))) || (n < 8 && plainWord(shortWord(s))) {
		// The last eight bytes, overlapping the words already checked, or
		// the whole of a short string.
		return true, false
	}
	return ValidString(s[i:]), hasWildcardSlow(s[i:])
}

// word loads s[i:i+8] little-endian.
func word(s string, i int) uint64 {
	s = s[i : i+8]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// word32 loads s[i:i+4] little-endian.
func word32(s string, i int) uint32 {
	s = s[i : i+4]
	return uint32(s[0]) | uint32(s[1])<<8 | uint32(s[2])<<16 | uint32(s[3])<<24
}

// plainWord reports whether the eight bytes of x are ASCII other than
// NUL, '+' and '#'.
func plainWord(x uint64) bool {
	return x&msb == 0 && !zeroByte(x) && !zeroByte(x^('+'*lsb)) && !zeroByte(x^('#'*lsb))
}

func hasWildcardSlow(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] == '+' || s[i] == '#' {
			return true
		}
	}
	return false
}

// errShortBody is returned when a field runs past the end of the packet
// that the remaining length delimits.
var errShortBody = mqtt.Malformed("", "packet ends inside a field")

// cursor reads the fields of one packet body. The first failure sticks in
// err, and every later read returns zero values, so parsers check once.
type cursor struct {
	b   []byte
	err error
}

func (c *cursor) fail(err error) {
	if c.err == nil {
		c.err = fresh(err)
	}
	c.b = nil
}

func (c *cursor) u8() byte {
	if len(c.b) < 1 {
		c.fail(errShortBody)
		return 0
	}
	x := c.b[0]
	c.b = c.b[1:]
	return x
}

func (c *cursor) u16() uint16 {
	if len(c.b) < 2 {
		c.fail(errShortBody)
		return 0
	}
	x := uint16(c.b[0])<<8 | uint16(c.b[1])
	c.b = c.b[2:]
	return x
}

func (c *cursor) u32() uint32 {
	if len(c.b) < 4 {
		c.fail(errShortBody)
		return 0
	}
	x := uint32(c.b[0])<<24 | uint32(c.b[1])<<16 | uint32(c.b[2])<<8 | uint32(c.b[3])
	c.b = c.b[4:]
	return x
}

func (c *cursor) varint() uint32 {
	x, n, err := parseVarint(c.b)
	if err != nil {
		if err != errVarintLong && err != errVarintWide {
			err = errShortBody
		}
		c.fail(err)
		return 0
	}
	c.b = c.b[n:]
	return x
}

// binary reads two-byte-length-prefixed data, aliasing the body.
func (c *cursor) binary() []byte {
	if b := c.b; len(b) >= 2 {
		if end := 2 + (int(b[0])<<8 | int(b[1])); end <= len(b) {
			c.b = b[end:]
			return b[2:end:end]
		}
	}
	c.short()
	return nil
}

// field splits the two-byte-length-prefixed field at the start of b from
// the rest, aliasing b; ok is false when b ends inside the field.
func field(b []byte) (f, rest []byte, ok bool) {
	if len(b) >= 2 {
		if end := 2 + (int(b[0])<<8 | int(b[1])); end <= len(b) {
			return b[2:end:end], b[end:], true
		}
	}
	return nil, nil, false
}

// short records that a field ran past the end of the body.
func (c *cursor) short() { c.fail(errShortBody) }

// idAndProps reads the head shared by SUBSCRIBE, SUBACK, UNSUBSCRIBE and
// UNSUBACK: the packet identifier, then in MQTT 5 the properties, which it
// resets first.
func (c *cursor) idAndProps(d *Decoder, t Type, v mqtt.Version, props *Properties) uint16 {
	id := c.u16()
	props.reset()
	if v == mqtt.V5 {
		props.decode(d, c, t)
	}
	return id
}

// reasonTail reads the end of an MQTT 5 acknowledgement, DISCONNECT or
// AUTH body: an optional reason code, then optional properties, then
// nothing more.
func (c *cursor) reasonTail(d *Decoder, t Type, code *mqtt.ReasonCode, props *Properties) error {
	if len(c.b) > 0 {
		*code = mqtt.ReasonCode(c.u8())
		if len(c.b) > 0 {
			props.decode(d, c, t)
		}
	}
	return c.end(t)
}

// end reports the first failure, or bytes left after the last field.
func (c *cursor) end(t Type) error {
	if c.err != nil {
		return c.err
	}
	if len(c.b) != 0 {
		return mqtt.Malformed("", "bytes after the end of "+t.String())
	}
	return nil
}

// take returns the next n bytes.
func (c *cursor) take(n int) []byte {
	if len(c.b) < n {
		c.fail(errShortBody)
		return nil
	}
	d := c.b[:n:n]
	c.b = c.b[n:]
	return d
}

func boolBit(b bool, bit byte) byte {
	if b {
		return bit
	}
	return 0
}
