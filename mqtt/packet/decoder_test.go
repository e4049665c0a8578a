package packet

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"runtime"
	"testing"

	"github.com/mqttx/mqttx/mqtt"
)

// cat joins wire pieces: a byte or small int is one byte, a string is its
// raw bytes (use str for a length-prefixed string), a []byte is itself.
func cat(parts ...any) []byte {
	var b []byte
	for _, p := range parts {
		switch p := p.(type) {
		case byte:
			b = append(b, p)
		case int:
			b = append(b, byte(p))
		case rune:
			b = append(b, byte(p))
		case PropertyID:
			b = append(b, byte(p))
		case string:
			b = append(b, p...)
		case []byte:
			b = append(b, p...)
		default:
			panic(fmt.Sprintf("cat: %T", p))
		}
	}
	return b
}

// str is s with its two-byte length prefix.
func str(s string) []byte { return AppendString(nil, s) }

// u16 and u32 are big-endian integers.
func u16(x uint16) []byte { return AppendUint16(nil, x) }
func u32(x uint32) []byte { return AppendUint32(nil, x) }

// props is a Property Length followed by the given properties.
func props(parts ...any) []byte {
	b := cat(parts...)
	return append(AppendVarint(nil, uint32(len(b))), b...)
}

// pkt is a packet with first byte first and the given body, with a
// minimal remaining length.
func pkt(first byte, body ...any) []byte { return AppendRaw(nil, first, cat(body...)) }

// connect311 and connect5 build CONNECT packets with the given flags and
// the fields that follow the keep alive.
func connect311(flags byte, rest ...any) []byte {
	return pkt(0x10, append([]any{str("MQTT"), 4, flags, u16(0)}, rest...)...)
}

func connect5(flags byte, rest ...any) []byte {
	return pkt(0x10, append([]any{str("MQTT"), 5, flags, u16(0)}, rest...)...)
}

// Invalid UTF-8 strings: a surrogate, a lone 0xff and U+0000.
var badStrings = []struct{ name, s string }{
	{"surrogate", "a\xed\xa0\x80"},
	{"0xff", "a\xff"},
	{"U+0000", "a\x00b"},
}

type illegalInput struct {
	name string
	v    mqtt.Version // the Decoder's version; 0 for a first packet
	b    []byte
	code mqtt.ReasonCode
	rule string
}

