package packet

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"reflect"
	"testing"
	"testing/iotest"

	"github.com/mqttx/mqttx/mqtt"
)

// golden is one packet value and its exact wire form for one version.
type golden struct {
	name string
	v    mqtt.Version
	p    Packet
	b    []byte
}

// set returns props with the given properties marked present, for
// explicit zero values.
func set(props Properties, ids ...PropertyID) Properties {
	for _, id := range ids {
		props.Set(id)
	}
	return props
}

// bigPayload makes a PUBLISH whose remaining length needs two bytes.
var bigPayload = bytes.Repeat([]byte{'x'}, 200)

var goldens = []golden{
	// ---------------------------------------------------------------- MQTT 3.1
	{"v31/CONNECT", mqtt.V31, &Connect{Version: mqtt.V31, CleanStart: true, KeepAlive: 10, ClientID: "c"}, []byte{
		0x10, 0x0f, // CONNECT, flags 0; remaining length 15
		0x00, 0x06, 'M', 'Q', 'I', 's', 'd', 'p', // protocol name "MQIsdp"
		0x03,       // protocol level 3
		0x02,       // connect flags: clean session
		0x00, 0x0a, // keep alive 10 s
		0x00, 0x01, 'c', // client identifier "c"
	}},
	{"v31/CONNACK", mqtt.V31, &Connack{ReasonCode: mqtt.Success}, []byte{
		0x20, 0x02, // CONNACK, remaining length 2
		0x00, // acknowledge flags
		0x00, // return code 0: accepted
	}},
	{"v31/PUBLISH", mqtt.V31, &Publish{QoS: mqtt.QoS1, Topic: "t", PacketID: 1, Payload: []byte("p")}, []byte{
		0x32, 0x06, // PUBLISH, QoS 1; remaining length 6
		0x00, 0x01, 't', // topic name "t"
		0x00, 0x01, // packet identifier 1
		'p', // payload
	}},
	{"v31/PUBACK", mqtt.V31, &Puback{PacketID: 1}, []byte{
		0x40, 0x02, // PUBACK, remaining length 2
		0x00, 0x01, // packet identifier 1
	}},
	{"v31/PUBREC", mqtt.V31, &Pubrec{PacketID: 2}, []byte{
		0x50, 0x02, // PUBREC, remaining length 2
		0x00, 0x02, // packet identifier 2
	}},
	{"v31/PUBREL", mqtt.V31, &Pubrel{PacketID: 2}, []byte{
		0x62, 0x02, // PUBREL, flags 0010; remaining length 2
		0x00, 0x02, // packet identifier 2
	}},
	{"v31/PUBCOMP", mqtt.V31, &Pubcomp{PacketID: 2}, []byte{
		0x70, 0x02, // PUBCOMP, remaining length 2
		0x00, 0x02, // packet identifier 2
	}},
	{"v31/SUBSCRIBE", mqtt.V31, &Subscribe{PacketID: 2, Subscriptions: []Subscription{{Filter: "t", QoS: mqtt.QoS0}}}, []byte{
		0x82, 0x06, // SUBSCRIBE, flags 0010; remaining length 6
		0x00, 0x02, // packet identifier 2
		0x00, 0x01, 't', // topic filter "t"
		0x00, // requested QoS 0
	}},
	{"v31/SUBACK", mqtt.V31, &Suback{PacketID: 2, ReasonCodes: []mqtt.ReasonCode{mqtt.GrantedQoS0}}, []byte{
		0x90, 0x03, // SUBACK, remaining length 3
		0x00, 0x02, // packet identifier 2
		0x00, // granted QoS 0
	}},
	{"v31/UNSUBSCRIBE", mqtt.V31, &Unsubscribe{PacketID: 4, Filters: []string{"t"}}, []byte{
		0xa2, 0x05, // UNSUBSCRIBE, flags 0010; remaining length 5
		0x00, 0x04, // packet identifier 4
		0x00, 0x01, 't', // topic filter "t"
	}},
	{"v31/UNSUBACK", mqtt.V31, &Unsuback{PacketID: 4}, []byte{
		0xb0, 0x02, // UNSUBACK, remaining length 2
		0x00, 0x04, // packet identifier 4
	}},
	{"v31/PINGREQ", mqtt.V31, &Pingreq{}, []byte{
		0xc0, 0x00, // PINGREQ, remaining length 0
	}},
	{"v31/PINGRESP", mqtt.V31, &Pingresp{}, []byte{
		0xd0, 0x00, // PINGRESP, remaining length 0
	}},
	{"v31/DISCONNECT", mqtt.V31, &Disconnect{}, []byte{
		0xe0, 0x00, // DISCONNECT, remaining length 0
	}},

	// -------------------------------------------------------------- MQTT 3.1.1
	{"v311/CONNECT", mqtt.V311, &Connect{Version: mqtt.V311, CleanStart: true, KeepAlive: 60, ClientID: "c1"}, []byte{
		0x10, 0x0e, // CONNECT, flags 0; remaining length 14
		0x00, 0x04, 'M', 'Q', 'T', 'T', // protocol name "MQTT"
		0x04,       // protocol level 4
		0x02,       // connect flags: clean session
		0x00, 0x3c, // keep alive 60 s
		0x00, 0x02, 'c', '1', // client identifier "c1"
	}},
	{"v311/CONNECT/will+user+password", mqtt.V311, &Connect{
		Version: mqtt.V311, KeepAlive: 30, ClientID: "id",
		Will:     &Will{QoS: mqtt.QoS1, Retain: true, Topic: "w/t", Payload: []byte("bye")},
		Username: "u", Password: []byte("pw"),
	}, []byte{
		0x10, 0x1f, // CONNECT; remaining length 31
		0x00, 0x04, 'M', 'Q', 'T', 'T', // protocol name "MQTT"
		0x04,       // protocol level 4
		0xec,       // connect flags: user name, password, will retain, will QoS 1, will
		0x00, 0x1e, // keep alive 30 s
		0x00, 0x02, 'i', 'd', // client identifier "id"
		0x00, 0x03, 'w', '/', 't', // will topic "w/t"
		0x00, 0x03, 'b', 'y', 'e', // will message "bye"
		0x00, 0x01, 'u', // user name "u"
		0x00, 0x02, 'p', 'w', // password "pw"
	}},
	{"v311/CONNACK/0-accepted", mqtt.V311, &Connack{SessionPresent: true, ReasonCode: mqtt.Success}, []byte{
		0x20, 0x02, // CONNACK, remaining length 2
		0x01, // acknowledge flags: session present
		0x00, // return code 0: connection accepted
	}},
	{"v311/CONNACK/1-protocol", mqtt.V311, &Connack{ReasonCode: mqtt.UnsupportedProtocolVersion}, []byte{
		0x20, 0x02, // CONNACK, remaining length 2
		0x00, // acknowledge flags
		0x01, // return code 1: unacceptable protocol version
	}},
	{"v311/CONNACK/2-identifier", mqtt.V311, &Connack{ReasonCode: mqtt.ClientIdentifierNotValid}, []byte{
		0x20, 0x02, // CONNACK, remaining length 2
		0x00, // acknowledge flags
		0x02, // return code 2: identifier rejected
	}},
	{"v311/CONNACK/3-unavailable", mqtt.V311, &Connack{ReasonCode: mqtt.ServerUnavailable}, []byte{
		0x20, 0x02, // CONNACK, remaining length 2
		0x00, // acknowledge flags
		0x03, // return code 3: server unavailable
	}},
	{"v311/CONNACK/4-credentials", mqtt.V311, &Connack{ReasonCode: mqtt.BadUserNameOrPassword}, []byte{
		0x20, 0x02, // CONNACK, remaining length 2
		0x00, // acknowledge flags
		0x04, // return code 4: bad user name or password
	}},
	{"v311/CONNACK/5-not-authorized", mqtt.V311, &Connack{ReasonCode: mqtt.NotAuthorized}, []byte{
		0x20, 0x02, // CONNACK, remaining length 2
		0x00, // acknowledge flags
		0x05, // return code 5: not authorized
	}},
	{"v311/PUBLISH/qos0", mqtt.V311, &Publish{Topic: "a/b", Payload: []byte("hi")}, []byte{
		0x30, 0x07, // PUBLISH, QoS 0; remaining length 7
		0x00, 0x03, 'a', '/', 'b', // topic name "a/b"
		'h', 'i', // payload
	}},
	{"v311/PUBLISH/qos1-retain", mqtt.V311, &Publish{QoS: mqtt.QoS1, Retain: true, Topic: "a/b", PacketID: 10, Payload: []byte("x")}, []byte{
		0x33, 0x08, // PUBLISH, QoS 1, retain; remaining length 8
		0x00, 0x03, 'a', '/', 'b', // topic name "a/b"
		0x00, 0x0a, // packet identifier 10
		'x', // payload
	}},
	{"v311/PUBLISH/qos2-dup-empty-payload", mqtt.V311, &Publish{Dup: true, QoS: mqtt.QoS2, Topic: "t", PacketID: 0x1234}, []byte{
		0x3c, 0x05, // PUBLISH, DUP, QoS 2; remaining length 5
		0x00, 0x01, 't', // topic name "t"
		0x12, 0x34, // packet identifier 0x1234
	}},
	{"v311/PUBLISH/two-byte-remaining-length", mqtt.V311, &Publish{Topic: "big", Payload: bigPayload}, append([]byte{
		0x30, 0xcd, 0x01, // PUBLISH, QoS 0; remaining length 205 (0xcd 0x01)
		0x00, 0x03, 'b', 'i', 'g', // topic name "big"
	}, bigPayload...)}, // payload: 200 × 'x'
	{"v311/PUBACK", mqtt.V311, &Puback{PacketID: 7}, []byte{
		0x40, 0x02, // PUBACK, remaining length 2
		0x00, 0x07, // packet identifier 7
	}},
	{"v311/PUBREC", mqtt.V311, &Pubrec{PacketID: 0x1234}, []byte{
		0x50, 0x02, // PUBREC, remaining length 2
		0x12, 0x34, // packet identifier 0x1234
	}},
	{"v311/PUBREL", mqtt.V311, &Pubrel{PacketID: 0x1234}, []byte{
		0x62, 0x02, // PUBREL, flags 0010; remaining length 2
		0x12, 0x34, // packet identifier 0x1234
	}},
	{"v311/PUBCOMP", mqtt.V311, &Pubcomp{PacketID: 0xffff}, []byte{
		0x70, 0x02, // PUBCOMP, remaining length 2
		0xff, 0xff, // packet identifier 65535
	}},
	{"v311/SUBSCRIBE", mqtt.V311, &Subscribe{PacketID: 1, Subscriptions: []Subscription{{Filter: "a/+", QoS: mqtt.QoS1}, {Filter: "#", QoS: mqtt.QoS2}}}, []byte{
		0x82, 0x0c, // SUBSCRIBE, flags 0010; remaining length 12
		0x00, 0x01, // packet identifier 1
		0x00, 0x03, 'a', '/', '+', // topic filter "a/+"
		0x01,            // requested QoS 1
		0x00, 0x01, '#', // topic filter "#"
		0x02, // requested QoS 2
	}},
	{"v311/SUBACK", mqtt.V311, &Suback{PacketID: 1, ReasonCodes: []mqtt.ReasonCode{mqtt.GrantedQoS1, mqtt.UnspecifiedError}}, []byte{
		0x90, 0x04, // SUBACK, remaining length 4
		0x00, 0x01, // packet identifier 1
		0x01, // return code: granted QoS 1
		0x80, // return code: failure
	}},
	{"v311/UNSUBSCRIBE", mqtt.V311, &Unsubscribe{PacketID: 3, Filters: []string{"a/+", "b"}}, []byte{
		0xa2, 0x0a, // UNSUBSCRIBE, flags 0010; remaining length 10
		0x00, 0x03, // packet identifier 3
		0x00, 0x03, 'a', '/', '+', // topic filter "a/+"
		0x00, 0x01, 'b', // topic filter "b"
	}},
	{"v311/UNSUBACK", mqtt.V311, &Unsuback{PacketID: 3}, []byte{
		0xb0, 0x02, // UNSUBACK, remaining length 2
		0x00, 0x03, // packet identifier 3
	}},
	{"v311/PINGREQ", mqtt.V311, &Pingreq{}, []byte{
		0xc0, 0x00, // PINGREQ, remaining length 0
	}},
	{"v311/PINGRESP", mqtt.V311, &Pingresp{}, []byte{
		0xd0, 0x00, // PINGRESP, remaining length 0
	}},
	{"v311/DISCONNECT", mqtt.V311, &Disconnect{}, []byte{
		0xe0, 0x00, // DISCONNECT, remaining length 0
	}},

	// ---------------------------------------------------------------- MQTT 5.0
	{"v5/CONNECT/minimal", mqtt.V5, &Connect{Version: mqtt.V5, CleanStart: true}, []byte{
		0x10, 0x0d, // CONNECT; remaining length 13
		0x00, 0x04, 'M', 'Q', 'T', 'T', // protocol name "MQTT"
		0x05,       // protocol version 5
		0x02,       // connect flags: clean start
		0x00, 0x00, // keep alive 0
		0x00,       // property length 0
		0x00, 0x00, // client identifier "" (zero length)
	}},
	{"v5/CONNECT/all-properties", mqtt.V5, &Connect{
		Version: mqtt.V5, CleanStart: true, KeepAlive: 60, ClientID: "cli",
		Properties: set(Properties{
			SessionExpiry: 3600, AuthMethod: "SCRAM", AuthData: []byte{1, 2},
			RequestResponseInfo: 1, ReceiveMaximum: 100, TopicAliasMaximum: 10,
			User:              []UserProperty{{"k", "v"}, {"k", "w"}},
			MaximumPacketSize: 65536,
		}, PropRequestProblemInfo),
		Will: &Will{QoS: mqtt.QoS2, Topic: "w", Payload: []byte("x"), Properties: Properties{
			PayloadFormat: 1, MessageExpiry: 60, ContentType: "text", ResponseTopic: "r",
			CorrelationData: []byte{0xca, 0xfe}, WillDelay: 5, User: []UserProperty{{"a", "b"}},
		}},
		Username: "u", Password: []byte("p"),
	}, []byte{
		0x10, 0x6f, // CONNECT; remaining length 111
		0x00, 0x04, 'M', 'Q', 'T', 'T', // protocol name "MQTT"
		0x05,       // protocol version 5
		0xd6,       // connect flags: user name, password, will QoS 2, will, clean start
		0x00, 0x3c, // keep alive 60 s
		0x2f,                         // property length 47
		0x11, 0x00, 0x00, 0x0e, 0x10, // session expiry interval 3600
		0x15, 0x00, 0x05, 'S', 'C', 'R', 'A', 'M', // authentication method "SCRAM"
		0x16, 0x00, 0x02, 0x01, 0x02, // authentication data 01 02
		0x17, 0x00, // request problem information 0 (explicit)
		0x19, 0x01, // request response information 1
		0x21, 0x00, 0x64, // receive maximum 100
		0x22, 0x00, 0x0a, // topic alias maximum 10
		0x26, 0x00, 0x01, 'k', 0x00, 0x01, 'v', // user property k=v
		0x26, 0x00, 0x01, 'k', 0x00, 0x01, 'w', // user property k=w (repeated key)
		0x27, 0x00, 0x01, 0x00, 0x00, // maximum packet size 65536
		0x00, 0x03, 'c', 'l', 'i', // client identifier "cli"
		0x23,       // will property length 35
		0x01, 0x01, // payload format indicator 1 (UTF-8)
		0x02, 0x00, 0x00, 0x00, 0x3c, // message expiry interval 60
		0x03, 0x00, 0x04, 't', 'e', 'x', 't', // content type "text"
		0x08, 0x00, 0x01, 'r', // response topic "r"
		0x09, 0x00, 0x02, 0xca, 0xfe, // correlation data ca fe
		0x18, 0x00, 0x00, 0x00, 0x05, // will delay interval 5
		0x26, 0x00, 0x01, 'a', 0x00, 0x01, 'b', // user property a=b
		0x00, 0x01, 'w', // will topic "w"
		0x00, 0x01, 'x', // will payload "x"
		0x00, 0x01, 'u', // user name "u"
		0x00, 0x01, 'p', // password "p"
	}},
	{"v5/CONNECT/password-without-username", mqtt.V5, &Connect{Version: mqtt.V5, ClientID: "c", Password: []byte("secret")}, []byte{
		0x10, 0x16, // CONNECT; remaining length 22
		0x00, 0x04, 'M', 'Q', 'T', 'T', // protocol name "MQTT"
		0x05,       // protocol version 5
		0x40,       // connect flags: password only (legal in MQTT 5)
		0x00, 0x00, // keep alive 0
		0x00,            // property length 0
		0x00, 0x01, 'c', // client identifier "c"
		0x00, 0x06, 's', 'e', 'c', 'r', 'e', 't', // password "secret"
	}},
	{"v5/CONNACK/all-properties", mqtt.V5, &Connack{SessionPresent: true, ReasonCode: mqtt.Success, Properties: set(Properties{
		SessionExpiry: 120, AssignedClientID: "auto-1", ServerKeepAlive: 30,
		AuthMethod: "m", AuthData: []byte{9}, ResponseInfo: "ri", ServerReference: "srv",
		ReasonString: "ok", ReceiveMaximum: 20, TopicAliasMaximum: 5, MaximumQoS: 1,
		User: []UserProperty{{"x", "y"}}, MaximumPacketSize: 1024,
		WildcardSubAvailable: 1, SharedSubAvailable: 1,
	}, PropRetainAvailable, PropSubIDAvailable)}, []byte{
		0x20, 0x48, // CONNACK; remaining length 72
		0x01,                         // acknowledge flags: session present
		0x00,                         // reason code: success
		0x45,                         // property length 69
		0x11, 0x00, 0x00, 0x00, 0x78, // session expiry interval 120
		0x12, 0x00, 0x06, 'a', 'u', 't', 'o', '-', '1', // assigned client identifier "auto-1"
		0x13, 0x00, 0x1e, // server keep alive 30
		0x15, 0x00, 0x01, 'm', // authentication method "m"
		0x16, 0x00, 0x01, 0x09, // authentication data 09
		0x1a, 0x00, 0x02, 'r', 'i', // response information "ri"
		0x1c, 0x00, 0x03, 's', 'r', 'v', // server reference "srv"
		0x1f, 0x00, 0x02, 'o', 'k', // reason string "ok"
		0x21, 0x00, 0x14, // receive maximum 20
		0x22, 0x00, 0x05, // topic alias maximum 5
		0x24, 0x01, // maximum QoS 1
		0x25, 0x00, // retain available 0 (explicit)
		0x26, 0x00, 0x01, 'x', 0x00, 0x01, 'y', // user property x=y
		0x27, 0x00, 0x00, 0x04, 0x00, // maximum packet size 1024
		0x28, 0x01, // wildcard subscription available 1
		0x29, 0x00, // subscription identifiers available 0 (explicit)
		0x2a, 0x01, // shared subscription available 1
	}},
	{"v5/CONNACK/refused", mqtt.V5, &Connack{ReasonCode: mqtt.NotAuthorized}, []byte{
		0x20, 0x03, // CONNACK; remaining length 3
		0x00, // acknowledge flags
		0x87, // reason code: not authorized
		0x00, // property length 0
	}},
	{"v5/PUBLISH/qos0", mqtt.V5, &Publish{Topic: "a", Payload: []byte("b")}, []byte{
		0x30, 0x05, // PUBLISH, QoS 0; remaining length 5
		0x00, 0x01, 'a', // topic name "a"
		0x00, // property length 0
		'b',  // payload
	}},
	{"v5/PUBLISH/all-properties", mqtt.V5, &Publish{QoS: mqtt.QoS1, Retain: true, Topic: "t/1", PacketID: 5, Payload: []byte("{}"), Properties: Properties{
		PayloadFormat: 1, MessageExpiry: 300, ContentType: "json", ResponseTopic: "re/p",
		CorrelationData: []byte{1, 2, 3}, SubscriptionIDs: []uint32{1, 200, MaxVarint},
		TopicAlias: 3, User: []UserProperty{{"k", "1"}, {"k", "2"}},
	}}, []byte{
		0x33, 0x40, // PUBLISH, QoS 1, retain; remaining length 64
		0x00, 0x03, 't', '/', '1', // topic name "t/1"
		0x00, 0x05, // packet identifier 5
		0x36,       // property length 54
		0x01, 0x01, // payload format indicator 1
		0x02, 0x00, 0x00, 0x01, 0x2c, // message expiry interval 300
		0x03, 0x00, 0x04, 'j', 's', 'o', 'n', // content type "json"
		0x08, 0x00, 0x04, 'r', 'e', '/', 'p', // response topic "re/p"
		0x09, 0x00, 0x03, 0x01, 0x02, 0x03, // correlation data 01 02 03
		0x0b, 0x01, // subscription identifier 1
		0x0b, 0xc8, 0x01, // subscription identifier 200 (two-byte varint)
		0x0b, 0xff, 0xff, 0xff, 0x7f, // subscription identifier 268435455
		0x23, 0x00, 0x03, // topic alias 3
		0x26, 0x00, 0x01, 'k', 0x00, 0x01, '1', // user property k=1
		0x26, 0x00, 0x01, 'k', 0x00, 0x01, '2', // user property k=2
		'{', '}', // payload
	}},
	{"v5/PUBLISH/alias-empty-topic", mqtt.V5, &Publish{Topic: "", Payload: []byte("z"), Properties: Properties{TopicAlias: 3}}, []byte{
		0x30, 0x07, // PUBLISH, QoS 0; remaining length 7
		0x00, 0x00, // topic name "" (zero length, alias used)
		0x03,             // property length 3
		0x23, 0x00, 0x03, // topic alias 3
		'z', // payload
	}},
	{"v5/PUBACK/id-only", mqtt.V5, &Puback{PacketID: 1}, []byte{
		0x40, 0x02, // PUBACK; remaining length 2 (reason code success left out)
		0x00, 0x01, // packet identifier 1
	}},
	{"v5/PUBACK/reason-only", mqtt.V5, &Puback{PacketID: 1, ReasonCode: mqtt.NoMatchingSubscribers}, []byte{
		0x40, 0x03, // PUBACK; remaining length 3 (no property length)
		0x00, 0x01, // packet identifier 1
		0x10, // reason code: no matching subscribers
	}},
	{"v5/PUBACK/reason-and-properties", mqtt.V5, &Puback{PacketID: 2, ReasonCode: mqtt.UnspecifiedError, Properties: Properties{ReasonString: "no", User: []UserProperty{{"a", "b"}}}}, []byte{
		0x40, 0x10, // PUBACK; remaining length 16
		0x00, 0x02, // packet identifier 2
		0x80,                       // reason code: unspecified error
		0x0c,                       // property length 12
		0x1f, 0x00, 0x02, 'n', 'o', // reason string "no"
		0x26, 0x00, 0x01, 'a', 0x00, 0x01, 'b', // user property a=b
	}},
	{"v5/PUBREC", mqtt.V5, &Pubrec{PacketID: 3, ReasonCode: mqtt.PacketIdentifierInUse}, []byte{
		0x50, 0x03, // PUBREC; remaining length 3
		0x00, 0x03, // packet identifier 3
		0x91, // reason code: packet identifier in use
	}},
	{"v5/PUBREL/id-only", mqtt.V5, &Pubrel{PacketID: 4}, []byte{
		0x62, 0x02, // PUBREL, flags 0010; remaining length 2
		0x00, 0x04, // packet identifier 4
	}},
	{"v5/PUBREL/not-found", mqtt.V5, &Pubrel{PacketID: 4, ReasonCode: mqtt.PacketIdentifierNotFound}, []byte{
		0x62, 0x03, // PUBREL, flags 0010; remaining length 3
		0x00, 0x04, // packet identifier 4
		0x92, // reason code: packet identifier not found
	}},
	{"v5/PUBCOMP/success-with-properties", mqtt.V5, &Pubcomp{PacketID: 5, Properties: Properties{ReasonString: "done"}}, []byte{
		0x70, 0x0b, // PUBCOMP; remaining length 11
		0x00, 0x05, // packet identifier 5
		0x00,                                 // reason code: success (needed before properties)
		0x07,                                 // property length 7
		0x1f, 0x00, 0x04, 'd', 'o', 'n', 'e', // reason string "done"
	}},
	{"v5/SUBSCRIBE", mqtt.V5, &Subscribe{PacketID: 10,
		Properties: Properties{SubscriptionIDs: []uint32{42}, User: []UserProperty{{"s", "t"}}},
		Subscriptions: []Subscription{
			{Filter: "a/#", QoS: mqtt.QoS1, NoLocal: true, RetainAsPublished: true, RetainHandling: 2},
			{Filter: "$share/g/x", QoS: mqtt.QoS2, RetainHandling: 1},
		}}, []byte{
		0x82, 0x1f, // SUBSCRIBE, flags 0010; remaining length 31
		0x00, 0x0a, // packet identifier 10
		0x09,       // property length 9
		0x0b, 0x2a, // subscription identifier 42
		0x26, 0x00, 0x01, 's', 0x00, 0x01, 't', // user property s=t
		0x00, 0x03, 'a', '/', '#', // topic filter "a/#"
		0x2d,                                                         // options: retain handling 2, retain as published, no local, QoS 1
		0x00, 0x0a, '$', 's', 'h', 'a', 'r', 'e', '/', 'g', '/', 'x', // topic filter "$share/g/x"
		0x12, // options: retain handling 1, QoS 2
	}},
	{"v5/SUBACK", mqtt.V5, &Suback{PacketID: 10, Properties: Properties{ReasonString: "r"},
		ReasonCodes: []mqtt.ReasonCode{mqtt.GrantedQoS1, mqtt.GrantedQoS2, mqtt.GrantedQoS0, mqtt.UnspecifiedError, mqtt.SharedSubscriptionsNotSupported, mqtt.WildcardSubscriptionsNotSupported}}, []byte{
		0x90, 0x0d, // SUBACK; remaining length 13
		0x00, 0x0a, // packet identifier 10
		0x04,                  // property length 4
		0x1f, 0x00, 0x01, 'r', // reason string "r"
		0x01, // granted QoS 1
		0x02, // granted QoS 2
		0x00, // granted QoS 0
		0x80, // unspecified error
		0x9e, // shared subscriptions not supported
		0xa2, // wildcard subscriptions not supported
	}},
	{"v5/UNSUBSCRIBE", mqtt.V5, &Unsubscribe{PacketID: 11, Properties: Properties{User: []UserProperty{{"u", "v"}}}, Filters: []string{"a/#", "b"}}, []byte{
		0xa2, 0x12, // UNSUBSCRIBE, flags 0010; remaining length 18
		0x00, 0x0b, // packet identifier 11
		0x07,                                   // property length 7
		0x26, 0x00, 0x01, 'u', 0x00, 0x01, 'v', // user property u=v
		0x00, 0x03, 'a', '/', '#', // topic filter "a/#"
		0x00, 0x01, 'b', // topic filter "b"
	}},
	{"v5/UNSUBACK", mqtt.V5, &Unsuback{PacketID: 11, ReasonCodes: []mqtt.ReasonCode{mqtt.Success, mqtt.NoSubscriptionExisted}}, []byte{
		0xb0, 0x05, // UNSUBACK; remaining length 5
		0x00, 0x0b, // packet identifier 11
		0x00, // property length 0
		0x00, // reason code: success
		0x11, // reason code: no subscription existed
	}},
	{"v5/PINGREQ", mqtt.V5, &Pingreq{}, []byte{
		0xc0, 0x00, // PINGREQ, remaining length 0
	}},
	{"v5/PINGRESP", mqtt.V5, &Pingresp{}, []byte{
		0xd0, 0x00, // PINGRESP, remaining length 0
	}},
	{"v5/DISCONNECT/empty", mqtt.V5, &Disconnect{}, []byte{
		0xe0, 0x00, // DISCONNECT; remaining length 0: normal disconnection, no properties
	}},
	{"v5/DISCONNECT/reason-only", mqtt.V5, &Disconnect{ReasonCode: mqtt.DisconnectWithWillMessage}, []byte{
		0xe0, 0x01, // DISCONNECT; remaining length 1
		0x04, // reason code: disconnect with will message
	}},
	{"v5/DISCONNECT/properties", mqtt.V5, &Disconnect{ReasonCode: mqtt.UseAnotherServer, Properties: Properties{SessionExpiry: 10, ServerReference: "s2", ReasonString: "bye"}}, []byte{
		0xe0, 0x12, // DISCONNECT; remaining length 18
		0x9c,                         // reason code: use another server
		0x10,                         // property length 16
		0x11, 0x00, 0x00, 0x00, 0x0a, // session expiry interval 10
		0x1c, 0x00, 0x02, 's', '2', // server reference "s2"
		0x1f, 0x00, 0x03, 'b', 'y', 'e', // reason string "bye"
	}},
	{"v5/AUTH/empty", mqtt.V5, &Auth{}, []byte{
		0xf0, 0x00, // AUTH; remaining length 0: success, no properties
	}},
	{"v5/AUTH/reason-only", mqtt.V5, &Auth{ReasonCode: mqtt.ReAuthenticate}, []byte{
		0xf0, 0x02, // AUTH; remaining length 2
		0x19, // reason code: re-authenticate
		0x00, // property length 0: AUTH has no reason-code-only form (3.15.2.1)
	}},
	{"v5/AUTH/continue", mqtt.V5, &Auth{ReasonCode: mqtt.ContinueAuthentication, Properties: Properties{AuthMethod: "m", AuthData: []byte{1}, ReasonString: "x"}}, []byte{
		0xf0, 0x0e, // AUTH; remaining length 14
		0x18,                  // reason code: continue authentication
		0x0c,                  // property length 12
		0x15, 0x00, 0x01, 'm', // authentication method "m"
		0x16, 0x00, 0x01, 0x01, // authentication data 01
		0x1f, 0x00, 0x01, 'x', // reason string "x"
	}},
}

