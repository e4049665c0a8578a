package conformance

import (
	"github.com/mqttx/mqttx/mqtt"
	"github.com/mqttx/mqttx/mqtt/packet"
)

// Checks of the wire format: packets that break a codec rule, sent after a
// successful CONNECT, must make the broker close the connection (MQTT 5
// brokers may first send DISCONNECT with Malformed Packet or Protocol
// Error, or the more precise code listed).

type badPacket struct {
	name  string
	v5    []string
	v311  []string
	needs []Capability
	// codes are the MQTT 5 DISCONNECT reason codes allowed besides
	// Malformed Packet and Protocol Error.
	codes []mqtt.ReasonCode
	bytes func(t *T, c *Conn) []byte
}

// publishBody builds a PUBLISH body: topic, packet identifier when qos > 0,
// property length 0 for MQTT 5, payload.
func publishBody(v mqtt.Version, topic []byte, qos mqtt.QoS, id uint16, payload string) []byte {
	b := append([]byte(nil), topic...)
	if qos > 0 {
		b = append(b, u16(id)...)
	}
	if v == mqtt.V5 {
		b = append(b, 0)
	}
	return append(b, payload...)
}

func rawString(b ...byte) []byte { return cat(u16(uint16(len(b))), b) }

func subscribeBody(v mqtt.Version, id uint16, filter []byte, options byte) []byte {
	b := u16(id)
	if v == mqtt.V5 {
		b = append(b, 0)
	}
	return cat(b, filter, []byte{options})
}

func unsubscribeBody(v mqtt.Version, id uint16, filters ...[]byte) []byte {
	b := u16(id)
	if v == mqtt.V5 {
		b = append(b, 0)
	}
	return cat(append([]byte{}, b...), cat(filters...))
}

// propsPublish builds an MQTT 5 PUBLISH at QoS 0 with raw property bytes.
func propsPublish(topic string, props []byte, payload string) []byte {
	body := cat(str(topic), packet.AppendVarint(nil, uint32(len(props))), props, []byte(payload))
	return packet.AppendRaw(nil, 0x30, body)
}

