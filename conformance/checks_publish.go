package conformance

import (
	"fmt"

	"github.com/eclipse/paho.golang/paho"
	"github.com/mqttx/mqttx/mqtt"
	"github.com/mqttx/mqttx/mqtt/packet"
	. "github.com/onsi/gomega"
)

// Checks of PUBLISH and the QoS 0, 1 and 2 flows, in both directions.

var _ = check(Check{
	Area: "publish", Name: "QoS 0 is delivered with QoS 0, DUP 0 and no packet identifier",
	V5:   []string{"MQTT-4.3.1-1", "MQTT-3.3.1-2", "MQTT-2.2.1-2", "MQTT-3.3.4-1"},
	V311: []string{"MQTT-4.3.1-1", "MQTT-3.3.1-2", "MQTT-2.3.1-5", "MQTT-3.3.4-1", "MQTT-7.0.0-2"},
	Run: func(t *T) {
		topic := t.Topic("q0")
		pub, sub := t.pair(topic, 0)
		pub.Pub(topic, "abc", 0, false)
		// A packet identifier sent on QoS 0 would show as two extra payload
		// bytes (3.1.1) or break the property length (5.0).
		m := sub.ExpectPublishOn(topic)
		t.Expect(m.QoS).To(Equal(mqtt.QoS0), "delivered QoS")
		t.Expect(m.Dup).To(BeFalse(), "DUP of a QoS 0 delivery")
		t.Expect(string(m.Payload)).To(Equal("abc"), "payload")
		pub.ExpectNo("no acknowledgement of a QoS 0 PUBLISH", func(p packet.Packet) bool {
			return p.Type() == packet.TypePuback || p.Type() == packet.TypePubrec
		})
	},
})

var _ = check(Check{
	Area: "publish", Name: "a QoS 1 PUBLISH is answered with a PUBACK of its packet identifier",
	V5:    []string{"MQTT-2.2.1-5", "MQTT-3.3.4-1", "MQTT-4.3.2-4", "MQTT-3.4.2-1"},
	V311:  []string{"MQTT-2.3.1-6", "MQTT-3.3.4-1", "MQTT-4.3.2-2"},
	Needs: []Capability{CapQoS1},
	Run: func(t *T) {
		c, _ := t.Connect()
		c.Send(&packet.Publish{Topic: t.Topic("q1"), QoS: 1, PacketID: 0x1234, Payload: []byte("x")})
		a := c.ExpectNext("PUBACK").Packet
		ack, ok := a.(*packet.Puback)
		if !ok {
			t.Fatalf("expected PUBACK for packet identifier 0x1234; got %s", describe(a, t.V))
		}
		t.Expect(ack.PacketID).To(Equal(uint16(0x1234)), "PUBACK packet identifier")
		t.Expect(ack.ReasonCode < 0x80).To(BeTrue(), "PUBACK code %s", code(ack.ReasonCode, packet.TypePuback))
		t.Expect(packet.ValidReason(packet.TypePuback, ack.ReasonCode)).To(BeTrue(), "PUBACK code must be a PUBACK reason code")
	},
})

var _ = check(Check{
	Area: "publish", Name: "a QoS 2 PUBLISH is answered with PUBREC, and PUBREL with PUBCOMP, of its packet identifier",
	V5:    []string{"MQTT-2.2.1-5", "MQTT-4.3.3-8", "MQTT-4.3.3-11", "MQTT-3.5.2-1", "MQTT-3.7.2-1"},
	V311:  []string{"MQTT-2.3.1-6", "MQTT-4.3.3-2"},
	Needs: []Capability{CapQoS2},
	Run: func(t *T) {
		c, _ := t.Connect()
		c.Send(&packet.Publish{Topic: t.Topic("q2"), QoS: 2, PacketID: 0x0203, Payload: []byte("x")})
		rec, ok := c.ExpectNext("PUBREC").Packet.(*packet.Pubrec)
		if !ok {
			t.Fatalf("expected PUBREC as the answer to a QoS 2 PUBLISH")
		}
		t.Expect(rec.PacketID).To(Equal(uint16(0x0203)), "PUBREC packet identifier")
		t.Expect(rec.ReasonCode < 0x80 && packet.ValidReason(packet.TypePubrec, rec.ReasonCode)).To(BeTrue(), "PUBREC code %s", code(rec.ReasonCode, packet.TypePubrec))
		c.Send(&packet.Pubrel{PacketID: 0x0203})
		comp, ok := c.ExpectNext("PUBCOMP").Packet.(*packet.Pubcomp)
		if !ok {
			t.Fatalf("expected PUBCOMP as the answer to PUBREL")
		}
		t.Expect(comp.PacketID).To(Equal(uint16(0x0203)), "PUBCOMP packet identifier")
		t.Expect(comp.ReasonCode).To(Equal(mqtt.Success), "PUBCOMP code")
	},
})

