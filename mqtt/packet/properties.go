package packet

import (
	"math/bits"
	"strconv"

	"github.com/mqttx/mqttx/mqtt"
)

// PropertyID identifies an MQTT 5 property.
type PropertyID byte

// The MQTT 5 properties (section 2.2.2.2).
const (
	PropPayloadFormat        PropertyID = 0x01
	PropMessageExpiry        PropertyID = 0x02
	PropContentType          PropertyID = 0x03
	PropResponseTopic        PropertyID = 0x08
	PropCorrelationData      PropertyID = 0x09
	PropSubscriptionID       PropertyID = 0x0B
	PropSessionExpiry        PropertyID = 0x11
	PropAssignedClientID     PropertyID = 0x12
	PropServerKeepAlive      PropertyID = 0x13
	PropAuthMethod           PropertyID = 0x15
	PropAuthData             PropertyID = 0x16
	PropRequestProblemInfo   PropertyID = 0x17
	PropWillDelay            PropertyID = 0x18
	PropRequestResponseInfo  PropertyID = 0x19
	PropResponseInfo         PropertyID = 0x1A
	PropServerReference      PropertyID = 0x1C
	PropReasonString         PropertyID = 0x1F
	PropReceiveMaximum       PropertyID = 0x21
	PropTopicAliasMaximum    PropertyID = 0x22
	PropTopicAlias           PropertyID = 0x23
	PropMaximumQoS           PropertyID = 0x24
	PropRetainAvailable      PropertyID = 0x25
	PropUser                 PropertyID = 0x26
	PropMaximumPacketSize    PropertyID = 0x27
	PropWildcardSubAvailable PropertyID = 0x28
	PropSubIDAvailable       PropertyID = 0x29
	PropSharedSubAvailable   PropertyID = 0x2A
)

// willProps stands for the Will Properties of a CONNECT in the allowed
// masks; bit 0 is free because packet type 0 does not exist.
const willProps = 1 << 0

type propKind byte

const (
	kindByte propKind = iota + 1
	kindU16
	kindU32
	kindVarint
	kindString
	kindBinary
	kindPair
)

type propInfo struct {
	name    string
	kind    propKind
	allowed uint16 // bit t for packet type t, bit 0 for will properties
}

func in(ts ...Type) uint16 {
	var m uint16
	for _, t := range ts {
		m |= 1 << t
	}
	return m
}

// propTable is the one place that says which packet may carry which
// property, and of what type its value is.
var propTable = [256]propInfo{
	PropPayloadFormat:        {"Payload Format Indicator", kindByte, in(TypePublish) | willProps},
	PropMessageExpiry:        {"Message Expiry Interval", kindU32, in(TypePublish) | willProps},
	PropContentType:          {"Content Type", kindString, in(TypePublish) | willProps},
	PropResponseTopic:        {"Response Topic", kindString, in(TypePublish) | willProps},
	PropCorrelationData:      {"Correlation Data", kindBinary, in(TypePublish) | willProps},
	PropSubscriptionID:       {"Subscription Identifier", kindVarint, in(TypePublish, TypeSubscribe)},
	PropSessionExpiry:        {"Session Expiry Interval", kindU32, in(TypeConnect, TypeConnack, TypeDisconnect)},
	PropAssignedClientID:     {"Assigned Client Identifier", kindString, in(TypeConnack)},
	PropServerKeepAlive:      {"Server Keep Alive", kindU16, in(TypeConnack)},
	PropAuthMethod:           {"Authentication Method", kindString, in(TypeConnect, TypeConnack, TypeAuth)},
	PropAuthData:             {"Authentication Data", kindBinary, in(TypeConnect, TypeConnack, TypeAuth)},
	PropRequestProblemInfo:   {"Request Problem Information", kindByte, in(TypeConnect)},
	PropWillDelay:            {"Will Delay Interval", kindU32, willProps},
	PropRequestResponseInfo:  {"Request Response Information", kindByte, in(TypeConnect)},
	PropResponseInfo:         {"Response Information", kindString, in(TypeConnack)},
	PropServerReference:      {"Server Reference", kindString, in(TypeConnack, TypeDisconnect)},
	PropReasonString:         {"Reason String", kindString, in(TypeConnack, TypePuback, TypePubrec, TypePubrel, TypePubcomp, TypeSuback, TypeUnsuback, TypeDisconnect, TypeAuth)},
	PropReceiveMaximum:       {"Receive Maximum", kindU16, in(TypeConnect, TypeConnack)},
	PropTopicAliasMaximum:    {"Topic Alias Maximum", kindU16, in(TypeConnect, TypeConnack)},
	PropTopicAlias:           {"Topic Alias", kindU16, in(TypePublish)},
	PropMaximumQoS:           {"Maximum QoS", kindByte, in(TypeConnack)},
	PropRetainAvailable:      {"Retain Available", kindByte, in(TypeConnack)},
	PropUser:                 {"User Property", kindPair, 0xfffe | willProps},
	PropMaximumPacketSize:    {"Maximum Packet Size", kindU32, in(TypeConnect, TypeConnack)},
	PropWildcardSubAvailable: {"Wildcard Subscription Available", kindByte, in(TypeConnack)},
	PropSubIDAvailable:       {"Subscription Identifier Available", kindByte, in(TypeConnack)},
	PropSharedSubAvailable:   {"Shared Subscription Available", kindByte, in(TypeConnack)},
}

