package conformance

import (
	"slices"

	"github.com/mqttx/mqttx/mqtt"
	"github.com/mqttx/mqttx/mqtt/packet"
	. "github.com/onsi/gomega"
)

// Checks of SUBSCRIBE, UNSUBSCRIBE and topic matching.

var _ = check(Check{
	Area: "subscribe", Name: "SUBACK answers every filter in order with the granted QoS or a failure",
	V5: []string{"MQTT-3.8.4-1", "MQTT-3.8.4-2", "MQTT-2.2.1-6", "MQTT-3.8.4-5", "MQTT-3.8.4-6", "MQTT-3.8.4-7",
		"MQTT-3.9.3-1", "MQTT-3.9.3-2", "MQTT-2.2.2-1"},
	V311:  []string{"MQTT-3.8.4-1", "MQTT-3.8.4-2", "MQTT-2.3.1-7", "MQTT-3.8.4-4", "MQTT-3.8.4-5", "MQTT-3.9.3-1", "MQTT-3.9.3-2"},
	Needs: []Capability{CapQoS2},
	Run: func(t *T) {
		c, _ := t.Connect()
		a, b, d := t.Topic("a"), t.Topic("b"), t.Topic("d")
		subs := []packet.Subscription{{Filter: a, QoS: 2}, {Filter: b, QoS: 0}, {Filter: d, QoS: 1}}
		refused := -1
		if dt := t.Profile().DeniedTopic; dt != "" {
			// A filter the broker refuses, in the middle.
			subs = append(subs[:2], append([]packet.Subscription{{Filter: dt, QoS: 1}}, subs[2:]...)...)
			refused = 2
		}
		p := &packet.Subscribe{PacketID: 0x4321, Subscriptions: subs}
		c.Send(p)
		// Decoding checks the property length and reason codes.
		ack, ok := c.ExpectNext("SUBACK").Packet.(*packet.Suback)
		if !ok {
			t.Fatalf("expected SUBACK as the answer to SUBSCRIBE")
		}
		t.Expect(ack.PacketID).To(Equal(uint16(0x4321)), "SUBACK packet identifier")
		t.Expect(ack.ReasonCodes).To(HaveLen(len(subs)), "one reason code per filter")
		for i, rc := range ack.ReasonCodes {
			if t.V == mqtt.V5 {
				t.Expect(packet.ValidReason(packet.TypeSuback, rc)).To(BeTrue(), "SUBACK code %s", code(rc, packet.TypeSuback))
			} else {
				t.Expect(slices.Contains([]mqtt.ReasonCode{0, 1, 2, 0x80}, rc)).To(BeTrue(), "3.1.1 SUBACK return code 0x%02X", byte(rc))
			}
			if i == refused {
				t.Expect(rc >= 0x80).To(BeTrue(), "the denied filter in position %d refused: %s", i, describe(ack, t.V))
				continue
			}
			// Requested QoS 2, 0, 1 in that order: the grants show the order.
			t.Expect(rc).To(Equal(mqtt.ReasonCode(subs[i].QoS)), "code for filter %d (QoS %d asked): %s", i, subs[i].QoS, describe(ack, t.V))
		}
		// Each filter acts as if subscribed alone.
		pub, _ := t.Connect()
		pub.Pub(a, "a", 2, false)
		pub.Pub(b, "b", 2, false)
		t.Expect(c.ExpectPublishOn(a).QoS).To(Equal(mqtt.QoS2))
		t.Expect(c.ExpectPublishOn(b).QoS).To(Equal(mqtt.QoS0))
	},
})

var _ = check(Check{
	Area: "subscribe", Name: "invalid wildcard filters are refused, never granted",
	V5:    []string{"MQTT-4.7.1-1", "MQTT-4.7.1-2"},
	V311:  []string{"MQTT-4.7.1-2", "MQTT-4.7.1-3"},
	Needs: []Capability{CapWildcard},
	Run: func(t *T) {
		for _, f := range []string{t.Topic("#", "x"), t.Topic("x#"), t.Topic("a+"), t.Topic("+b", "c")} {
			c, _ := t.Connect()
			c.Send(&packet.Subscribe{PacketID: 3, Subscriptions: []packet.Subscription{{Filter: f}}})
			if ack, ok := c.AwaitOrClose("SUBACK refusing "+f, func(p packet.Packet) bool { return p.Type() == packet.TypeSuback }); ok {
				rc := ack.Packet.(*packet.Suback).ReasonCodes
				t.Expect(len(rc) == 1 && rc[0] >= 0x80).To(BeTrue(), "filter %q must be refused: %s", f, describe(ack.Packet, t.V))
			}
		}
	},
})