// illegalInputs is every malformed or forbidden input the decoder must
// reject, with the reason code and the statement it must name.
func illegalInputs() []illegalInput {
	const (
		malformed = mqtt.MalformedPacket
		protocol  = mqtt.ProtocolError
		v311      = mqtt.V311
		v5        = mqtt.V5
	)
	tt := []illegalInput{
		// Fixed header.
		{"remaining length of 5 bytes", v311, cat(0x30, 0xff, 0xff, 0xff, 0xff, 0x7f), malformed, "MQTT-1.5.5-1"},
		{"remaining length of 5 bytes, v5", v5, cat(0xc0, 0x80, 0x80, 0x80, 0x80, 0x00), malformed, "MQTT-1.5.5-1"},
		{"non-minimal remaining length 80 00", v311, cat(0xc0, 0x80, 0x00), malformed, "MQTT-1.5.5-1"},
		{"non-minimal remaining length 81 80 00", v5, cat(0x30, 0x81, 0x80, 0x00), malformed, "MQTT-1.5.5-1"},
		{"packet type 0", v311, cat(0x00, 0x00), malformed, ""},
		{"packet type 0, v5", v5, cat(0x00, 0x00), malformed, ""},
		{"AUTH in 3.1.1 (reserved type)", v311, cat(0xf0, 0x00), malformed, ""},
		{"AUTH in 3.1", mqtt.V31, cat(0xf0, 0x00), malformed, ""},
		{"first packet not CONNECT", 0, cat(0xc0, 0x00), protocol, "MQTT-3.1.0-1"},
		{"first packet AUTH", 0, cat(0xf0, 0x00), protocol, "MQTT-3.1.0-1"},
		// Before the version is known, the 3.1.1 statement is named.
		{"first packet CONNECT with flags 0001", 0, append([]byte{0x11}, connect5(0x00, 0, str("c"))[1:]...), malformed, "MQTT-2.1.3-1"},
		{"first packet PUBLISH", 0, pkt(0x30, str("a")), protocol, "MQTT-3.1.0-1"},

		// PUBLISH flags and fields.
		{"PUBLISH QoS 3", v311, pkt(0x36, str("a"), u16(1)), malformed, "MQTT-3.3.1-4"},
		{"PUBLISH QoS 3, v5", v5, pkt(0x36, str("a"), u16(1), 0), malformed, "MQTT-3.3.1-4"},
		{"PUBLISH DUP on QoS 0", v311, pkt(0x38, str("a")), malformed, "MQTT-3.3.1-2"},
		{"PUBLISH DUP on QoS 0, v5", v5, pkt(0x38, str("a"), 0), malformed, "MQTT-3.3.1-2"},
		{"PUBLISH QoS 1 id 0", v311, pkt(0x32, str("a"), u16(0)), protocol, "MQTT-2.3.1-1"},
		{"PUBLISH QoS 2 id 0, v5", v5, pkt(0x34, str("a"), u16(0), 0), protocol, "MQTT-2.2.1-3"},
		{"PUBLISH wildcard topic +", v311, pkt(0x30, str("a/+")), mqtt.TopicNameInvalid, "MQTT-3.3.2-2"},
		{"PUBLISH wildcard topic #, v5", v5, pkt(0x30, str("#"), 0), mqtt.TopicNameInvalid, "MQTT-3.3.2-2"},
		{"PUBLISH empty topic, 3.1.1", v311, pkt(0x30, str("")), mqtt.TopicNameInvalid, "MQTT-4.7.3-1"},
		{"PUBLISH empty topic without alias, v5", v5, pkt(0x30, str(""), 0, "x"), protocol, ""},
		{"PUBLISH topic alias 0", v5, pkt(0x30, str("a"), props(PropTopicAlias, u16(0))), mqtt.TopicAliasInvalid, "MQTT-3.3.2-8"},
		{"PUBLISH empty topic with alias 0", v5, pkt(0x30, str(""), props(PropTopicAlias, u16(0))), mqtt.TopicAliasInvalid, "MQTT-3.3.2-8"},
		{"PUBLISH Session Expiry not allowed", v5, pkt(0x30, str("a"), props(PropSessionExpiry, u32(1))), malformed, ""},
		{"PUBLISH Will Delay not allowed", v5, pkt(0x30, str("a"), props(PropWillDelay, u32(1))), malformed, ""},
		{"PUBLISH Content Type twice", v5, pkt(0x30, str("a"), props(PropContentType, str("x"), PropContentType, str("y"))), protocol, ""},
		{"PUBLISH Topic Alias twice", v5, pkt(0x30, str("a"), props(PropTopicAlias, u16(1), PropTopicAlias, u16(1))), protocol, ""},
		{"PUBLISH Payload Format twice", v5, pkt(0x30, str("a"), props(PropPayloadFormat, 0, PropPayloadFormat, 0)), protocol, ""},
		{"PUBLISH unknown property 0x00", v5, pkt(0x30, str("a"), props(0x00, 0)), malformed, ""},
		{"PUBLISH unknown property 0x04", v5, pkt(0x30, str("a"), props(0x04, 0)), malformed, ""},
		{"PUBLISH unknown property 0x2b", v5, pkt(0x30, str("a"), props(0x2b, 0)), malformed, ""},
		{"PUBLISH unknown property 0x7f", v5, pkt(0x30, str("a"), props(0x7f, 0)), malformed, ""},
		// 0x81 0x02 is the Variable Byte Integer 257, whose low byte is
		// Payload Format Indicator; it must not be taken for it.
		{"PUBLISH unknown property 257 (two-byte id)", v5, pkt(0x30, str("a"), props(0x81, 0x02, 1)), malformed, ""},
		{"PUBLISH property id non-minimal 81 00", v5, pkt(0x30, str("a"), props(0x81, 0x00, 1)), malformed, "MQTT-1.5.5-1"},
		{"PUBLISH Payload Format 2", v5, pkt(0x30, str("a"), props(PropPayloadFormat, 2)), protocol, ""},
		{"PUBLISH Subscription Identifier 0", v5, pkt(0x30, str("a"), props(PropSubscriptionID, 0)), protocol, ""},
		{"PUBLISH Response Topic with wildcard", v5, pkt(0x30, str("a"), props(PropResponseTopic, str("r/#"))), mqtt.TopicNameInvalid, "MQTT-3.3.2-14"},
		{"PUBLISH property length past the body", v5, pkt(0x30, str("a"), 5, PropPayloadFormat, 1), malformed, ""},
		{"PUBLISH property value cut off", v5, pkt(0x30, str("a"), 2, PropMessageExpiry, 0), malformed, ""},

		// CONNECT.
		{"CONNECT reserved flag", 0, connect311(0x03, str("c")), malformed, "MQTT-3.1.2-3"},
		{"CONNECT reserved flag, v5", 0, connect5(0x01, 0, str("c")), malformed, "MQTT-3.1.2-3"},
		{"CONNECT will QoS without will flag", 0, connect311(0x08, str("c")), malformed, "MQTT-3.1.2-13"},
		{"CONNECT will QoS without will flag, v5", 0, connect5(0x10, 0, str("c")), malformed, "MQTT-3.1.2-11"},
		{"CONNECT will retain without will flag", 0, connect311(0x20, str("c")), malformed, "MQTT-3.1.2-15"},
		{"CONNECT will retain without will flag, v5", 0, connect5(0x20, 0, str("c")), malformed, "MQTT-3.1.2-13"},
		{"CONNECT will QoS 3", 0, connect311(0x1c, str("c"), str("w"), str("x")), malformed, "MQTT-3.1.2-14"},
		{"CONNECT will QoS 3, v5", 0, connect5(0x1c, 0, str("c"), 0, str("w"), str("x")), malformed, "MQTT-3.1.2-12"},
		{"CONNECT password without user name, 3.1.1", 0, connect311(0x40, str("c"), str("pw")), protocol, "MQTT-3.1.2-22"},
		{"CONNECT will topic with wildcard", 0, connect311(0x04, str("c"), str("w/#"), str("x")), mqtt.TopicNameInvalid, "MQTT-4.7.1-1"},
		{"CONNECT will topic with wildcard, v5", 0, connect5(0x04, 0, str("c"), 0, str("w/+"), str("x")), mqtt.TopicNameInvalid, "MQTT-4.7.0-1"},
		{"CONNECT empty will topic", 0, connect311(0x04, str("c"), str(""), str("x")), mqtt.TopicNameInvalid, "MQTT-4.7.3-1"},
		{"CONNECT empty will topic, v5", 0, connect5(0x04, 0, str("c"), 0, str(""), str("x")), mqtt.TopicNameInvalid, "MQTT-4.7.3-1"},
		{"CONNECT unknown protocol name", 0, pkt(0x10, str("MQTX"), 4, 0, u16(0), str("c")), mqtt.UnsupportedProtocolVersion, "MQTT-3.1.2-1"},
		{"CONNECT protocol level 6", 0, pkt(0x10, str("MQTT"), 6, 0, u16(0), str("c")), mqtt.UnsupportedProtocolVersion, "MQTT-3.1.2-2"},
		{"CONNECT MQTT level 3", 0, pkt(0x10, str("MQTT"), 3, 0, u16(0), str("c")), mqtt.UnsupportedProtocolVersion, "MQTT-3.1.2-2"},
		{"CONNECT MQIsdp level 4", 0, pkt(0x10, str("MQIsdp"), 4, 0, u16(0), str("c")), mqtt.UnsupportedProtocolVersion, "MQTT-3.1.2-2"},
		{"CONNECT trailing byte", 0, connect311(0x00, str("c"), 0), malformed, "MQTT-3.1.3-1"},
		{"CONNECT trailing byte, v5", 0, connect5(0x00, 0, str("c"), 0), malformed, "MQTT-3.1.3-1"},
		{"CONNECT user name flag without user name", 0, connect311(0x80, str("c")), malformed, ""},
		{"CONNECT Topic Alias in properties", 0, connect5(0x00, props(PropTopicAlias, u16(1)), str("c")), malformed, ""},
		{"CONNECT Will Delay in properties", 0, connect5(0x00, props(PropWillDelay, u32(1)), str("c")), malformed, ""},
		{"CONNECT Session Expiry in will properties", 0, connect5(0x04, 0, str("c"), props(PropSessionExpiry, u32(1)), str("w"), str("x")), malformed, ""},
		{"CONNECT Session Expiry twice", 0, connect5(0x00, props(PropSessionExpiry, u32(1), PropSessionExpiry, u32(2)), str("c")), protocol, ""},
		{"CONNECT Authentication Method twice", 0, connect5(0x00, props(PropAuthMethod, str("a"), PropAuthMethod, str("a")), str("c")), protocol, ""},
		{"CONNECT Receive Maximum 0", 0, connect5(0x00, props(PropReceiveMaximum, u16(0)), str("c")), protocol, ""},
		{"CONNECT Maximum Packet Size 0", 0, connect5(0x00, props(PropMaximumPacketSize, u32(0)), str("c")), protocol, ""},
		{"CONNECT Request Problem Information 2", 0, connect5(0x00, props(PropRequestProblemInfo, 2), str("c")), protocol, ""},

		// CONNACK.
		{"CONNACK trailing byte", v311, pkt(0x20, 0, 0, 0), malformed, ""},
		{"CONNACK trailing byte, v5", v5, pkt(0x20, 0, 0, 0, 0), malformed, ""},
		{"CONNACK reserved flag bits", v311, pkt(0x20, 0x02, 0), malformed, ""},
		{"CONNACK reserved flag bits, v5", v5, pkt(0x20, 0x02, 0, 0), malformed, "MQTT-3.2.2-1"},
		{"CONNACK return code 6", v311, pkt(0x20, 0, 6), malformed, ""},
		{"CONNACK session present on refusal", v311, pkt(0x20, 1, 5), protocol, "MQTT-3.2.2-4"},
		{"CONNACK session present on refusal, v5", v5, pkt(0x20, 1, 0x87, 0), protocol, "MQTT-3.2.2-6"},
		{"CONNACK reason code 0x04, v5", v5, pkt(0x20, 0, 0x04, 0), protocol, "MQTT-3.2.2-8"},
		{"CONNACK Topic Alias not allowed", v5, pkt(0x20, 0, 0, props(PropTopicAlias, u16(1))), malformed, ""},
		{"CONNACK Maximum QoS 2", v5, pkt(0x20, 0, 0, props(PropMaximumQoS, 2)), protocol, ""},

		// Acknowledgements.
		{"PUBACK id 0", v311, pkt(0x40, u16(0)), protocol, "MQTT-2.3.1-6"},
		{"PUBACK id 0, v5", v5, pkt(0x40, u16(0)), protocol, "MQTT-2.2.1-5"},
		{"PUBREC id 0, v5", v5, pkt(0x50, u16(0), 0x10), protocol, "MQTT-2.2.1-5"},
		{"PUBREL id 0", v311, pkt(0x62, u16(0)), protocol, "MQTT-2.3.1-6"},
		{"PUBCOMP id 0, v5", v5, pkt(0x70, u16(0)), protocol, "MQTT-2.2.1-5"},
		{"SUBACK id 0, v5", v5, pkt(0x90, u16(0), 0, 0), protocol, "MQTT-2.2.1-6"},
		{"UNSUBACK id 0", v311, pkt(0xb0, u16(0)), protocol, "MQTT-2.3.1-7"},
		{"PUBACK trailing byte, 3.1.1", v311, pkt(0x40, u16(1), 0), malformed, ""},
		{"PUBREL trailing bytes, 3.1.1", v311, pkt(0x62, u16(1), 0, 0), malformed, ""},
		{"PUBACK trailing byte after properties, v5", v5, pkt(0x40, u16(1), 0x10, 0, 0), malformed, ""},
		{"PUBCOMP trailing byte after properties, v5", v5, pkt(0x70, u16(1), 0x00, props(PropReasonString, str("r")), 'x'), malformed, ""},
		{"UNSUBACK no reason codes, v5", v5, pkt(0xb0, u16(1), 0), protocol, ""},
		{"SUBACK no return codes", v311, pkt(0x90, u16(1)), protocol, ""},
		{"SUBACK no reason codes, v5", v5, pkt(0x90, u16(1), 0), protocol, ""},
		{"UNSUBACK trailing byte, 3.1.1", v311, pkt(0xb0, u16(1), 0), malformed, ""},
		{"PUBACK one byte body", v311, pkt(0x40, 1), malformed, ""},
		{"PUBACK reason code 0x04, v5", v5, pkt(0x40, u16(1), 0x04), protocol, "MQTT-3.4.2-1"},
		{"PUBREC reason code 0x92, v5", v5, pkt(0x50, u16(1), 0x92), protocol, "MQTT-3.5.2-1"},
		{"PUBREL reason code 0x10, v5", v5, pkt(0x62, u16(1), 0x10), protocol, "MQTT-3.6.2-1"},
		{"PUBCOMP reason code 0x10, v5", v5, pkt(0x70, u16(1), 0x10), protocol, "MQTT-3.7.2-1"},
		{"SUBACK reason code 0x03, v5", v5, pkt(0x90, u16(1), 0, 0x03), protocol, "MQTT-3.9.3-2"},
		{"SUBACK return code 0x03, 3.1.1", v311, pkt(0x90, u16(1), 0x03), protocol, "MQTT-3.9.3-2"},
		{"SUBACK return code 0x87, 3.1.1", v311, pkt(0x90, u16(1), 0x87), protocol, "MQTT-3.9.3-2"},
		{"UNSUBACK reason code 0x01, v5", v5, pkt(0xb0, u16(1), 0, 0x01), protocol, "MQTT-3.11.3-2"},
		{"DISCONNECT reason code 0x01, v5", v5, pkt(0xe0, 0x01), protocol, "MQTT-3.14.2-1"},
		{"AUTH reason code 0x80, v5", v5, pkt(0xf0, 0x80, 0), protocol, "MQTT-3.15.2-1"},
		{"AUTH reason code without Property Length, v5", v5, pkt(0xf0, 0x18), malformed, ""},
		{"AUTH properties without Authentication Method, v5", v5, pkt(0xf0, 0x18, props(PropReasonString, str("x"))), protocol, ""},
		{"CONNECT Authentication Data without Method, v5", 0, connect5(0, props(PropAuthData, u16(1), 7), str("c")), protocol, ""},
		{"AUTH from a 3.1 stream", v311, pkt(0xf0, 0), malformed, ""},
		{"PUBACK Session Expiry not allowed", v5, pkt(0x40, u16(1), 0, props(PropSessionExpiry, u32(1))), malformed, ""},
		{"PUBACK Reason String twice", v5, pkt(0x40, u16(1), 0, props(PropReasonString, str("a"), PropReasonString, str("b"))), protocol, ""},

		// SUBSCRIBE and UNSUBSCRIBE.
		{"SUBSCRIBE id 0", v311, pkt(0x82, u16(0), str("a"), 0), protocol, "MQTT-2.3.1-1"},
		{"SUBSCRIBE id 0, v5", v5, pkt(0x82, u16(0), 0, str("a"), 0), protocol, "MQTT-2.2.1-3"},
		{"SUBSCRIBE no filters", v311, pkt(0x82, u16(1)), protocol, "MQTT-3.8.3-3"},
		{"SUBSCRIBE no filters, v5", v5, pkt(0x82, u16(1), 0), protocol, "MQTT-3.8.3-2"},
		{"SUBSCRIBE reserved option bit 2, 3.1.1", v311, pkt(0x82, u16(1), str("a"), 0x04), malformed, "MQTT-3.8.3-4"},
		{"SUBSCRIBE reserved option bit 7, 3.1.1", v311, pkt(0x82, u16(1), str("a"), 0x80), malformed, "MQTT-3.8.3-4"},
		{"SUBSCRIBE QoS 3, 3.1.1", v311, pkt(0x82, u16(1), str("a"), 0x03), malformed, "MQTT-3.8.3-4"},
		{"SUBSCRIBE reserved option bit 6, v5", v5, pkt(0x82, u16(1), 0, str("a"), 0x40), malformed, "MQTT-3.8.3-5"},
		{"SUBSCRIBE reserved option bit 7, v5", v5, pkt(0x82, u16(1), 0, str("a"), 0x80), malformed, "MQTT-3.8.3-5"},
		{"SUBSCRIBE maximum QoS 3, v5", v5, pkt(0x82, u16(1), 0, str("a"), 0x03), protocol, ""},
		{"SUBSCRIBE retain handling 3", v5, pkt(0x82, u16(1), 0, str("a"), 0x30), protocol, ""},
		{"SUBSCRIBE No Local on $share", v5, pkt(0x82, u16(1), 0, str("$share/g/a"), 0x04), protocol, "MQTT-3.8.3-4"},
		{"SUBSCRIBE filter without options", v311, pkt(0x82, u16(1), str("a")), malformed, ""},
		{"SUBSCRIBE two Subscription Identifiers", v5, pkt(0x82, u16(1), props(PropSubscriptionID, 1, PropSubscriptionID, 2), str("a"), 0), protocol, ""},
		{"SUBSCRIBE Subscription Identifier 0", v5, pkt(0x82, u16(1), props(PropSubscriptionID, 0), str("a"), 0), protocol, ""},
		{"SUBSCRIBE Topic Alias not allowed", v5, pkt(0x82, u16(1), props(PropTopicAlias, u16(1)), str("a"), 0), malformed, ""},
		{"UNSUBSCRIBE id 0", v311, pkt(0xa2, u16(0), str("a")), protocol, "MQTT-2.3.1-1"},
		{"UNSUBSCRIBE id 0, v5", v5, pkt(0xa2, u16(0), 0, str("a")), protocol, "MQTT-2.2.1-3"},
		{"UNSUBSCRIBE no filters", v311, pkt(0xa2, u16(1)), protocol, "MQTT-3.10.3-2"},
		{"UNSUBSCRIBE no filters, v5", v5, pkt(0xa2, u16(1), 0), protocol, "MQTT-3.10.3-2"},
		{"UNSUBSCRIBE filter cut off", v311, pkt(0xa2, u16(1), 0, 5, 'a'), malformed, ""},

		// PINGREQ, PINGRESP, DISCONNECT, AUTH.
		{"PINGREQ with a body", v311, pkt(0xc0, 0), malformed, ""},
		{"PINGREQ with a body, v5", v5, pkt(0xc0, 0), malformed, ""},
		{"PINGRESP with a body", v311, pkt(0xd0, 0, 0), malformed, ""},
		{"PINGRESP with a body, v5", v5, pkt(0xd0, 0), malformed, ""},
		{"DISCONNECT with a body, 3.1.1", v311, pkt(0xe0, 0), malformed, ""},
		{"DISCONNECT with a body, 3.1", mqtt.V31, pkt(0xe0, 0), malformed, ""},
		{"DISCONNECT trailing byte, v5", v5, pkt(0xe0, 0, 0, 0), malformed, ""},
		{"DISCONNECT Topic Alias not allowed", v5, pkt(0xe0, 0, props(PropTopicAlias, u16(1))), malformed, ""},
		{"AUTH Session Expiry not allowed", v5, pkt(0xf0, 0x18, props(PropSessionExpiry, u32(1))), malformed, ""},
		{"AUTH Authentication Data twice", v5, pkt(0xf0, 0x18, props(PropAuthData, str(""), PropAuthData, str(""))), protocol, ""},
	}

	// Reserved flag bits of every type but PUBLISH.
	for ty := TypeConnect; ty <= TypeAuth; ty++ {
		if ty == TypePublish {
			continue
		}
		for _, v := range []mqtt.Version{mqtt.V311, mqtt.V5} {
			if !ty.Valid(v) {
				continue
			}
			rule := map[mqtt.Version]string{mqtt.V311: "MQTT-2.2.2-1", mqtt.V5: "MQTT-2.1.3-1"}[v]
			switch {
			case ty == TypePubrel:
				rule = "MQTT-3.6.1-1"
			case ty == TypeSubscribe:
				rule = "MQTT-3.8.1-1"
			case ty == TypeUnsubscribe:
				rule = "MQTT-3.10.1-1"
			case ty == TypeDisconnect:
				rule = "MQTT-3.14.1-1"
			case ty == TypeAuth:
				rule = "MQTT-3.15.1-1"
			}
			for _, flip := range []byte{0x1, 0x2, 0x8} {
				flags := requiredFlags[ty] ^ flip
				tt = append(tt, illegalInput{
					fmt.Sprintf("%v flags %04b, MQTT %v", ty, flags, v), v,
					pkt(byte(ty)<<4|flags, 0, 0), malformed, rule,
				})
			}
		}
	}

	// Invalid UTF-8 in every kind of string.
	for _, bs := range badStrings {
		s := bs.s
		add := func(field string, v mqtt.Version, b []byte, rule string) {
			tt = append(tt, illegalInput{field + " " + bs.name, v, b, malformed, rule})
		}
		add("topic, 3.1.1", v311, pkt(0x30, str(s)), "MQTT-3.3.2-1")
		add("topic, v5", v5, pkt(0x30, str(s), 0), "MQTT-3.3.2-1")
		add("client id, 3.1.1", 0, connect311(0, str(s)), "MQTT-3.1.3-4")
		add("client id, v5", 0, connect5(0, 0, str(s)), "MQTT-3.1.3-4")
		add("user name, 3.1.1", 0, connect311(0x80, str("c"), str(s)), "MQTT-3.1.3-11")
		add("user name, v5", 0, connect5(0x80, 0, str("c"), str(s)), "MQTT-3.1.3-12")
		add("will topic, 3.1.1", 0, connect311(0x04, str("c"), str(s), str("x")), "MQTT-3.1.3-10")
		add("will topic, v5", 0, connect5(0x04, 0, str("c"), 0, str(s), str("x")), "MQTT-3.1.3-11")
		add("subscribe filter, 3.1.1", v311, pkt(0x82, u16(1), str(s), 0), "MQTT-3.8.3-1")
		add("subscribe filter, v5", v5, pkt(0x82, u16(1), 0, str(s), 0), "MQTT-3.8.3-1")
		add("unsubscribe filter, 3.1.1", v311, pkt(0xa2, u16(1), str(s)), "MQTT-3.10.3-1")
		add("unsubscribe filter, v5", v5, pkt(0xa2, u16(1), 0, str(s)), "MQTT-3.10.3-1")
		add("user property key", v5, pkt(0x30, str("a"), props(PropUser, str(s), str("v"))), "MQTT-1.5.7-1")
		add("user property value", v5, pkt(0x30, str("a"), props(PropUser, str("k"), str(s))), "MQTT-1.5.7-1")
		add("content type", v5, pkt(0x30, str("a"), props(PropContentType, str(s))), "MQTT-3.3.2-19")
		add("will content type, v5", 0, connect5(0x04, 0, str("c"), props(PropContentType, str(s)), str("w"), str("x")), "MQTT-3.3.2-19")
		// A property string names the general rule: ill-formed UTF-8 or U+0000.
		stringRule := "MQTT-1.5.4-1"
		if bs.name == "U+0000" {
			stringRule = "MQTT-1.5.4-2"
		}
		add("reason string", v5, pkt(0x40, u16(1), 0x80, props(PropReasonString, str(s))), stringRule)
		add("connect user property, v5", 0, connect5(0, props(PropUser, str("k"), str(s)), str("c")), "MQTT-1.5.7-1")
	}
	return tt
}

