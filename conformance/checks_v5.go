package conformance

import (
	"time"

	"github.com/eclipse/paho.golang/paho"
	"github.com/mqttx/mqttx/mqtt"
	"github.com/mqttx/mqttx/mqtt/packet"
	. "github.com/onsi/gomega"
)

// Checks of MQTT 5 features: properties, message expiry, topic aliases,
// flow control, packet size limits and the broker's DISCONNECT.

var _ = check(Check{
	Area: "properties", Name: "paho: message properties reach subscribers unchanged and in order",
	V5: []string{"MQTT-3.3.2-4", "MQTT-3.3.2-15", "MQTT-3.3.2-16", "MQTT-3.3.2-17", "MQTT-3.3.2-18", "MQTT-3.3.2-20"},
	Run: func(t *T) {
		topic := t.Topic("props")
		s, _ := t.Paho5(nil, nil)
		s.Sub(0, paho.SubscribeOptions{Topic: topic, QoS: 1})
		p, _ := t.Paho5(nil, nil)
		pf := byte(1)
		ups := paho.UserProperties{{Key: "z", Value: "1"}, {Key: "a", Value: "2"}, {Key: "z", Value: "0"}, {Key: "", Value: ""}}
		p.Pub(&paho.Publish{Topic: topic, QoS: 1, Payload: []byte(`{"a":1}`), Properties: &paho.PublishProperties{
			PayloadFormat: &pf, ContentType: "application/json; charset=utf-8", ResponseTopic: topic + "/reply",
			CorrelationData: []byte{0, 1, 2, 0xff}, User: ups,
		}})
		m := s.Next("the message with properties")
		if m.Properties == nil {
			t.Fatalf("expected the PUBLISH properties forwarded; got none")
		}
		pr := m.Properties
		t.Expect(pr.PayloadFormat).NotTo(BeNil(), "Payload Format Indicator forwarded")
		t.Expect(*pr.PayloadFormat).To(Equal(byte(1)))
		t.Expect(pr.ContentType).To(Equal("application/json; charset=utf-8"), "Content Type")
		t.Expect(pr.ResponseTopic).To(Equal(topic+"/reply"), "Response Topic")
		t.Expect(pr.CorrelationData).To(Equal([]byte{0, 1, 2, 0xff}), "Correlation Data")
		t.Expect(pr.User).To(Equal(ups), "User Properties, in order, repeats included")
	},
})

var _ = check(Check{
	Area: "properties", Name: "an expired message is not delivered",
	V5:    []string{"MQTT-3.3.2-5"},
	Needs: []Capability{CapSessionExpiry, CapQoS1},
	Run: func(t *T) {
		id, topic := t.ClientID(), t.Topic("exp")
		s, _ := t.Connect(resume(id))
		defer t.cleanEnd(id, t.V)
		s.Sub(topic, 1)
		s.Disconnect()
		p, _ := t.Connect()
		m := &packet.Publish{Topic: topic, QoS: 1, Payload: []byte("expires")}
		m.Properties.MessageExpiry = 1
		p.PubPacket(m)
		p.Pub(topic, "stays", 1, false)
		time.Sleep(2200 * time.Millisecond) // the 1 s expiry, with a margin
		s, _ = t.Connect(resume(id))
		got := s.ExpectPublishOn(topic)
		t.Expect(string(got.Payload)).To(Equal("stays"), "the expired message must have been dropped, the other kept")
		s.Disconnect()
	},
})

var _ = check(Check{
	Area: "properties", Name: "the forwarded expiry interval is reduced by the time waited",
	V5:    []string{"MQTT-3.3.2-6"},
	Needs: []Capability{CapSessionExpiry, CapQoS1},
	Run: func(t *T) {
		id, topic := t.ClientID(), t.Topic("exp")
		s, _ := t.Connect(resume(id))
		defer t.cleanEnd(id, t.V)
		s.Sub(topic, 1)
		s.Disconnect()
		p, _ := t.Connect()
		m := &packet.Publish{Topic: topic, QoS: 1, Payload: []byte("x")}
		m.Properties.MessageExpiry = 60
		p.PubPacket(m)
		time.Sleep(1100 * time.Millisecond) // at least one whole second waiting
		s, _ = t.Connect(resume(id))
		got := s.ExpectPublishOn(topic)
		t.Expect(got.Properties.Has(packet.PropMessageExpiry)).To(BeTrue(), "Message Expiry Interval forwarded")
		t.Expect(got.Properties.MessageExpiry <= 59).To(BeTrue(), "Message Expiry Interval after waiting over a second: %d", got.Properties.MessageExpiry)
		s.Disconnect()
	},
})