func init() {
	// PINGREQ and PINGRESP carry no properties at all.
	propTable[PropUser].allowed &^= in(TypePingreq, TypePingresp)
}

func (id PropertyID) String() string {
	if n := propTable[id].name; n != "" {
		return n
	}
	return "property 0x" + strconv.FormatUint(uint64(id), 16)
}

// Defined reports whether id is a property of MQTT 5.0.
func (id PropertyID) Defined() bool { return propTable[id].kind != 0 }

// AllowedIn reports whether a packet of type t may carry property id.
func (id PropertyID) AllowedIn(t Type) bool { return propTable[id].allowed&(1<<t) != 0 }

// AllowedInWill reports whether id may be one of the Will Properties.
func (id PropertyID) AllowedInWill() bool { return propTable[id].allowed&willProps != 0 }

// UserProperty is one name/value pair of a User Property.
type UserProperty struct {
	Key, Value string
}

// Properties holds the MQTT 5 properties of a packet or of a will. A
// property is encoded when its field is non-zero (non-empty) or when it
// was marked present with Set; Set is how an explicit zero, such as a
// Maximum QoS of 0, is sent. Decoding marks every property it finds, so a
// decoded packet encodes back to the same properties.
//
// Which properties a packet may carry is checked on Append and on decode;
// see PropertyID.AllowedIn.
type Properties struct {
	present uint64 // bit id for property id, set by Set and by decoding

	PayloadFormat        byte
	MessageExpiry        uint32
	ContentType          string
	ResponseTopic        string
	CorrelationData      []byte
	SubscriptionIDs      []uint32 // several in a PUBLISH, at most one in a SUBSCRIBE
	SessionExpiry        uint32
	AssignedClientID     string
	ServerKeepAlive      uint16
	AuthMethod           string
	AuthData             []byte
	RequestProblemInfo   byte
	WillDelay            uint32
	RequestResponseInfo  byte
	ResponseInfo         string
	ServerReference      string
	ReasonString         string
	ReceiveMaximum       uint16
	TopicAliasMaximum    uint16
	TopicAlias           uint16
	MaximumQoS           byte
	RetainAvailable      byte
	User                 []UserProperty // in order, repeats allowed
	MaximumPacketSize    uint32
	WildcardSubAvailable byte
	SubIDAvailable       byte
	SharedSubAvailable   byte
}

// Set marks property id present, so that it is encoded even when its
// field holds the zero value. Identifiers MQTT 5 does not define are
// ignored: Properties holds defined properties only (tests that must send
// an unknown or repeated property build the bytes with AppendRaw).
func (p *Properties) Set(id PropertyID) {
	if id.Defined() {
		p.present |= 1 << id
	}
}