// canon returns a deep copy of p in a canonical form for comparison:
// every Properties has its presence mask set to what it would encode,
// empty slices are nil, and the CONNECT user name and password flags are
// what encoding would send.
func canon(p Packet) Packet {
	if p == nil {
		return nil
	}
	c := Clone(p)
	normalize(reflect.ValueOf(c).Elem())
	if cc, ok := c.(*Connect); ok {
		cc.UsernameFlag, cc.PasswordFlag = cc.hasUser(), cc.hasPass()
	}
	return c
}

var propertiesType = reflect.TypeFor[Properties]()

func normalize(v reflect.Value) {
	switch v.Kind() {
	case reflect.Struct:
		if v.Type() == propertiesType {
			p := v.Addr().Interface().(*Properties)
			p.present = p.mask()
		}
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				normalize(v.Field(i))
			}
		}
	case reflect.Pointer:
		if !v.IsNil() {
			normalize(v.Elem())
		}
	case reflect.Slice:
		if v.Len() == 0 {
			v.Set(reflect.Zero(v.Type()))
			return
		}
		for i := 0; i < v.Len(); i++ {
			normalize(v.Index(i))
		}
	}
}

// samePacket reports whether a and b are the same packet, treating nil
// and empty slices alike and ignoring how a property came to be present.
func samePacket(a, b Packet) bool { return reflect.DeepEqual(canon(a), canon(b)) }

