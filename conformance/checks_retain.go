package conformance

import (
	"github.com/eclipse/paho.golang/paho"
	"github.com/mqttx/mqttx/mqtt"
	"github.com/mqttx/mqttx/mqtt/packet"
	. "github.com/onsi/gomega"
)

// Checks of retained messages and the retain subscription options.

// clearRetained removes the retained message of topic when the check ends.
func (t *T) clearRetained(topic string) {
	t.Cleanup(func() {
		nc, err := t.env.dialer.dial(t.Wait())
		if err != nil {
			return
		}
		defer nc.Close()
		cp := t.ConnectPacket(t.V)
		packet.Write(nc, cp, 0)
		packet.Write(nc, &packet.Publish{Topic: topic, Retain: true}, t.V)
		packet.Write(nc, &packet.Disconnect{}, t.V)
	})
}

var _ = check(Check{
	Area: "retain", Name: "a retained message goes to new subscribers with RETAIN 1",
	V5:    []string{"MQTT-3.3.1-5", "MQTT-3.3.1-9"},
	V311:  []string{"MQTT-3.3.1-5", "MQTT-3.3.1-6", "MQTT-3.3.1-8"},
	Needs: []Capability{CapRetain},
	Run: func(t *T) {
		topic := t.Topic("r")
		t.clearRetained(topic)
		p, _ := t.Connect()
		p.Pub(topic, "kept", t.qosOf(1), true)
		s, _ := t.Connect()
		s.Sub(topic, t.qosOf(1))
		m := s.ExpectPublishOn(topic)
		t.Expect(string(m.Payload)).To(Equal("kept"))
		t.Expect(m.Retain).To(BeTrue(), "RETAIN of a retained message sent on subscription")
		t.Expect(m.QoS).To(Equal(t.qosOf(1)), "retained message QoS (stored with the message)")
	},
})

var _ = check(Check{
	Area: "retain", Name: "paho: a new retained message replaces the previous one",
	V5:    []string{"MQTT-3.3.1-5"},
	V311:  []string{"MQTT-3.3.1-5", "MQTT-3.3.1-7"},
	Needs: []Capability{CapRetain},
	Run: func(t *T) {
		topic := t.Topic("replace")
		t.clearRetained(topic)
		if t.V == mqtt.V5 {
			p, _ := t.Paho5(nil, nil)
			p.Pub(&paho.Publish{Topic: topic, Retain: true, Payload: []byte("old")})
			p.Pub(&paho.Publish{Topic: topic, Retain: true, QoS: 1, Payload: []byte("new")})
			s, _ := t.Paho5(nil, nil)
			s.Sub(0, paho.SubscribeOptions{Topic: topic, QoS: 1})
			m := s.Next("the retained message")
			t.Expect(string(m.Payload)).To(Equal("new"), "retained payload after replacement")
			s.None("a single retained message per topic")
			return
		}
		p := t.Paho3(nil)
		p.Pub(topic, 1, true, "old")
		p.Pub(topic, 0, true, "new")
		// A QoS 0 PUBLISH has no acknowledgement: a QoS 1 one after it,
		// acknowledged, shows the broker has handled it (a connection's
		// packets are handled in order) before another connection looks.
		p.Pub(t.Topic("replace-sync"), 1, false, "sync")
		s := t.Paho3(nil)
		s.Sub(topic, 1)
		m := s.Next("the retained message")
		t.Expect(string(m.Payload())).To(Equal("new"), "a retained QoS 0 message replaces the previous one")
		t.Expect(m.Retained()).To(BeTrue())
		s.None("a single retained message per topic")
	},
})

var _ = check(Check{
	Area: "retain", Name: "an empty retained payload is delivered and clears the retained message",
	V5:    []string{"MQTT-3.3.1-6", "MQTT-3.3.1-7"},
	V311:  []string{"MQTT-3.3.1-10", "MQTT-3.3.1-11"},
	Needs: []Capability{CapRetain},
	Run: func(t *T) {
		topic := t.Topic("clear")
		p, live := t.pair(topic, 0)
		p.Pub(topic, "kept", t.qosOf(1), true)
		live.ExpectPublishOn(topic)
		p.Pub(topic, "", t.qosOf(1), true)
		m := live.ExpectPublishOn(topic)
		t.Expect(m.Payload).To(BeEmpty(), "the empty retained message is delivered to current subscribers")
		s, _ := t.Connect()
		s.Sub(topic, 0)
		s.ExpectNoPublishOn(topic, "no retained message after an empty retained payload")
	},
})

