// Command gencorpus writes the seed corpus of the fuzz targets of package
// fuzz into testdata/fuzz/<Target>/, one file per seed in the native
// "go test fuzz v1" format. Run it from the fuzz directory (go generate
// does). Its output is deterministic; it deletes and rewrites only the
// files it generates and never touches files named regression-*.
package main

import (
	"bytes"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/mqttx/mqttx/mqtt"
	"github.com/mqttx/mqttx/mqtt/packet"
)

const root = "testdata/fuzz"

// corpus maps target name to seed name to file content.
var corpus = map[string]map[string]string{}

// add records one seed; args are []byte, string or byte values.
func add(target, name string, args ...any) {
	var b strings.Builder
	b.WriteString("go test fuzz v1\n")
	for _, a := range args {
		switch a := a.(type) {
		case []byte:
			fmt.Fprintf(&b, "[]byte(%q)\n", a)
		case string:
			fmt.Fprintf(&b, "string(%q)\n", a)
		case byte:
			fmt.Fprintf(&b, "byte(%q)\n", a)
		default:
			log.Fatalf("seed %s/%s: argument of type %T", target, name, a)
		}
	}
	if strings.HasPrefix(name, "regression-") || strings.ContainsAny(name, "/ ") {
		log.Fatalf("bad seed name %q", name)
	}
	m := corpus[target]
	if m == nil {
		m = map[string]string{}
		corpus[target] = m
	}
	if _, dup := m[name]; dup {
		log.Fatalf("duplicate seed %s/%s", target, name)
	}
	m[name] = b.String()
}

// packetSeed is a byte stream for FuzzDecode, FuzzRoundTrip and FuzzSplit
// with the version its decoder starts at.
type packetSeed struct {
	name    string
	data    []byte
	version mqtt.Version
}

var packetSeeds []packetSeed

func seed(name string, v mqtt.Version, data ...[]byte) {
	packetSeeds = append(packetSeeds, packetSeed{name, bytes.Join(data, nil), v})
}

// enc encodes a valid packet; it stops the generator if Append refuses.
func enc(p packet.Packet, v mqtt.Version) []byte {
	b, err := p.Append(nil, v)
	if err != nil {
		log.Fatalf("encoding %T for %v: %v", p, v, err)
	}
	return b
}

func ill(p packet.Packet, v mqtt.Version) []byte { return packet.AppendIllegal(nil, p, v) }

func raw(first byte, body ...[]byte) []byte {
	return packet.AppendRaw(nil, first, bytes.Join(body, nil))
}

func str(s string) []byte { return packet.AppendString(nil, s) }

var versions = []mqtt.Version{mqtt.V31, mqtt.V311, mqtt.V5}

func vname(v mqtt.Version) string {
	return map[mqtt.Version]string{mqtt.V31: "v31", mqtt.V311: "v311", mqtt.V5: "v5"}[v]
}

func fullProps() packet.Properties {
	return packet.Properties{User: []packet.UserProperty{{Key: "k", Value: "v"}, {Key: "k", Value: "w"}}}
}

type named struct {
	name string
	p    packet.Packet
}

