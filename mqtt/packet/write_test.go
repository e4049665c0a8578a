package packet

import (
	"bytes"
	"errors"
	"testing"

	"github.com/mqttx/mqttx/mqtt"
)

// illegalValues are packet values Append must refuse. Where decodable is
// true, AppendIllegal writes them anyway and Decode refuses the bytes with
// the same code and rule.
var illegalValues = []struct {
	name       string
	v          mqtt.Version
	p          Packet
	code       mqtt.ReasonCode
	rule       string
	decodable  bool
	decodeCode mqtt.ReasonCode // when decoding reports another code
	decodeRule string
}{
	{"PUBLISH QoS 3", mqtt.V311, &Publish{QoS: 3, PacketID: 1, Topic: "t"}, mqtt.MalformedPacket, "MQTT-3.3.1-4", true, 0, ""},
	{"PUBLISH QoS 3, v5", mqtt.V5, &Publish{QoS: 3, PacketID: 1, Topic: "t"}, mqtt.MalformedPacket, "MQTT-3.3.1-4", true, 0, ""},
	{"PUBLISH DUP on QoS 0", mqtt.V311, &Publish{Dup: true, Topic: "t"}, mqtt.MalformedPacket, "MQTT-3.3.1-2", true, 0, ""},
	{"PUBLISH id 0", mqtt.V311, &Publish{QoS: 1, Topic: "t"}, mqtt.ProtocolError, "MQTT-2.3.1-1", true, 0, ""},
	{"PUBLISH id 0, v5", mqtt.V5, &Publish{QoS: 2, Topic: "t"}, mqtt.ProtocolError, "MQTT-2.2.1-3", true, 0, ""},
	{"PUBLISH invalid topic", mqtt.V311, &Publish{Topic: "a\xed\xa0\x80"}, mqtt.MalformedPacket, "MQTT-3.3.2-1", true, 0, ""},
	{"PUBLISH topic with U+0000, v5", mqtt.V5, &Publish{Topic: "a\x00"}, mqtt.MalformedPacket, "MQTT-3.3.2-1", true, 0, ""},
	{"PUBLISH long ASCII topic with 0xff", mqtt.V5, &Publish{Topic: "abcdefghijklmnop\xff"}, mqtt.MalformedPacket, "MQTT-3.3.2-1", true, 0, ""},
	{"PUBLISH wildcard topic", mqtt.V311, &Publish{Topic: "a/+/b"}, mqtt.TopicNameInvalid, "MQTT-3.3.2-2", true, 0, ""},
	{"PUBLISH long wildcard topic", mqtt.V5, &Publish{Topic: "abcdefghijklmnop/#"}, mqtt.TopicNameInvalid, "MQTT-3.3.2-2", true, 0, ""},
	{"PUBLISH empty topic", mqtt.V311, &Publish{}, mqtt.TopicNameInvalid, "MQTT-4.7.3-1", true, 0, ""},
	{"PUBLISH empty topic without alias, v5", mqtt.V5, &Publish{}, mqtt.ProtocolError, "", true, 0, ""},
	{"PUBLISH Session Expiry", mqtt.V5, &Publish{Topic: "t", Properties: Properties{SessionExpiry: 1}}, mqtt.MalformedPacket, "", true, 0, ""},
	{"PUBLISH topic alias 0", mqtt.V5, &Publish{Topic: "t", Properties: set(Properties{}, PropTopicAlias)}, mqtt.TopicAliasInvalid, "MQTT-3.3.2-8", true, 0, ""},
	{"PUBLISH invalid content type", mqtt.V5, &Publish{Topic: "t", Properties: Properties{ContentType: "\xff"}}, mqtt.MalformedPacket, "MQTT-3.3.2-19", true, 0, ""},
	{"PUBLISH invalid user property", mqtt.V5, &Publish{Topic: "t", Properties: Properties{User: []UserProperty{{"k", "\x00"}}}}, mqtt.MalformedPacket, "MQTT-1.5.7-1", true, 0, ""},
	{"PUBLISH subscription identifier 0", mqtt.V5, &Publish{Topic: "t", Properties: Properties{SubscriptionIDs: []uint32{0}}}, mqtt.ProtocolError, "", true, 0, ""},
	{"PUBLISH subscription identifier too large", mqtt.V5, &Publish{Topic: "t", Properties: Properties{SubscriptionIDs: []uint32{MaxVarint + 1}}}, mqtt.ProtocolError, "", false, 0, ""},
	{"PUBLISH response topic with wildcard", mqtt.V5, &Publish{Topic: "t", Properties: Properties{ResponseTopic: "a/#"}}, mqtt.TopicNameInvalid, "MQTT-3.3.2-14", true, 0, ""},
	{"PUBLISH payload format 2", mqtt.V5, &Publish{Topic: "t", Properties: Properties{PayloadFormat: 2}}, mqtt.ProtocolError, "", true, 0, ""},
	{"CONNECT version 6", 6, &Connect{Version: 6, ClientID: "c"}, mqtt.UnsupportedProtocolVersion, "", false, 0, ""},
	{"CONNECT invalid client id", mqtt.V311, &Connect{Version: mqtt.V311, ClientID: "\xff"}, mqtt.MalformedPacket, "MQTT-3.1.3-4", true, 0, ""},
	{"CONNECT will QoS 3", mqtt.V5, &Connect{Version: mqtt.V5, Will: &Will{QoS: 3, Topic: "w"}}, mqtt.MalformedPacket, "MQTT-3.1.2-12", true, 0, ""},
	{"CONNECT will topic with wildcard", mqtt.V311, &Connect{Version: mqtt.V311, Will: &Will{Topic: "w/#"}}, mqtt.TopicNameInvalid, "MQTT-4.7.1-1", true, 0, ""},
	{"CONNECT password without user name", mqtt.V311, &Connect{Version: mqtt.V311, Password: []byte("x")}, mqtt.ProtocolError, "MQTT-3.1.2-22", true, 0, ""},
	{"CONNECT Topic Alias", mqtt.V5, &Connect{Version: mqtt.V5, Properties: Properties{TopicAlias: 1}}, mqtt.MalformedPacket, "", true, 0, ""},
	{"CONNECT Will Delay in CONNECT properties", mqtt.V5, &Connect{Version: mqtt.V5, Properties: Properties{WillDelay: 1}}, mqtt.MalformedPacket, "", true, 0, ""},
	{"CONNECT Topic Alias in will properties", mqtt.V5, &Connect{Version: mqtt.V5, Will: &Will{Topic: "w", Properties: Properties{TopicAlias: 1}}}, mqtt.MalformedPacket, "", true, 0, ""},
	{"CONNECT Receive Maximum 0", mqtt.V5, &Connect{Version: mqtt.V5, Properties: set(Properties{}, PropReceiveMaximum)}, mqtt.ProtocolError, "", true, 0, ""},
	{"CONNACK session present on refusal", mqtt.V5, &Connack{SessionPresent: true, ReasonCode: mqtt.NotAuthorized}, mqtt.ProtocolError, "MQTT-3.2.2-6", true, 0, ""},
	{"CONNACK reason code 0x10", mqtt.V5, &Connack{ReasonCode: mqtt.NoMatchingSubscribers}, mqtt.ProtocolError, "MQTT-3.2.2-8", true, 0, ""},
	{"PUBACK id 0", mqtt.V311, &Puback{}, mqtt.ProtocolError, "MQTT-2.3.1-6", true, 0, ""},
	{"PUBREC id 0, v5", mqtt.V5, &Pubrec{}, mqtt.ProtocolError, "MQTT-2.2.1-5", true, 0, ""},
	{"PUBREL reason code 0x80", mqtt.V5, &Pubrel{PacketID: 1, ReasonCode: 0x80}, mqtt.ProtocolError, "MQTT-3.6.2-1", true, 0, ""},
	{"PUBCOMP Topic Alias", mqtt.V5, &Pubcomp{PacketID: 1, Properties: Properties{TopicAlias: 1}}, mqtt.MalformedPacket, "", true, 0, ""},
	{"SUBSCRIBE id 0", mqtt.V311, &Subscribe{Subscriptions: []Subscription{{Filter: "a"}}}, mqtt.ProtocolError, "MQTT-2.3.1-1", true, 0, ""},
	{"SUBSCRIBE no filters", mqtt.V5, &Subscribe{PacketID: 1}, mqtt.ProtocolError, "MQTT-3.8.3-2", true, 0, ""},
	{"SUBSCRIBE invalid filter", mqtt.V311, &Subscribe{PacketID: 1, Subscriptions: []Subscription{{Filter: "\xed\xa0\x80"}}}, mqtt.MalformedPacket, "MQTT-3.8.3-1", true, 0, ""},
	{"SUBSCRIBE QoS 3", mqtt.V311, &Subscribe{PacketID: 1, Subscriptions: []Subscription{{Filter: "a", QoS: 3}}}, mqtt.MalformedPacket, "MQTT-3.8.3-4", true, 0, ""},
	{"SUBSCRIBE retain handling 3", mqtt.V5, &Subscribe{PacketID: 1, Subscriptions: []Subscription{{Filter: "a", RetainHandling: 3}}}, mqtt.ProtocolError, "", true, 0, ""},
	{"SUBSCRIBE No Local on $share", mqtt.V5, &Subscribe{PacketID: 1, Subscriptions: []Subscription{{Filter: "$share/g/a", NoLocal: true}}}, mqtt.ProtocolError, "MQTT-3.8.3-4", true, 0, ""},
	{"SUBSCRIBE two subscription identifiers", mqtt.V5, &Subscribe{PacketID: 1, Properties: Properties{SubscriptionIDs: []uint32{1, 2}}, Subscriptions: []Subscription{{Filter: "a"}}}, mqtt.ProtocolError, "", true, 0, ""},
	{"SUBACK reason code 0x03", mqtt.V5, &Suback{PacketID: 1, ReasonCodes: []mqtt.ReasonCode{3}}, mqtt.ProtocolError, "MQTT-3.9.3-2", true, 0, ""},
	{"SUBACK return code 0x03, 3.1.1", mqtt.V311, &Suback{PacketID: 1, ReasonCodes: []mqtt.ReasonCode{3}}, mqtt.ProtocolError, "MQTT-3.9.3-2", true, 0, ""},
	{"UNSUBSCRIBE no filters", mqtt.V311, &Unsubscribe{PacketID: 1}, mqtt.ProtocolError, "MQTT-3.10.3-2", true, 0, ""},
	{"UNSUBSCRIBE invalid filter", mqtt.V5, &Unsubscribe{PacketID: 1, Filters: []string{"a\x00"}}, mqtt.MalformedPacket, "MQTT-3.10.3-1", true, 0, ""},
	{"UNSUBACK reason code 0x01", mqtt.V5, &Unsuback{PacketID: 1, ReasonCodes: []mqtt.ReasonCode{1}}, mqtt.ProtocolError, "MQTT-3.11.3-2", true, 0, ""},
	{"DISCONNECT reason code 0x01", mqtt.V5, &Disconnect{ReasonCode: 1}, mqtt.ProtocolError, "MQTT-3.14.2-1", true, 0, ""},
	{"DISCONNECT Topic Alias", mqtt.V5, &Disconnect{Properties: Properties{TopicAlias: 1}}, mqtt.MalformedPacket, "", true, 0, ""},
	{"AUTH reason code 0x80", mqtt.V5, &Auth{ReasonCode: 0x80}, mqtt.ProtocolError, "MQTT-3.15.2-1", true, 0, ""},
	// AUTH does not exist below MQTT 5: written anyway, the receiver sees
	// a reserved packet type.
	{"AUTH in 3.1.1", mqtt.V311, &Auth{}, mqtt.ProtocolError, "", true, mqtt.MalformedPacket, ""},
	{"PUBLISH for version 6", 6, &Publish{Topic: "t"}, mqtt.UnsupportedProtocolVersion, "", false, 0, ""},
}

