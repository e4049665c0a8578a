package conformance

import (
	"time"

	"github.com/mqttx/mqttx/mqtt"
	"github.com/mqttx/mqttx/mqtt/packet"
	. "github.com/onsi/gomega"
)

// Checks of shared subscriptions (MQTT 5).

var _ = check(Check{
	Area: "shared", Name: "invalid shared subscription filters are refused, never granted",
	V5:    []string{"MQTT-4.8.2-1", "MQTT-4.8.2-2"},
	Needs: []Capability{CapShared},
	Run: func(t *T) {
		base := t.Topic()
		for _, f := range []string{"$share//" + base, "$share/g+/" + base, "$share/g#/" + base, "$share/g", "$share/g/"} {
			c, _ := t.Connect()
			c.Send(&packet.Subscribe{PacketID: 5, Subscriptions: []packet.Subscription{{Filter: f}}})
			if ack, ok := c.AwaitOrClose("SUBACK refusing "+f, func(p packet.Packet) bool { return p.Type() == packet.TypeSuback }); ok {
				rc := ack.Packet.(*packet.Suback).ReasonCodes
				t.Expect(len(rc) == 1 && rc[0] >= 0x80).To(BeTrue(), "shared filter %q must be refused: %s", f, describe(ack.Packet, t.V))
			}
		}
	},
})

// sharedPair subscribes two clients to one share group on topic.
func (t *T) sharedPair(topic string, qa, qb mqtt.QoS, mods ...func(*packet.Connect)) (a, b *Conn) {
	filter := "$share/" + t.ClientID() + "/" + topic
	a = t.Dial(t.V)
	a.ManualAck.Store(true)
	a.Handshake(mods...)
	a.Sub(filter, qa)
	b, _ = t.Connect()
	b.Sub(filter, qb)
	return a, b
}

var _ = check(Check{
	Area: "shared", Name: "each shared message goes to one member at that member's granted QoS",
	V5:    []string{"MQTT-4.8.2-3"},
	Needs: []Capability{CapShared, CapQoS1},
	Run: func(t *T) {
		topic := t.Topic("s")
		filter := "$share/" + t.ClientID() + "/" + topic
		a, _ := t.Connect()
		a.Sub(filter, 0)
		b, _ := t.Connect()
		b.Sub(filter, 1)
		p, _ := t.Connect()
		for i := 0; i < 6; i++ {
			p.Pub(topic, itoa(i), 1, false)
		}
		seen := map[string]int{}
		for _, c := range []*Conn{a, b} {
			for _, r := range c.Watch() {
				m, ok := r.Packet.(*packet.Publish)
				if !ok || m.Topic != topic {
					continue
				}
				seen[string(m.Payload)]++
				want := mqtt.QoS0
				if c == b {
					want = 1
				}
				t.Expect(m.QoS).To(Equal(want), "QoS of a shared delivery to the member granted QoS %d", want)
			}
		}
		for i := 0; i < 6; i++ {
			t.Expect(seen[itoa(i)]).To(Equal(1), "deliveries of message %d across the share group", i)
		}
	},
})

var _ = check(Check{
	Area: "shared", Name: "a shared message refused by its member is not sent to another",
	V5:    []string{"MQTT-4.8.2-6"},
	Needs: []Capability{CapShared, CapQoS1},
	Run: func(t *T) {
		topic := t.Topic("s")
		a, b := t.sharedPair(topic, 1, 1)
		b.ManualAck.Store(true)
		p, _ := t.Connect()
		p.Pub(topic, "refused", 1, false)
		var first, other *Conn
		deadline := time.Now().Add(t.Wait())
		for first == nil && time.Now().Before(deadline) {
			for _, c := range []*Conn{a, b} {
				if r, ok := c.take(func(x packet.Packet) bool { return x.Type() == packet.TypePublish }); ok {
					c.Send(&packet.Puback{PacketID: r.Packet.(*packet.Publish).PacketID, ReasonCode: mqtt.UnspecifiedError})
					first = c
				}
			}
			if first == nil {
				a.Watch()
				b.Watch()
			}
		}
		if first == nil {
			t.Fatalf("expected the shared message delivered to a member within %v", t.Wait())
		}
		other = a
		if first == a {
			other = b
		}
		other.ExpectNoPublishOn(topic, "a message refused with PUBACK 0x80 is not sent to another member")
		first.ExpectNoPublishOn(topic, "nor resent to the member that refused it")
	},
})

var _ = check(Check{
	Area: "shared", Name: "an interrupted QoS 2 shared delivery completes with the same member",
	V5:    []string{"MQTT-4.8.2-4"},
	Needs: []Capability{CapShared, CapQoS2, CapSessionExpiry},
	Run: func(t *T) {
		topic, id := t.Topic("s"), t.ClientID()
		filter := "$share/" + t.ClientID() + "/" + topic
		a, _ := t.ConnectManual(resume(id))
		defer t.cleanEnd(id, t.V)
		a.Sub(filter, 2)
		p, _ := t.Connect()
		p.Pub(topic, "only-member", 2, false)
		first := a.ExpectPublishOn(topic)
		// The second member joins only now; the message belongs to a.
		b, _ := t.Connect()
		b.Sub(filter, 2)
		a.Close()
		a2, _ := t.ConnectManual(resume(id))
		m := a2.ExpectPublishOn(topic)
		t.Expect(m.PacketID).To(Equal(first.PacketID), "the resent shared message")
		t.Expect(m.Dup).To(BeTrue())
		a2.Send(&packet.Pubrec{PacketID: m.PacketID})
		a2.Expect(packet.TypePubrel)
		a2.Send(&packet.Pubcomp{PacketID: m.PacketID})
		b.ExpectNoPublishOn(topic, "the interrupted delivery is not given to another member")
		a2.Disconnect()
	},
})

var _ = check(Check{
	Area: "shared", Name: "a shared message of a session that ended is not given to another member",
	V5:    []string{"MQTT-4.8.2-5"},
	Needs: []Capability{CapShared, CapQoS1, CapSessionExpiry},
	Run: func(t *T) {
		topic := t.Topic("s")
		filter := "$share/" + t.ClientID() + "/" + topic
		a, _ := t.ConnectManual(func(p *packet.Connect) { p.CleanStart = true; p.Properties.SessionExpiry = 1 })
		a.Sub(filter, 1)
		p, _ := t.Connect()
		p.Pub(topic, "orphan", 1, false)
		a.ExpectPublishOn(topic)
		b, _ := t.Connect()
		b.Sub(filter, 1)
		a.Close()
		time.Sleep(1500 * time.Millisecond) // a's 1 s session expiry, with a margin
		b.ExpectNoPublishOn(topic, "the message of the ended session is not sent to another member")
	},
})