func show(p Packet) string { return fmt.Sprintf("%T%+v", p, canon(p)) }

// mqttErr returns err as an *mqtt.Error, or nil.
func mqttErr(err error) *mqtt.Error {
	var e *mqtt.Error
	if errors.As(err, &e) {
		return e
	}
	return nil
}

func TestGoldenAppend(t *testing.T) {
	for _, g := range goldens {
		got, err := g.p.Append(nil, g.v)
		if err != nil {
			t.Errorf("%s: Append: %v", g.name, err)
			continue
		}
		if !bytes.Equal(got, g.b) {
			t.Errorf("%s: Append:\ngot  % x\nwant % x", g.name, got, g.b)
		}
		if n := g.p.Len(g.v); n != len(g.b) {
			t.Errorf("%s: Len = %d, want %d", g.name, n, len(g.b))
		}
		// Appending to a non-empty buffer keeps the prefix.
		pre := []byte("prefix")
		got, err = g.p.Append(pre, g.v)
		if err != nil || !bytes.Equal(got[:6], []byte("prefix")) || !bytes.Equal(got[6:], g.b) {
			t.Errorf("%s: Append to a prefix: got % x, %v", g.name, got, err)
		}
		// The raw path writes the same bytes for a legal packet.
		if raw := AppendIllegal(nil, g.p, g.v); !bytes.Equal(raw, g.b) {
			t.Errorf("%s: AppendIllegal:\ngot  % x\nwant % x", g.name, raw, g.b)
		}
		if g.p.Type() != Type(g.b[0]>>4) {
			t.Errorf("%s: Type() = %v, first byte says %v", g.name, g.p.Type(), Type(g.b[0]>>4))
		}
	}
}