func checkErr(t *testing.T, name string, err error, code mqtt.ReasonCode, rule string) {
	t.Helper()
	e := mqttErr(err)
	if e == nil {
		t.Errorf("%s: got %v (%T), want *mqtt.Error %v [%s]", name, err, err, code, rule)
		return
	}
	if e.Code != code || e.Rule != rule || e.Remote {
		t.Errorf("%s: got code %v, rule %q, remote %v; want %v, %q, false (%v)", name, e.Code, e.Rule, e.Remote, code, rule, err)
	}
}

func TestDecodeIllegal(t *testing.T) {
	for _, tc := range illegalInputs() {
		d := Decoder{Version: tc.v}
		p, _, err := d.Decode(tc.b)
		if p != nil {
			t.Errorf("%s: decoded %T, want an error", tc.name, p)
		}
		checkErr(t, tc.name, err, tc.code, tc.rule)

		// The Reader reports the same error, reading one byte at a time.
		r := NewReader(&oneByte{b: tc.b})
		r.Version = tc.v
		p, err = r.ReadPacket()
		if p != nil {
			t.Errorf("%s: Reader returned %T, want an error", tc.name, p)
		}
		checkErr(t, tc.name+" (Reader)", err, tc.code, tc.rule)
	}
}

// oneByte is a reader that delivers one byte per Read.
type oneByte struct{ b []byte }