var _ = check(Check{
	Area: "subscribe", Name: "wildcards match whole levels and # includes the parent",
	V5:    []string{"MQTT-4.7.1-1", "MQTT-4.7.1-2", "MQTT-3.3.2-3"},
	V311:  []string{"MQTT-4.7.1-2", "MQTT-4.7.1-3", "MQTT-3.3.2-3", "MQTT-3.8.3-2"},
	Needs: []Capability{CapWildcard},
	Run: func(t *T) {
		base := t.Topic()
		s, _ := t.Connect()
		s.Sub(base+"/+/z", 0)
		s.Sub(base+"/h/#", 0)
		p, _ := t.Connect()
		for _, topic := range []string{base + "/y/z", base + "/h", base + "/h/1/2"} {
			p.Pub(topic, "match", 0, false)
			m := s.ExpectPublishOn(topic)
			t.Expect(m.Topic).To(Equal(topic), "the delivered topic is the published one")
		}
		for _, topic := range []string{base + "/y/w/z", base + "/y", base + "/hh", base + "/z"} {
			p.Pub(topic, "no match", 0, false)
		}
		s.ExpectNo("no delivery of topics the filters do not match", func(x packet.Packet) bool {
			m, ok := x.(*packet.Publish)
			return ok && string(m.Payload) == "no match"
		})
	},
})

var _ = check(Check{
	Area: "subscribe", Name: "filters starting with a wildcard do not match topics starting with $",
	V5:    []string{"MQTT-4.7.2-1"},
	V311:  []string{"MQTT-4.7.2-1"},
	Needs: []Capability{CapWildcard},
	Run: func(t *T) {
		dollar := "$mqttcheck/" + t.env.run + "/" + t.ClientID()
		s, _ := t.Connect()
		s.Sub("#", 0)
		s.Sub("+/"+t.env.run+"/#", 0)
		own, _ := t.Connect()
		own.Sub(dollar, 0)
		p, _ := t.Connect()
		p.Pub(dollar, "x", 0, false)
		own.Watch()
		if _, ok := own.take(func(x packet.Packet) bool { return x.Type() == packet.TypePublish }); !ok {
			t.Skipf("broker does not route a client's publish to %q (it may reserve $ topics)", dollar)
		}
		s.ExpectNoPublishOn(dollar, "no match of # or +/… against a topic starting with $")
	},
})

var _ = check(Check{
	Area: "subscribe", Name: "matching applies no normalization",
	V5:   []string{"MQTT-4.7.3-4"},
	V311: []string{"MQTT-4.7.3-4"},
	Run: func(t *T) {
		base := t.Topic()
		s, _ := t.Connect()
		s.Sub(base+"/a/b", 0)
		p, _ := t.Connect()
		p.Pub(base+"/a/b", "same", 0, false)
		m := s.ExpectPublishOn(base + "/a/b")
		t.Expect(string(m.Payload)).To(Equal("same"))
		// Each variant from its own connection, so that a broker refusing
		// one of them does not hide the others.
		for _, topic := range []string{base + "/a//b", base + "/A/b", base + "/a/b/", base + "/a/b ", base + "/a/\u00e9"} {
			q, _ := t.Connect()
			q.Pub(topic, "different", 0, false)
		}
		s.ExpectNoPublish("only the exact topic matches")
	},
})

var _ = check(Check{
	Area: "subscribe", Name: "a string with U+FEFF is kept as sent",
	V5:   []string{"MQTT-1.5.4-3"},
	V311: []string{"MQTT-1.5.3-3"},
	Run: func(t *T) {
		base := t.Topic()
		bom := base + "/\ufeffx"
		s, _ := t.Connect()
		s.Sub(bom, 0)
		s.Sub(base+"/x", 0)
		p, _ := t.Connect()
		p.Pub(bom, "bom", 0, false)
		m := s.ExpectPublish()
		t.Expect(m.Topic).To(Equal(bom), "topic with U+FEFF as delivered")
		s.ExpectNoPublish("one delivery, to the filter with U+FEFF only")
	},
})