var badPackets = []badPacket{
	{name: "a PUBLISH with both QoS bits set", v5: []string{"MQTT-3.3.1-4"}, v311: []string{"MQTT-3.3.1-4", "MQTT-4.8.0-1"},
		bytes: func(t *T, c *Conn) []byte {
			return packet.AppendRaw(nil, 0x36, publishBody(t.V, str(t.Topic("q3")), 1, 1, "x"))
		}},
	{name: "a PUBREL with flags 0000", v5: []string{"MQTT-3.6.1-1", "MQTT-2.1.3-1"}, v311: []string{"MQTT-3.6.1-1", "MQTT-2.2.2-1", "MQTT-2.2.2-2"},
		bytes: func(t *T, c *Conn) []byte { return packet.AppendRaw(nil, 0x60, u16(1)) }},
	{name: "a SUBSCRIBE with flags 0000", v5: []string{"MQTT-3.8.1-1"}, v311: []string{"MQTT-3.8.1-1", "MQTT-2.2.2-2"},
		bytes: func(t *T, c *Conn) []byte {
			return packet.AppendRaw(nil, 0x80, subscribeBody(t.V, 1, str(t.Topic("a")), 0))
		}},
	{name: "an UNSUBSCRIBE with flags 0000", v5: []string{"MQTT-3.10.1-1"}, v311: []string{"MQTT-3.10.1-1", "MQTT-2.2.2-2"},
		bytes: func(t *T, c *Conn) []byte {
			return packet.AppendRaw(nil, 0xA0, unsubscribeBody(t.V, 1, str(t.Topic("a"))))
		}},
	{name: "a PINGREQ with flags 0001", v5: []string{"MQTT-2.1.3-1"}, v311: []string{"MQTT-2.2.2-1", "MQTT-2.2.2-2"},
		bytes: func(t *T, c *Conn) []byte { return packet.AppendRaw(nil, 0xC1, nil) }},
	{name: "a DISCONNECT with flags 0010", v5: []string{"MQTT-3.14.1-1"}, v311: []string{"MQTT-3.14.1-1"},
		bytes: func(t *T, c *Conn) []byte { return packet.AppendRaw(nil, 0xE2, nil) }},
	{name: "an AUTH with flags 0001", v5: []string{"MQTT-3.15.1-1"},
		bytes: func(t *T, c *Conn) []byte { return packet.AppendRaw(nil, 0xF1, []byte{0x18, 0}) }},
	{name: "a remaining length in more bytes than needed", v5: []string{"MQTT-1.5.5-1"},
		bytes: func(t *T, c *Conn) []byte { return []byte{0xC0, 0x80, 0x00} }},
	{name: "a remaining length of five bytes", v5: []string{"MQTT-1.5.5-1"}, v311: []string{"MQTT-4.8.0-1"},
		bytes: func(t *T, c *Conn) []byte { return []byte{0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x01} }},
	{name: "a PUBLISH topic that is not UTF-8", v5: []string{"MQTT-1.5.4-1", "MQTT-3.3.2-1"}, v311: []string{"MQTT-1.5.3-1", "MQTT-3.3.2-1"},
		codes: []mqtt.ReasonCode{mqtt.TopicNameInvalid},
		bytes: func(t *T, c *Conn) []byte {
			return packet.AppendRaw(nil, 0x30, publishBody(t.V, rawString('a', '/', 0xC0, 0xAF), 0, 0, "x"))
		}},
	{name: "a PUBLISH topic with an encoded surrogate", v5: []string{"MQTT-1.5.4-1"}, v311: []string{"MQTT-1.5.3-1"},
		codes: []mqtt.ReasonCode{mqtt.TopicNameInvalid},
		bytes: func(t *T, c *Conn) []byte {
			return packet.AppendRaw(nil, 0x30, publishBody(t.V, rawString('a', 0xED, 0xA0, 0x80), 0, 0, "x"))
		}},
	{name: "a PUBLISH topic with U+0000", v5: []string{"MQTT-1.5.4-2", "MQTT-4.7.3-2"}, v311: []string{"MQTT-1.5.3-2", "MQTT-4.7.3-2"},
		codes: []mqtt.ReasonCode{mqtt.TopicNameInvalid},
		bytes: func(t *T, c *Conn) []byte {
			return packet.AppendRaw(nil, 0x30, publishBody(t.V, rawString('a', 0, 'b'), 0, 0, "x"))
		}},
	{name: "a PUBLISH topic with a + wildcard", v5: []string{"MQTT-3.3.2-2", "MQTT-4.7.0-1"}, v311: []string{"MQTT-3.3.2-2", "MQTT-4.7.1-1"},
		codes: []mqtt.ReasonCode{mqtt.TopicNameInvalid},
		bytes: func(t *T, c *Conn) []byte {
			return packet.AppendRaw(nil, 0x30, publishBody(t.V, str(t.Topic("+")), 0, 0, "x"))
		}},
	{name: "a PUBLISH topic with a # wildcard", v5: []string{"MQTT-3.3.2-2", "MQTT-4.7.0-1"}, v311: []string{"MQTT-3.3.2-2", "MQTT-4.7.1-1"},
		codes: []mqtt.ReasonCode{mqtt.TopicNameInvalid},
		bytes: func(t *T, c *Conn) []byte {
			return packet.AppendRaw(nil, 0x30, publishBody(t.V, str(t.Topic("#")), 0, 0, "x"))
		}},
	{name: "a PUBLISH with an empty topic and no alias", v5: []string{"MQTT-4.7.3-1"}, v311: []string{"MQTT-4.7.3-1"},
		codes: []mqtt.ReasonCode{mqtt.TopicNameInvalid},
		bytes: func(t *T, c *Conn) []byte {
			return packet.AppendRaw(nil, 0x30, publishBody(t.V, str(""), 0, 0, "x"))
		}},
	{name: "a QoS 1 PUBLISH with packet identifier 0", v311: []string{"MQTT-2.3.1-1"}, needs: []Capability{CapQoS1},
		bytes: func(t *T, c *Conn) []byte {
			return packet.AppendRaw(nil, 0x32, publishBody(t.V, str(t.Topic("id0")), 1, 0, "x"))
		}},
	{name: "a SUBSCRIBE with packet identifier 0", v311: []string{"MQTT-2.3.1-1"},
		bytes: func(t *T, c *Conn) []byte {
			return packet.AppendRaw(nil, 0x82, subscribeBody(t.V, 0, str(t.Topic("a")), 0))
		}},
	{name: "a SUBSCRIBE filter that is not UTF-8", v5: []string{"MQTT-3.8.3-1"}, v311: []string{"MQTT-3.8.3-1", "MQTT-1.5.3-1"},
		bytes: func(t *T, c *Conn) []byte {
			return packet.AppendRaw(nil, 0x82, subscribeBody(t.V, 1, rawString('a', 0xFE, 'b'), 0))
		}},
	{name: "a SUBSCRIBE without any filter", v5: []string{"MQTT-3.8.3-2"}, v311: []string{"MQTT-3.8.3-3"},
		bytes: func(t *T, c *Conn) []byte {
			b := u16(1)
			if t.V == mqtt.V5 {
				b = append(b, 0)
			}
			return packet.AppendRaw(nil, 0x82, b)
		}},
	{name: "a SUBSCRIBE with reserved option bits set", v5: []string{"MQTT-3.8.3-5"}, v311: []string{"MQTT-3.8.3-4"},
		bytes: func(t *T, c *Conn) []byte {
			return packet.AppendRaw(nil, 0x82, subscribeBody(t.V, 1, str(t.Topic("a")), 0xC1))
		}},
	{name: "a SUBSCRIBE asking QoS 3", v5: []string{"MQTT-3.8.3-5"}, v311: []string{"MQTT-3.8.3-4"},
		bytes: func(t *T, c *Conn) []byte {
			return packet.AppendRaw(nil, 0x82, subscribeBody(t.V, 1, str(t.Topic("a")), 0x03))
		}},
	{name: "No Local on a shared subscription", v5: []string{"MQTT-3.8.3-4"}, needs: []Capability{CapShared},
		bytes: func(t *T, c *Conn) []byte {
			return packet.AppendRaw(nil, 0x82, subscribeBody(t.V, 1, str("$share/g/"+t.Topic("a")), 0x04))
		}},
	{name: "an UNSUBSCRIBE filter that is not UTF-8", v5: []string{"MQTT-3.10.3-1"}, v311: []string{"MQTT-3.10.3-1"},
		bytes: func(t *T, c *Conn) []byte {
			return packet.AppendRaw(nil, 0xA2, unsubscribeBody(t.V, 1, rawString('a', 0xC3)))
		}},
	{name: "an UNSUBSCRIBE without any filter", v5: []string{"MQTT-3.10.3-2"}, v311: []string{"MQTT-3.10.3-2"},
		bytes: func(t *T, c *Conn) []byte { return packet.AppendRaw(nil, 0xA2, unsubscribeBody(t.V, 1)) }},
	{name: "a user property name that is not UTF-8", v5: []string{"MQTT-1.5.7-1"},
		bytes: func(t *T, c *Conn) []byte {
			return propsPublish(t.Topic("up"), cat([]byte{0x26}, rawString(0xC0, 0x80), str("v")), "x")
		}},
	{name: "a content type that is not UTF-8", v5: []string{"MQTT-3.3.2-19"},
		bytes: func(t *T, c *Conn) []byte {
			return propsPublish(t.Topic("ct"), cat([]byte{0x03}, rawString('t', 0xFF)), "x")
		}},
	{name: "a response topic that is not UTF-8", v5: []string{"MQTT-3.3.2-13"},
		bytes: func(t *T, c *Conn) []byte {
			return propsPublish(t.Topic("rt"), cat([]byte{0x08}, rawString('r', 0xC3, 0x28)), "x")
		}},
	{name: "a response topic with a wildcard", v5: []string{"MQTT-3.3.2-14"}, codes: []mqtt.ReasonCode{mqtt.TopicNameInvalid},
		bytes: func(t *T, c *Conn) []byte {
			return propsPublish(t.Topic("rt"), cat([]byte{0x08}, str(t.Topic("+"))), "x")
		}},
	{name: "a topic alias of 0", v5: []string{"MQTT-3.3.2-8"}, codes: []mqtt.ReasonCode{mqtt.TopicAliasInvalid},
		bytes: func(t *T, c *Conn) []byte {
			return propsPublish(t.Topic("ta"), cat([]byte{0x23}, u16(0)), "x")
		}},
	{name: "a PUBLISH with a property length running past the packet", v5: []string{"MQTT-2.2.2-1"},
		bytes: func(t *T, c *Conn) []byte {
			return packet.AppendRaw(nil, 0x30, cat(str(t.Topic("pl")), []byte{0x09, 0x01, 0x00}))
		}},
	{name: "a PINGREQ with a body", v5: []string{"MQTT-4.13.1-1"}, v311: []string{"MQTT-4.8.0-1"},
		bytes: func(t *T, c *Conn) []byte { return packet.AppendRaw(nil, 0xC0, []byte{0}) }},
	{name: "a packet of reserved type 0", v5: []string{"MQTT-4.13.1-1"}, v311: []string{"MQTT-4.8.0-1"},
		bytes: func(t *T, c *Conn) []byte { return packet.AppendRaw(nil, 0x00, nil) }},
	{name: "an AUTH packet from a 3.1.1 client", v311: []string{"MQTT-4.8.0-1"},
		bytes: func(t *T, c *Conn) []byte { return packet.AppendRaw(nil, 0xF0, nil) }},
	{name: "an AUTH without an authentication method in the CONNECT", v5: []string{"MQTT-4.13.1-1"},
		bytes: func(t *T, c *Conn) []byte { return packet.AppendRaw(nil, 0xF0, []byte{0x19, 0}) }},
}

func init() {
	for _, bp := range badPackets {
		bp := bp
		check(Check{
			Area: "codec", Name: bp.name + " closes the connection", V5: bp.v5, V311: bp.v311, Needs: bp.needs,
			Run: func(t *T) {
				c, _ := t.Connect()
				c.SendBytes(bp.bytes(t, c), bp.name)
				codes := append([]mqtt.ReasonCode{mqtt.MalformedPacket, mqtt.ProtocolError}, bp.codes...)
				c.ExpectMalformedClose(bp.name, codes...)
			},
		})
	}
}