var _ = check(Check{
	Area: "properties", Name: "Request Problem Information 0 keeps reason strings and user properties off acknowledgements",
	V5:    []string{"MQTT-3.1.2-29"},
	Needs: []Capability{CapDenied, CapQoS1},
	Run: func(t *T) {
		c, _ := t.Connect(func(p *packet.Connect) {
			p.Properties.RequestProblemInfo = 0
			p.Properties.Set(packet.PropRequestProblemInfo)
		})
		ack := c.Pub(t.Profile().DeniedTopic, "x", 1, false).(*packet.Puback)
		t.Expect(ack.Properties.ReasonString).To(BeEmpty(), "PUBACK: %s", describe(ack, t.V))
		t.Expect(ack.Properties.User).To(BeEmpty(), "PUBACK: %s", describe(ack, t.V))
		sack := c.Subscribe(packet.Subscription{Filter: t.Profile().DeniedTopic})
		t.Expect(sack.Properties.ReasonString).To(BeEmpty(), "SUBACK: %s", describe(sack, t.V))
		t.Expect(sack.Properties.User).To(BeEmpty(), "SUBACK: %s", describe(sack, t.V))
	},
})

// smallMax is the Maximum Packet Size of the size-limit checks: room for
// any acknowledgement without properties, none for a reason string.
const smallMax = 12

func withMaxPacket(n uint32) func(*packet.Connect) {
	return func(p *packet.Connect) { p.Properties.MaximumPacketSize = n }
}

// expectFits fails when a received packet exceeds the client's limit.
func (c *Conn) expectFits(r Received, max int) {
	c.t.Helper()
	if r.Size > max {
		c.t.Fatalf("expected every packet within the client's Maximum Packet Size %d; got %d bytes: %s", max, r.Size, describe(r.Packet, c.V))
	}
}

var _ = check(Check{
	Area: "size", Name: "a message larger than the client's Maximum Packet Size is skipped as if delivered",
	V5:    []string{"MQTT-3.1.2-24", "MQTT-3.1.2-25"},
	Needs: []Capability{CapQoS1},
	Run: func(t *T) {
		topic := t.Topic("big")
		s, _ := t.Connect(withMaxPacket(128))
		s.Sub(topic, 1)
		p, _ := t.Connect()
		p.Pub(topic, payloadN("too big", 300), 1, false)
		p.Pub(topic, "small", 1, false)
		m := s.Await("PUBLISH on "+topic, func(x packet.Packet) bool { return x.Type() == packet.TypePublish })
		s.expectFits(m, 128)
		t.Expect(string(m.Packet.(*packet.Publish).Payload)).To(Equal("small"), "the next message after one too large for the client")
		for _, r := range s.Watch() {
			s.expectFits(r, 128)
		}
	},
})

type sizeCheck struct {
	name string
	ids  []string
	caps []Capability
	run  func(t *T, c *Conn) Received
}

var sizeChecks = []sizeCheck{
	{"a refusing PUBACK fits the client's Maximum Packet Size", []string{"MQTT-3.4.2-2", "MQTT-3.4.2-3", "MQTT-3.4.2-1"}, []Capability{CapDenied, CapQoS1},
		func(t *T, c *Conn) Received {
			c.Send(&packet.Publish{Topic: t.Profile().DeniedTopic, QoS: 1, PacketID: 1, Payload: []byte("x")})
			r := c.Expect(packet.TypePuback)
			t.Expect(packet.ValidReason(packet.TypePuback, r.Packet.(*packet.Puback).ReasonCode)).To(BeTrue())
			return r
		}},
	{"a refusing PUBREC fits the client's Maximum Packet Size", []string{"MQTT-3.5.2-2", "MQTT-3.5.2-3", "MQTT-3.5.2-1"}, []Capability{CapDenied, CapQoS2},
		func(t *T, c *Conn) Received {
			c.Send(&packet.Publish{Topic: t.Profile().DeniedTopic, QoS: 2, PacketID: 1, Payload: []byte("x")})
			r := c.Expect(packet.TypePubrec)
			t.Expect(packet.ValidReason(packet.TypePubrec, r.Packet.(*packet.Pubrec).ReasonCode)).To(BeTrue())
			return r
		}},
	{"a PUBCOMP for an unknown identifier fits the client's Maximum Packet Size", []string{"MQTT-3.7.2-2", "MQTT-3.7.2-3", "MQTT-3.7.2-1"}, []Capability{CapQoS2},
		func(t *T, c *Conn) Received {
			c.Send(&packet.Pubrel{PacketID: 999})
			r := c.Expect(packet.TypePubcomp)
			rc := r.Packet.(*packet.Pubcomp).ReasonCode
			t.Expect(rc == mqtt.Success || rc == mqtt.PacketIdentifierNotFound).To(BeTrue(), "PUBCOMP code %s", code(rc, packet.TypePubcomp))
			return r
		}},
	{"a refusing SUBACK fits the client's Maximum Packet Size", []string{"MQTT-3.9.2-1", "MQTT-3.9.2-2"}, []Capability{CapDenied},
		func(t *T, c *Conn) Received {
			c.Send(&packet.Subscribe{PacketID: 2, Subscriptions: []packet.Subscription{{Filter: t.Profile().DeniedTopic}}})
			return c.Expect(packet.TypeSuback)
		}},
	{"an UNSUBACK for no subscription fits the client's Maximum Packet Size", []string{"MQTT-3.11.2-1", "MQTT-3.11.2-2"}, nil,
		func(t *T, c *Conn) Received {
			c.Send(&packet.Unsubscribe{PacketID: 3, Filters: []string{t.Topic("none")}})
			return c.Expect(packet.TypeUnsuback)
		}},
	{"a DISCONNECT for a protocol error fits the client's Maximum Packet Size", []string{"MQTT-3.14.2-3", "MQTT-3.14.2-4"}, nil,
		func(t *T, c *Conn) Received {
			c.SendRaw(0x36, publishBody(mqtt.V5, str(t.Topic("q3")), 1, 1, "x"))
			for _, r := range c.ExpectClosed("malformed PUBLISH") {
				if r.Type() == packet.TypeDisconnect {
					return r
				}
			}
			return Received{Packet: &packet.Disconnect{}}
		}},
}

