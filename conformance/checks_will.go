package conformance

import (
	"github.com/eclipse/paho.golang/paho"
	paho3 "github.com/eclipse/paho.mqtt.golang"
	"github.com/mqttx/mqttx/mqtt"
	"github.com/mqttx/mqttx/mqtt/packet"
	. "github.com/onsi/gomega"
)

// Checks of will messages.

// willWatcher subscribes to topic with Retain As Published (MQTT 5), so
// the RETAIN flag of a will shows as the broker published it.
func (t *T) willWatcher(topic string) *Conn {
	s, _ := t.Connect()
	s.Subscribe(packet.Subscription{Filter: topic, QoS: t.qosOf(1), RetainAsPublished: true})
	return s
}

var _ = check(Check{
	Area: "will", Name: "paho: the will is published when the connection closes without DISCONNECT",
	V5:   []string{"MQTT-3.1.2-7", "MQTT-3.1.2-8"},
	V311: []string{"MQTT-3.1.2-8"},
	Run: func(t *T) {
		topic := t.Topic("will")
		if t.V == mqtt.V5 {
			s, _ := t.Paho5(nil, nil)
			s.Sub(0, paho.SubscribeOptions{Topic: topic, QoS: 1})
			// The client with the will is raw: paho would send DISCONNECT.
			c, _ := t.Connect(withWill(topic, "gone", t.qosOf(1), false))
			c.Close()
			m := s.Next("the will message")
			t.Expect(string(m.Payload)).To(Equal("gone"))
			return
		}
		s := t.Paho3(nil)
		s.Sub(topic, 1)
		c, _ := t.Connect(withWill(topic, "gone", t.qosOf(1), false))
		c.Close()
		t.Expect(string(s.Next("the will message").Payload())).To(Equal("gone"))
	},
})

var _ = check(Check{
	Area: "will", Name: "a normal DISCONNECT discards the will",
	V5:   []string{"MQTT-3.1.2-10", "MQTT-3.14.4-3"},
	V311: []string{"MQTT-3.1.2-10", "MQTT-3.14.4-3"},
	Run: func(t *T) {
		topic := t.Topic("will")
		s := t.willWatcher(topic)
		if t.V == mqtt.V311 {
			// paho.mqtt.golang with a will, disconnecting cleanly.
			c := t.Paho3(func(o *paho3.ClientOptions) { o.SetWill(topic, "must not", 1, false) })
			c.Disconnect(100)
		} else {
			c, _ := t.Connect(withWill(topic, "must not", t.qosOf(1), false))
			c.Disconnect()
		}
		s.ExpectNoPublishOn(topic, "no will after a normal DISCONNECT")
	},
})

var _ = check(Check{
	Area: "will", Name: "the will is published once",
	V5:   []string{"MQTT-3.1.2-10"},
	V311: []string{"MQTT-3.1.2-10"},
	Run: func(t *T) {
		topic := t.Topic("will")
		s := t.willWatcher(topic)
		id := t.ClientID()
		c, _ := t.Connect(withID(id), withWill(topic, "once", t.qosOf(1), false))
		c.Close()
		s.ExpectPublishOn(topic)
		again, _ := t.Connect(withID(id))
		again.Close()
		s.ExpectNoPublishOn(topic, "the published will is removed from the session")
	},
})

var _ = check(Check{
	Area: "will", Name: "a will with Will Retain 0 is published as a non-retained message",
	V5:    []string{"MQTT-3.1.2-14"},
	V311:  []string{"MQTT-3.1.2-16"},
	Needs: []Capability{CapRetain},
	Run: func(t *T) {
		topic := t.Topic("will")
		s := t.willWatcher(topic)
		c, _ := t.Connect(withWill(topic, "plain", 0, false))
		c.Close()
		m := s.ExpectPublishOn(topic)
		if t.V == mqtt.V5 {
			t.Expect(m.Retain).To(BeFalse(), "RETAIN of a will with Will Retain 0 (Retain As Published)")
		}
		late, _ := t.Connect()
		late.Sub(topic, 0)
		late.ExpectNoPublishOn(topic, "the will with Will Retain 0 is not retained")
	},
})

var _ = check(Check{
	Area: "will", Name: "a will with Will Retain 1 is published as a retained message",
	V5:    []string{"MQTT-3.1.2-15"},
	V311:  []string{"MQTT-3.1.2-17"},
	Needs: []Capability{CapRetain},
	Run: func(t *T) {
		topic := t.Topic("will")
		t.clearRetained(topic)
		s := t.willWatcher(topic)
		c, _ := t.Connect(withWill(topic, "kept", 0, true))
		c.Close()
		m := s.ExpectPublishOn(topic)
		if t.V == mqtt.V5 {
			t.Expect(m.Retain).To(BeTrue(), "RETAIN of a will with Will Retain 1 (Retain As Published)")
		}
		late, _ := t.Connect()
		late.Sub(topic, 0)
		lm := late.ExpectPublishOn(topic)
		t.Expect(string(lm.Payload)).To(Equal("kept"))
		t.Expect(lm.Retain).To(BeTrue())
	},
})

