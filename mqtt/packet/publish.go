package packet

import (
	"github.com/mqttx/mqttx/mqtt"
)

// Publish is the PUBLISH packet: an application message.
type Publish struct {
	Dup        bool
	QoS        mqtt.QoS
	Retain     bool
	Topic      string
	PacketID   uint16 // present when QoS > 0
	Properties Properties
	Payload    []byte
}

func (*Publish) Type() Type { return TypePublish }

func (p *Publish) flags() byte {
	return boolBit(p.Dup, 0x08) | byte(p.QoS&3)<<1 | boolBit(p.Retain, 0x01)
}

func (p *Publish) Append(b []byte, v mqtt.Version) ([]byte, error) { return appendPacket(p, b, v) }
func (p *Publish) Len(v mqtt.Version) int                          { return packetLen(p, v) }

func (p *Publish) bodyLen(v mqtt.Version) int {
	n := 2 + len(p.Topic) + len(p.Payload)
	if p.QoS > 0 {
		n += 2
	}
	if v == mqtt.V5 {
		n += propsLen(&p.Properties)
	}
	return n
}

func (p *Publish) appendBody(b []byte, v mqtt.Version) []byte {
	b = AppendString(b, p.Topic)
	if p.QoS > 0 {
		b = AppendUint16(b, p.PacketID)
	}
	if v == mqtt.V5 {
		b = p.Properties.appendTo(b)
	}
	return append(b, p.Payload...)
}

func (p *Publish) validate(v mqtt.Version) error {
	if !p.QoS.Valid() {
		return mqtt.Malformed(rule(v, "MQTT-3.3.1-4", "MQTT-3.3.1-4"), "PUBLISH with QoS 3")
	}
	if p.Dup && p.QoS == 0 {
		return mqtt.Malformed("MQTT-3.3.1-2", "DUP set on a QoS 0 PUBLISH")
	}
	if p.QoS > 0 && p.PacketID == 0 {
		return mqtt.Protocol(rule(v, "MQTT-2.2.1-3", "MQTT-2.3.1-1"), "PUBLISH with QoS > 0 and Packet Identifier 0")
	}
	ok, wild := scanTopic(p.Topic)
	if len(p.Topic) > 0xffff {
		return &mqtt.Error{Code: mqtt.TopicNameInvalid, Rule: "MQTT-4.7.3-3", Reason: "Topic Name longer than 65535 bytes"}
	}
	if !ok {
		return ruled(errString(v, "Topic Name", p.Topic), v, "MQTT-3.3.2-1", "MQTT-3.3.2-1")
	}
	if wild {
		return &mqtt.Error{Code: mqtt.TopicNameInvalid, Rule: "MQTT-3.3.2-2", Reason: "Topic Name holds a wildcard"}
	}
	if v != mqtt.V5 {
		if p.Topic == "" {
			return &mqtt.Error{Code: mqtt.TopicNameInvalid, Rule: "MQTT-4.7.3-1", Reason: "empty Topic Name"}
		}
		return nil
	}
	if err := p.Properties.validate(TypePublish); err != nil {
		return err
	}
	if p.Topic == "" && p.Properties.TopicAlias == 0 {
		return mqtt.Protocol("", "empty Topic Name without a Topic Alias")
	}
	return nil
}

func (p *Publish) decode(d *Decoder, flags byte, body []byte, v mqtt.Version) error {
	p.Dup = flags&0x08 != 0
	p.QoS = mqtt.QoS(flags >> 1 & 3)
	p.Retain = flags&0x01 != 0
	// Flag errors come before field errors: a QoS of 3 is malformed
	// whatever follows [MQTT-3.3.1-4].
	if p.QoS == 3 {
		return mqtt.Malformed("MQTT-3.3.1-4", "PUBLISH with QoS 3")
	}
	c := cursor{b: body}
	p.Topic = d.strLast(p.Topic, c.binary())
	p.PacketID = 0
	if p.QoS > 0 {
		p.PacketID = c.u16()
	}
	p.Properties.reset()
	if v == mqtt.V5 {
		p.Properties.decode(d, &c, TypePublish)
	}
	if c.err != nil {
		return c.err
	}
	p.Payload = c.b
	return p.validate(v)
}
