package packet

import (
	"github.com/mqttx/mqttx/mqtt"
)

// Disconnect is the DISCONNECT packet. Below MQTT 5 it has no body and
// only a client sends it; in MQTT 5 either side may, with a reason code.
type Disconnect struct {
	ReasonCode mqtt.ReasonCode // MQTT 5 only
	Properties Properties      // MQTT 5 only
}

func (*Disconnect) Type() Type  { return TypeDisconnect }
func (*Disconnect) flags() byte { return 0 }

func (p *Disconnect) Append(b []byte, v mqtt.Version) ([]byte, error) { return appendPacket(p, b, v) }
func (p *Disconnect) Len(v mqtt.Version) int                          { return packetLen(p, v) }

func (p *Disconnect) bodyLen(v mqtt.Version) int {
	return reasonBodyLen(v, p.ReasonCode, &p.Properties)
}

func (p *Disconnect) appendBody(b []byte, v mqtt.Version) []byte {
	return appendReasonBody(b, v, p.ReasonCode, &p.Properties)
}

func (p *Disconnect) validate(v mqtt.Version) error {
	if v != mqtt.V5 {
		return nil
	}
	if err := checkReason(TypeDisconnect, p.ReasonCode); err != nil {
		return err
	}
	return p.Properties.validate(TypeDisconnect)
}

func (p *Disconnect) decode(d *Decoder, _ byte, body []byte, v mqtt.Version) error {
	if err := decodeReasonBody(d, TypeDisconnect, body, v, &p.ReasonCode, &p.Properties); err != nil {
		return err
	}
	return p.validate(v)
}

// Auth is the AUTH packet of MQTT 5's enhanced authentication.
type Auth struct {
	ReasonCode mqtt.ReasonCode
	Properties Properties
}

func (*Auth) Type() Type  { return TypeAuth }
func (*Auth) flags() byte { return 0 }

func (p *Auth) Append(b []byte, v mqtt.Version) ([]byte, error) { return appendPacket(p, b, v) }
func (p *Auth) Len(v mqtt.Version) int                          { return packetLen(p, v) }

// AUTH has two forms only: an empty body (Success, no properties) or a
// reason code followed by the Property Length (section 3.15.2.1); unlike
// DISCONNECT, it has no form with a reason code alone.
func (p *Auth) bodyLen(_ mqtt.Version) int {
	if p.ReasonCode == 0 && p.Properties.Empty() {
		return 0
	}
	return 1 + propsLen(&p.Properties)
}

func (p *Auth) appendBody(b []byte, _ mqtt.Version) []byte {
	if p.ReasonCode == 0 && p.Properties.Empty() {
		return b
	}
	return p.Properties.appendTo(append(b, byte(p.ReasonCode)))
}

func (p *Auth) validate(_ mqtt.Version) error {
	if err := checkReason(TypeAuth, p.ReasonCode); err != nil {
		return err
	}
	if !p.Properties.Empty() && !p.Properties.Has(PropAuthMethod) {
		return mqtt.Protocol("", "AUTH with properties but no Authentication Method")
	}
	return p.Properties.validate(TypeAuth)
}

func (p *Auth) decode(d *Decoder, _ byte, body []byte, v mqtt.Version) error {
	if len(body) == 1 {
		return mqtt.Malformed("", "AUTH with a reason code but no Property Length")
	}
	if err := decodeReasonBody(d, TypeAuth, body, v, &p.ReasonCode, &p.Properties); err != nil {
		return err
	}
	return p.validate(v)
}

// DISCONNECT and AUTH share a body: nothing at all when the reason code is
// 0x00 with no properties, the reason code alone when there are no
// properties, or both (sections 3.14.2 and 3.15.2).

func reasonBodyLen(v mqtt.Version, code mqtt.ReasonCode, props *Properties) int {
	if v != mqtt.V5 {
		return 0
	}
	if props.Empty() {
		if code == 0 {
			return 0
		}
		return 1
	}
	return 1 + propsLen(props)
}

func appendReasonBody(b []byte, v mqtt.Version, code mqtt.ReasonCode, props *Properties) []byte {
	if v != mqtt.V5 {
		return b
	}
	if props.Empty() {
		if code == 0 {
			return b
		}
		return append(b, byte(code))
	}
	return props.appendTo(append(b, byte(code)))
}

func decodeReasonBody(d *Decoder, t Type, body []byte, v mqtt.Version, code *mqtt.ReasonCode, props *Properties) error {
	*code = 0
	props.reset()
	if v != mqtt.V5 {
		if len(body) != 0 {
			return mqtt.Malformed("", t.String()+" with a body")
		}
		return nil
	}
	c := cursor{b: body}
	return c.reasonTail(d, t, code, props)
}