func TestGoldenDecode(t *testing.T) {
	for _, g := range goldens {
		p, n, err := Decode(g.b, g.v)
		if err != nil {
			t.Errorf("%s: Decode: %v", g.name, err)
			continue
		}
		if n != len(g.b) {
			t.Errorf("%s: Decode used %d bytes, want %d", g.name, n, len(g.b))
		}
		if !samePacket(p, g.p) {
			t.Errorf("%s: Decode:\ngot  %s\nwant %s", g.name, show(p), show(g.p))
		}
		// Bytes after the packet belong to the next one.
		p, n, err = Decode(append(bytes.Clone(g.b), 0xc0, 0x00), g.v)
		if err != nil || n != len(g.b) || !samePacket(p, g.p) {
			t.Errorf("%s: Decode with a following packet: n = %d, err = %v", g.name, n, err)
		}
		// A decoded packet encodes back to the same bytes.
		if p != nil {
			if b, err := p.Append(nil, g.v); err != nil || !bytes.Equal(b, g.b) {
				t.Errorf("%s: re-encoding the decoded packet: got % x, %v", g.name, b, err)
			}
		}
	}
}

// TestGoldenCoverage checks that the table holds every packet type of
// every version, every property, and the repeats and short forms that
// need covering.
func TestGoldenCoverage(t *testing.T) {
	types := map[mqtt.Version]map[Type]bool{}
	var props uint64
	var userRepeat, subIDRepeat bool
	for _, g := range goldens {
		if types[g.v] == nil {
			types[g.v] = map[Type]bool{}
		}
		types[g.v][g.p.Type()] = true
		p, _, err := Decode(g.b, g.v)
		if err != nil {
			continue
		}
		eachProperties(p, func(pp *Properties) {
			props |= pp.present
			if len(pp.User) > 1 {
				userRepeat = true
			}
			if len(pp.SubscriptionIDs) > 1 && p.Type() == TypePublish {
				subIDRepeat = true
			}
		})
	}
	for _, v := range []mqtt.Version{mqtt.V31, mqtt.V311, mqtt.V5} {
		for ty := TypeConnect; ty <= TypeAuth; ty++ {
			if ty.Valid(v) && !types[v][ty] {
				t.Errorf("no golden %v packet for MQTT %v", ty, v)
			}
		}
	}
	n := 0
	for id := range 256 {
		if PropertyID(id).Defined() {
			n++
			if props&(1<<id) == 0 {
				t.Errorf("no golden packet carries %v", PropertyID(id))
			}
		}
	}
	if n != 27 || bits.OnesCount64(props) != 27 {
		t.Errorf("%d properties defined, %d covered; want 27 and 27", n, bits.OnesCount64(props))
	}
	if !userRepeat || !subIDRepeat {
		t.Errorf("repeated user property covered: %v; several subscription identifiers in PUBLISH: %v", userRepeat, subIDRepeat)
	}
}