func TestAppendRefusesIllegal(t *testing.T) {
	for _, tc := range illegalValues {
		prefix := []byte{0xaa}
		b, err := tc.p.Append(prefix, tc.v)
		checkErr(t, tc.name, err, tc.code, tc.rule)
		if !bytes.Equal(b, prefix) {
			t.Errorf("%s: Append wrote % x after refusing", tc.name, b[1:])
		}
		var w bytes.Buffer
		checkErr(t, tc.name+" (Write)", Write(&w, tc.p, tc.v), tc.code, tc.rule)
		if w.Len() != 0 {
			t.Errorf("%s: Write wrote %d bytes after refusing", tc.name, w.Len())
		}
		if !tc.decodable {
			continue
		}
		// The deliberate raw path writes it anyway; decoding refuses it.
		raw := AppendIllegal(nil, tc.p, tc.v)
		if len(raw) != tc.p.Len(tc.v) {
			t.Errorf("%s: AppendIllegal wrote %d bytes, Len says %d", tc.name, len(raw), tc.p.Len(tc.v))
		}
		dv := tc.v
		if tc.p.Type() == TypeConnect {
			dv = 0
		}
		code, rule := tc.code, tc.rule
		if tc.decodeCode != 0 {
			code, rule = tc.decodeCode, tc.decodeRule
		}
		_, _, err = Decode(raw, dv)
		checkErr(t, tc.name+" (decoding AppendIllegal)", err, code, rule)
	}
}

