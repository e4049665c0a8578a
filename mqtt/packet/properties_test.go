package packet

import (
	"bytes"
	"strconv"
	"testing"

	"github.com/mqttx/mqttx/mqtt"
)

func TestPropertyIDString(t *testing.T) {
	want := map[PropertyID]string{
		0x01: "Payload Format Indicator", 0x02: "Message Expiry Interval", 0x03: "Content Type",
		0x08: "Response Topic", 0x09: "Correlation Data", 0x0b: "Subscription Identifier",
		0x11: "Session Expiry Interval", 0x12: "Assigned Client Identifier", 0x13: "Server Keep Alive",
		0x15: "Authentication Method", 0x16: "Authentication Data", 0x17: "Request Problem Information",
		0x18: "Will Delay Interval", 0x19: "Request Response Information", 0x1a: "Response Information",
		0x1c: "Server Reference", 0x1f: "Reason String", 0x21: "Receive Maximum",
		0x22: "Topic Alias Maximum", 0x23: "Topic Alias", 0x24: "Maximum QoS", 0x25: "Retain Available",
		0x26: "User Property", 0x27: "Maximum Packet Size", 0x28: "Wildcard Subscription Available",
		0x29: "Subscription Identifier Available", 0x2a: "Shared Subscription Available",
	}
	for id := range 256 {
		w, ok := want[PropertyID(id)]
		if !ok {
			w = "property 0x" + strconv.FormatUint(uint64(id), 16)
		}
		if got := PropertyID(id).String(); got != w {
			t.Errorf("PropertyID(%#x).String() = %q, want %q", id, got, w)
		}
		if PropertyID(id).Defined() != ok {
			t.Errorf("PropertyID(%#x).Defined() = %v, want %v", id, !ok, ok)
		}
	}
}

// TestPropertyAllowedIn checks the property table against the table of
// section 2.2.2.2 of MQTT 5.0, written out again here ("W" is the Will
// Properties).
func TestPropertyAllowedIn(t *testing.T) {
	C, CA, P, PA, PRC, PRL, PCO, S, SA, U, UA, D, A := TypeConnect, TypeConnack, TypePublish, TypePuback, TypePubrec, TypePubrel, TypePubcomp, TypeSubscribe, TypeSuback, TypeUnsubscribe, TypeUnsuback, TypeDisconnect, TypeAuth
	const W = Type(0)
	spec := map[PropertyID][]Type{
		PropPayloadFormat:        {P, W},
		PropMessageExpiry:        {P, W},
		PropContentType:          {P, W},
		PropResponseTopic:        {P, W},
		PropCorrelationData:      {P, W},
		PropSubscriptionID:       {P, S},
		PropSessionExpiry:        {C, CA, D},
		PropAssignedClientID:     {CA},
		PropServerKeepAlive:      {CA},
		PropAuthMethod:           {C, CA, A},
		PropAuthData:             {C, CA, A},
		PropRequestProblemInfo:   {C},
		PropWillDelay:            {W},
		PropRequestResponseInfo:  {C},
		PropResponseInfo:         {CA},
		PropServerReference:      {CA, D},
		PropReasonString:         {CA, PA, PRC, PRL, PCO, SA, UA, D, A},
		PropReceiveMaximum:       {C, CA},
		PropTopicAliasMaximum:    {C, CA},
		PropTopicAlias:           {P},
		PropMaximumQoS:           {CA},
		PropRetainAvailable:      {CA},
		PropUser:                 {C, CA, P, PA, PRC, PRL, PCO, S, SA, U, UA, D, A, W},
		PropMaximumPacketSize:    {C, CA},
		PropWildcardSubAvailable: {CA},
		PropSubIDAvailable:       {CA},
		PropSharedSubAvailable:   {CA},
	}
	for id := range 256 {
		in := map[Type]bool{}
		for _, ty := range spec[PropertyID(id)] {
			in[ty] = true
		}
		for ty := TypeConnect; ty <= TypeAuth; ty++ {
			if got := PropertyID(id).AllowedIn(ty); got != in[ty] {
				t.Errorf("%v.AllowedIn(%v) = %v, want %v", PropertyID(id), ty, got, in[ty])
			}
		}
		if got := PropertyID(id).AllowedInWill(); got != in[W] {
			t.Errorf("%v.AllowedInWill() = %v, want %v", PropertyID(id), got, in[W])
		}
	}
}