func init() {
	for _, sc := range sizeChecks {
		sc := sc
		check(Check{Area: "size", Name: sc.name, V5: sc.ids, Needs: sc.caps, Run: func(t *T) {
			c, _ := t.Connect(withMaxPacket(smallMax))
			r := sc.run(t, c)
			c.expectFits(r, smallMax)
		}})
	}
}

var _ = check(Check{
	Area: "size", Name: "a refusing CONNACK fits the client's Maximum Packet Size",
	V5:    []string{"MQTT-3.2.2-19", "MQTT-3.2.2-20"},
	Needs: []Capability{CapBadAuth},
	Run: func(t *T) {
		c := t.Dial(t.V)
		p := t.Profile()
		cp := t.ConnectPacket(t.V)
		cp.Username, cp.Password = p.BadUsername, []byte(p.BadPassword)
		cp.Properties.MaximumPacketSize = 24
		c.Send(cp)
		r := c.Expect(packet.TypeConnack)
		t.Expect(r.Packet.(*packet.Connack).ReasonCode >= 0x80).To(BeTrue(), "CONNACK to refused credentials")
		c.expectFits(r, 24)
	},
})

var _ = check(Check{
	Area: "alias", Name: "without a Topic Alias Maximum from the client the broker sends no aliases",
	V5: []string{"MQTT-3.1.2-27"},
	Run: func(t *T) {
		topic := t.Topic("noalias")
		p, s := t.pair(topic, 0)
		for i := 0; i < 3; i++ {
			p.Pub(topic, "x", 0, false)
			m := s.ExpectPublishOn(topic)
			t.Expect(m.Properties.Has(packet.PropTopicAlias)).To(BeFalse(), "Topic Alias sent to a client that allows none: %s", describe(m, t.V))
		}
	},
})

var _ = check(Check{
	Area: "alias", Name: "the broker's topic aliases stay within the client's maximum",
	V5: []string{"MQTT-3.1.2-26", "MQTT-3.3.2-11", "MQTT-3.3.2-8"},
	Run: func(t *T) {
		s, _ := t.Connect(func(p *packet.Connect) { p.Properties.TopicAliasMaximum = 2 })
		base := t.Topic()
		s.Sub(base+"/#", 0)
		p, _ := t.Connect()
		known := map[uint16]string{}
		for i := 0; i < 12; i++ {
			topic := base + "/" + itoa(i%4)
			p.Pub(topic, topic, 0, false)
			m := s.ExpectPublish()
			if m.Properties.Has(packet.PropTopicAlias) {
				a := m.Properties.TopicAlias
				t.Expect(a >= 1 && a <= 2).To(BeTrue(), "Topic Alias %d with the client's maximum 2", a)
				if m.Topic != "" {
					known[a] = m.Topic
				}
				t.Expect(known[a]).To(Equal(string(m.Payload)), "topic the alias %d stands for", a)
			} else {
				t.Expect(m.Topic).To(Equal(string(m.Payload)))
			}
		}
	},
})