// eachProperties calls f with every Properties of p, will included.
func eachProperties(p Packet, f func(*Properties)) {
	v := reflect.ValueOf(p).Elem()
	if v.Kind() != reflect.Struct {
		return
	}
	if fv := v.FieldByName("Properties"); fv.IsValid() {
		f(fv.Addr().Interface().(*Properties))
	}
	if c, ok := p.(*Connect); ok && c.Will != nil {
		f(&c.Will.Properties)
	}
}

// truncationMayDecode lists the packet types whose bodies have legal
// shorter forms: a shorter payload, fewer filters or reason codes, or an
// MQTT 5 acknowledgement, DISCONNECT or AUTH without its tail.
var truncationMayDecode = map[Type]bool{
	TypePublish: true, TypePuback: true, TypePubrec: true, TypePubrel: true, TypePubcomp: true,
	TypeSubscribe: true, TypeSuback: true, TypeUnsubscribe: true, TypeUnsuback: true,
	TypeDisconnect: true, TypeAuth: true,
}

// TestDecodeTruncated cuts every golden packet at every byte. A prefix
// asks for more bytes; a body cut short under a matching remaining
// length is either an *mqtt.Error or a legal shorter packet.
func TestDecodeTruncated(t *testing.T) {
	for _, g := range goldens {
		for i := range len(g.b) {
			p, n, err := Decode(g.b[:i], g.v)
			if err != io.ErrUnexpectedEOF || p != nil || n != 0 {
				t.Errorf("%s: Decode(b[:%d]) = %v, %d, %v; want io.ErrUnexpectedEOF", g.name, i, p, n, err)
			}
		}
		h, err := ParseFixedHeader(g.b, g.v)
		if err != nil {
			t.Fatalf("%s: %v", g.name, err)
		}
		body := g.b[h.Size:]
		for j := range len(body) {
			b := AppendRaw(nil, g.b[0], body[:j])
			checkShortBody(t, fmt.Sprintf("%s: body[:%d]", g.name, j), g.v, b)
		}
	}
}

