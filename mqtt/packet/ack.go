package packet

import (
	"github.com/mqttx/mqttx/mqtt"
)

// PUBACK, PUBREC, PUBREL and PUBCOMP share one shape: a packet identifier
// and, in MQTT 5, a reason code and properties that may be left out when
// they are Success and empty (the short forms of sections 3.4.2 to 3.7.2).

// Puback is the PUBACK packet, the answer to a QoS 1 PUBLISH.
type Puback struct {
	PacketID   uint16
	ReasonCode mqtt.ReasonCode // MQTT 5 only
	Properties Properties      // MQTT 5 only
}

// Pubrec is the PUBREC packet, the first answer to a QoS 2 PUBLISH.
type Pubrec struct {
	PacketID   uint16
	ReasonCode mqtt.ReasonCode // MQTT 5 only
	Properties Properties      // MQTT 5 only
}

// Pubrel is the PUBREL packet, the answer to PUBREC.
type Pubrel struct {
	PacketID   uint16
	ReasonCode mqtt.ReasonCode // MQTT 5 only
	Properties Properties      // MQTT 5 only
}

// Pubcomp is the PUBCOMP packet, the answer to PUBREL.
type Pubcomp struct {
	PacketID   uint16
	ReasonCode mqtt.ReasonCode // MQTT 5 only
	Properties Properties      // MQTT 5 only
}

func (*Puback) Type() Type  { return TypePuback }
func (*Pubrec) Type() Type  { return TypePubrec }
func (*Pubrel) Type() Type  { return TypePubrel }
func (*Pubcomp) Type() Type { return TypePubcomp }

func (*Puback) flags() byte  { return 0 }
func (*Pubrec) flags() byte  { return 0 }
func (*Pubrel) flags() byte  { return 0x02 }
func (*Pubcomp) flags() byte { return 0 }

func (p *Puback) Append(b []byte, v mqtt.Version) ([]byte, error)  { return appendPacket(p, b, v) }
func (p *Pubrec) Append(b []byte, v mqtt.Version) ([]byte, error)  { return appendPacket(p, b, v) }
func (p *Pubrel) Append(b []byte, v mqtt.Version) ([]byte, error)  { return appendPacket(p, b, v) }
func (p *Pubcomp) Append(b []byte, v mqtt.Version) ([]byte, error) { return appendPacket(p, b, v) }

func (p *Puback) Len(v mqtt.Version) int  { return packetLen(p, v) }
func (p *Pubrec) Len(v mqtt.Version) int  { return packetLen(p, v) }
func (p *Pubrel) Len(v mqtt.Version) int  { return packetLen(p, v) }
func (p *Pubcomp) Len(v mqtt.Version) int { return packetLen(p, v) }

func (p *Puback) bodyLen(v mqtt.Version) int  { return ackLen(v, p.ReasonCode, &p.Properties) }
func (p *Pubrec) bodyLen(v mqtt.Version) int  { return ackLen(v, p.ReasonCode, &p.Properties) }
func (p *Pubrel) bodyLen(v mqtt.Version) int  { return ackLen(v, p.ReasonCode, &p.Properties) }
func (p *Pubcomp) bodyLen(v mqtt.Version) int { return ackLen(v, p.ReasonCode, &p.Properties) }

func (p *Puback) appendBody(b []byte, v mqtt.Version) []byte {
	return appendAck(b, v, p.PacketID, p.ReasonCode, &p.Properties)
}
func (p *Pubrec) appendBody(b []byte, v mqtt.Version) []byte {
	return appendAck(b, v, p.PacketID, p.ReasonCode, &p.Properties)
}
func (p *Pubrel) appendBody(b []byte, v mqtt.Version) []byte {
	return appendAck(b, v, p.PacketID, p.ReasonCode, &p.Properties)
}
func (p *Pubcomp) appendBody(b []byte, v mqtt.Version) []byte {
	return appendAck(b, v, p.PacketID, p.ReasonCode, &p.Properties)
}

func (p *Puback) validate(v mqtt.Version) error {
	return validateAck(TypePuback, v, p.PacketID, p.ReasonCode, &p.Properties)
}
func (p *Pubrec) validate(v mqtt.Version) error {
	return validateAck(TypePubrec, v, p.PacketID, p.ReasonCode, &p.Properties)
}
func (p *Pubrel) validate(v mqtt.Version) error {
	return validateAck(TypePubrel, v, p.PacketID, p.ReasonCode, &p.Properties)
}
func (p *Pubcomp) validate(v mqtt.Version) error {
	return validateAck(TypePubcomp, v, p.PacketID, p.ReasonCode, &p.Properties)
}

func (p *Puback) decode(d *Decoder, _ byte, body []byte, v mqtt.Version) error {
	return decodeAck(d, TypePuback, body, v, &p.PacketID, &p.ReasonCode, &p.Properties)
}
func (p *Pubrec) decode(d *Decoder, _ byte, body []byte, v mqtt.Version) error {
	return decodeAck(d, TypePubrec, body, v, &p.PacketID, &p.ReasonCode, &p.Properties)
}
func (p *Pubrel) decode(d *Decoder, _ byte, body []byte, v mqtt.Version) error {
	return decodeAck(d, TypePubrel, body, v, &p.PacketID, &p.ReasonCode, &p.Properties)
}
func (p *Pubcomp) decode(d *Decoder, _ byte, body []byte, v mqtt.Version) error {
	return decodeAck(d, TypePubcomp, body, v, &p.PacketID, &p.ReasonCode, &p.Properties)
}

func ackLen(v mqtt.Version, code mqtt.ReasonCode, props *Properties) int {
	if v != mqtt.V5 {
		return 2
	}
	if props.Empty() {
		if code == mqtt.Success {
			return 2
		}
		return 3
	}
	return 3 + propsLen(props)
}

func appendAck(b []byte, v mqtt.Version, id uint16, code mqtt.ReasonCode, props *Properties) []byte {
	b = AppendUint16(b, id)
	if v != mqtt.V5 {
		return b
	}
	if props.Empty() {
		if code == mqtt.Success {
			return b
		}
		return append(b, byte(code))
	}
	return props.appendTo(append(b, byte(code)))
}

func validateAck(t Type, v mqtt.Version, id uint16, code mqtt.ReasonCode, props *Properties) error {
	if id == 0 {
		return mqtt.Protocol(rule(v, "MQTT-2.2.1-5", "MQTT-2.3.1-6"), t.String()+" with Packet Identifier 0")
	}
	if v != mqtt.V5 {
		return nil
	}
	if err := checkReason(t, code); err != nil {
		return err
	}
	return props.validate(t)
}

func decodeAck(d *Decoder, t Type, body []byte, v mqtt.Version, id *uint16, code *mqtt.ReasonCode, props *Properties) error {
	c := cursor{b: body}
	*id = c.u16()
	*code = mqtt.Success
	props.reset()
	if v != mqtt.V5 {
		if err := c.end(t); err != nil {
			return err
		}
	} else if err := c.reasonTail(d, t, code, props); err != nil {
		return err
	}
	return validateAck(t, v, *id, *code, props)
}