// validPackets returns valid packets of every type that exists in v.
func validPackets(v mqtt.Version) []named {
	out := []named{
		{"connect-minimal", &packet.Connect{Version: v, CleanStart: true, KeepAlive: 60, ClientID: "client-1"}},
		{"connect-empty-clientid", &packet.Connect{Version: v, CleanStart: true}},
		{"connect-will-user-pass", &packet.Connect{Version: v, KeepAlive: 30, ClientID: "c",
			Will:     &packet.Will{QoS: mqtt.QoS1, Retain: true, Topic: "will/topic", Payload: []byte("bye")},
			Username: "user", Password: []byte("pass")}},
		{"connack-accepted", &packet.Connack{SessionPresent: true}},
		{"connack-refused", &packet.Connack{ReasonCode: mqtt.NotAuthorized}},
		{"publish-qos0", &packet.Publish{Topic: "a/b", Payload: []byte("hello")}},
		{"publish-qos1-retain", &packet.Publish{QoS: mqtt.QoS1, Retain: true, Topic: "a/b", PacketID: 1, Payload: []byte("x")}},
		{"publish-qos2-dup", &packet.Publish{QoS: mqtt.QoS2, Dup: true, Topic: "a/b/c", PacketID: 0xffff}},
		{"puback", &packet.Puback{PacketID: 1}},
		{"pubrec", &packet.Pubrec{PacketID: 2}},
		{"pubrel", &packet.Pubrel{PacketID: 3}},
		{"pubcomp", &packet.Pubcomp{PacketID: 4}},
		{"subscribe", &packet.Subscribe{PacketID: 5, Subscriptions: []packet.Subscription{{Filter: "a/+", QoS: 1}, {Filter: "#", QoS: 2}, {Filter: "$share/g/x"}}}},
		{"suback", &packet.Suback{PacketID: 5, ReasonCodes: []mqtt.ReasonCode{0, 1, 2, 0x80}}},
		{"unsubscribe", &packet.Unsubscribe{PacketID: 6, Filters: []string{"a/+", "#"}}},
		{"unsuback", &packet.Unsuback{PacketID: 6, ReasonCodes: []mqtt.ReasonCode{0, 0x11}}},
		{"pingreq", &packet.Pingreq{}},
		{"pingresp", &packet.Pingresp{}},
		{"disconnect", &packet.Disconnect{}},
	}
	if v != mqtt.V5 {
		return out
	}
	user := []packet.UserProperty{{Key: "k", Value: "v"}, {Key: "k", Value: "w"}}
	connProps := packet.Properties{SessionExpiry: 3600, ReceiveMaximum: 10, MaximumPacketSize: 1 << 20,
		TopicAliasMaximum: 5, RequestProblemInfo: 1, RequestResponseInfo: 1, AuthMethod: "SCRAM", AuthData: []byte{1, 2}, User: user}
	willProps := packet.Properties{WillDelay: 10, PayloadFormat: 1, MessageExpiry: 60, ContentType: "text/plain",
		ResponseTopic: "resp/t", CorrelationData: []byte{9}, User: user}
	connackProps := packet.Properties{SessionExpiry: 10, AssignedClientID: "auto-1", ServerKeepAlive: 20,
		AuthMethod: "SCRAM", AuthData: []byte{3}, ResponseInfo: "ri", ServerReference: "other:1883", ReasonString: "ok",
		ReceiveMaximum: 100, TopicAliasMaximum: 10, RetainAvailable: 1, MaximumPacketSize: 1 << 16,
		WildcardSubAvailable: 1, SubIDAvailable: 1, SharedSubAvailable: 1, User: user}
	connackProps.Set(packet.PropMaximumQoS) // an explicit Maximum QoS of 0
	pubProps := packet.Properties{PayloadFormat: 1, MessageExpiry: 60, ContentType: "application/json",
		ResponseTopic: "reply/to", CorrelationData: []byte("corr"), SubscriptionIDs: []uint32{1, 268435455}, TopicAlias: 7, User: user}
	reason := packet.Properties{ReasonString: "because", User: user}
	subProps := packet.Properties{SubscriptionIDs: []uint32{16384}, User: user}
	discProps := packet.Properties{SessionExpiry: 0xffffffff, ServerReference: "elsewhere", ReasonString: "bye", User: user}
	authProps := packet.Properties{AuthMethod: "SCRAM", AuthData: []byte("challenge"), ReasonString: "more", User: user}
	return append(out,
		named{"connect-props", &packet.Connect{Version: v, ClientID: "c5", Properties: connProps}},
		named{"connect-will-props", &packet.Connect{Version: v, ClientID: "c5", Username: "u", Password: []byte{0, 1},
			Will: &packet.Will{QoS: mqtt.QoS2, Topic: "w", Payload: []byte{0xff}, Properties: willProps}}},
		named{"connect-password-no-username", &packet.Connect{Version: v, ClientID: "c5", Password: []byte("p")}},
		named{"connack-props", &packet.Connack{Properties: connackProps}},
		named{"publish-qos2-props", &packet.Publish{QoS: mqtt.QoS2, Topic: "a/b", PacketID: 9, Properties: pubProps, Payload: []byte("{}")}},
		named{"publish-empty-topic-alias", &packet.Publish{Properties: packet.Properties{TopicAlias: 3}, Payload: []byte("p")}},
		named{"puback-reason", &packet.Puback{PacketID: 1, ReasonCode: mqtt.NoMatchingSubscribers}},
		named{"puback-reason-props", &packet.Puback{PacketID: 1, ReasonCode: mqtt.QuotaExceeded, Properties: reason}},
		named{"pubrec-reason-props", &packet.Pubrec{PacketID: 2, ReasonCode: mqtt.PayloadFormatInvalid, Properties: reason}},
		named{"pubrel-reason-props", &packet.Pubrel{PacketID: 3, ReasonCode: mqtt.PacketIdentifierNotFound, Properties: reason}},
		named{"pubcomp-reason-props", &packet.Pubcomp{PacketID: 4, ReasonCode: mqtt.PacketIdentifierNotFound, Properties: reason}},
		named{"subscribe-options-props", &packet.Subscribe{PacketID: 5, Properties: subProps, Subscriptions: []packet.Subscription{
			{Filter: "a/#", QoS: 2, NoLocal: true, RetainAsPublished: true, RetainHandling: 2},
			{Filter: "$share/g/+/x", QoS: 1, RetainHandling: 1}}}},
		named{"suback-props", &packet.Suback{PacketID: 5, Properties: reason, ReasonCodes: []mqtt.ReasonCode{2, 0x8F, 0x9E, 0xA1, 0xA2}}},
		named{"unsubscribe-props", &packet.Unsubscribe{PacketID: 6, Properties: packet.Properties{User: user}, Filters: []string{"a"}}},
		named{"unsuback-props", &packet.Unsuback{PacketID: 6, Properties: reason, ReasonCodes: []mqtt.ReasonCode{0x87, 0x8F}}},
		named{"disconnect-reason", &packet.Disconnect{ReasonCode: mqtt.DisconnectWithWillMessage}},
		named{"disconnect-reason-props", &packet.Disconnect{ReasonCode: mqtt.ServerMoved, Properties: discProps}},
		named{"auth", &packet.Auth{}},
		named{"auth-continue-props", &packet.Auth{ReasonCode: mqtt.ContinueAuthentication, Properties: authProps}},
	)
}

func validSeeds() {
	for _, v := range versions {
		var stream [][]byte
		for _, np := range validPackets(v) {
			b := enc(np.p, v)
			if np.p.Type() == packet.TypeConnect {
				seed(vname(v)+"-"+np.name, 0, b)
				stream = append([][]byte{b}, stream...)
				continue
			}
			seed(vname(v)+"-"+np.name, v, b)
			if np.p.Type() != packet.TypeConnack {
				stream = append(stream, b)
			}
		}
		seed(vname(v)+"-session-stream", 0, stream...)
	}
}

