package packet

import (
	"strings"

	"github.com/mqttx/mqttx/mqtt"
)

// Subscribe is the SUBSCRIBE packet.
type Subscribe struct {
	PacketID      uint16
	Properties    Properties // MQTT 5 only
	Subscriptions []Subscription
}

// Subscription is one topic filter of a SUBSCRIBE with its options. Below
// MQTT 5 only Filter and QoS exist on the wire.
type Subscription struct {
	Filter            string
	QoS               mqtt.QoS
	NoLocal           bool
	RetainAsPublished bool
	RetainHandling    byte // 0: send retained on subscribe, 1: only if new, 2: never
}

func (s Subscription) options(v mqtt.Version) byte {
	o := byte(s.QoS & 3)
	if v == mqtt.V5 {
		o |= boolBit(s.NoLocal, 0x04) | boolBit(s.RetainAsPublished, 0x08) | (s.RetainHandling&3)<<4
	}
	return o
}

func (*Subscribe) Type() Type  { return TypeSubscribe }
func (*Subscribe) flags() byte { return 0x02 }

func (p *Subscribe) Append(b []byte, v mqtt.Version) ([]byte, error) { return appendPacket(p, b, v) }
func (p *Subscribe) Len(v mqtt.Version) int                          { return packetLen(p, v) }

func (p *Subscribe) bodyLen(v mqtt.Version) int {
	n := 2
	if v == mqtt.V5 {
		n += propsLen(&p.Properties)
	}
	for _, s := range p.Subscriptions {
		n += 3 + len(s.Filter)
	}
	return n
}

func (p *Subscribe) appendBody(b []byte, v mqtt.Version) []byte {
	b = AppendUint16(b, p.PacketID)
	if v == mqtt.V5 {
		b = p.Properties.appendTo(b)
	}
	for _, s := range p.Subscriptions {
		b = append(AppendString(b, s.Filter), s.options(v))
	}
	return b
}

// validate checks the packet's wire rules. Filter syntax is the broker's
// to answer per filter (see the package documentation).
func (p *Subscribe) validate(v mqtt.Version) error {
	if p.PacketID == 0 {
		return mqtt.Protocol(rule(v, "MQTT-2.2.1-3", "MQTT-2.3.1-1"), "SUBSCRIBE with Packet Identifier 0")
	}
	if len(p.Subscriptions) == 0 {
		return mqtt.Protocol(rule(v, "MQTT-3.8.3-2", "MQTT-3.8.3-3"), "SUBSCRIBE without a topic filter")
	}
	for _, s := range p.Subscriptions {
		if err := checkString(v, "Topic Filter", s.Filter); err != nil {
			return ruled(err, v, "MQTT-3.8.3-1", "MQTT-3.8.3-1")
		}
		if !s.QoS.Valid() {
			if v == mqtt.V5 {
				return mqtt.Protocol("", "subscription Maximum QoS of 3")
			}
			return mqtt.Malformed("MQTT-3.8.3-4", "requested QoS of 3")
		}
		if v != mqtt.V5 {
			continue
		}
		if s.RetainHandling > 2 {
			return mqtt.Protocol("", "Retain Handling of 3")
		}
		if s.NoLocal && strings.HasPrefix(s.Filter, "$share/") {
			return mqtt.Protocol("MQTT-3.8.3-4", "No Local set on a shared subscription")
		}
	}
	if v == mqtt.V5 {
		return p.Properties.validate(TypeSubscribe)
	}
	return nil
}