// Clear removes property id: its field is zeroed and its mark dropped.
func (p *Properties) Clear(id PropertyID) {
	if !id.Defined() {
		return
	}
	p.present &^= 1 << id
	switch id {
	case PropPayloadFormat:
		p.PayloadFormat = 0
	case PropMessageExpiry:
		p.MessageExpiry = 0
	case PropContentType:
		p.ContentType = ""
	case PropResponseTopic:
		p.ResponseTopic = ""
	case PropCorrelationData:
		p.CorrelationData = nil
	case PropSubscriptionID:
		p.SubscriptionIDs = p.SubscriptionIDs[:0]
	case PropSessionExpiry:
		p.SessionExpiry = 0
	case PropAssignedClientID:
		p.AssignedClientID = ""
	case PropServerKeepAlive:
		p.ServerKeepAlive = 0
	case PropAuthMethod:
		p.AuthMethod = ""
	case PropAuthData:
		p.AuthData = nil
	case PropRequestProblemInfo:
		p.RequestProblemInfo = 0
	case PropWillDelay:
		p.WillDelay = 0
	case PropRequestResponseInfo:
		p.RequestResponseInfo = 0
	case PropResponseInfo:
		p.ResponseInfo = ""
	case PropServerReference:
		p.ServerReference = ""
	case PropReasonString:
		p.ReasonString = ""
	case PropReceiveMaximum:
		p.ReceiveMaximum = 0
	case PropTopicAliasMaximum:
		p.TopicAliasMaximum = 0
	case PropTopicAlias:
		p.TopicAlias = 0
	case PropMaximumQoS:
		p.MaximumQoS = 0
	case PropRetainAvailable:
		p.RetainAvailable = 0
	case PropUser:
		p.User = p.User[:0]
	case PropMaximumPacketSize:
		p.MaximumPacketSize = 0
	case PropWildcardSubAvailable:
		p.WildcardSubAvailable = 0
	case PropSubIDAvailable:
		p.SubIDAvailable = 0
	case PropSharedSubAvailable:
		p.SharedSubAvailable = 0
	}
}

// Has reports whether property id would be encoded: it was decoded, marked
// with Set, or its field is non-zero.
func (p *Properties) Has(id PropertyID) bool { return id.Defined() && p.mask()&(1<<id) != 0 }

// Append appends the Property Length and the properties as a packet
// carries them, unchecked: with AppendRaw it builds packet bodies by hand.
func (p *Properties) Append(b []byte) []byte { return p.appendTo(b) }

// Empty reports whether no property would be encoded.
func (p *Properties) Empty() bool { return p.mask() == 0 }

// reset empties p for reuse, keeping the capacity of its slices.
func (p *Properties) reset() {
	ids, user := p.SubscriptionIDs[:0], p.User[:0]
	*p = Properties{SubscriptionIDs: ids, User: user}
}

// bit is 1<<id when set is true.
func bit(set bool, id PropertyID) uint64 {
	if set {
		return 1 << id
	}
	return 0
}

// mask is the set of properties that would be encoded.
func (p *Properties) mask() uint64 {
	return p.present |
		bit(p.PayloadFormat != 0, PropPayloadFormat) | bit(p.MessageExpiry != 0, PropMessageExpiry) |
		bit(p.ContentType != "", PropContentType) | bit(p.ResponseTopic != "", PropResponseTopic) |
		bit(len(p.CorrelationData) != 0, PropCorrelationData) | bit(len(p.SubscriptionIDs) != 0, PropSubscriptionID) |
		bit(p.SessionExpiry != 0, PropSessionExpiry) | bit(p.AssignedClientID != "", PropAssignedClientID) |
		bit(p.ServerKeepAlive != 0, PropServerKeepAlive) | bit(p.AuthMethod != "", PropAuthMethod) |
		bit(len(p.AuthData) != 0, PropAuthData) | bit(p.RequestProblemInfo != 0, PropRequestProblemInfo) |
		bit(p.WillDelay != 0, PropWillDelay) | bit(p.RequestResponseInfo != 0, PropRequestResponseInfo) |
		bit(p.ResponseInfo != "", PropResponseInfo) | bit(p.ServerReference != "", PropServerReference) |
		bit(p.ReasonString != "", PropReasonString) | bit(p.ReceiveMaximum != 0, PropReceiveMaximum) |
		bit(p.TopicAliasMaximum != 0, PropTopicAliasMaximum) | bit(p.TopicAlias != 0, PropTopicAlias) |
		bit(p.MaximumQoS != 0, PropMaximumQoS) | bit(p.RetainAvailable != 0, PropRetainAvailable) |
		bit(len(p.User) != 0, PropUser) | bit(p.MaximumPacketSize != 0, PropMaximumPacketSize) |
		bit(p.WildcardSubAvailable != 0, PropWildcardSubAvailable) | bit(p.SubIDAvailable != 0, PropSubIDAvailable) |
		bit(p.SharedSubAvailable != 0, PropSharedSubAvailable)
}