func (r *oneByte) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	p[0] = r.b[0]
	r.b = r.b[1:]
	return 1, nil
}

// TestDecodeLegalEdges are inputs close to the illegal ones that must be
// accepted.
func TestDecodeLegalEdges(t *testing.T) {
	tests := []struct {
		name string
		v    mqtt.Version
		b    []byte
		want Packet
	}{
		{"PUBLISH empty topic with alias", mqtt.V5, pkt(0x30, str(""), props(PropTopicAlias, u16(7)), "x"),
			&Publish{Payload: []byte("x"), Properties: Properties{TopicAlias: 7}}},
		{"PUBLISH repeated user property", mqtt.V5, pkt(0x30, str("a"), props(PropUser, str("k"), str("1"), PropUser, str("k"), str("1"))),
			&Publish{Topic: "a", Properties: Properties{User: []UserProperty{{"k", "1"}, {"k", "1"}}}}},
		{"PUBLISH several subscription identifiers", mqtt.V5, pkt(0x30, str("a"), props(PropSubscriptionID, 3, PropSubscriptionID, 3, PropSubscriptionID, 0x80, 0x01)),
			&Publish{Topic: "a", Properties: Properties{SubscriptionIDs: []uint32{3, 3, 128}}}},
		{"PUBLISH empty user property", mqtt.V5, pkt(0x30, str("a"), props(PropUser, str(""), str(""))),
			&Publish{Topic: "a", Properties: Properties{User: []UserProperty{{}}}}},
		{"PUBLISH BOM kept in topic", mqtt.V311, pkt(0x30, str("\xef\xbb\xbfa")),
			&Publish{Topic: "\ufeffa"}},
		{"PUBLISH topic with U+FFFF", mqtt.V311, pkt(0x30, str("a\uffff")),
			&Publish{Topic: "a\uffff"}},
		{"PUBACK reason code 0x00 written out", mqtt.V5, pkt(0x40, u16(1), 0x00), &Puback{PacketID: 1}},
		{"PUBACK empty property list", mqtt.V5, pkt(0x40, u16(1), 0x10, 0), &Puback{PacketID: 1, ReasonCode: 0x10}},
		{"DISCONNECT 0x00 written out", mqtt.V5, pkt(0xe0, 0), &Disconnect{}},
		{"DISCONNECT empty property list", mqtt.V5, pkt(0xe0, 0, 0), &Disconnect{}},
		{"AUTH 0x00 with empty property list", mqtt.V5, pkt(0xf0, 0, 0), &Auth{}},
		{"SUBSCRIBE No Local on a normal filter", mqtt.V5, pkt(0x82, u16(1), 0, str("$shared/a"), 0x04),
			&Subscribe{PacketID: 1, Subscriptions: []Subscription{{Filter: "$shared/a", NoLocal: true}}}},
		{"CONNECT zero-length will payload", 0, connect311(0x04, str("c"), str("w"), str("")),
			&Connect{Version: mqtt.V311, ClientID: "c", Will: &Will{Topic: "w"}}},
		{"CONNECT user name flag with empty user name", 0, connect311(0x80, str("c"), str("")),
			&Connect{Version: mqtt.V311, ClientID: "c", UsernameFlag: true}},
		{"CONNECT BOM kept in client id", 0, connect311(0, str("\xef\xbb\xbf")),
			&Connect{Version: mqtt.V311, ClientID: "\ufeff"}},
	}
	for _, tc := range tests {
		p, n, err := Decode(tc.b, tc.v)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if n != len(tc.b) || !samePacket(p, tc.want) {
			t.Errorf("%s: got %s (%d bytes), want %s", tc.name, show(p), n, show(tc.want))
		}
	}
}