var _ = check(Check{
	Area: "publish", Name: "a repeated QoS 2 PUBLISH before PUBREL is acknowledged again and delivered once",
	V5:    []string{"MQTT-4.3.3-10"},
	V311:  []string{"MQTT-4.3.3-2"},
	Needs: []Capability{CapQoS2},
	Run: func(t *T) {
		topic := t.Topic("once")
		pub, sub := t.pair(topic, 2)
		p := &packet.Publish{Topic: topic, QoS: 2, PacketID: 9, Payload: []byte("once")}
		pub.Send(p)
		pub.Expect(packet.TypePubrec)
		p.Dup = true
		pub.Send(p)
		rec := pub.Expect(packet.TypePubrec).Packet.(*packet.Pubrec)
		t.Expect(rec.PacketID).To(Equal(uint16(9)), "PUBREC to the repeated PUBLISH")
		pub.Send(&packet.Pubrel{PacketID: 9})
		pub.Expect(packet.TypePubcomp)
		sub.ExpectPublishOn(topic)
		sub.ExpectNoPublishOn(topic, "a single delivery of a QoS 2 message sent twice before PUBREL")
	},
})

var _ = check(Check{
	Area: "publish", Name: "a packet identifier reused after PUBCOMP is a new message",
	V5:    []string{"MQTT-4.3.3-12"},
	V311:  []string{"MQTT-4.3.3-2"},
	Needs: []Capability{CapQoS2},
	Run: func(t *T) {
		topic := t.Topic("reuse2")
		pub, sub := t.pair(topic, 2)
		pub.PubPacket(&packet.Publish{Topic: topic, QoS: 2, PacketID: 7, Payload: []byte("first")})
		pub.PubPacket(&packet.Publish{Topic: topic, QoS: 2, PacketID: 7, Payload: []byte("second")})
		t.Expect(string(sub.ExpectPublishOn(topic).Payload)).To(Equal("first"))
		t.Expect(string(sub.ExpectPublishOn(topic).Payload)).To(Equal("second"), "the second message with packet identifier 7")
	},
})

var _ = check(Check{
	Area: "publish", Name: "a packet identifier reused after PUBACK is a new message even with DUP",
	V5:    []string{"MQTT-4.3.2-5"},
	Needs: []Capability{CapQoS1},
	Run: func(t *T) {
		topic := t.Topic("reuse1")
		pub, sub := t.pair(topic, 1)
		pub.PubPacket(&packet.Publish{Topic: topic, QoS: 1, PacketID: 5, Payload: []byte("first")})
		pub.PubPacket(&packet.Publish{Topic: topic, QoS: 1, PacketID: 5, Dup: true, Payload: []byte("second")})
		t.Expect(string(sub.ExpectPublishOn(topic).Payload)).To(Equal("first"))
		t.Expect(string(sub.ExpectPublishOn(topic).Payload)).To(Equal("second"), "the DUP PUBLISH after PUBACK is a new message")
	},
})

var _ = check(Check{
	Area: "publish", Name: "QoS 1 deliveries carry distinct non-zero identifiers and DUP 0",
	V5:    []string{"MQTT-2.2.1-4", "MQTT-4.3.2-1", "MQTT-4.3.2-2"},
	V311:  []string{"MQTT-2.3.1-4", "MQTT-4.3.2-1"},
	Needs: []Capability{CapQoS1},
	Run: func(t *T) {
		topic := t.Topic("ids")
		sub, _ := t.ConnectManual()
		sub.Sub(topic, 1)
		pub, _ := t.Connect()
		for i := 0; i < 4; i++ {
			pub.Pub(topic, "m"+itoa(i), 1, false)
		}
		seen := map[uint16]bool{}
		for i := 0; i < 4; i++ {
			m := sub.ExpectPublishOn(topic)
			t.Expect(m.PacketID).NotTo(BeZero(), "packet identifier of a QoS 1 delivery")
			t.Expect(seen[m.PacketID]).To(BeFalse(), "packet identifier %d used twice while unacknowledged", m.PacketID)
			t.Expect(m.Dup).To(BeFalse(), "DUP of a first delivery")
			seen[m.PacketID] = true
		}
	},
})

