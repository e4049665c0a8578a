package packet

import (
	"github.com/mqttx/mqttx/mqtt"
)

// Unsubscribe is the UNSUBSCRIBE packet.
type Unsubscribe struct {
	PacketID   uint16
	Properties Properties // MQTT 5 only
	Filters    []string
}

func (*Unsubscribe) Type() Type  { return TypeUnsubscribe }
func (*Unsubscribe) flags() byte { return 0x02 }

func (p *Unsubscribe) Append(b []byte, v mqtt.Version) ([]byte, error) { return appendPacket(p, b, v) }
func (p *Unsubscribe) Len(v mqtt.Version) int                          { return packetLen(p, v) }

func (p *Unsubscribe) bodyLen(v mqtt.Version) int {
	n := 2
	if v == mqtt.V5 {
		n += propsLen(&p.Properties)
	}
	for _, f := range p.Filters {
		n += 2 + len(f)
	}
	return n
}

func (p *Unsubscribe) appendBody(b []byte, v mqtt.Version) []byte {
	b = AppendUint16(b, p.PacketID)
	if v == mqtt.V5 {
		b = p.Properties.appendTo(b)
	}
	for _, f := range p.Filters {
		b = AppendString(b, f)
	}
	return b
}

func (p *Unsubscribe) validate(v mqtt.Version) error {
	if p.PacketID == 0 {
		return mqtt.Protocol(rule(v, "MQTT-2.2.1-3", "MQTT-2.3.1-1"), "UNSUBSCRIBE with Packet Identifier 0")
	}
	if len(p.Filters) == 0 {
		return mqtt.Protocol("MQTT-3.10.3-2", "UNSUBSCRIBE without a topic filter")
	}
	for _, f := range p.Filters {
		if err := checkString(v, "Topic Filter", f); err != nil {
			return ruled(err, v, "MQTT-3.10.3-1", "MQTT-3.10.3-1")
		}
	}
	if v == mqtt.V5 {
		return p.Properties.validate(TypeUnsubscribe)
	}
	return nil
}

func (p *Unsubscribe) decode(d *Decoder, _ byte, body []byte, v mqtt.Version) error {
	c := cursor{b: body}
	p.PacketID = c.idAndProps(d, TypeUnsubscribe, v, &p.Properties)
	last := p.Filters[:cap(p.Filters)] // the previous packet's filters, compared in place
	p.Filters = p.Filters[:0]
	for len(c.b) > 0 && c.err == nil {
		f := c.binary()
		if c.err == nil {
			lastFilter := ""
			if i := len(p.Filters); i < len(last) {
				lastFilter = last[i]
			}
			p.Filters = append(p.Filters, d.strLast(lastFilter, f))
		}
	}
	if c.err != nil {
		return c.err
	}
	return p.validate(v)
}

// Unsuback is the UNSUBACK packet. Below MQTT 5 it carries only the packet
// identifier; ReasonCodes (one per filter of the UNSUBSCRIBE) and
// Properties are MQTT 5 only.
type Unsuback struct {
	PacketID    uint16
	Properties  Properties
	ReasonCodes []mqtt.ReasonCode
}

func (*Unsuback) Type() Type  { return TypeUnsuback }
func (*Unsuback) flags() byte { return 0 }

func (p *Unsuback) Append(b []byte, v mqtt.Version) ([]byte, error) { return appendPacket(p, b, v) }
func (p *Unsuback) Len(v mqtt.Version) int                          { return packetLen(p, v) }

func (p *Unsuback) bodyLen(v mqtt.Version) int {
	if v != mqtt.V5 {
		return 2
	}
	return 2 + propsLen(&p.Properties) + len(p.ReasonCodes)
}

func (p *Unsuback) appendBody(b []byte, v mqtt.Version) []byte {
	b = AppendUint16(b, p.PacketID)
	if v != mqtt.V5 {
		return b
	}
	b = p.Properties.appendTo(b)
	for _, r := range p.ReasonCodes {
		b = append(b, byte(r))
	}
	return b
}

func (p *Unsuback) validate(v mqtt.Version) error {
	if p.PacketID == 0 {
		return mqtt.Protocol(rule(v, "MQTT-2.2.1-6", "MQTT-2.3.1-7"), "UNSUBACK with Packet Identifier 0")
	}
	if v != mqtt.V5 {
		return nil
	}
	if len(p.ReasonCodes) == 0 {
		return mqtt.Protocol("", "UNSUBACK without a reason code")
	}
	for _, r := range p.ReasonCodes {
		if err := checkReason(TypeUnsuback, r); err != nil {
			return err
		}
	}
	return p.Properties.validate(TypeUnsuback)
}

func (p *Unsuback) decode(d *Decoder, _ byte, body []byte, v mqtt.Version) error {
	c := cursor{b: body}
	p.PacketID = c.idAndProps(d, TypeUnsuback, v, &p.Properties)
	p.ReasonCodes = p.ReasonCodes[:0]
	if v == mqtt.V5 {
		for _, r := range c.b {
			p.ReasonCodes = append(p.ReasonCodes, mqtt.ReasonCode(r))
		}
		c.b = nil
	}
	if c.err != nil {
		return c.err
	}
	if len(c.b) != 0 {
		return mqtt.Malformed("", "bytes after the end of UNSUBACK")
	}
	return p.validate(v)
}