func TestDecoderVersionFromConnect(t *testing.T) {
	for _, v := range []mqtt.Version{mqtt.V31, mqtt.V311, mqtt.V5} {
		var d Decoder
		c := &Connect{Version: v, ClientID: "c"}
		b, err := c.Append(nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		p, _, err := d.Decode(b)
		if err != nil || d.Version != v || p.(*Connect).Version != v {
			t.Errorf("MQTT %v: Decode = %v, %v; Decoder.Version = %v", v, p, err, d.Version)
		}
		// AUTH is now a packet type only for MQTT 5.
		_, _, err = d.Decode([]byte{0xf0, 0x00})
		if v == mqtt.V5 {
			if err != nil {
				t.Errorf("MQTT %v: AUTH after CONNECT: %v", v, err)
			}
		} else {
			checkErr(t, "AUTH after a 3.x CONNECT", err, mqtt.MalformedPacket, "")
		}
	}
	// An error leaves the version unknown.
	var d Decoder
	if _, _, err := d.Decode(connect311(0x01, str("c"))); err == nil || d.Version != 0 {
		t.Errorf("bad CONNECT: err %v, Version %v; want an error and version 0", err, d.Version)
	}
}

func TestDecoderMaxPacketSize(t *testing.T) {
	p := &Publish{Topic: "t", Payload: make([]byte, 95)} // 2 + 3 + 95 = 100 bytes
	b, _ := p.Append(nil, mqtt.V311)
	if len(b) != 100 {
		t.Fatalf("packet is %d bytes, want 100", len(b))
	}
	d := Decoder{Version: mqtt.V311, MaxPacketSize: 100}
	if _, _, err := d.Decode(b); err != nil {
		t.Errorf("packet of exactly MaxPacketSize: %v", err)
	}
	d.MaxPacketSize = 99
	// The header alone is enough to refuse: the body is never waited for.
	for _, in := range [][]byte{b, b[:2], b[:50]} {
		_, n, err := d.Decode(in)
		if n != 0 {
			t.Errorf("n = %d after PacketTooLarge", n)
		}
		checkErr(t, fmt.Sprintf("limit 99, %d bytes given", len(in)), err, mqtt.PacketTooLarge, "")
	}
}

func TestDecoderDefaultLimit(t *testing.T) {
	// A header declaring the largest remaining length is refused at once
	// under the default limit, without allocating.
	hdr := []byte{0x30, 0xff, 0xff, 0xff, 0x7f}
	var d Decoder
	d.Version = mqtt.V311
	_, _, err := d.Decode(hdr)
	checkErr(t, "268435455 bytes declared", err, mqtt.PacketTooLarge, "")
	if n := allocBytes(func() { d.Decode(hdr) }); n > 1<<10 {
		t.Errorf("refusing a huge packet allocates %d bytes", n)
	}
	// Just under and just over the default limit.
	over := AppendVarint([]byte{0x30}, DefaultMaxPacketSize-2+1)
	_, _, err = d.Decode(over)
	checkErr(t, "default limit + 1", err, mqtt.PacketTooLarge, "")
	at := AppendVarint([]byte{0x30}, DefaultMaxPacketSize-4) // 1 + 3 + rest = limit
	if _, _, err := d.Decode(at); err != io.ErrUnexpectedEOF {
		t.Errorf("header of a packet at the default limit: %v, want io.ErrUnexpectedEOF", err)
	}
}

// TestDecoderReuse documents that a Decoder's packets are reused: the
// value returned for one PUBLISH is overwritten by the next, while Clone
// keeps its copy.
func TestDecoderReuse(t *testing.T) {
	d := Decoder{Version: mqtt.V5}
	b1, _ := (&Publish{Topic: "one", Payload: []byte("first"), Properties: Properties{User: []UserProperty{{"a", "1"}}}}).Append(nil, mqtt.V5)
	b2, _ := (&Publish{Topic: "two", Payload: []byte("second")}).Append(nil, mqtt.V5)
	p1, _, err := d.Decode(b1)
	if err != nil {
		t.Fatal(err)
	}
	kept := Clone(p1)
	p2, _, err := d.Decode(b2)
	if err != nil {
		t.Fatal(err)
	}
	if p1 != p2 {
		t.Errorf("Decoder returned a new value for the second PUBLISH; want its reused one")
	}
	if pub := p1.(*Publish); pub.Topic != "two" || len(pub.Properties.User) != 0 || string(pub.Payload) != "second" {
		t.Errorf("first value after second Decode: %s, want the second packet", show(pub))
	}
	if pub := kept.(*Publish); pub.Topic != "one" || string(pub.Payload) != "first" || len(pub.Properties.User) != 1 {
		t.Errorf("clone changed: %s", show(pub))
	}
	// The payload aliases the input; the clone does not.
	b1[len(b1)-1] = '!'
	if string(kept.(*Publish).Payload) != "first" {
		t.Errorf("clone payload aliases the input")
	}
	// Package-level Decode returns a fresh value each time.
	q1, _, _ := Decode(b2, mqtt.V5)
	q2, _, _ := Decode(b2, mqtt.V5)
	if q1 == q2 {
		t.Errorf("Decode returned the same value twice")
	}
}

// cacheSet is the index of the pair of slots of the Decoder's string
// cache that s goes to, found by looking where a fresh Decoder put it.
func cacheSet(s string) int {
	d := Decoder{nstr: strCacheAfter} // the next string makes the cache
	d.str([]byte(s))
	for i, c := range *d.strs {
		if c == s {
			return i / 2
		}
	}
	return -1
}

// TestDecoderStringCache checks the promise of the two-way string cache:
// two strings that share a pair of slots are both kept, so a connection
// alternating between them decodes without allocating.
func TestDecoderStringCache(t *testing.T) {
	first := "dev/0/temp"
	set := cacheSet(first)
	if set < 0 {
		t.Fatalf("%q was not cached", first)
	}
	var topics = []string{first}
	for i := 1; len(topics) < 2 && i < 100000; i++ {
		if s := fmt.Sprintf("dev/%d/temp", i); cacheSet(s) == set {
			topics = append(topics, s)
		}
	}
	if len(topics) < 2 {
		t.Fatalf("no two of %d topics share a slot pair of a 32-pair cache", 100000)
	}
	d := Decoder{Version: mqtt.V311}
	var packets [][]byte
	for _, s := range topics {
		b, _ := (&Publish{Topic: s}).Append(nil, mqtt.V311)
		packets = append(packets, b)
		d.Decode(b) // warm up
	}
	for i, b := range packets {
		p, _, err := d.Decode(b)
		if err != nil || p.(*Publish).Topic != topics[i] {
			t.Fatalf("got %v, %v; want topic %q", p, err, topics[i])
		}
	}
	if raceEnabled {
		t.Skip("allocation counts are not meaningful under the race detector")
	}
	allocs := testing.AllocsPerRun(20, func() {
		for _, b := range packets {
			d.Decode(b)
		}
	})
	if allocs != 0 {
		t.Errorf("decoding %q in turn: %v allocations, want 0", topics, allocs)
	}
}

// TestDecoderStringCacheDeferred: a Decoder makes its string cache only
// after strCacheAfter strings, so a connection that sends a CONNECT and
// one SUBSCRIBE never holds one; Release drops it with the packet values.
func TestDecoderStringCacheDeferred(t *testing.T) {
	var b []byte
	for i := range strCacheAfter + 1 {
		b, _ = (&Publish{Topic: fmt.Sprintf("dev/%d/temp", i)}).Append(b, mqtt.V311)
	}
	r := NewReader(bytes.NewReader(b))
	r.Version = mqtt.V311
	for i := range strCacheAfter + 1 {
		if _, err := r.ReadPacket(); err != nil {
			t.Fatal(err)
		}
		if made := r.d.strs != nil; made != (i == strCacheAfter) {
			t.Fatalf("after %d strings: cache made = %v", i+1, made)
		}
	}
	if r.d.packets == nil {
		t.Fatal("no packet value kept for reuse")
	}
	r.Release()
	if r.d.strs != nil || r.d.packets != nil || r.d.nstr != 0 {
		t.Errorf("after Release: cache %v, packet values %v, count %d; want none", r.d.strs != nil, r.d.packets != nil, r.d.nstr)
	}
}

func TestDecodeLongStringNotCached(t *testing.T) {
	long := string(bytes.Repeat([]byte("a"), 100))
	b, _ := (&Publish{Topic: long}).Append(nil, mqtt.V311)
	var d Decoder
	d.Version = mqtt.V311
	p, _, err := d.Decode(b)
	if err != nil || p.(*Publish).Topic != long {
		t.Fatalf("got %v, %v", p, err)
	}
}

// allocBytes is the number of bytes f allocates, averaged over runs.
func allocBytes(f func()) uint64 {
	const runs = 20
	f()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for range runs {
		f()
	}
	runtime.ReadMemStats(&after)
	return (after.TotalAlloc - before.TotalAlloc) / runs
}

// TestDecoderStringCacheSimilarTopics checks that topics differing in one
// byte in the middle, the common shape of device topics, spread over the
// cache instead of evicting each other.
func TestDecoderStringCacheSimilarTopics(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not meaningful under the race detector; CI runs this package without -race too")
	}
	d := Decoder{Version: mqtt.V311}
	var packets [][]byte
	for i := range 8 {
		b, _ := (&Publish{Topic: fmt.Sprintf("site/dev/%d/temp", i)}).Append(nil, mqtt.V311)
		packets = append(packets, b)
	}
	allocs := testing.AllocsPerRun(20, func() {
		for _, b := range packets {
			if _, _, err := d.Decode(b); err != nil {
				t.Fatal(err)
			}
		}
	})
	if allocs != 0 {
		t.Errorf("decoding 8 similar topics in turn: %v allocations per round, want 0", allocs)
	}
}

