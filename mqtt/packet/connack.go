package packet

import (
	"strconv"

	"github.com/mqttx/mqttx/mqtt"
)

// Connack is the CONNACK packet, the server's answer to CONNECT.
//
// ReasonCode is always an MQTT 5 reason code. For MQTT 3.x it is mapped to
// and from the six 3.x return codes (see mqtt.ReasonCode.ConnectReturnCode),
// so a broker decides once and answers clients of every version.
type Connack struct {
	SessionPresent bool
	ReasonCode     mqtt.ReasonCode
	Properties     Properties // MQTT 5 only
}

func (*Connack) Type() Type  { return TypeConnack }
func (*Connack) flags() byte { return 0 }

func (p *Connack) Append(b []byte, v mqtt.Version) ([]byte, error) { return appendPacket(p, b, v) }
func (p *Connack) Len(v mqtt.Version) int                          { return packetLen(p, v) }

func (p *Connack) bodyLen(v mqtt.Version) int {
	if v == mqtt.V5 {
		return 2 + propsLen(&p.Properties)
	}
	return 2
}

func (p *Connack) appendBody(b []byte, v mqtt.Version) []byte {
	// MQTT 3.1 has no Session Present: its first byte is unused.
	b = append(b, boolBit(p.SessionPresent && v != mqtt.V31, 1))
	if v != mqtt.V5 {
		return append(b, byte(p.ReasonCode.ConnectReturnCode()))
	}
	b = append(b, byte(p.ReasonCode))
	return p.Properties.appendTo(b)
}

func (p *Connack) validate(v mqtt.Version) error {
	if p.SessionPresent && p.ReasonCode != mqtt.Success && v != mqtt.V31 {
		return mqtt.Protocol(rule(v, "MQTT-3.2.2-6", "MQTT-3.2.2-4"), "Session Present set on a refusing CONNACK")
	}
	if v != mqtt.V5 {
		return nil
	}
	if err := checkReason(TypeConnack, p.ReasonCode); err != nil {
		return err
	}
	return p.Properties.validate(TypeConnack)
}

func (p *Connack) decode(d *Decoder, _ byte, body []byte, v mqtt.Version) error {
	c := cursor{b: body}
	f := c.u8()
	code := c.u8()
	if c.err != nil {
		return c.err
	}
	switch {
	case v == mqtt.V31:
		f = 0 // unused in MQTT 3.1
	case f&0xfe != 0:
		return mqtt.Malformed(rule(v, "MQTT-3.2.2-1", ""), "reserved CONNACK flag bits are set")
	}
	p.SessionPresent = f == 1
	p.Properties.reset()
	if v == mqtt.V5 {
		p.ReasonCode = mqtt.ReasonCode(code)
		p.Properties.decode(d, &c, TypeConnack)
		if c.err != nil {
			return c.err
		}
	} else {
		rc := mqtt.ConnectReturnCode(code)
		if !rc.Valid() {
			return mqtt.Malformed("", "CONNACK return code "+strconv.Itoa(int(code))+" is reserved")
		}
		p.ReasonCode = rc.ReasonCode()
	}
	if len(c.b) != 0 {
		return mqtt.Malformed("", "bytes after the CONNACK properties")
	}
	return p.validate(v)
}