// size is the encoded size of the properties in m, without the Property
// Length.
func (p *Properties) size(m uint64) int {
	n := 0
	for r := m; r != 0; r &= r - 1 {
		id := PropertyID(bits.TrailingZeros64(r))
		switch id {
		case PropSubscriptionID:
			for _, s := range p.SubscriptionIDs {
				n += 1 + VarintLen(s)
			}
		case PropUser:
			for _, u := range p.User {
				n += 5 + len(u.Key) + len(u.Value)
			}
		default:
			switch propTable[id].kind {
			case kindByte:
				n += 2
			case kindU16:
				n += 3
			case kindU32:
				n += 5
			case kindString, kindBinary:
				n += 3 + len(p.bytesOf(id))
			}
		}
	}
	return n
}

// bytesOf returns a string or binary property's value.
func (p *Properties) bytesOf(id PropertyID) string {
	switch id {
	case PropContentType:
		return p.ContentType
	case PropResponseTopic:
		return p.ResponseTopic
	case PropCorrelationData:
		return string(p.CorrelationData)
	case PropAssignedClientID:
		return p.AssignedClientID
	case PropAuthMethod:
		return p.AuthMethod
	case PropAuthData:
		return string(p.AuthData)
	case PropResponseInfo:
		return p.ResponseInfo
	case PropServerReference:
		return p.ServerReference
	case PropReasonString:
		return p.ReasonString
	}
	return ""
}

// intOf returns a byte or integer property's value.
func (p *Properties) intOf(id PropertyID) uint32 {
	switch id {
	case PropPayloadFormat:
		return uint32(p.PayloadFormat)
	case PropMessageExpiry:
		return p.MessageExpiry
	case PropSessionExpiry:
		return p.SessionExpiry
	case PropServerKeepAlive:
		return uint32(p.ServerKeepAlive)
	case PropRequestProblemInfo:
		return uint32(p.RequestProblemInfo)
	case PropWillDelay:
		return p.WillDelay
	case PropRequestResponseInfo:
		return uint32(p.RequestResponseInfo)
	case PropReceiveMaximum:
		return uint32(p.ReceiveMaximum)
	case PropTopicAliasMaximum:
		return uint32(p.TopicAliasMaximum)
	case PropTopicAlias:
		return uint32(p.TopicAlias)
	case PropMaximumQoS:
		return uint32(p.MaximumQoS)
	case PropRetainAvailable:
		return uint32(p.RetainAvailable)
	case PropMaximumPacketSize:
		return p.MaximumPacketSize
	case PropWildcardSubAvailable:
		return uint32(p.WildcardSubAvailable)
	case PropSubIDAvailable:
		return uint32(p.SubIDAvailable)
	case PropSharedSubAvailable:
		return uint32(p.SharedSubAvailable)
	}
	return 0
}

// appendTo appends the Property Length and the properties, in identifier
// order. An empty set is a Property Length of zero [MQTT-2.2.2-1].
func (p *Properties) appendTo(b []byte) []byte {
	m := p.mask()
	if m == 0 {
		return append(b, 0)
	}
	b = AppendVarint(b, uint32(p.size(m)))
	for r := m; r != 0; r &= r - 1 {
		id := PropertyID(bits.TrailingZeros64(r))
		switch id {
		case PropSubscriptionID:
			for _, s := range p.SubscriptionIDs {
				b = AppendVarint(append(b, byte(id)), s)
			}
			continue
		case PropUser:
			for _, u := range p.User {
				b = AppendString(AppendString(append(b, byte(id)), u.Key), u.Value)
			}
			continue
		}
		b = append(b, byte(id))
		switch propTable[id].kind {
		case kindByte:
			b = append(b, byte(p.intOf(id)))
		case kindU16:
			b = AppendUint16(b, uint16(p.intOf(id)))
		case kindU32:
			b = AppendUint32(b, p.intOf(id))
		case kindString, kindBinary:
			b = AppendString(b, p.bytesOf(id))
		}
	}
	return b
}