// TestDecodePlainHeaderMatchesGeneral checks the fast path of Decode
// against the general one: for every first byte, every version, a few size
// limits and every truncation of every golden packet and illegal input,
// both give the same packet, count and error.
func TestDecodePlainHeaderMatchesGeneral(t *testing.T) {
	var inputs [][]byte
	for _, g := range goldens {
		inputs = append(inputs, g.b)
	}
	for _, tc := range illegalInputs() {
		inputs = append(inputs, tc.b)
	}
	versions := []mqtt.Version{0, mqtt.V31, mqtt.V311, mqtt.V5}
	same := func(b []byte) {
		t.Helper()
		for _, v := range versions {
			for _, limit := range []int{0, len(b) - 1, len(b)} {
				fast := Decoder{Version: v, MaxPacketSize: limit}
				general := Decoder{Version: v, MaxPacketSize: limit}
				p1, n1, err1 := fast.Decode(b)
				p2, n2, err2 := general.decodeGeneral(b)
				if n1 != n2 || fmt.Sprint(err1) != fmt.Sprint(err2) || !samePacket(p1, p2) || fast.Version != general.Version {
					t.Fatalf("% x (v%d, limit %d):\nDecode:        %s, %d, %v, version %d\ndecodeGeneral: %s, %d, %v, version %d",
						b, v, limit, show(p1), n1, err1, fast.Version, show(p2), n2, err2, general.Version)
				}
			}
		}
	}
	for _, in := range inputs {
		for end := 0; end <= len(in); end++ {
			same(in[:end])
		}
		for first := 0; first < 256; first++ {
			b := bytes.Clone(in)
			b[0] = byte(first)
			same(b)
			same(b[:len(b)-1])
		}
	}
}