// varintSeeds covers remaining-length and other variable byte integer
// boundaries and malformations.
func varintSeeds() {
	// Remaining length exactly n: an MQTT 3.1.1 QoS 0 PUBLISH to "t" with
	// n-3 bytes of payload.
	for _, n := range []int{3, 127, 128, 16383, 16384} {
		seed(fmt.Sprintf("varint-boundary-%d", n), mqtt.V311,
			enc(&packet.Publish{Topic: "t", Payload: bytes.Repeat([]byte{'x'}, n-3)}, mqtt.V311))
	}
	seed("varint-boundary-0", mqtt.V311, raw(0xc0))
	// Too large to send: only the header and a few bytes.
	for _, n := range []uint32{65534, 65535, 2097151, 2097152, 268435455} {
		seed(fmt.Sprintf("varint-boundary-%d-header-only", n), mqtt.V311,
			packet.AppendVarint([]byte{0x30}, n), str("t"), []byte("xyz"))
	}
	seed("varint-5-byte", mqtt.V311, []byte{0x30, 0xff, 0xff, 0xff, 0xff, 0x7f})
	seed("varint-5-byte-zero", mqtt.V311, []byte{0xc0, 0x80, 0x80, 0x80, 0x80, 0x00})
	seed("varint-nonminimal-0-2byte", mqtt.V311, []byte{0xc0, 0x80, 0x00})
	seed("varint-nonminimal-0-4byte", mqtt.V311, []byte{0xc0, 0x80, 0x80, 0x80, 0x00})
	seed("varint-nonminimal-3-2byte", mqtt.V311, []byte{0x30, 0x83, 0x00, 0, 1, 't'})
	seed("varint-truncated-1", mqtt.V311, []byte{0x30, 0x80})
	seed("varint-truncated-3", mqtt.V311, []byte{0x30, 0xff, 0xff, 0xff})
	seed("header-only-first-byte", mqtt.V311, []byte{0x30})
	// Variable byte integers inside MQTT 5 properties.
	pub := func(props []byte) []byte { return raw(0x30, str("t"), props, []byte("p")) }
	seed("varint-property-length-nonminimal", mqtt.V5, pub([]byte{0x80, 0x00}))
	seed("varint-property-length-5-byte", mqtt.V5, pub([]byte{0x80, 0x80, 0x80, 0x80, 0x00}))
	seed("varint-property-length-past-end", mqtt.V5, pub([]byte{0x7f, 0x01, 0x01}))
	seed("varint-subscription-id-nonminimal", mqtt.V5, pub([]byte{3, 0x0b, 0x81, 0x00}))
	seed("varint-subscription-id-0", mqtt.V5, pub([]byte{2, 0x0b, 0x00}))
	seed("varint-subscription-id-max", mqtt.V5, pub([]byte{5, 0x0b, 0xff, 0xff, 0xff, 0x7f}))
	seed("varint-subscription-id-5-byte", mqtt.V5, pub([]byte{6, 0x0b, 0xff, 0xff, 0xff, 0xff, 0x7f}))
	seed("varint-subscription-id-truncated", mqtt.V5, pub([]byte{2, 0x0b, 0x80}))
}

// bodyFor returns the body of a plausible MQTT 5 packet of type t (the
// reserved type 0 gets a PINGREQ's empty body).
func bodyFor(t packet.Type) []byte {
	p := packet.New(t)
	switch p := p.(type) {
	case nil, *packet.Pingreq, *packet.Pingresp:
		return nil
	case *packet.Connect:
		p.Version, p.ClientID = mqtt.V5, "c"
	case *packet.Publish:
		p.QoS, p.PacketID, p.Topic, p.Payload = 1, 1, "t", []byte("p")
	case *packet.Puback:
		p.PacketID = 1
	case *packet.Pubrec:
		p.PacketID = 1
	case *packet.Pubrel:
		p.PacketID = 1
	case *packet.Pubcomp:
		p.PacketID = 1
	case *packet.Subscribe:
		p.PacketID, p.Subscriptions = 1, []packet.Subscription{{Filter: "t"}}
	case *packet.Suback:
		p.PacketID, p.ReasonCodes = 1, []mqtt.ReasonCode{0}
	case *packet.Unsubscribe:
		p.PacketID, p.Filters = 1, []string{"t"}
	case *packet.Unsuback:
		p.PacketID, p.ReasonCodes = 1, []mqtt.ReasonCode{0}
	case *packet.Disconnect:
		p.ReasonCode = mqtt.ServerShuttingDown
	case *packet.Auth:
		p.ReasonCode = mqtt.ReAuthenticate
	}
	b := enc(p, mqtt.V5)
	h, err := packet.ParseFixedHeader(b, mqtt.V5)
	if err != nil {
		log.Fatal(err)
	}
	return b[h.Size:]
}

// flagSeeds: every value of the low nibble for every packet type.
func flagSeeds() {
	for t := packet.Type(0); t < 16; t++ {
		name := "reserved"
		if t > 0 {
			name = strings.ToLower(t.String())
		}
		body := bodyFor(t)
		v := mqtt.V5
		if t == packet.TypeConnect {
			v = 0
		}
		for nib := byte(0); nib < 16; nib++ {
			first := byte(t)<<4 | nib
			seed(fmt.Sprintf("reserved-flags-%s-0x%02x", name, first), v, raw(first, body))
		}
	}
}

// UTF-8 edge cases for every string field.
var utf8Cases = []struct{ name, s string }{
	{"surrogate-high", "a\xed\xa0\x80"},
	{"surrogate-low", "\xed\xbf\xbf"},
	{"overlong-slash", "a\xc0\xaf"},
	{"overlong-3byte", "\xe0\x80\xaf"},
	{"nul", "a\x00b"},
	{"nul-only", "\x00"},
	{"nul-after-8-ascii", "abcdefgh\x00"},
	{"nul-after-16-ascii", "abcdefghijklmnop\x00q"},
	{"invalid-after-16-ascii", "abcdefghijklmnop\xffq"},
	{"high-bit-in-word-7", "abcdefg\xc3\xa9xyz"},
	{"u+ffff", "\xef\xbf\xbf"},
	{"u+fffe", "\xef\xbf\xbe"},
	{"u+007f", "\x7f"},
	{"u+0080", "\xc2\x80"},
	{"u+10ffff", "\xf4\x8f\xbf\xbf"},
	{"above-u+10ffff", "\xf4\x90\x80\x80"},
	{"4-byte-emoji", "t/\xf0\x9f\x98\x80"},
	{"truncated-2of3", "a\xe2\x82"},
	{"truncated-3of4", "\xf0\x9f\x98"},
	{"lone-continuation", "\x80"},
	{"byte-ff", "\xff"},
}