var _ = check(Check{
	Area: "publish", Name: "a QoS 2 delivery follows PUBLISH, PUBREC, PUBREL, PUBCOMP with one identifier",
	V5:    []string{"MQTT-4.3.3-1", "MQTT-4.3.3-2", "MQTT-4.3.3-4", "MQTT-3.6.2-1"},
	V311:  []string{"MQTT-4.3.3-1", "MQTT-2.3.1-6"},
	Needs: []Capability{CapQoS2},
	Run: func(t *T) {
		topic := t.Topic("q2out")
		sub, _ := t.ConnectManual()
		sub.Sub(topic, 2)
		pub, _ := t.Connect()
		pub.Pub(topic, "x", 2, false)
		m := sub.ExpectPublishOn(topic)
		t.Expect(m.QoS).To(Equal(mqtt.QoS2))
		t.Expect(m.PacketID).NotTo(BeZero())
		t.Expect(m.Dup).To(BeFalse(), "DUP of a first delivery")
		sub.Send(&packet.Pubrec{PacketID: m.PacketID})
		rel := sub.Expect(packet.TypePubrel).Packet.(*packet.Pubrel)
		t.Expect(rel.PacketID).To(Equal(m.PacketID), "PUBREL packet identifier")
		t.Expect(rel.ReasonCode == mqtt.Success || rel.ReasonCode == mqtt.PacketIdentifierNotFound).To(BeTrue(), "PUBREL code %s", code(rel.ReasonCode, packet.TypePubrel))
		sub.Send(&packet.Pubcomp{PacketID: m.PacketID})
		sub.ExpectNoPublishOn(topic, "no second delivery after the QoS 2 flow completed")
	},
})

var _ = check(Check{
	Area: "publish", Name: "the DUP flag of an incoming PUBLISH is not forwarded",
	V5:    []string{"MQTT-3.3.1-3"},
	V311:  []string{"MQTT-3.3.1-3"},
	Needs: []Capability{CapQoS1},
	Run: func(t *T) {
		topic := t.Topic("dup")
		pub, sub := t.pair(topic, 1)
		pub.PubPacket(&packet.Publish{Topic: topic, QoS: 1, Dup: true, Payload: []byte("x")})
		m := sub.ExpectPublishOn(topic)
		t.Expect(m.Dup).To(BeFalse(), "DUP of the first delivery of a PUBLISH that arrived with DUP 1")
	},
})

var _ = check(Check{
	Area: "publish", Name: "messages from one publisher arrive in order",
	V5:    []string{"MQTT-4.6.0-5", "MQTT-4.6.0-6", "MQTT-4.2-1"},
	V311:  []string{"MQTT-4.6.0-5", "MQTT-4.6.0-6", "MQTT-7.1.1-1"},
	Needs: []Capability{CapQoS1},
	Run: func(t *T) {
		topic := t.Topic("order")
		for _, q := range []mqtt.QoS{0, 1} {
			pub, sub := t.pair(topic, 1)
			for i := 0; i < 20; i++ {
				pub.Send(&packet.Publish{Topic: topic, QoS: q, PacketID: uint16(i + 1), Payload: []byte(itoa(i))})
			}
			for i := 0; i < 20; i++ {
				m := sub.ExpectPublishOn(topic)
				t.Expect(string(m.Payload)).To(Equal(itoa(i)), "message %d of 20 at QoS %d", i, q)
			}
		}
	},
})

var _ = check(Check{
	Area: "publish", Name: "the delivered QoS is the lower of the published and granted QoS",
	V5:    []string{"MQTT-3.8.4-8"},
	V311:  []string{"MQTT-3.8.4-6"},
	Needs: []Capability{CapQoS2},
	Run: func(t *T) {
		for _, c := range []struct{ sub, pub, want mqtt.QoS }{{0, 2, 0}, {1, 2, 1}, {2, 1, 1}, {2, 0, 0}, {2, 2, 2}} {
			topic := t.Topic("min")
			pub, sub := t.pair(topic, c.sub)
			pub.Pub(topic, "x", c.pub, false)
			m := sub.ExpectPublishOn(topic)
			t.Expect(m.QoS).To(Equal(c.want), "QoS of a QoS %d message on a QoS %d subscription", c.pub, c.sub)
		}
	},
})