var _ = check(Check{
	Area: "alias", Name: "the broker accepts topic aliases up to its maximum",
	V5:    []string{"MQTT-3.3.2-12"},
	Needs: []Capability{CapTopicAlias},
	Run: func(t *T) {
		max := t.Caps.V["v5"].TopicAliasMax
		base := t.Topic()
		s, _ := t.Connect()
		s.Sub(base+"/#", 0)
		p, _ := t.Connect()
		for _, a := range []uint16{1, max} {
			topic := base + "/" + itoa(int(a))
			m := &packet.Publish{Topic: topic, Payload: []byte("set")}
			m.Properties.TopicAlias = a
			p.Send(m)
			m2 := &packet.Publish{Payload: []byte("by alias")}
			m2.Properties.TopicAlias = a
			p.Send(m2)
			t.Expect(s.ExpectPublishOn(topic).Payload).To(Equal([]byte("set")))
			t.Expect(string(s.ExpectPublishOn(topic).Payload)).To(Equal("by alias"), "message sent with only Topic Alias %d", a)
		}
	},
})

var _ = check(Check{
	Area: "alias", Name: "topic aliases do not carry over to a new connection",
	V5:    []string{"MQTT-3.3.2-7"},
	Needs: []Capability{CapTopicAlias},
	Run: func(t *T) {
		id := t.ClientID()
		topic := t.Topic("a")
		p, _ := t.Connect(withID(id))
		m := &packet.Publish{Topic: topic, Payload: []byte("set")}
		m.Properties.TopicAlias = 1
		p.Send(m)
		p.Disconnect()
		q, _ := t.Connect(withID(id))
		m2 := &packet.Publish{Payload: []byte("by alias")}
		m2.Properties.TopicAlias = 1
		q.Send(m2)
		q.ExpectMalformedClose("Topic Alias unknown on this connection", mqtt.ProtocolError, mqtt.TopicAliasInvalid)
	},
})

var _ = check(Check{
	Area: "flow", Name: "the broker keeps within the client's Receive Maximum and still answers other packets",
	V5:    []string{"MQTT-3.3.4-9", "MQTT-3.3.4-10", "MQTT-4.9.0-1", "MQTT-4.9.0-2", "MQTT-4.9.0-3"},
	Needs: []Capability{CapQoS1},
	Run: func(t *T) {
		topic := t.Topic("rm")
		s, _ := t.ConnectManual(func(p *packet.Connect) { p.Properties.ReceiveMaximum = 2 })
		s.Sub(topic, 1)
		p, _ := t.Connect()
		for i := 0; i < 5; i++ {
			p.Pub(topic, itoa(i), 1, false)
		}
		a, b := s.ExpectPublishOn(topic), s.ExpectPublishOn(topic)
		s.ExpectNoPublishOn(topic, "no third QoS 1 PUBLISH while two are unacknowledged (Receive Maximum 2)")
		// Other packets flow while the quota is zero.
		s.ExpectOpen("PINGREQ answered with a zero send quota")
		s.Sub(t.Topic("other"), 0)
		s.Send(&packet.Puback{PacketID: a.PacketID})
		c := s.ExpectPublishOn(topic)
		t.Expect(string(c.Payload)).To(Equal("2"), "the next message once one is acknowledged")
		s.ExpectNoPublishOn(topic, "still at most two unacknowledged")
		s.Send(&packet.Puback{PacketID: b.PacketID})
		s.Send(&packet.Puback{PacketID: c.PacketID})
		t.Expect(string(s.ExpectPublishOn(topic).Payload)).To(Equal("3"))
	},
})

var _ = check(Check{
	Area: "disconnect", Name: "the broker's DISCONNECT carries a valid code, no session expiry, and ends the connection",
	V5: []string{"MQTT-3.14.2-1", "MQTT-3.14.2-2", "MQTT-3.14.4-1", "MQTT-3.14.4-2", "MQTT-4.13.2-1"},
	Run: func(t *T) {
		id := t.ClientID()
		a, _ := t.Connect(withID(id))
		t.Connect(withID(id))
		got := a.ExpectClosed("session taken over")
		var disc *packet.Disconnect
		for i, r := range got {
			if d, ok := r.Packet.(*packet.Disconnect); ok {
				disc = d
				if i != len(got)-1 {
					t.Fatalf("expected nothing after the broker's DISCONNECT; got %s", describe(got[i+1].Packet, t.V))
				}
			}
		}
		if disc == nil {
			t.Skipf("broker closed the taken-over connection without DISCONNECT")
		}
		t.Expect(packet.ValidReason(packet.TypeDisconnect, disc.ReasonCode)).To(BeTrue(), "DISCONNECT code")
		t.Expect(disc.Properties.Has(packet.PropSessionExpiry)).To(BeFalse(), "Session Expiry Interval in the broker's DISCONNECT")
	},
})