func TestPropertiesSetClearHas(t *testing.T) {
	var p Properties
	if !p.Empty() || p.Has(PropMaximumQoS) {
		t.Fatalf("zero Properties not empty")
	}
	p.Set(PropMaximumQoS) // an explicit 0
	if p.Empty() || !p.Has(PropMaximumQoS) {
		t.Errorf("Set(Maximum QoS) not recorded")
	}
	c := &Connack{Properties: p}
	b, err := c.Append(nil, mqtt.V5)
	if want := []byte{0x20, 0x05, 0x00, 0x00, 0x02, 0x24, 0x00}; err != nil || !bytes.Equal(b, want) {
		t.Errorf("CONNACK with Maximum QoS 0: % x, %v; want % x", b, err, want)
	}
	p.ReasonString = "r"
	p.User = append(p.User, UserProperty{"a", "b"})
	p.SubscriptionIDs = append(p.SubscriptionIDs, 1)
	p.CorrelationData = []byte{1}
	for _, id := range []PropertyID{PropReasonString, PropUser, PropSubscriptionID, PropCorrelationData} {
		if !p.Has(id) {
			t.Errorf("Has(%v) = false for a non-zero field", id)
		}
	}
	for _, id := range []PropertyID{PropMaximumQoS, PropReasonString, PropUser, PropSubscriptionID, PropCorrelationData} {
		p.Clear(id)
		if p.Has(id) {
			t.Errorf("Has(%v) after Clear", id)
		}
	}
	if !p.Empty() {
		t.Errorf("not empty after clearing everything: %+v", p)
	}
	// Clear zeroes every field, whatever its kind.
	for id := range 64 {
		if !PropertyID(id).Defined() {
			continue
		}
		q := goldenProperties()
		q.Clear(PropertyID(id))
		if q.Has(PropertyID(id)) {
			t.Errorf("Clear(%v) left it present", PropertyID(id))
		}
	}
}

// goldenProperties is a set with every property present.
func goldenProperties() Properties {
	var all Properties
	for _, g := range goldens {
		p, _, err := Decode(g.b, g.v)
		if err != nil {
			continue
		}
		eachProperties(p, func(pp *Properties) {
			m := pp.present
			all.present |= m
			merge(&all, pp)
		})
	}
	return all
}

func merge(dst, src *Properties) {
	for id := range 64 {
		if src.present&(1<<id) == 0 {
			continue
		}
		switch PropertyID(id) {
		case PropSubscriptionID:
			dst.SubscriptionIDs = append(dst.SubscriptionIDs, src.SubscriptionIDs...)
		case PropUser:
			dst.User = append(dst.User, src.User...)
		case PropCorrelationData:
			dst.CorrelationData = src.CorrelationData
		case PropAuthData:
			dst.AuthData = src.AuthData
		default:
			switch propTable[id].kind {
			case kindString:
				dst.setString(PropertyID(id), src.bytesOf(PropertyID(id)))
			default:
				dst.setInt(PropertyID(id), src.intOf(PropertyID(id)))
			}
		}
	}
}

func TestUserPropertiesKeepOrderAndRepeats(t *testing.T) {
	users := []UserProperty{{"b", "2"}, {"a", "1"}, {"b", "2"}, {"", ""}, {"é", "\u4e16"}}
	p := &Publish{Topic: "t", Properties: Properties{User: users}}
	b, err := p.Append(nil, mqtt.V5)
	if err != nil {
		t.Fatal(err)
	}
	q, _, err := Decode(b, mqtt.V5)
	if err != nil {
		t.Fatal(err)
	}
	got := q.(*Publish).Properties.User
	if len(got) != len(users) {
		t.Fatalf("got %d user properties, want %d", len(got), len(users))
	}
	for i := range users {
		if got[i] != users[i] {
			t.Errorf("user property %d = %v, want %v", i, got[i], users[i])
		}
	}
}

// TestPropertiesDecodeReset: a reused packet does not keep the properties
// of the one before.
func TestPropertiesDecodeReset(t *testing.T) {
	d := Decoder{Version: mqtt.V5}
	with, _ := (&Puback{PacketID: 1, ReasonCode: 0x10, Properties: Properties{ReasonString: "r", User: []UserProperty{{"a", "b"}}}}).Append(nil, mqtt.V5)
	without, _ := (&Puback{PacketID: 2}).Append(nil, mqtt.V5)
	if _, _, err := d.Decode(with); err != nil {
		t.Fatal(err)
	}
	p, _, err := d.Decode(without)
	if err != nil || !samePacket(p, &Puback{PacketID: 2}) {
		t.Errorf("got %s, %v; want a bare PUBACK 2", show(p), err)
	}
	if !p.(*Puback).Properties.Empty() {
		t.Errorf("properties of the previous PUBACK kept")
	}
}