var _ = check(Check{
	Area: "retain", Name: "a message with RETAIN 0 neither stores nor replaces the retained one",
	V5:    []string{"MQTT-3.3.1-8"},
	V311:  []string{"MQTT-3.3.1-12"},
	Needs: []Capability{CapRetain},
	Run: func(t *T) {
		topic := t.Topic("nr")
		t.clearRetained(topic)
		p, _ := t.Connect()
		p.Pub(topic, "retained", t.qosOf(1), true)
		p.Pub(topic, "not retained", t.qosOf(1), false)
		s, _ := t.Connect()
		s.Sub(topic, 0)
		t.Expect(string(s.ExpectPublishOn(topic).Payload)).To(Equal("retained"))
		s.ExpectNoPublishOn(topic, "only the retained message on subscription")
		other := t.Topic("never")
		p.Pub(other, "plain", 0, false)
		s.Sub(other, 0)
		s.ExpectNo("no retained message from a PUBLISH with RETAIN 0", func(x packet.Packet) bool {
			m, ok := x.(*packet.Publish)
			return ok && m.Topic == other && m.Retain
		})
	},
})

var _ = check(Check{
	Area: "retain", Name: "a live delivery of a retained publish has RETAIN 0",
	V311:  []string{"MQTT-3.3.1-9"},
	V5:    []string{"MQTT-3.3.1-12"},
	Needs: []Capability{CapRetain},
	Run: func(t *T) {
		topic := t.Topic("live")
		t.clearRetained(topic)
		p, s := t.pair(topic, 0)
		p.Pub(topic, "x", 0, true)
		t.Expect(s.ExpectPublishOn(topic).Retain).To(BeFalse(), "RETAIN of a delivery to an established subscription (Retain As Published 0)")
	},
})

var _ = check(Check{
	Area: "retain", Name: "Retain As Published 1 keeps the RETAIN flag",
	V5:    []string{"MQTT-3.3.1-13"},
	Needs: []Capability{CapRetain},
	Run: func(t *T) {
		topic := t.Topic("rap")
		t.clearRetained(topic)
		s, _ := t.Connect()
		s.Subscribe(packet.Subscription{Filter: topic, RetainAsPublished: true})
		p, _ := t.Connect()
		p.Pub(topic, "retained", 0, true)
		t.Expect(s.ExpectPublishOn(topic).Retain).To(BeTrue(), "RETAIN with Retain As Published 1")
		p.Pub(topic, "plain", 0, false)
		t.Expect(s.ExpectPublishOn(topic).Retain).To(BeFalse(), "RETAIN of a non-retained message with Retain As Published 1")
	},
})

var _ = check(Check{
	Area: "retain", Name: "Retain Handling 1 sends retained messages only for a new subscription",
	V5:    []string{"MQTT-3.3.1-10"},
	Needs: []Capability{CapRetain},
	Run: func(t *T) {
		topic := t.Topic("rh1")
		t.clearRetained(topic)
		p, _ := t.Connect()
		p.Pub(topic, "kept", 0, true)
		s, _ := t.Connect()
		s.Subscribe(packet.Subscription{Filter: topic, RetainHandling: 1})
		t.Expect(string(s.ExpectPublishOn(topic).Payload)).To(Equal("kept"), "retained message for a new subscription")
		s.Subscribe(packet.Subscription{Filter: topic, RetainHandling: 1})
		s.ExpectNoPublishOn(topic, "no retained message when the subscription already existed")
	},
})

var _ = check(Check{
	Area: "retain", Name: "Retain Handling 2 sends no retained messages",
	V5:    []string{"MQTT-3.3.1-11"},
	Needs: []Capability{CapRetain},
	Run: func(t *T) {
		topic := t.Topic("rh2")
		t.clearRetained(topic)
		p, _ := t.Connect()
		p.Pub(topic, "kept", 0, true)
		s, _ := t.Connect()
		s.Subscribe(packet.Subscription{Filter: topic, RetainHandling: 2})
		s.ExpectNoPublishOn(topic, "no retained message with Retain Handling 2")
		p.Pub(topic, "live", 0, false)
		t.Expect(string(s.ExpectPublishOn(topic).Payload)).To(Equal("live"))
	},
})

var _ = check(Check{
	Area: "retain", Name: "subscribing again to the same filter resends retained messages and keeps one subscription",
	V5:    []string{"MQTT-3.8.4-3", "MQTT-3.8.4-4"},
	V311:  []string{"MQTT-3.8.4-3"},
	Needs: []Capability{CapRetain, CapQoS1},
	Run: func(t *T) {
		topic := t.Topic("resub")
		t.clearRetained(topic)
		p, _ := t.Connect()
		p.Pub(topic, "kept", 0, true)
		s, _ := t.Connect()
		s.Sub(topic, 0)
		s.ExpectPublishOn(topic)
		s.Sub(topic, 1)
		t.Expect(string(s.ExpectPublishOn(topic).Payload)).To(Equal("kept"), "retained message resent on the replacing subscription")
		p.Pub(topic, "live", 1, false)
		m := s.ExpectPublishOn(topic)
		t.Expect(m.QoS).To(Equal(mqtt.QoS1), "the replacing subscription's QoS applies")
		s.ExpectNoPublishOn(topic, "one copy: the subscription was replaced, not added")
	},
})