func checkShortBody(t *testing.T, name string, v mqtt.Version, b []byte) {
	t.Helper()
	p, n, err := Decode(b, v)
	if err != nil {
		if e := mqttErr(err); e == nil || e.Remote {
			t.Errorf("%s: got error %v (%T), want an *mqtt.Error", name, err, err)
		} else if e.Code != mqtt.MalformedPacket && e.Code != mqtt.ProtocolError {
			t.Errorf("%s: got code %v, want malformed packet or protocol error", name, e.Code)
		}
		return
	}
	if !truncationMayDecode[p.Type()] {
		t.Errorf("%s: decoded %s, want an error", name, show(p))
		return
	}
	if n != len(b) {
		t.Errorf("%s: used %d of %d bytes", name, n, len(b))
	}
	// The shorter form must be a legal packet: it encodes and decodes to
	// itself.
	again, err := p.Append(nil, v)
	if err != nil {
		t.Errorf("%s: decoded %s, which does not encode: %v", name, show(p), err)
		return
	}
	q, _, err := Decode(again, v)
	if err != nil || !samePacket(p, q) {
		t.Errorf("%s: decode-encode-decode: got %v, %v; want %s", name, q, err, show(p))
	}
}

// TestReaderTruncated reads every golden packet, and every prefix of it,
// from streams that deliver one byte at a time and that return the last
// data together with io.EOF.
func TestReaderTruncated(t *testing.T) {
	readers := []struct {
		name string
		wrap func(io.Reader) io.Reader
	}{
		{"OneByteReader", iotest.OneByteReader},
		{"DataErrReader", iotest.DataErrReader},
		{"HalfReader", iotest.HalfReader},
	}
	for _, rd := range readers {
		for _, g := range goldens {
			r := NewReader(rd.wrap(bytes.NewReader(g.b)))
			r.Version = g.v
			p, err := r.ReadPacket()
			if err != nil || !samePacket(p, g.p) {
				t.Errorf("%s %s: ReadPacket = %v, %v; want %s", rd.name, g.name, p, err, show(g.p))
			}
			if p, err := r.ReadPacket(); err != io.EOF {
				t.Errorf("%s %s: second ReadPacket = %v, %v; want io.EOF", rd.name, g.name, p, err)
			}
			for i := range len(g.b) {
				r := NewReader(rd.wrap(bytes.NewReader(g.b[:i])))
				r.Version = g.v
				want := io.ErrUnexpectedEOF
				if i == 0 {
					want = io.EOF
				}
				if p, err := r.ReadPacket(); err != want {
					t.Errorf("%s %s: ReadPacket of b[:%d] = %v, %v; want %v", rd.name, g.name, i, p, err, want)
				}
			}
		}
	}
}