func (p *Subscribe) decode(d *Decoder, _ byte, body []byte, v mqtt.Version) error {
	c := cursor{b: body}
	p.PacketID = c.idAndProps(d, TypeSubscribe, v, &p.Properties)
	last := p.Subscriptions[:cap(p.Subscriptions)] // the previous packet's filters, compared in place
	p.Subscriptions = p.Subscriptions[:0]
	for len(c.b) > 0 && c.err == nil {
		f := c.binary()
		o := c.u8()
		if c.err != nil {
			break
		}
		if v == mqtt.V5 {
			if o&0xc0 != 0 {
				return mqtt.Malformed("MQTT-3.8.3-5", "reserved bits of the Subscription Options are set")
			}
		} else if o&0xfc != 0 {
			return mqtt.Malformed("MQTT-3.8.3-4", "reserved bits of the requested QoS byte are set")
		}
		lastFilter := ""
		if i := len(p.Subscriptions); i < len(last) {
			lastFilter = last[i].Filter
		}
		p.Subscriptions = append(p.Subscriptions, Subscription{
			Filter:            d.strLast(lastFilter, f),
			QoS:               mqtt.QoS(o & 3),
			NoLocal:           o&0x04 != 0,
			RetainAsPublished: o&0x08 != 0,
			RetainHandling:    o >> 4 & 3,
		})
	}
	if c.err != nil {
		return c.err
	}
	return p.validate(v)
}

// Suback is the SUBACK packet. Each reason code answers the filter at the
// same position of the SUBSCRIBE. Below MQTT 5 only granted QoS 0, 1, 2
// and failure (0x80) exist; other failure codes are sent as 0x80.
type Suback struct {
	PacketID    uint16
	Properties  Properties // MQTT 5 only
	ReasonCodes []mqtt.ReasonCode
}

func (*Suback) Type() Type  { return TypeSuback }
func (*Suback) flags() byte { return 0 }

func (p *Suback) Append(b []byte, v mqtt.Version) ([]byte, error) { return appendPacket(p, b, v) }
func (p *Suback) Len(v mqtt.Version) int                          { return packetLen(p, v) }

func (p *Suback) bodyLen(v mqtt.Version) int {
	n := 2 + len(p.ReasonCodes)
	if v == mqtt.V5 {
		n += propsLen(&p.Properties)
	}
	return n
}

func (p *Suback) appendBody(b []byte, v mqtt.Version) []byte {
	b = AppendUint16(b, p.PacketID)
	if v == mqtt.V5 {
		b = p.Properties.appendTo(b)
		for _, r := range p.ReasonCodes {
			b = append(b, byte(r))
		}
		return b
	}
	for _, r := range p.ReasonCodes {
		if r.IsError() {
			r = 0x80
		}
		b = append(b, byte(r))
	}
	return b
}

func (p *Suback) validate(v mqtt.Version) error {
	if p.PacketID == 0 {
		return mqtt.Protocol(rule(v, "MQTT-2.2.1-6", "MQTT-2.3.1-7"), "SUBACK with Packet Identifier 0")
	}
	if len(p.ReasonCodes) == 0 {
		return mqtt.Protocol("", "SUBACK without a reason code")
	}
	for _, r := range p.ReasonCodes {
		if v == mqtt.V5 {
			if err := checkReason(TypeSuback, r); err != nil {
				return err
			}
		} else if r > 2 && !r.IsError() {
			return mqtt.Protocol("MQTT-3.9.3-2", "SUBACK return code is reserved")
		}
	}
	if v == mqtt.V5 {
		return p.Properties.validate(TypeSuback)
	}
	return nil
}

func (p *Suback) decode(d *Decoder, _ byte, body []byte, v mqtt.Version) error {
	c := cursor{b: body}
	p.PacketID = c.idAndProps(d, TypeSuback, v, &p.Properties)
	if c.err != nil {
		return c.err
	}
	p.ReasonCodes = p.ReasonCodes[:0]
	for _, r := range c.b {
		if v != mqtt.V5 && r > 2 && r != 0x80 {
			return mqtt.Protocol("MQTT-3.9.3-2", "SUBACK return code is reserved")
		}
		p.ReasonCodes = append(p.ReasonCodes, mqtt.ReasonCode(r))
	}
	return p.validate(v)
}
