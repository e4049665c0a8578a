package packet

import (
	"io"
	"strconv"

	"github.com/mqttx/mqttx/mqtt"
)

// FixedHeader is the first part of every packet: type, flags and the
// length of the rest.
type FixedHeader struct {
	Type      Type
	Flags     byte // the low nibble of the first byte
	Remaining int  // the remaining length: bytes after the fixed header
	Size      int  // bytes taken by the fixed header itself (2 to 5)
}

// Total is the size of the whole packet, the figure that MQTT 5's Maximum
// Packet Size limits.
func (h FixedHeader) Total() int { return h.Size + h.Remaining }

// ParseFixedHeader reads the fixed header at the start of b and checks it
// for protocol version v: a type that exists in v, the reserved flag bits
// [MQTT-2.1.3-1] (v3.1.1 [MQTT-2.2.2-1]), and a well-formed remaining
// length [MQTT-1.5.5-1]. It fails with io.ErrUnexpectedEOF when b ends
// inside the header. PUBLISH flags are checked by the PUBLISH decoder.
// v may be zero when the version is not yet known (before CONNECT).
func ParseFixedHeader(b []byte, v mqtt.Version) (FixedHeader, error) {
	if len(b) < 2 {
		return FixedHeader{}, io.ErrUnexpectedEOF
	}
	rem, n, err := parseVarint(b[1:])
	if err != nil && err != io.ErrUnexpectedEOF {
		err = fresh(err)
	}
	if err != nil {
		return FixedHeader{}, err
	}
	h := FixedHeader{Type: Type(b[0] >> 4), Flags: b[0] & 0x0f, Remaining: int(rem), Size: 1 + n}
	return h, h.check(v)
}

func (h FixedHeader) check(v mqtt.Version) error {
	t := h.Type
	if t == 0 || (t == TypeAuth && v != 0 && v != mqtt.V5) {
		return mqtt.Malformed("", "reserved packet type "+strconv.Itoa(int(t)))
	}
	flags := h.Flags
	if v == mqtt.V31 && requiredFlags[t] != 0 {
		// MQTT 3.1 lets a sender set DUP on a retried PUBREL, SUBSCRIBE or
		// UNSUBSCRIBE; 3.1.1 and 5.0 reserve the bit.
		flags &^= 0x08
	}
	if t != TypePublish && flags != requiredFlags[t] {
		rule := "MQTT-2.2.2-1" // the 3.1.1 statement
		if v == mqtt.V5 || v == 0 {
			// Before CONNECT the version is unknown; the MQTT 5 id is
			// the one that names no other rule in 3.1.1.
			rule = "MQTT-2.1.3-1"
		}
		switch t {
		case TypePubrel:
			rule = "MQTT-3.6.1-1"
		case TypeSubscribe:
			rule = "MQTT-3.8.1-1"
		case TypeUnsubscribe:
			rule = "MQTT-3.10.1-1"
		case TypeDisconnect:
			if v == mqtt.V5 || v == mqtt.V311 {
				rule = "MQTT-3.14.1-1"
			}
		case TypeAuth:
			rule = "MQTT-3.15.1-1"
		}
		return mqtt.Malformed(rule, "reserved flag bits of "+t.String()+" are not "+strconv.Itoa(int(requiredFlags[t])))
	}
	return nil
}