func utf8Seeds() {
	for _, c := range utf8Cases {
		s := c.s
		seed("utf8-"+c.name+"-in-topic-v5", mqtt.V5, ill(&packet.Publish{Topic: s, Payload: []byte("p")}, mqtt.V5))
		seed("utf8-"+c.name+"-in-topic-v311", mqtt.V311, ill(&packet.Publish{QoS: 1, PacketID: 1, Topic: s}, mqtt.V311))
		seed("utf8-"+c.name+"-in-clientid-v5", 0, ill(&packet.Connect{Version: mqtt.V5, ClientID: s}, 0))
		seed("utf8-"+c.name+"-in-clientid-v311", 0, ill(&packet.Connect{Version: mqtt.V311, ClientID: s}, 0))
		seed("utf8-"+c.name+"-in-will-topic-v311", 0, ill(&packet.Connect{Version: mqtt.V311, ClientID: "c", Will: &packet.Will{Topic: s}}, 0))
		seed("utf8-"+c.name+"-in-username-v5", 0, ill(&packet.Connect{Version: mqtt.V5, ClientID: "c", Username: s}, 0))
		seed("utf8-"+c.name+"-in-user-property-key", mqtt.V5, ill(&packet.Publish{Topic: "t", Properties: packet.Properties{User: []packet.UserProperty{{Key: s, Value: "v"}}}}, mqtt.V5))
		seed("utf8-"+c.name+"-in-user-property-value", mqtt.V5, ill(&packet.Puback{PacketID: 1, Properties: packet.Properties{User: []packet.UserProperty{{Key: "k", Value: s}}}}, mqtt.V5))
		seed("utf8-"+c.name+"-in-reason-string", mqtt.V5, ill(&packet.Disconnect{Properties: packet.Properties{ReasonString: s}}, mqtt.V5))
		seed("utf8-"+c.name+"-in-filter-v5", mqtt.V5, ill(&packet.Subscribe{PacketID: 1, Subscriptions: []packet.Subscription{{Filter: s}}}, mqtt.V5))
		seed("utf8-"+c.name+"-in-unsubscribe-v311", mqtt.V311, ill(&packet.Unsubscribe{PacketID: 1, Filters: []string{s}}, mqtt.V311))
	}
}

// propValue is a one-property encoding with a non-zero value of each
// property's type, by identifier.
var propValue = map[packet.PropertyID][]byte{}

func init() {
	b1, u16, u32, s := []byte{1}, []byte{0, 1}, []byte{0, 0, 0, 1}, []byte{0, 1, 'a'}
	for id, v := range map[packet.PropertyID][]byte{
		0x01: b1, 0x02: u32, 0x03: s, 0x08: s, 0x09: s, 0x0B: b1, 0x11: u32, 0x12: s, 0x13: u16,
		0x15: s, 0x16: s, 0x17: b1, 0x18: u32, 0x19: b1, 0x1A: s, 0x1C: s, 0x1F: s, 0x21: u16,
		0x22: u16, 0x23: u16, 0x24: b1, 0x25: b1, 0x26: {0, 1, 'k', 0, 1, 'v'}, 0x27: u32,
		0x28: b1, 0x29: b1, 0x2A: b1,
	} {
		propValue[id] = append([]byte{byte(id)}, v...)
	}
}

// withProps returns an MQTT 5 packet of type t (t == 0: a CONNECT whose
// Will Properties are block) carrying the raw property block.
func withProps(t packet.Type, block []byte) []byte {
	pl := packet.AppendVarint(nil, uint32(len(block)))
	props := append(pl, block...)
	switch t {
	case 0:
		return raw(0x10, str("MQTT"), []byte{5, 0x06, 0, 0, 0}, str("c"), props, str("w"), str(""))
	case packet.TypeConnect:
		return raw(0x10, str("MQTT"), []byte{5, 0x02, 0, 0}, props, str("c"))
	case packet.TypeConnack:
		return raw(0x20, []byte{0, 0}, props)
	case packet.TypePublish:
		return raw(0x32, str("t"), []byte{0, 1}, props, []byte("p"))
	case packet.TypePuback, packet.TypePubrec, packet.TypePubrel, packet.TypePubcomp:
		return raw(byte(t)<<4|map[bool]byte{true: 2}[t == packet.TypePubrel], []byte{0, 1, 0}, props)
	case packet.TypeSubscribe:
		return raw(0x82, []byte{0, 1}, props, str("t"), []byte{0})
	case packet.TypeSuback:
		return raw(0x90, []byte{0, 1}, props, []byte{0})
	case packet.TypeUnsubscribe:
		return raw(0xa2, []byte{0, 1}, props, str("t"))
	case packet.TypeUnsuback:
		return raw(0xb0, []byte{0, 1}, props, []byte{0})
	case packet.TypeDisconnect:
		return raw(0xe0, []byte{0}, props)
	case packet.TypeAuth:
		return raw(0xf0, []byte{0}, props)
	case packet.TypePingreq, packet.TypePingresp:
		return raw(byte(t)<<4, props) // a body where none may be
	}
	log.Fatalf("withProps: type %v", t)
	return nil
}

func propWhere(t packet.Type) string {
	if t == 0 {
		return "will"
	}
	return strings.ToLower(t.String())
}

func propName(id packet.PropertyID) string {
	return fmt.Sprintf("prop-0x%02x-%s", byte(id), strings.ReplaceAll(strings.ToLower(id.String()), " ", "-"))
}