var _ = check(Check{
	Area: "will", Name: "a malformed DISCONNECT is not a normal one: the will is published",
	V5:   []string{"MQTT-3.14.1-1"},
	V311: []string{"MQTT-3.14.1-1"},
	Run: func(t *T) {
		topic := t.Topic("will")
		s := t.willWatcher(topic)
		c, _ := t.Connect(withWill(topic, "malformed", t.qosOf(1), false))
		c.SendRaw(0xE2, nil)
		c.ExpectMalformedClose("DISCONNECT with reserved flags 0010")
		t.Expect(string(s.ExpectPublishOn(topic).Payload)).To(Equal("malformed"), "the will after a DISCONNECT with reserved bits set")
	},
})

var _ = check(Check{
	Area: "will", Name: "DISCONNECT with reason 0x04 publishes the will",
	V5: []string{"MQTT-3.1.2-8", "MQTT-3.14.2-1"},
	Run: func(t *T) {
		topic := t.Topic("will")
		s := t.willWatcher(topic)
		c, _ := t.Connect(withWill(topic, "asked", t.qosOf(1), false))
		c.Send(&packet.Disconnect{ReasonCode: mqtt.DisconnectWithWillMessage})
		c.WaitClosedByBroker()
		t.Expect(string(s.ExpectPublishOn(topic).Payload)).To(Equal("asked"))
	},
})

var _ = check(Check{
	Area: "will", Name: "a reconnection within the will delay suppresses the will",
	V5:    []string{"MQTT-3.1.3-9"},
	Needs: []Capability{CapSessionExpiry},
	Run: func(t *T) {
		topic, id := t.Topic("will"), t.ClientID()
		s := t.willWatcher(topic)
		c, _ := t.Connect(resume(id), func(p *packet.Connect) {
			p.Will = &packet.Will{Topic: topic, Payload: []byte("delayed"), QoS: t.qosOf(1)}
			p.Will.Properties.WillDelay = 30
		})
		defer t.cleanEnd(id, t.V)
		c.Close()
		again, _ := t.Connect(resume(id))
		s.ExpectNoPublishOn(topic, "no will when the client is back within the will delay")
		again.Disconnect()
	},
})

var _ = check(Check{
	Area: "will", Name: "the will is published after the will delay",
	V5:    []string{"MQTT-3.1.2-8"},
	Needs: []Capability{CapSessionExpiry},
	Run: func(t *T) {
		topic, id := t.Topic("will"), t.ClientID()
		s := t.willWatcher(topic)
		c, _ := t.Connect(resume(id), func(p *packet.Connect) {
			p.Will = &packet.Will{Topic: topic, Payload: []byte("delayed"), QoS: t.qosOf(1)}
			p.Will.Properties.WillDelay = 1
		})
		defer t.cleanEnd(id, t.V)
		c.Close()
		s.ExpectNoPublishOn(topic, "no will before the will delay")
		m := s.ExpectPublishOn(topic)
		t.Expect(string(m.Payload)).To(Equal("delayed"))
	},
})

var _ = check(Check{
	Area: "will", Name: "will properties and user property order are kept",
	V5: []string{"MQTT-3.1.3-10", "MQTT-3.3.2-4", "MQTT-3.3.2-20"},
	Run: func(t *T) {
		topic := t.Topic("will")
		s := t.willWatcher(topic)
		ups := []packet.UserProperty{{Key: "k", Value: "3"}, {Key: "a", Value: "1"}, {Key: "k", Value: "2"}}
		c, _ := t.Connect(func(p *packet.Connect) {
			p.Will = &packet.Will{Topic: topic, Payload: []byte("{}"), QoS: t.qosOf(1)}
			p.Will.Properties.User = ups
			p.Will.Properties.ContentType = "application/json"
			p.Will.Properties.PayloadFormat = 1
		})
		c.Close()
		m := s.ExpectPublishOn(topic)
		t.Expect(m.Properties.User).To(Equal(ups), "will user properties, in order")
		t.Expect(m.Properties.ContentType).To(Equal("application/json"))
		t.Expect(m.Properties.PayloadFormat).To(Equal(byte(1)))
	},
})

var _ = check(Check{
	Area: "will", Name: "a connection closed for keep alive publishes its will",
	V5:   []string{"MQTT-3.1.2-22"},
	V311: []string{"MQTT-3.1.2-24", "MQTT-3.1.2-8"},
	Run: func(t *T) {
		topic := t.Topic("will")
		s := t.willWatcher(topic)
		c, ack := t.Connect(withWill(topic, "silent", t.qosOf(1), false), func(p *packet.Connect) { p.KeepAlive = 1 })
		if t.V == mqtt.V5 && ack.Properties.Has(packet.PropServerKeepAlive) && (ack.Properties.ServerKeepAlive == 0 || ack.Properties.ServerKeepAlive > 2) {
			t.Skipf("broker imposes Server Keep Alive %d s", ack.Properties.ServerKeepAlive)
		}
		if !c.WaitClosedByBroker() {
			t.Fatalf("expected the broker to close the connection silent beyond its keep alive within %v", t.Wait())
		}
		t.Expect(string(s.ExpectPublishOn(topic).Payload)).To(Equal("silent"))
	},
})
