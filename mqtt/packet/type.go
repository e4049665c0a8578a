package packet

import (
	"strconv"

	"github.com/mqttx/mqttx/mqtt"
)

// Type is the MQTT control packet type, the high nibble of the first byte.
type Type byte

// The control packet types.
const (
	TypeConnect     Type = 1
	TypeConnack     Type = 2
	TypePublish     Type = 3
	TypePuback      Type = 4
	TypePubrec      Type = 5
	TypePubrel      Type = 6
	TypePubcomp     Type = 7
	TypeSubscribe   Type = 8
	TypeSuback      Type = 9
	TypeUnsubscribe Type = 10
	TypeUnsuback    Type = 11
	TypePingreq     Type = 12
	TypePingresp    Type = 13
	TypeDisconnect  Type = 14
	TypeAuth        Type = 15 // MQTT 5 only
)

var typeNames = [16]string{
	"RESERVED", "CONNECT", "CONNACK", "PUBLISH", "PUBACK", "PUBREC", "PUBREL",
	"PUBCOMP", "SUBSCRIBE", "SUBACK", "UNSUBSCRIBE", "UNSUBACK", "PINGREQ",
	"PINGRESP", "DISCONNECT", "AUTH",
}

func (t Type) String() string {
	if t < 16 {
		return typeNames[t]
	}
	return "Type(" + strconv.Itoa(int(t)) + ")"
}

// Valid reports whether t is a packet type of protocol version v.
func (t Type) Valid(v mqtt.Version) bool {
	if t == TypeAuth {
		return v == mqtt.V5
	}
	return t >= TypeConnect && t <= TypeDisconnect
}

// requiredFlags is the fixed value of the four flag bits of every type
// but PUBLISH [MQTT-2.1.3-1] (v3.1.1 [MQTT-2.2.2-1]).
var requiredFlags = [16]byte{TypePubrel: 2, TypeSubscribe: 2, TypeUnsubscribe: 2}

// Packet is one MQTT control packet. The set of implementations is closed:
// the structs of this package.
type Packet interface {
	// Type is the packet's control packet type.
	Type() Type
	// Append validates the packet for protocol version v and appends its
	// whole wire form, fixed header included, to b.
	Append(b []byte, v mqtt.Version) ([]byte, error)
	// Len is the number of bytes Append adds for version v.
	Len(v mqtt.Version) int

	// flags is the low nibble of the first byte.
	flags() byte
	// bodyLen is the remaining length for version v.
	bodyLen(v mqtt.Version) int
	// appendBody appends the variable header and payload, unchecked.
	appendBody(b []byte, v mqtt.Version) []byte
	// validate checks the packet against the rules of version v.
	validate(v mqtt.Version) error
	// decode parses a body; d supplies reusable storage and string
	// caching. The fixed header has been checked.
	decode(d *Decoder, flags byte, body []byte, v mqtt.Version) error
}

// appendPacket is the shared Append of every packet type.
func appendPacket(p Packet, b []byte, v mqtt.Version) ([]byte, error) {
	if !v.Valid() {
		return b, &mqtt.Error{Code: mqtt.UnsupportedProtocolVersion, Reason: "cannot encode for " + v.String()}
	}
	if !p.Type().Valid(v) {
		return b, mqtt.Protocol("", p.Type().String()+" does not exist in MQTT "+v.String())
	}
	if err := p.validate(v); err != nil {
		return b, err
	}
	n := p.bodyLen(v)
	if n > MaxVarint {
		return b, &mqtt.Error{Code: mqtt.PacketTooLarge, Reason: p.Type().String() + " body of " + strconv.Itoa(n) + " bytes exceeds the protocol's 268435455"}
	}
	b = append(b, byte(p.Type())<<4|p.flags())
	b = AppendVarint(b, uint32(n))
	return p.appendBody(b, v), nil
}

// packetLen is the shared Len of every packet type.
func packetLen(p Packet, v mqtt.Version) int {
	n := p.bodyLen(v)
	return 1 + VarintLen(uint32(n)) + n
}

// AppendIllegal appends p's wire form for version v without validating it:
// a QoS of 3, a zero packet identifier, a property the packet may not carry
// or an invalid string are written as given. It exists for conformance
// tests that must send what a receiver has to reject. A body longer than
// MaxVarint cannot be framed at all, and makes it panic.
func AppendIllegal(b []byte, p Packet, v mqtt.Version) []byte {
	n := p.bodyLen(v)
	if n > MaxVarint {
		panic("packet: AppendIllegal: body longer than the remaining length can express")
	}
	b = append(b, byte(p.Type())<<4|p.flags())
	b = AppendVarint(b, uint32(n))
	return p.appendBody(b, v)
}

// AppendRaw appends a packet made of the given first byte (type and flags,
// any value) and body, with a minimal remaining length. Combined with the
// Append* helpers it builds any byte sequence a test needs. A body longer
// than MaxVarint makes it panic.
func AppendRaw(b []byte, first byte, body []byte) []byte {
	if len(body) > MaxVarint {
		panic("packet: AppendRaw: body longer than the remaining length can express")
	}
	b = append(b, first)
	b = AppendVarint(b, uint32(len(body)))
	return append(b, body...)
}