var _ = check(Check{
	Area: "publish", Name: "an unacknowledged QoS 1 delivery is resent with DUP and its identifier on resume",
	V5:    []string{"MQTT-4.4.0-1", "MQTT-3.3.1-1", "MQTT-4.3.2-3"},
	V311:  []string{"MQTT-4.4.0-1", "MQTT-3.3.1-1", "MQTT-2.3.1-4"},
	Needs: []Capability{CapQoS1, CapSessionExpiry},
	Run: func(t *T) {
		id, topic := t.ClientID(), t.Topic("resend1")
		sub, _ := t.ConnectManual(resume(id))
		defer t.cleanEnd(id, t.V)
		sub.Sub(topic, 1)
		pub, _ := t.Connect()
		pub.Pub(topic, "unacked", 1, false)
		first := sub.ExpectPublishOn(topic)
		sub.Close()
		again, ack := t.ConnectManual(resume(id))
		t.Expect(ack.SessionPresent).To(BeTrue(), "session present on resume")
		m := again.ExpectPublishOn(topic)
		t.Expect(m.Dup).To(BeTrue(), "DUP of the resent PUBLISH")
		t.Expect(m.PacketID).To(Equal(first.PacketID), "packet identifier of the resent PUBLISH")
		t.Expect(string(m.Payload)).To(Equal("unacked"))
		again.Send(&packet.Puback{PacketID: m.PacketID})
		again.Disconnect()
	},
})

var _ = check(Check{
	Area: "publish", Name: "an unacknowledged QoS 2 delivery is resent with DUP before PUBREC",
	V5:    []string{"MQTT-4.4.0-1", "MQTT-4.3.3-3", "MQTT-3.3.1-1"},
	V311:  []string{"MQTT-4.4.0-1", "MQTT-4.3.3-1"},
	Needs: []Capability{CapQoS2, CapSessionExpiry},
	Run: func(t *T) {
		id, topic := t.ClientID(), t.Topic("resend2")
		sub, _ := t.ConnectManual(resume(id))
		defer t.cleanEnd(id, t.V)
		sub.Sub(topic, 2)
		pub, _ := t.Connect()
		pub.Pub(topic, "unrecorded", 2, false)
		first := sub.ExpectPublishOn(topic)
		sub.Close()
		again, _ := t.ConnectManual(resume(id))
		m := again.ExpectPublishOn(topic)
		t.Expect(m.Dup).To(BeTrue(), "DUP of the resent QoS 2 PUBLISH")
		t.Expect(m.PacketID).To(Equal(first.PacketID), "packet identifier of the resent PUBLISH")
		again.Send(&packet.Pubrec{PacketID: m.PacketID})
		again.Expect(packet.TypePubrel)
		again.Send(&packet.Pubcomp{PacketID: m.PacketID})
		again.Disconnect()
	},
})

var _ = check(Check{
	Area: "publish", Name: "after PUBREC only PUBREL is resent on resume, never the PUBLISH",
	V5:    []string{"MQTT-4.4.0-1", "MQTT-4.3.3-5", "MQTT-4.3.3-6"},
	V311:  []string{"MQTT-4.4.0-1", "MQTT-4.3.3-1"},
	Needs: []Capability{CapQoS2, CapSessionExpiry},
	Run: func(t *T) {
		id, topic := t.ClientID(), t.Topic("resendrel")
		sub, _ := t.ConnectManual(resume(id))
		defer t.cleanEnd(id, t.V)
		sub.Sub(topic, 2)
		pub, _ := t.Connect()
		pub.Pub(topic, "x", 2, false)
		m := sub.ExpectPublishOn(topic)
		sub.Send(&packet.Pubrec{PacketID: m.PacketID})
		sub.Expect(packet.TypePubrel)
		sub.Close()
		again, _ := t.ConnectManual(resume(id))
		rel := again.Expect(packet.TypePubrel).Packet.(*packet.Pubrel)
		t.Expect(rel.PacketID).To(Equal(m.PacketID), "resent PUBREL packet identifier")
		again.ExpectNoPublishOn(topic, "no PUBLISH resent after its PUBREL was sent")
		again.Send(&packet.Pubcomp{PacketID: rel.PacketID})
		again.Disconnect()
	},
})