func TestAppendRaw(t *testing.T) {
	tests := []struct {
		first byte
		body  []byte
		want  []byte
	}{
		{0xc0, nil, []byte{0xc0, 0x00}},
		{0xc1, []byte{1, 2}, []byte{0xc1, 0x02, 1, 2}}, // reserved flags, any body: written as given
		{0x00, []byte{0xff}, []byte{0x00, 0x01, 0xff}},
		{0x30, bytes.Repeat([]byte{7}, 128), append([]byte{0x30, 0x80, 0x01}, bytes.Repeat([]byte{7}, 128)...)},
		{0x30, bytes.Repeat([]byte{7}, 16384), append([]byte{0x30, 0x80, 0x80, 0x01}, bytes.Repeat([]byte{7}, 16384)...)},
	}
	for _, tc := range tests {
		got := AppendRaw([]byte("x"), tc.first, tc.body)
		if !bytes.Equal(got[1:], tc.want) || got[0] != 'x' {
			t.Errorf("AppendRaw(%#x, %d bytes) = % x…, want % x…", tc.first, len(tc.body), got[:min(len(got), 8)], tc.want[:min(len(tc.want), 7)])
		}
	}
}

// countWriter counts Write calls.
type countWriter struct {
	bytes.Buffer
	calls int
}