// propsLen is the encoded size of p with its Property Length prefix.
func propsLen(p *Properties) int {
	m := p.mask()
	if m == 0 {
		return 1
	}
	n := p.size(m)
	return VarintLen(uint32(n)) + n
}

// decode parses a Property Length and the properties that follow, for a
// packet (or will, t == 0) of type t.
func (p *Properties) decode(d *Decoder, c *cursor, t Type) {
	n := c.varint()
	if c.err != nil {
		return
	}
	raw := c.take(int(n))
	if c.err != nil {
		return
	}
	pc := cursor{b: raw}
	var allowed uint16 = 1 << t
	if t == 0 {
		allowed = willProps
	}
	for len(pc.b) > 0 && pc.err == nil {
		var id PropertyID
		if c0 := pc.b[0]; c0 < 0x80 {
			id, pc.b = PropertyID(c0), pc.b[1:]
		} else {
			// Every defined identifier fits in one byte; a longer one
			// must not be truncated into a defined one.
			x := pc.varint()
			if pc.err != nil {
				break
			}
			c.fail(mqtt.Malformed("", "unknown property identifier 0x"+strconv.FormatUint(uint64(x), 16)))
			return
		}
		info := &propTable[id]
		if info.kind == 0 {
			c.fail(mqtt.Malformed("", "unknown property identifier 0x"+strconv.FormatUint(uint64(id), 16)))
			return
		}
		if info.allowed&allowed == 0 {
			c.fail(mqtt.Malformed("", info.name+" is not allowed in "+where(t)))
			return
		}
		bit := uint64(1) << id
		if p.present&bit != 0 && id != PropUser && !(id == PropSubscriptionID && t == TypePublish) {
			c.fail(mqtt.Protocol("", info.name+" included more than once in "+where(t)))
			return
		}
		p.present |= bit
		switch id {
		case PropSubscriptionID:
			p.SubscriptionIDs = append(p.SubscriptionIDs, pc.varint())
			continue
		case PropUser:
			k := pc.binary()
			val := pc.binary()
			if pc.err == nil {
				p.User = append(p.User, UserProperty{d.str(k), d.str(val)})
			}
			continue
		case PropCorrelationData:
			p.CorrelationData = pc.binary()
			continue
		case PropAuthData:
			p.AuthData = pc.binary()
			continue
		}
		switch info.kind {
		case kindByte:
			p.setInt(id, uint32(pc.u8()))
		case kindU16:
			p.setInt(id, uint32(pc.u16()))
		case kindU32:
			p.setInt(id, pc.u32())
		case kindString:
			p.setString(id, d.str(pc.binary()))
		}
	}
	if pc.err != nil {
		c.fail(pc.err)
	}
}

func where(t Type) string {
	if t == 0 {
		return "Will Properties"
	}
	return t.String()
}

func (p *Properties) setInt(id PropertyID, x uint32) {
	switch id {
	case PropPayloadFormat:
		p.PayloadFormat = byte(x)
	case PropMessageExpiry:
		p.MessageExpiry = x
	case PropSessionExpiry:
		p.SessionExpiry = x
	case PropServerKeepAlive:
		p.ServerKeepAlive = uint16(x)
	case PropRequestProblemInfo:
		p.RequestProblemInfo = byte(x)
	case PropWillDelay:
		p.WillDelay = x
	case PropRequestResponseInfo:
		p.RequestResponseInfo = byte(x)
	case PropReceiveMaximum:
		p.ReceiveMaximum = uint16(x)
	case PropTopicAliasMaximum:
		p.TopicAliasMaximum = uint16(x)
	case PropTopicAlias:
		p.TopicAlias = uint16(x)
	case PropMaximumQoS:
		p.MaximumQoS = byte(x)
	case PropRetainAvailable:
		p.RetainAvailable = byte(x)
	case PropMaximumPacketSize:
		p.MaximumPacketSize = x
	case PropWildcardSubAvailable:
		p.WildcardSubAvailable = byte(x)
	case PropSubIDAvailable:
		p.SubIDAvailable = byte(x)
	case PropSharedSubAvailable:
		p.SharedSubAvailable = byte(x)
	}
}