var _ = check(Check{
	Area: "publish", Name: "a PUBACK with an error code ends the delivery without resending",
	V5:    []string{"MQTT-4.4.0-2"},
	Needs: []Capability{CapQoS1, CapSessionExpiry},
	Run: func(t *T) {
		id, topic := t.ClientID(), t.Topic("nack")
		sub, _ := t.ConnectManual(resume(id))
		defer t.cleanEnd(id, t.V)
		sub.Sub(topic, 1)
		pub, _ := t.Connect()
		pub.Pub(topic, "refused", 1, false)
		m := sub.ExpectPublishOn(topic)
		sub.Send(&packet.Puback{PacketID: m.PacketID, ReasonCode: mqtt.UnspecifiedError})
		sub.Sync()
		sub.Close()
		again, _ := t.ConnectManual(resume(id))
		again.ExpectNoPublishOn(topic, "no resend of a PUBLISH answered with PUBACK 0x80")
		again.Disconnect()
	},
})

var _ = check(Check{
	Area: "publish", Name: "after a refusing PUBREC the packet identifier is a new message",
	V5:    []string{"MQTT-4.3.3-9"},
	Needs: []Capability{CapQoS2, CapDenied},
	Run: func(t *T) {
		topic := t.Topic("after-refusal")
		pub, sub := t.pair(topic, 2)
		pub.Send(&packet.Publish{Topic: t.Profile().DeniedTopic, QoS: 2, PacketID: 11, Payload: []byte("denied")})
		rec := pub.Expect(packet.TypePubrec).Packet.(*packet.Pubrec)
		if rec.ReasonCode < 0x80 {
			t.Skipf("broker accepted the publish to the denied topic with %s; the check needs a refusing PUBREC", describe(rec, t.V))
		}
		pub.PubPacket(&packet.Publish{Topic: topic, QoS: 2, PacketID: 11, Payload: []byte("new")})
		t.Expect(string(sub.ExpectPublishOn(topic).Payload)).To(Equal("new"), "message with the identifier of a refused one")
	},
})

var _ = check(Check{
	Area: "publish", Name: "a QoS 2 delivery in progress completes after the filter is unsubscribed",
	V5:    []string{"MQTT-3.10.4-3"},
	V311:  []string{"MQTT-3.10.4-3"},
	Needs: []Capability{CapQoS2},
	Run: func(t *T) {
		topic := t.Topic("unsub-inflight")
		sub, _ := t.ConnectManual()
		sub.Sub(topic, 2)
		pub, _ := t.Connect()
		pub.Pub(topic, "x", 2, false)
		m := sub.ExpectPublishOn(topic)
		sub.Unsub(topic)
		sub.Send(&packet.Pubrec{PacketID: m.PacketID})
		rel := sub.Expect(packet.TypePubrel).Packet.(*packet.Pubrel)
		t.Expect(rel.PacketID).To(Equal(m.PacketID))
		sub.Send(&packet.Pubcomp{PacketID: m.PacketID})
		sub.ExpectOpen("after completing the QoS 2 flow")
	},
})

var _ = check(Check{
	Area: "publish", Name: "paho clients exchange messages at every QoS",
	V5:    []string{"MQTT-3.3.4-1", "MQTT-4.5.0-1"},
	V311:  []string{"MQTT-3.3.4-1", "MQTT-4.5.0-1", "MQTT-7.0.0-2"},
	Needs: []Capability{CapQoS2},
	Run: func(t *T) {
		topic := t.Topic("paho")
		if t.V == mqtt.V5 {
			sub, _ := t.Paho5(nil, nil)
			sub.Sub(0, paho.SubscribeOptions{Topic: topic, QoS: 2})
			pub, _ := t.Paho5(nil, nil)
			for q := byte(0); q <= 2; q++ {
				r := pub.Pub(&paho.Publish{Topic: topic, QoS: q, Payload: []byte(fmt.Sprint("q", q))})
				if q > 0 {
					t.Expect(r.ReasonCode < 0x80).To(BeTrue(), "acknowledgement of QoS %d: 0x%02X", q, r.ReasonCode)
				}
				m := sub.Next(fmt.Sprint("the QoS ", q, " message"))
				t.Expect(string(m.Payload)).To(Equal(fmt.Sprint("q", q)))
				t.Expect(m.QoS).To(Equal(q))
			}
			return
		}
		sub := t.Paho3(nil)
		t.Expect(sub.Sub(topic, 2)).To(Equal(byte(2)), "granted QoS")
		pub := t.Paho3(nil)
		for q := byte(0); q <= 2; q++ {
			pub.Pub(topic, q, false, fmt.Sprint("q", q))
			m := sub.Next(fmt.Sprint("the QoS ", q, " message"))
			t.Expect(string(m.Payload())).To(Equal(fmt.Sprint("q", q)))
			t.Expect(m.Qos()).To(Equal(q))
		}
	},
})