var _ = check(Check{
	Area: "subscribe", Name: "UNSUBSCRIBE is answered with UNSUBACK and stops deliveries",
	V5:   []string{"MQTT-3.10.4-2", "MQTT-3.10.4-4", "MQTT-3.10.4-5", "MQTT-2.2.1-6", "MQTT-3.11.3-2"},
	V311: []string{"MQTT-3.10.4-2", "MQTT-3.10.4-4", "MQTT-2.3.1-7"},
	Run: func(t *T) {
		topic := t.Topic("u")
		p, s := t.pair(topic, 0)
		ack := s.Unsub(topic)
		if t.V == mqtt.V5 {
			t.Expect(ack.ReasonCodes).To(HaveLen(1))
			t.Expect(ack.ReasonCodes[0]).To(Equal(mqtt.Success), "UNSUBACK code for an existing subscription")
		}
		p.Pub(topic, "after", 0, false)
		s.ExpectNoPublishOn(topic, "no delivery after UNSUBSCRIBE")
	},
})

var _ = check(Check{
	Area: "subscribe", Name: "UNSUBSCRIBE of filters never subscribed is still answered",
	V5:   []string{"MQTT-3.10.4-5", "MQTT-3.11.3-2"},
	V311: []string{"MQTT-3.10.4-5"},
	Run: func(t *T) {
		c, _ := t.Connect()
		ack := c.Unsub(t.Topic("never"))
		if t.V == mqtt.V5 {
			t.Expect(ack.ReasonCodes).To(HaveLen(1))
			rc := ack.ReasonCodes[0]
			t.Expect(rc == mqtt.Success || rc == mqtt.NoSubscriptionExisted).To(BeTrue(), "UNSUBACK code %s", code(rc, packet.TypeUnsuback))
		}
	},
})

var _ = check(Check{
	Area: "subscribe", Name: "UNSUBSCRIBE of several filters acts on each, with one UNSUBACK in order",
	V5:   []string{"MQTT-3.10.4-6", "MQTT-3.11.3-1", "MQTT-3.11.3-2"},
	V311: []string{"MQTT-3.10.4-6"},
	Run: func(t *T) {
		a, b, never := t.Topic("a"), t.Topic("b"), t.Topic("never")
		c, _ := t.Connect()
		c.Sub(a, 0)
		c.Sub(b, 0)
		ack := c.Unsub(a, never, b)
		if t.V == mqtt.V5 {
			t.Expect(ack.ReasonCodes).To(HaveLen(3), "one UNSUBACK code per filter")
			t.Expect(ack.ReasonCodes[0]).To(Equal(mqtt.Success), "first filter: %s", describe(ack, t.V))
			t.Expect(ack.ReasonCodes[1] == mqtt.NoSubscriptionExisted || ack.ReasonCodes[1] == mqtt.Success).To(BeTrue(), "second filter: %s", describe(ack, t.V))
			t.Expect(ack.ReasonCodes[2]).To(Equal(mqtt.Success), "third filter: %s", describe(ack, t.V))
		}
		c.ExpectNo("a single UNSUBACK", func(p packet.Packet) bool { return p.Type() == packet.TypeUnsuback })
		p, _ := t.Connect()
		p.Pub(a, "x", 0, false)
		p.Pub(b, "x", 0, false)
		c.ExpectNoPublish("both filters unsubscribed")
	},
})

var _ = check(Check{
	Area: "subscribe", Name: "UNSUBSCRIBE compares filters character by character",
	V5:    []string{"MQTT-3.10.4-1"},
	V311:  []string{"MQTT-3.10.4-1"},
	Needs: []Capability{CapWildcard},
	Run: func(t *T) {
		base := t.Topic()
		p, s := t.pair(base+"/+", 0)
		ack := s.Unsub(base + "/x")
		if t.V == mqtt.V5 {
			t.Expect(ack.ReasonCodes[0]).To(Equal(mqtt.NoSubscriptionExisted), "UNSUBACK for a filter matching but not equal to the subscription: %s", describe(ack, t.V))
		}
		p.Pub(base+"/x", "still", 0, false)
		t.Expect(string(s.ExpectPublishOn(base+"/x").Payload)).To(Equal("still"), "the wildcard subscription must remain")
	},
})