// TestReaderStream reads all golden packets of a version from one stream,
// split in several ways.
func TestReaderStream(t *testing.T) {
	for _, v := range []mqtt.Version{mqtt.V31, mqtt.V311, mqtt.V5} {
		var stream []byte
		var want []Packet
		for _, g := range goldens {
			if g.v == v {
				stream = append(stream, g.b...)
				want = append(want, g.p)
			}
		}
		for _, wrap := range []func(io.Reader) io.Reader{
			func(r io.Reader) io.Reader { return r },
			iotest.OneByteReader, iotest.DataErrReader, iotest.HalfReader,
		} {
			r := NewReader(wrap(bytes.NewReader(stream)))
			r.Version = v
			for i, w := range want {
				p, err := r.ReadPacket()
				if err != nil || !samePacket(p, w) {
					t.Fatalf("MQTT %v packet %d: got %v, %v; want %s", v, i, p, err, show(w))
				}
			}
			if p, err := r.ReadPacket(); err != io.EOF {
				t.Errorf("MQTT %v: after the stream: %v, %v; want io.EOF", v, p, err)
			}
		}
		// The same with a slice Decoder walking the stream.
		d := Decoder{Version: v}
		rest := stream
		for i, w := range want {
			p, n, err := d.Decode(rest)
			if err != nil || !samePacket(p, w) {
				t.Fatalf("MQTT %v Decoder packet %d: got %v, %v; want %s", v, i, p, err, show(w))
			}
			rest = rest[n:]
		}
		if len(rest) != 0 {
			t.Errorf("MQTT %v: %d bytes left", v, len(rest))
		}
	}
}