// TestStrLastPlain checks the one-pass string check and comparison against
// ValidString and ==, for every length up to 20 with an odd byte at every
// position and a previous value that differs at every position.
func TestStrLastPlain(t *testing.T) {
	var d Decoder
	for n := 0; n <= 20; n++ {
		base := make([]byte, n)
		for i := range base {
			base[i] = 'a' + byte(i)
		}
		cases := [][]byte{base}
		for i := 0; i < n; i++ {
			for _, c := range []byte{0, 0x7f, 0x80, 0xc3, 0xff, ' ', '+'} {
				b := bytes.Clone(base)
				b[i] = c
				cases = append(cases, b)
			}
		}
		for _, b := range cases {
			lasts := []string{"", string(b), string(b) + "x", string(base)}
			for i := 0; i < n; i++ {
				l := []byte(string(b))
				l[i] ^= 1
				lasts = append(lasts, string(l))
			}
			for _, last := range lasts {
				s, plain := d.strLastPlain(last, b)
				if s != string(b) {
					t.Fatalf("strLastPlain(%q, %q) = %q", last, b, s)
				}
				ascii := !bytes.ContainsFunc(b, func(r rune) bool { return r == 0 || r >= 0x80 })
				if plain != ascii {
					t.Fatalf("strLastPlain(%q, %q): plain = %v, want %v", last, b, plain, ascii)
				}
				if plain && !ValidString(s) {
					t.Fatalf("strLastPlain(%q, %q): plain, but not a valid string", last, b)
				}
			}
		}
	}
	// An equal previous value is returned as it is: no allocation even
	// with the cache off.
	d = Decoder{noCache: true}
	last := "mqttx-bench-client"
	b := []byte(last)
	if allocs := testing.AllocsPerRun(20, func() { d.strLastPlain(last, b) }); allocs != 0 {
		t.Errorf("strLastPlain of an equal value: %v allocations, want 0", allocs)
	}
}

