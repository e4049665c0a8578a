package packet

import (
	"github.com/mqttx/mqttx/mqtt"
)

// Pingreq is the PINGREQ packet. It has no body.
type Pingreq struct{}

// Pingresp is the PINGRESP packet. It has no body.
type Pingresp struct{}

func (*Pingreq) Type() Type  { return TypePingreq }
func (*Pingresp) Type() Type { return TypePingresp }

func (*Pingreq) flags() byte  { return 0 }
func (*Pingresp) flags() byte { return 0 }

func (p *Pingreq) Append(b []byte, v mqtt.Version) ([]byte, error)  { return appendPacket(p, b, v) }
func (p *Pingresp) Append(b []byte, v mqtt.Version) ([]byte, error) { return appendPacket(p, b, v) }

func (*Pingreq) Len(mqtt.Version) int  { return 2 }
func (*Pingresp) Len(mqtt.Version) int { return 2 }

func (*Pingreq) bodyLen(mqtt.Version) int  { return 0 }
func (*Pingresp) bodyLen(mqtt.Version) int { return 0 }

func (*Pingreq) appendBody(b []byte, _ mqtt.Version) []byte  { return b }
func (*Pingresp) appendBody(b []byte, _ mqtt.Version) []byte { return b }

func (*Pingreq) validate(mqtt.Version) error  { return nil }
func (*Pingresp) validate(mqtt.Version) error { return nil }

func (*Pingreq) decode(_ *Decoder, _ byte, body []byte, _ mqtt.Version) error {
	if len(body) != 0 {
		return mqtt.Malformed("", "PINGREQ with a body")
	}
	return nil
}

func (*Pingresp) decode(_ *Decoder, _ byte, body []byte, _ mqtt.Version) error {
	if len(body) != 0 {
		return mqtt.Malformed("", "PINGRESP with a body")
	}
	return nil
}