var _ = check(Check{
	Area: "subscribe", Name: "overlapping subscriptions give one copy at the highest QoS with every identifier",
	V5:    []string{"MQTT-3.3.4-2", "MQTT-3.3.4-3", "MQTT-3.3.4-4"},
	V311:  []string{"MQTT-3.3.5-1"},
	Needs: []Capability{CapWildcard, CapQoS2, CapSingleCopy},
	Run: func(t *T) {
		base := t.Topic()
		s, _ := t.Connect()
		sid := func(id uint32) *packet.Properties {
			if t.V != mqtt.V5 || !t.Caps.V["v5"].SubID {
				return nil
			}
			return &packet.Properties{SubscriptionIDs: []uint32{id}}
		}
		s.SubscribeWith(sid(11), packet.Subscription{Filter: base + "/+", QoS: 1})
		s.SubscribeWith(sid(22), packet.Subscription{Filter: base + "/x", QoS: 2})
		p, _ := t.Connect()
		p.Pub(base+"/x", "x", 2, false)
		m := s.ExpectPublishOn(base + "/x")
		t.Expect(m.QoS).To(Equal(mqtt.QoS2), "QoS of the copy for overlapping subscriptions of QoS 1 and 2")
		if sid(1) != nil {
			ids := slices.Clone(m.Properties.SubscriptionIDs)
			slices.Sort(ids)
			t.Expect(ids).To(Equal([]uint32{11, 22}), "subscription identifiers of the single copy")
		}
		s.ExpectNoPublishOn(base+"/x", "a single copy (profile: overlappingCopies single)")
	},
})

var _ = check(Check{
	Area: "subscribe", Name: "overlapping subscriptions give one copy each with its own identifier",
	V5:    []string{"MQTT-3.3.4-2", "MQTT-3.3.4-5"},
	V311:  []string{"MQTT-3.3.5-1"},
	Needs: []Capability{CapWildcard, CapQoS2, CapMultipleCopy},
	Run: func(t *T) {
		base := t.Topic()
		s, _ := t.Connect()
		withID := t.V == mqtt.V5 && t.Caps.V["v5"].SubID
		var p1, p2 *packet.Properties
		if withID {
			p1, p2 = &packet.Properties{SubscriptionIDs: []uint32{11}}, &packet.Properties{SubscriptionIDs: []uint32{22}}
		}
		s.SubscribeWith(p1, packet.Subscription{Filter: base + "/+", QoS: 1})
		s.SubscribeWith(p2, packet.Subscription{Filter: base + "/x", QoS: 2})
		p, _ := t.Connect()
		p.Pub(base+"/x", "x", 2, false)
		a, b := s.ExpectPublishOn(base+"/x"), s.ExpectPublishOn(base+"/x")
		if a.QoS < b.QoS {
			a, b = b, a
		}
		t.Expect(a.QoS).To(Equal(mqtt.QoS2), "the copies must include one at QoS 2")
		if withID {
			t.Expect(a.Properties.SubscriptionIDs).To(Equal([]uint32{22}), "identifier of the QoS 2 subscription's copy")
			t.Expect(b.Properties.SubscriptionIDs).To(Equal([]uint32{11}), "identifier of the QoS 1 subscription's copy")
		}
	},
})

var _ = check(Check{
	Area: "subscribe", Name: "No Local keeps a client's own messages from it",
	V5: []string{"MQTT-3.8.3-3"},
	Run: func(t *T) {
		topic := t.Topic("nl")
		c, _ := t.Connect()
		c.Subscribe(packet.Subscription{Filter: topic, NoLocal: true})
		other, _ := t.Connect()
		other.Sub(topic, 0)
		c.Pub(topic, "own", 0, false)
		other.ExpectPublishOn(topic)
		c.ExpectNoPublishOn(topic, "no delivery of its own message to a No Local subscriber")
	},
})

var _ = check(Check{
	Area: "subscribe", Name: "a subscription identifier is sent with matching messages",
	V5:    []string{"MQTT-3.3.4-3"},
	Needs: []Capability{CapSubID},
	Run: func(t *T) {
		topic := t.Topic("sid")
		s, _ := t.Connect()
		s.SubscribeWith(&packet.Properties{SubscriptionIDs: []uint32{268435455}}, packet.Subscription{Filter: topic})
		p, _ := t.Connect()
		p.Pub(topic, "x", 0, false)
		t.Expect(s.ExpectPublishOn(topic).Properties.SubscriptionIDs).To(Equal([]uint32{268435455}))
	},
})