func propertySeeds() {
	ids := make([]packet.PropertyID, 0, len(propValue))
	for id := range propValue {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	for _, id := range ids {
		for t := packet.Type(0); t < 16; t++ {
			allowed := id.AllowedIn(t)
			if t == 0 {
				allowed = id.AllowedInWill()
			}
			v := mqtt.V5
			if t <= packet.TypeConnect {
				v = 0
			}
			if allowed {
				// Allowed here: once (valid unless the value is out of
				// range) and twice (a protocol error but for User
				// Property and PUBLISH's Subscription Identifier).
				seed(propName(id)+"-in-"+propWhere(t), v, withProps(t, propValue[id]))
				seed(propName(id)+"-twice-in-"+propWhere(t), v, withProps(t, bytes.Repeat(propValue[id], 2)))
			} else {
				seed(propName(id)+"-not-allowed-in-"+propWhere(t), v, withProps(t, propValue[id]))
			}
		}
	}
	for _, u := range []struct {
		name string
		id   []byte
	}{
		{"0x00", []byte{0x00}}, {"0x04", []byte{0x04}}, {"0x2b", []byte{0x2b}}, {"0x7f", []byte{0x7f}},
		{"0x80-0x01", []byte{0x80, 0x01}}, {"0x81-0x02-is-257", []byte{0x81, 0x02}}, {"0xa3-0x02-is-0x123", []byte{0xa3, 0x02}},
		{"0x80-0x00-nonminimal-0", []byte{0x80, 0x00}}, {"0x81-0x00-nonminimal-1", []byte{0x81, 0x00}},
		{"0xff-0x7f", []byte{0xff, 0x7f}}, {"5-byte", []byte{0x80, 0x80, 0x80, 0x80, 0x01}},
	} {
		seed("prop-unknown-id-"+u.name+"-in-publish", mqtt.V5, withProps(packet.TypePublish, append(u.id, 1)))
	}
	// Values out of range.
	seed("prop-topic-alias-0", mqtt.V5, withProps(packet.TypePublish, []byte{0x23, 0, 0}))
	seed("prop-topic-alias-0-empty-topic", mqtt.V5, raw(0x30, str(""), []byte{3, 0x23, 0, 0}))
	seed("prop-receive-maximum-0", 0, withProps(packet.TypeConnect, []byte{0x21, 0, 0}))
	seed("prop-maximum-packet-size-0", 0, withProps(packet.TypeConnect, []byte{0x27, 0, 0, 0, 0}))
	seed("prop-payload-format-2", mqtt.V5, withProps(packet.TypePublish, []byte{0x01, 2}))
	seed("prop-maximum-qos-2", mqtt.V5, withProps(packet.TypeConnack, []byte{0x24, 2}))
	seed("prop-response-topic-wildcard", mqtt.V5, withProps(packet.TypePublish, []byte{0x08, 0, 3, 'a', '/', '#'}))
	seed("prop-response-topic-empty", mqtt.V5, withProps(packet.TypePublish, []byte{0x08, 0, 0}))
	seed("prop-two-subscription-ids-in-subscribe", mqtt.V5, withProps(packet.TypeSubscribe, []byte{0x0b, 1, 0x0b, 2}))
	seed("prop-string-past-block", mqtt.V5, withProps(packet.TypePublish, []byte{0x03, 0, 9, 'a'}))
	seed("prop-user-pair-truncated", mqtt.V5, withProps(packet.TypePublish, []byte{0x26, 0, 1, 'k', 0}))
	seed("prop-empty-correlation-data", mqtt.V5, withProps(packet.TypePublish, []byte{0x09, 0, 0}))
	seed("prop-will-receive-maximum-0", 0, withProps(0, []byte{0x21, 0, 0}))
}

// miscSeeds: the remaining named edge cases.
func miscSeeds() {
	v5, v4, v3 := mqtt.V5, mqtt.V311, mqtt.V31
	seed("zero-length-topic-v311", v4, raw(0x30, str(""), []byte("p")))
	seed("zero-length-topic-v5-no-alias", v5, raw(0x30, str(""), []byte{0}, []byte("p")))
	seed("topic-wildcard-plus-v311", v4, raw(0x30, str("a/+"), []byte("p")))
	seed("topic-wildcard-hash-v5", v5, raw(0x30, str("#"), []byte{0}))
	seed("pingreq-with-body", v4, raw(0xc0, []byte{0}))
	seed("pingresp-with-body-v5", v5, raw(0xd0, []byte{0, 0}))
	seed("trailing-bytes-in-puback-v311", v4, raw(0x40, []byte{0, 1, 0}))
	seed("trailing-bytes-in-puback-v5", v5, raw(0x40, []byte{0, 1, 0, 0, 0}))
	seed("trailing-bytes-in-connack-v311", v4, raw(0x20, []byte{0, 0, 0}))
	seed("trailing-bytes-in-connack-v5", v5, raw(0x20, []byte{0, 0, 0, 0}))
	seed("trailing-bytes-in-unsuback-v311", v4, raw(0xb0, []byte{0, 1, 0}))
	seed("trailing-bytes-in-disconnect-v311", v4, raw(0xe0, []byte{0}))
	seed("trailing-bytes-in-disconnect-v5", v5, raw(0xe0, []byte{0x8b, 0, 0}))
	seed("trailing-bytes-in-connect-v311", 0, raw(0x10, str("MQTT"), []byte{4, 2, 0, 60}, str("c"), []byte{0}))
	seed("trailing-garbage-after-pingreq", v4, raw(0xc0), []byte{0xff, 0xff})
	seed("short-puback-1-byte", v4, raw(0x40, []byte{0}))
	seed("short-puback-v5-reason-only", v5, raw(0x40, []byte{0, 1, 0x10}))
	seed("puback-v5-explicit-success-empty-props", v5, raw(0x40, []byte{0, 1, 0, 0}))
	seed("puback-reason-not-allowed", v5, raw(0x40, []byte{0, 1, 0x8e}))
	seed("puback-packet-id-0", v4, raw(0x40, []byte{0, 0}))
	seed("publish-qos3", v4, raw(0x36, str("t"), []byte{0, 1}))
	seed("publish-dup-qos0", v4, raw(0x38, str("t")))
	seed("publish-qos1-packet-id-0", v4, raw(0x32, str("t"), []byte{0, 0}))
	seed("subscribe-no-filters", v4, raw(0x82, []byte{0, 1}))
	seed("subscribe-qos3", v4, raw(0x82, []byte{0, 1}, str("t"), []byte{3}))
	seed("subscribe-reserved-option-bits-v5", v5, raw(0x82, []byte{0, 1, 0}, str("t"), []byte{0xc0}))
	seed("subscribe-retain-handling-3", v5, raw(0x82, []byte{0, 1, 0}, str("t"), []byte{0x30}))
	seed("subscribe-nolocal-shared", v5, raw(0x82, []byte{0, 1, 0}, str("$share/g/t"), []byte{0x04}))
	seed("subscribe-options-bits-v311", v4, raw(0x82, []byte{0, 1}, str("t"), []byte{0x04}))
	seed("suback-reserved-return-code-v311", v4, raw(0x90, []byte{0, 1, 3}))
	seed("suback-no-codes", v5, raw(0x90, []byte{0, 1, 0}))
	seed("unsubscribe-no-filters", v4, raw(0xa2, []byte{0, 1}))
	seed("unsuback-v5-no-codes", v5, raw(0xb0, []byte{0, 1, 0}))
	seed("connack-reserved-flags", v4, raw(0x20, []byte{2, 0}))
	seed("connack-session-present-refused", v4, raw(0x20, []byte{1, 5}))
	seed("connack-return-code-6-v311", v4, raw(0x20, []byte{0, 6}))
	seed("connack-reason-not-allowed-v5", v5, raw(0x20, []byte{0, 0x8e, 0}))
	seed("connect-protocol-name-mqisdp-level-4", 0, raw(0x10, str("MQIsdp"), []byte{4, 2, 0, 0}, str("c")))
	seed("connect-protocol-name-mqtt-level-3", 0, raw(0x10, str("MQTT"), []byte{3, 2, 0, 0}, str("c")))
	seed("connect-protocol-level-6", 0, raw(0x10, str("MQTT"), []byte{6, 2, 0, 0}, str("c")))
	seed("connect-protocol-name-lowercase", 0, raw(0x10, str("mqtt"), []byte{4, 2, 0, 0}, str("c")))
	seed("connect-reserved-flag", 0, raw(0x10, str("MQTT"), []byte{4, 3, 0, 0}, str("c")))
	seed("connect-will-qos3-v311", 0, raw(0x10, str("MQTT"), []byte{4, 0x1c, 0, 0}, str("c"), str("t"), str("")))
	seed("connect-will-qos-without-will", 0, raw(0x10, str("MQTT"), []byte{4, 0x08, 0, 0}, str("c")))
	seed("connect-will-retain-without-will", 0, raw(0x10, str("MQTT"), []byte{4, 0x20, 0, 0}, str("c")))
	seed("connect-will-topic-wildcard-v311", 0, raw(0x10, str("MQTT"), []byte{4, 0x04, 0, 0}, str("c"), str("a/#"), str("")))
	seed("connect-will-topic-empty-v5", 0, raw(0x10, str("MQTT"), []byte{5, 0x04, 0, 0, 0}, str("c"), []byte{0}, str(""), str("")))
	seed("connect-password-without-username-v311", 0, raw(0x10, str("MQTT"), []byte{4, 0x40, 0, 0}, str("c"), str("p")))
	seed("connect-username-flag-no-field", 0, raw(0x10, str("MQTT"), []byte{4, 0x80, 0, 0}, str("c")))
	seed("connect-v31-long-clientid", 0, enc(&packet.Connect{Version: v3, ClientID: strings.Repeat("x", 30)}, v3))
	seed("connect-truncated-protocol-name", 0, raw(0x10, []byte{0, 4, 'M', 'Q'}))
	seed("auth-in-v311", v4, raw(0xf0))
	seed("auth-before-connect", 0, raw(0xf0))
	seed("publish-before-connect", 0, enc(&packet.Publish{Topic: "t"}, v4))
	seed("second-connect-after-connect", 0, enc(&packet.Connect{Version: v4, ClientID: "a"}, v4), enc(&packet.Connect{Version: v5, ClientID: "b"}, v5))
	seed("connack-from-client-before-connect", 0, enc(&packet.Connack{}, v4))
	seed("disconnect-reason-not-allowed", v5, raw(0xe0, []byte{0x10}))
	seed("auth-reason-not-allowed", v5, raw(0xf0, []byte{0x80}))
	seed("empty-input", v5, nil)
	seed("reserved-type-0-before-connect", 0, []byte{0x00, 0x00})
	seed("packet-too-large-64k-plus-1", v4, packet.AppendVarint([]byte{0x30}, maxPacket-2), str("t"))
	seed("packet-at-limit-64k", v4, enc(&packet.Publish{Topic: "t", Payload: bytes.Repeat([]byte{'y'}, maxPacket-3-4)}, v4))
}

// maxPacket mirrors the limit the fuzz targets decode with.
const maxPacket = 64 << 10

var chunkPatterns = []struct {
	name   string
	chunks []byte
}{
	{"bytewise", []byte{0}},
	{"bytewise-eof-with-data", []byte{0x80}},
	{"chunks-2-7-release", []byte{1, 0x46}},
	{"chunks-3-128", []byte{2, 0x7f}},
	{"chunks-5-release-eof", []byte{0xc4}},
}

func packetTargets() {
	for _, s := range packetSeeds {
		add("FuzzDecode", s.name, s.data, byte(s.version))
		add("FuzzRoundTrip", s.name, s.data, byte(s.version))
	}
	// FuzzSplit: every stream of a few packets or of a size a split
	// matters for, under each chunk pattern; the rest under one pattern.
	for i, s := range packetSeeds {
		if strings.HasSuffix(s.name, "-session-stream") || strings.HasPrefix(s.name, "varint-boundary") ||
			strings.HasPrefix(s.name, "trailing-garbage") || strings.HasPrefix(s.name, "second-connect") {
			for _, c := range chunkPatterns {
				add("FuzzSplit", s.name+"-"+c.name, s.data, c.chunks, byte(s.version))
			}
			continue
		}
		c := chunkPatterns[i%len(chunkPatterns)]
		add("FuzzSplit", s.name+"-"+c.name, s.data, c.chunks, byte(s.version))
	}
}

func topicTargets() {
	const nul = "\x00"
	spec := strings.Join([]string{"sport/tennis/player1/#", "sport/tennis/+", "sport/#", "#", "+/tennis/#", "sport/+/player1", "+/+/+", "/+", "+"}, nul)
	for _, c := range []struct {
		name, filters, topicName string
		clients                  byte
	}{
		{"spec-examples-player1", spec, "sport/tennis/player1", 2},
		{"spec-examples-ranking", spec, "sport/tennis/player1/ranking", 2},
		{"spec-examples-sport", spec, "sport", 0},
		{"spec-examples-leading-slash", spec, "/finance", 1},
		{"dollar-topic", strings.Join([]string{"#", "+/monitor", "$SYS/#", "$SYS/+", "$share/g/#"}, nul), "$SYS/monitor", 3},
		{"hash-matches-parent", "a/#" + nul + "a/+/#" + nul + "a/b/#", "a/b", 1},
		{"empty-levels", strings.Join([]string{"+/+", "/#", "+", "//", "+//+", "a/+/b"}, nul), "a//b", 1},
		{"single-slash", strings.Join([]string{"+/+", "/", "#", "+"}, nul), "/", 1},
		{"trailing-slash", strings.Join([]string{"a/+", "a/", "a/#", "a"}, nul), "a/", 1},
		{"shared-groups", strings.Join([]string{"$share/g1/a/b", "$share/g2/a/b", "$share/g1/a/+", "$share/g1/#", "a/b"}, nul), "a/b", 4},
		{"shared-invalid", strings.Join([]string{"$share/", "$share/g", "$share/g/", "$share/+/a", "$share/g/a#"}, nul), "a", 1},
		{"many-clients-table", strings.Join([]string{"a/b", "a/+", "#"}, nul), "a/b", 63},
		{"many-clients-hash-result", strings.Join([]string{"x", "+"}, nul), "x", 20},
		{"unsubscribe-some", strings.Join([]string{"a/b", "a/+", "#", "\xffa/+", "\xff#", "\xffnot/there"}, nul), "a/b", 5},
		{"unsubscribe-shrink-table", strings.Join([]string{"a/b", "\xffa/b", "a/b"}, nul), "a/b", 40},
		{"unsubscribe-shared", strings.Join([]string{"$share/g/a", "\xff$share/g/a", "$share/h/a"}, nul), "a", 3},
		{"resubscribe-replaces", strings.Join([]string{"a", "a", "+", "a"}, nul), "a", 2},
		{"invalid-filters-skipped", strings.Join([]string{"a/#/b", "a+", "#a", "", "a\x01/b"}, nul), "a/b", 1},
		{"utf8-levels", strings.Join([]string{"\xf0\x9f\x98\x80/+", "+/\xc3\xa9", "\xef\xbf\xbf"}, nul), "\xf0\x9f\x98\x80/\xc3\xa9", 2},
		{"deep", strings.Repeat("+/", 30) + "#", strings.Repeat("l/", 40) + "end", 1},
		// Clients take different subsets of the filters (client c takes
		// filter i when c == i%k or (c*(i+1)+clients)%3 != 0), so their
		// merged deliveries differ; a set top bit makes c{clients%k} the
		// publisher, whose No Local subscriptions take no part.
		{"subsets-merge", strings.Join([]string{"a/b", "a/+", "+/b", "#", "a/#", "+/+"}, nul), "a/b", 5},
		{"subsets-publisher-nolocal", strings.Join([]string{"a/b", "a/+", "+/b", "#", "a/#", "+/+"}, nul), "a/b", 0x80 | 5},
		{"subsets-publisher-c0", strings.Join([]string{"x", "+", "#", "x/#"}, nul), "x", 0x80 | 3},
		{"subsets-unsubscribe-absent", strings.Join([]string{"a", "+", "#", "\xffa", "\xff+", "\xff#", "a"}, nul), "a", 7},
		{"subsets-shared-and-plain", strings.Join([]string{"$share/g/a", "a", "$share/h/+", "+", "\xffa", "$share/g/#"}, nul), "a", 0x80 | 4},
		{"subsets-table-leaf", strings.Join([]string{"t", "t", "+", "t/#", "\xfft"}, nul), "t", 0x80 | 63},
	} {
		add("FuzzTopicIndex", c.name, c.filters, c.topicName, c.clients)
	}
	for _, c := range []struct{ name, filter, topicName string }{
		{"hash-all", "#", "a/b/c"},
		{"hash-dollar", "#", "$SYS/x"},
		{"plus-dollar", "+/x", "$SYS/x"},
		{"dollar-literal", "$SYS/#", "$SYS"},
		{"plus-empty-level", "+", ""},
		{"plus-slash", "+/+", "/"},
		{"hash-parent", "a/#", "a"},
		{"plus-no-parent", "a/+", "a"},
		{"hash-not-last", "a/#/b", "a/x/b"},
		{"plus-partial", "a/b+", "a/b+"},
		{"share-filter", "$share/g/a", "$share/g/a"},
		{"nul-name", "a", "a\x00"},
		{"nul-after-16-ascii", "abcdefghijklmnop\x00", "abcdefghijklmnop\x00"},
		{"invalid-after-8-ascii", "abcdefgh\xff", "abcdefgh\xc3"},
		{"surrogate", "\xed\xa0\x80", "\xed\xa0\x80"},
		{"overlong", "\xc0\xaf", "\xc0\xaf"},
		{"u+ffff", "\xef\xbf\xbf", "\xef\xbf\xbf"},
		{"4-byte", "+/\xf0\x9f\x98\x80", "a/\xf0\x9f\x98\x80"},
		{"truncated", "a/\xe2\x82", "a/\xe2\x82"},
		{"long", strings.Repeat("a/", 20) + "#", strings.Repeat("a/", 30)},
		// Wildcards that do not fill their level, or are not last.
		{"hash-after-char", "a#", "a"},
		{"hash-after-char-level-2", "a/b#", "a/b"},
		{"hash-first-not-last", "#/a", "x/a"},
		{"hash-trailing-slash", "a/#/", "a/b"},
		{"plus-before-char", "a/+b", "a/+b"},
		{"plus-after-char", "a/b+/c", "a/b/c"},
		{"plus-hash", "+#", "a"},
		{"hash-plus", "#+", "a"},
		{"plus-plus", "++", "a"},
		{"wildcards-only", "+/+/#", "a/b"},
		{"hash-in-name", "a/#", "a/#"},
		{"plus-in-name", "a/+", "a/+"},
		// Shared subscriptions.
		{"share-hash-after-char", "$share/g/a#", "a"},
		{"share-plus-after-char", "$share/g/a+", "a"},
		{"share-empty-group", "$share//a", "a"},
		{"share-no-slash", "$share/g", "a"},
		{"share-no-inner", "$share/g/", "a"},
		{"share-only-prefix", "$share/", "a"},
		{"share-hash-group", "$share/#/a", "a"},
		{"share-plus-group", "$share/+/a", "a"},
		{"share-group-with-hash", "$share/g#/a", "a"},
		{"share-hash-inner", "$share/g/#", "a/b"},
		{"share-plus-inner", "$share/g/+/b", "a/b"},
		{"share-inner-share", "$share/g/$share/h", "$share/h"},
		{"share-inner-empty-level", "$share/g//", "/"},
		{"share-uppercase-is-ordinary", "$SHARE/g/a#", "a"},
		{"share-without-slash-is-ordinary", "$share", "$share"},
		{"share-name-is-valid-name", "a", "$share/g/a"},
		{"share-nul-group", "$share/g\x00/a", "a"},
		{"share-invalid-utf8-group", "$share/\xff/a", "a"},
		// Names starting with '$' against wildcards in the first level.
		// ("+/x" and "#" against "$SYS/x": plus-dollar, hash-dollar above.)
		{"dollar-plus-hash", "+/#", "$SYS/x"},
		{"dollar-literal-plus", "$SYS/+", "$SYS/x"},
		{"dollar-second-level", "a/+", "a/$x"},
		{"dollar-only", "#", "$"},
		// Lengths at and past the limit.
		{"length-65535", strings.Repeat("a", 65535), strings.Repeat("b", 65535)},
		{"length-65536", strings.Repeat("a", 65534) + "/#", strings.Repeat("b", 65536)},
	} {
		add("FuzzTopicValidate", c.name, c.filter, c.topicName)
	}
	for _, c := range []struct{ name, names, filter string }{
		{"spec-examples", strings.Join([]string{"sport/tennis/player1", "sport/tennis/player1/ranking", "sport/tennis/player1/score/wimbledon", "sport", "sport/", "/finance"}, nul), "sport/tennis/player1/#"},
		{"plus-one-level", strings.Join([]string{"sport/tennis", "sport/tennis/player1", "sport", "sport/"}, nul), "sport/+"},
		{"hash-parent", strings.Join([]string{"a", "a/b", "a/b/c", "ab", "b/a"}, nul), "a/#"},
		{"dollar-names", strings.Join([]string{"$SYS/x", "$SYS", "$share/g/x", "a/x", "a/$x", "$"}, nul), "+/x"},
		{"dollar-hash", strings.Join([]string{"$SYS/x", "$SYS", "x", "a/$b"}, nul), "#"},
		{"dollar-literal", strings.Join([]string{"$SYS/x", "$SYS/y/z", "$SYS"}, nul), "$SYS/#"},
		{"empty-levels", strings.Join([]string{"/", "//", "a//b", "/a", "a/", "a"}, nul), "+/+"},
		{"single-slash", strings.Join([]string{"/", "a", "/a"}, nul), "/"},
		{"replace", strings.Join([]string{"a", "a/b", "a", "a/b", "a"}, nul), "a/#"},
		{"delete-some", strings.Join([]string{"a", "a/b", "a/b/c", "\xffa/b", "b", "\xffb"}, nul), "a/#"},
		{"delete-absent", strings.Join([]string{"a/b", "\xffa", "\xffa/b/c", "\xff", "\xffa/+", "\xff/"}, nul), "#"},
		{"delete-prunes-then-set", strings.Join([]string{"a/b/c", "\xffa/b/c", "a/b", "a/b/c/d", "\xffa/b"}, nul), "a/+/+/+"},
		{"delete-then-reset", strings.Join([]string{"x", "\xffx", "x", "\xffx", "x"}, nul), "x"},
		{"invalid-names-skipped", strings.Join([]string{"a/+", "a/#", "", "a\x01\xff", "a/\xed\xa0\x80", "ok"}, nul), "#"},
		{"shared-filter-inner", strings.Join([]string{"a/b", "a/c", "b"}, nul), "$share/g/a/+"},
		{"invalid-filter", strings.Join([]string{"a/b", "a"}, nul), "a#"},
		{"deep", strings.Join([]string{strings.Repeat("l/", 40) + "end", strings.Repeat("l/", 20) + "x", "l"}, nul), strings.Repeat("+/", 30) + "#"},
		{"wide", strings.Join([]string{"w/0", "w/1", "w/2", "w/3", "w/4", "w/5", "w/6", "w/7", "w/8", "w/9"}, nul), "w/+"},
		{"utf8-levels", strings.Join([]string{"\xf0\x9f\x98\x80/\xc3\xa9", "\xef\xbf\xbf", "\xc3\xa9/x"}, nul), "+/\xc3\xa9"},
	} {
		add("FuzzTopicTree", c.name, c.names, c.filter)
	}
}

func main() {
	validSeeds()
	varintSeeds()
	flagSeeds()
	utf8Seeds()
	propertySeeds()
	miscSeeds()
	packetTargets()
	topicTargets()

	targets := make([]string, 0, len(corpus))
	for t := range corpus {
		targets = append(targets, t)
	}
	sort.Strings(targets)
	for _, target := range targets {
		dir := filepath.Join(root, target)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			log.Fatal(err)
		}
		old, err := os.ReadDir(dir)
		if err != nil {
			log.Fatal(err)
		}
		for _, e := range old {
			if !e.IsDir() && !strings.HasPrefix(e.Name(), "regression-") {
				if err := os.Remove(filepath.Join(dir, e.Name())); err != nil {
					log.Fatal(err)
				}
			}
		}
		for name, content := range corpus[target] {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
				log.Fatal(err)
			}
		}
		fmt.Printf("%s: %d seeds\n", target, len(corpus[target]))
	}
}