// TestConnectKnownStringsStillChecked decodes CONNECTs whose Client
// Identifier and User Name are not plain ASCII, right after ones that are,
// so that the checks decoding skips for plain strings are seen to run.
func TestConnectKnownStringsStillChecked(t *testing.T) {
	connect := func(id, user string) []byte {
		body := cat("\x00\x04MQTT", byte(4), byte(0x82), "\x00\x3c", str(id), str(user))
		return cat(byte(0x10), byte(len(body)), body)
	}
	var d Decoder
	for _, tc := range []struct {
		id, user string
		reason   string // "" for success
	}{
		{"client", "user", ""},
		{"cli\x00nt", "user", "Client Identifier contains U+0000"},
		{"client", "us\x00r", "User Name contains U+0000"},
		{"client", "us\xffr", "User Name is not well-formed UTF-8"},
		{"clïent", "üser", ""},
		{"client-with-a-long-name", "user", ""},
		{"client-with-a-long-nam\x00", "user", "Client Identifier contains U+0000"},
		{"client-with-a-long-nam\xc3", "user", "Client Identifier is not well-formed UTF-8"},
		{"client", "user", ""},
	} {
		d.Version = 0
		p, _, err := d.Decode(connect(tc.id, tc.user))
		if tc.reason == "" {
			if err != nil {
				t.Errorf("%q/%q: %v", tc.id, tc.user, err)
			} else if c := p.(*Connect); c.ClientID != tc.id || c.Username != tc.user {
				t.Errorf("%q/%q: decoded %q/%q", tc.id, tc.user, c.ClientID, c.Username)
			}
			continue
		}
		var e *mqtt.Error
		if !errors.As(err, &e) || e.Reason != tc.reason {
			t.Errorf("%q/%q: got %v, want %q", tc.id, tc.user, err, tc.reason)
		}
	}
}