func (w *countWriter) Write(p []byte) (int, error) {
	w.calls++
	return w.Buffer.Write(p)
}

type failWriter struct{}

var errWrite = errors.New("write failed")

func (failWriter) Write([]byte) (int, error) { return 0, errWrite }

func TestWrite(t *testing.T) {
	for _, g := range goldens {
		var w countWriter
		if err := Write(&w, g.p, g.v); err != nil {
			t.Errorf("%s: Write: %v", g.name, err)
		}
		if w.calls != 1 || !bytes.Equal(w.Bytes(), g.b) {
			t.Errorf("%s: Write made %d calls writing % x, want 1 call writing % x", g.name, w.calls, w.Bytes(), g.b)
		}
	}
	if err := Write(failWriter{}, &Pingreq{}, mqtt.V311); err != errWrite {
		t.Errorf("Write to a failing writer: %v, want %v", err, errWrite)
	}
	// A large packet is written whole, and its buffer is not pooled.
	big := &Publish{Topic: "t", Payload: make([]byte, 100<<10)}
	var w countWriter
	if err := Write(&w, big, mqtt.V311); err != nil || w.calls != 1 || w.Len() != big.Len(mqtt.V311) {
		t.Errorf("large Write: %v, %d calls, %d bytes", err, w.calls, w.Len())
	}
}

// TestEncodeLeavesOutFieldsTheVersionLacks: properties and reason codes
// are dropped when encoding for MQTT 3.x.
func TestEncodeLeavesOutFieldsTheVersionLacks(t *testing.T) {
	props := Properties{ReasonString: "x", User: []UserProperty{{"a", "b"}}}
	tests := []struct {
		p    Packet
		want []byte
	}{
		{&Puback{PacketID: 1, ReasonCode: mqtt.NoMatchingSubscribers, Properties: props}, []byte{0x40, 0x02, 0x00, 0x01}},
		{&Disconnect{ReasonCode: mqtt.ServerShuttingDown, Properties: props}, []byte{0xe0, 0x00}},
		{&Unsuback{PacketID: 1, ReasonCodes: []mqtt.ReasonCode{0x11}, Properties: props}, []byte{0xb0, 0x02, 0x00, 0x01}},
		{&Publish{Topic: "t", Properties: Properties{ContentType: "c"}}, []byte{0x30, 0x03, 0x00, 0x01, 't'}},
		{&Subscribe{PacketID: 1, Subscriptions: []Subscription{{Filter: "f", QoS: 1, NoLocal: true, RetainAsPublished: true, RetainHandling: 2}}},
			[]byte{0x82, 0x06, 0x00, 0x01, 0x00, 0x01, 'f', 0x01}},
		{&Suback{PacketID: 1, ReasonCodes: []mqtt.ReasonCode{mqtt.NotAuthorized, mqtt.GrantedQoS2}, Properties: props},
			[]byte{0x90, 0x04, 0x00, 0x01, 0x80, 0x02}}, // failure codes become 0x80
		{&Connack{ReasonCode: mqtt.Banned, Properties: props}, []byte{0x20, 0x02, 0x00, 0x05}},
	}
	for _, tc := range tests {
		got, err := tc.p.Append(nil, mqtt.V311)
		if err != nil || !bytes.Equal(got, tc.want) {
			t.Errorf("%T for 3.1.1: got % x, %v; want % x", tc.p, got, err, tc.want)
		}
		if n := tc.p.Len(mqtt.V311); n != len(tc.want) {
			t.Errorf("%T for 3.1.1: Len = %d, want %d", tc.p, n, len(tc.want))
		}
	}
}