func (p *Properties) setString(id PropertyID, s string) {
	switch id {
	case PropContentType:
		p.ContentType = s
	case PropResponseTopic:
		p.ResponseTopic = s
	case PropAssignedClientID:
		p.AssignedClientID = s
	case PropAuthMethod:
		p.AuthMethod = s
	case PropResponseInfo:
		p.ResponseInfo = s
	case PropServerReference:
		p.ServerReference = s
	case PropReasonString:
		p.ReasonString = s
	}
}

// validate checks the properties of a packet (or will, t == 0) of type t:
// each allowed there, values in range, strings valid.
func (p *Properties) validate(t Type) error {
	m := p.mask()
	if m == 0 {
		return nil
	}
	var allowed uint16 = 1 << t
	if t == 0 {
		allowed = willProps
	}
	for r := m; r != 0; r &= r - 1 {
		id := PropertyID(bits.TrailingZeros64(r))
		info := &propTable[id]
		if info.allowed&allowed == 0 {
			return mqtt.Malformed("", info.name+" is not allowed in "+where(t))
		}
		switch info.kind {
		case kindByte:
			// Every byte property is a 0/1 flag except Maximum QoS, which is 0 or 1 too
			// (a server that supports QoS 2 leaves it out).
			if x := p.intOf(id); x > 1 {
				return mqtt.Protocol("", info.name+" must be 0 or 1, not "+strconv.Itoa(int(x)))
			}
		case kindString:
			if s := p.bytesOf(id); !ValidString(s) {
				e := errString(mqtt.V5, info.name, s)
				switch id {
				case PropResponseTopic:
					e.Rule = "MQTT-3.3.2-13"
				case PropContentType:
					e.Rule = "MQTT-3.3.2-19"
				}
				return e
			}
		}
	}
	if m&(1<<PropReceiveMaximum) != 0 && p.ReceiveMaximum == 0 {
		return mqtt.Protocol("", "Receive Maximum of 0")
	}
	if m&(1<<PropMaximumPacketSize) != 0 && p.MaximumPacketSize == 0 {
		return mqtt.Protocol("", "Maximum Packet Size of 0")
	}
	if m&(1<<PropTopicAlias) != 0 && p.TopicAlias == 0 {
		return &mqtt.Error{Code: mqtt.TopicAliasInvalid, Rule: "MQTT-3.3.2-8", Reason: "Topic Alias of 0"}
	}
	if m&(1<<PropResponseTopic) != 0 {
		if p.ResponseTopic == "" {
			return &mqtt.Error{Code: mqtt.TopicNameInvalid, Rule: "MQTT-4.7.3-1", Reason: "empty Response Topic"}
		}
		if hasWildcard(p.ResponseTopic) {
			return &mqtt.Error{Code: mqtt.TopicNameInvalid, Rule: "MQTT-3.3.2-14", Reason: "Response Topic holds a wildcard"}
		}
	}
	if m&(1<<PropAuthData) != 0 && m&(1<<PropAuthMethod) == 0 {
		return mqtt.Protocol("", "Authentication Data without an Authentication Method")
	}
	for _, s := range p.SubscriptionIDs {
		if s == 0 || s > MaxVarint {
			return mqtt.Protocol("", "Subscription Identifier out of range 1 to 268435455")
		}
	}
	if t == TypeSubscribe && len(p.SubscriptionIDs) > 1 {
		return mqtt.Protocol("", "more than one Subscription Identifier in SUBSCRIBE")
	}
	if len(p.CorrelationData) > 0xffff || len(p.AuthData) > 0xffff {
		return mqtt.Malformed("", "binary property longer than 65535 bytes")
	}
	for _, u := range p.User {
		for _, s := range [2]string{u.Key, u.Value} {
			if !ValidString(s) {
				e := errString(mqtt.V5, "User Property", s)
				e.Rule = "MQTT-1.5.7-1"
				return e
			}
		}
	}
	return nil
}
