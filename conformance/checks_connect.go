package conformance

import (
	"strings"
	"time"

	"github.com/mqttx/mqttx/mqtt"
	"github.com/mqttx/mqttx/mqtt/packet"
	. "github.com/onsi/gomega"
)

// Checks of CONNECT and CONNACK: the handshake, its malformed variants,
// client identifiers, sessions and keep alive.

var _ = check(Check{
	Area: "connect", Name: "a valid CONNECT is answered first with a CONNACK accepting it",
	V5:   []string{"MQTT-3.1.4-5", "MQTT-3.2.0-1", "MQTT-3.2.2-1", "MQTT-3.2.2-8", "MQTT-3.1.4-4"},
	V311: []string{"MQTT-3.1.4-4", "MQTT-3.2.0-1", "MQTT-3.1.4-3"},
	Run: func(t *T) {
		c := t.Dial(t.V)
		c.Send(t.ConnectPacket(t.V))
		// The decoder rejects CONNACK flags with bits 7-1 set and
		// undefined reason codes, so decoding is part of the check.
		first := c.ExpectNext("CONNACK as the first packet")
		ack, ok := first.Packet.(*packet.Connack)
		if !ok {
			t.Fatalf("expected CONNACK as the broker's first packet; got %s", describe(first.Packet, t.V))
		}
		t.Expect(packet.ValidReason(packet.TypeConnack, ack.ReasonCode) || t.V != mqtt.V5).To(BeTrue(), "CONNACK reason code %s is not a CONNACK code", code(ack.ReasonCode, packet.TypeConnack))
		t.Expect(ack.ReasonCode).To(Equal(mqtt.Success), "CONNACK of a valid clean CONNECT: %s", describe(ack, t.V))
		t.Expect(ack.SessionPresent).To(BeFalse(), "clean start must not resume a session: %s", describe(ack, t.V))
		c.ExpectOpen("after a successful CONNACK")
	},
})

var _ = check(Check{
	Area: "connect", Name: "a second CONNECT is a protocol error that closes the connection",
	V5:   []string{"MQTT-3.1.0-2", "MQTT-4.13.1-1"},
	V311: []string{"MQTT-3.1.0-2", "MQTT-4.8.0-1"},
	Run: func(t *T) {
		c, _ := t.Connect()
		c.Send(t.ConnectPacket(t.V))
		c.ExpectClosedWith("second CONNECT on one connection", mqtt.ProtocolError)
	},
})

var _ = check(Check{
	Area: "connect", Name: "the broker sends at most one CONNACK",
	V5: []string{"MQTT-3.2.0-2"},
	Run: func(t *T) {
		c, _ := t.Connect()
		c.Sub(t.Topic("a"), 0)
		c.Pub(t.Topic("a"), "x", 0, false)
		c.ExpectNo("no second CONNACK on the connection", func(p packet.Packet) bool { return p.Type() == packet.TypeConnack })
	},
})

var _ = check(Check{
	Area: "connect", Name: "an unknown protocol name is not accepted",
	V5:   []string{"MQTT-3.1.2-1"},
	V311: []string{"MQTT-3.1.2-1"},
	Run: func(t *T) {
		got, closed := t.RawExchange(rawConnect(t.V, "MQTX", byte(t.V), flagClean, str(t.ClientID()), nil), "CONNECT with protocol name MQTX")
		if bad := connackRefusal(got); bad != "" {
			t.Fatalf("expected no acceptance of a CONNECT with protocol name MQTX; got %s", bad)
		}
		// 3.1.1 lets the broker go on under another specification; MQTT 5
		// requires the close.
		if t.V == mqtt.V5 && !closed {
			t.Fatalf("expected the connection closed after a CONNECT with protocol name MQTX; it stayed open for %v", t.Wait())
		}
	},
})

var _ = check(Check{
	Area: "connect", Name: "an unsupported protocol level is refused",
	V5:   []string{"MQTT-3.1.2-2"},
	V311: []string{"MQTT-3.1.2-2", "MQTT-3.2.2-5"},
	Run: func(t *T) {
		got, closed := t.RawExchange(rawConnect(t.V, "MQTT", 7, flagClean, str(t.ClientID())), "CONNECT with protocol level 7")
		if !closed {
			t.Fatalf("expected the connection closed after a CONNECT of protocol level 7; it stayed open for %v", t.Wait())
		}
		if bad := connackRefusal(got); bad != "" {
			t.Fatalf("expected at most a CONNACK refusing protocol level 7; got %s", bad)
		}
		if t.V == mqtt.V311 && (len(got) != 4 || got[3] != 1) {
			t.Fatalf("expected CONNACK return code 1 (unacceptable protocol level) before the close; got bytes % X", got)
		}
	},
})

// connectFlagChecks are CONNECT packets whose flags and payload disagree.
var connectFlagChecks = []struct {
	name  string
	v5    []string
	v311  []string
	flags byte
	body  func(t *T, v mqtt.Version, id string) [][]byte
}{
	{"the CONNECT reserved flag set to 1 is refused", []string{"MQTT-3.1.2-3", "MQTT-3.1.4-1", "MQTT-3.14.0-1"}, []string{"MQTT-3.1.2-3", "MQTT-3.1.4-1"}, flagClean | flagReserved,
		func(t *T, v mqtt.Version, id string) [][]byte { return [][]byte{str(id)} }},
	{"will QoS 1 without the will flag is refused", []string{"MQTT-3.1.2-11"}, []string{"MQTT-3.1.2-13", "MQTT-3.1.2-11"}, flagClean | flagWillQoS1,
		func(t *T, v mqtt.Version, id string) [][]byte { return [][]byte{str(id)} }},
	{"will retain without the will flag is refused", []string{"MQTT-3.1.2-13"}, []string{"MQTT-3.1.2-15"}, flagClean | flagRetain,
		func(t *T, v mqtt.Version, id string) [][]byte { return [][]byte{str(id)} }},
	{"will QoS 3 is refused", []string{"MQTT-3.1.2-12"}, []string{"MQTT-3.1.2-14"}, flagClean | flagWill | flagWillQoS1 | flagWillQoS2,
		func(t *T, v mqtt.Version, id string) [][]byte {
			return [][]byte{str(id), noProps(v), str(t.Topic("will")), bin("w")}
		}},
	{"the will flag without will topic and payload is refused", []string{"MQTT-3.1.2-9", "MQTT-3.1.3-1"}, []string{"MQTT-3.1.2-9", "MQTT-3.1.3-1"}, flagClean | flagWill,
		func(t *T, v mqtt.Version, id string) [][]byte { return [][]byte{str(id)} }},
	{"a user name without the user name flag is refused", []string{"MQTT-3.1.2-16"}, []string{"MQTT-3.1.2-18"}, flagClean,
		func(t *T, v mqtt.Version, id string) [][]byte { return [][]byte{str(id), str("someone")} }},
	{"the user name flag without a user name is refused", []string{"MQTT-3.1.2-17"}, []string{"MQTT-3.1.2-19"}, flagClean | flagUsername,
		func(t *T, v mqtt.Version, id string) [][]byte { return [][]byte{str(id)} }},
	{"a password without the password flag is refused", []string{"MQTT-3.1.2-18"}, []string{"MQTT-3.1.2-20"}, flagClean | flagUsername,
		func(t *T, v mqtt.Version, id string) [][]byte {
			return [][]byte{str(id), str("someone"), bin("secret")}
		}},
	{"the password flag without a password is refused", []string{"MQTT-3.1.2-19"}, []string{"MQTT-3.1.2-21"}, flagClean | flagUsername | flagPassword,
		func(t *T, v mqtt.Version, id string) [][]byte { return [][]byte{str(id), str("someone")} }},
	{"a password flag without the user name flag is refused", nil, []string{"MQTT-3.1.2-22"}, flagClean | flagPassword,
		func(t *T, v mqtt.Version, id string) [][]byte { return [][]byte{str(id), bin("secret")} }},
	{"a client identifier that is not UTF-8 is refused", []string{"MQTT-3.1.3-4", "MQTT-1.5.4-1"}, []string{"MQTT-3.1.3-4", "MQTT-1.5.3-1"}, flagClean,
		func(t *T, v mqtt.Version, id string) [][]byte {
			return [][]byte{cat(u16(4), []byte{'a', 0xC3, 0x28, 'b'})}
		}},
	{"a client identifier with U+0000 is refused", []string{"MQTT-1.5.4-2"}, []string{"MQTT-1.5.3-2"}, flagClean,
		func(t *T, v mqtt.Version, id string) [][]byte { return [][]byte{str("a\x00b")} }},
	{"a will topic that is not UTF-8 is refused", []string{"MQTT-3.1.3-11"}, []string{"MQTT-3.1.3-10"}, flagClean | flagWill,
		func(t *T, v mqtt.Version, id string) [][]byte {
			return [][]byte{str(id), noProps(v), cat(u16(3), []byte{'a', 0xED, 0xA0}), bin("w")}
		}},
	{"a user name that is not UTF-8 is refused", []string{"MQTT-3.1.3-12"}, []string{"MQTT-3.1.3-11"}, flagClean | flagUsername,
		func(t *T, v mqtt.Version, id string) [][]byte {
			return [][]byte{str(id), cat(u16(3), []byte{0xFF, 'a', 'b'})}
		}},
	{"a CONNECT without a client identifier field is refused", []string{"MQTT-3.1.3-3"}, []string{"MQTT-3.1.3-3"}, flagClean,
		func(t *T, v mqtt.Version, id string) [][]byte { return nil }},
}

func init() {
	for _, fc := range connectFlagChecks {
		fc := fc
		check(Check{
			Area: "connect", Name: fc.name, V5: fc.v5, V311: fc.v311,
			Run: func(t *T) {
				c := t.Dial(t.V)
				id := t.ClientID()
				c.SendBytes(rawConnect(t.V, "MQTT", byte(t.V), fc.flags, fc.body(t, t.V, id)...), "CONNECT: "+fc.name)
				c.ExpectRefused(fc.name, true, mqtt.MalformedPacket, mqtt.ProtocolError, mqtt.ClientIdentifierNotValid, mqtt.UnspecifiedError)
			},
		})
	}
}

var _ = check(Check{
	Area: "connect", Name: "a 23-character alphanumeric client identifier is accepted",
	V5:   []string{"MQTT-3.1.3-5"},
	V311: []string{"MQTT-3.1.3-5"},
	Run: func(t *T) {
		t.Connect(withID(t.alnumID()))
	},
})

var _ = check(Check{
	Area: "connect", Name: "an empty client identifier gets a unique assigned one",
	V5:    []string{"MQTT-3.1.3-6", "MQTT-3.1.3-7", "MQTT-3.2.2-16"},
	Needs: []Capability{CapEmptyID},
	Run: func(t *T) {
		a, ackA := t.Connect(withID(""))
		b, ackB := t.Connect(withID(""))
		idA, idB := ackA.Properties.AssignedClientID, ackB.Properties.AssignedClientID
		if idA == "" || idB == "" {
			t.Fatalf("expected an Assigned Client Identifier in each CONNACK; got %q and %q", idA, idB)
		}
		t.Expect(idA).NotTo(Equal(idB), "two clients were assigned the same identifier")
		// Both stay connected: neither took the other's session over.
		a.ExpectOpen("first client with an assigned identifier")
		b.ExpectOpen("second client with an assigned identifier")
	},
})

var _ = check(Check{
	Area: "connect", Name: "clients with empty identifiers each get their own session",
	V311:  []string{"MQTT-3.1.3-6"},
	Needs: []Capability{CapEmptyID},
	Run: func(t *T) {
		a, _ := t.Connect(withID(""))
		b, _ := t.Connect(withID(""))
		a.ExpectOpen("first client with an empty identifier must not be taken over")
		b.ExpectOpen("second client with an empty identifier")
	},
})

var _ = check(Check{
	Area: "connect", Name: "an empty client identifier with clean session 0 is refused with return code 2",
	V311: []string{"MQTT-3.1.3-8", "MQTT-3.2.2-4", "MQTT-3.2.2-5"},
	Run: func(t *T) {
		c := t.Dial(t.V)
		ack := c.Handshake(func(p *packet.Connect) { p.ClientID = ""; p.CleanStart = false })
		t.Expect(ack.ReasonCode.ConnectReturnCode()).To(Equal(mqtt.ConnectIdentifierRejected), "CONNACK %s", describe(ack, t.V))
		t.Expect(ack.SessionPresent).To(BeFalse(), "a refusing CONNACK must have session present 0")
		c.ExpectClosed("after CONNACK identifier rejected")
	},
})

var _ = check(Check{
	Area: "connect", Name: "refused credentials get a refusing CONNACK and a close",
	V5:    []string{"MQTT-3.1.4-2", "MQTT-3.2.2-6", "MQTT-3.2.2-7", "MQTT-4.13.2-1"},
	V311:  []string{"MQTT-3.2.2-4", "MQTT-3.2.2-5"},
	Needs: []Capability{CapBadAuth},
	Run: func(t *T) {
		c := t.Dial(t.V)
		p := t.Profile()
		ack := c.Handshake(func(cp *packet.Connect) {
			cp.Username, cp.Password = p.BadUsername, []byte(p.BadPassword)
			cp.CleanStart = false
			if t.V == mqtt.V5 {
				cp.Properties.SessionExpiry = 60
			}
		})
		t.Expect(ack.ReasonCode).NotTo(Equal(mqtt.Success), "CONNECT with refused credentials: %s", describe(ack, t.V))
		if t.V == mqtt.V5 {
			t.Expect(ack.ReasonCode >= 0x80).To(BeTrue(), "refusal must be a code of 0x80 or more: %s", describe(ack, t.V))
		}
		t.Expect(ack.SessionPresent).To(BeFalse(), "a refusing CONNACK must have session present 0")
		c.ExpectClosed("after a refusing CONNACK")
	},
})

var _ = check(Check{
	Area: "connect", Name: "data sent after a refused CONNECT is not processed",
	V5:    []string{"MQTT-3.1.4-6"},
	V311:  []string{"MQTT-3.1.4-5"},
	Needs: []Capability{CapBadAuth, CapRetain},
	Run: func(t *T) {
		topic := t.Topic("after-refusal")
		p := t.Profile()
		bad := t.ConnectPacket(t.V)
		bad.Username, bad.Password = p.BadUsername, []byte(p.BadPassword)
		b, _ := bad.Append(nil, 0)
		pub := &packet.Publish{Topic: topic, Payload: []byte("must not be stored"), Retain: true}
		b, _ = pub.Append(b, t.V)
		c := t.Dial(t.V)
		c.SendBytes(b, "CONNECT with refused credentials and, in the same write, a retained PUBLISH to "+topic)
		c.ExpectClosed("refused CONNECT")
		s, _ := t.Connect()
		s.Sub(topic, 0)
		s.ExpectNoPublishOn(topic, "no retained message from a PUBLISH sent after a refused CONNECT")
	},
})

var _ = check(Check{
	Area: "connect", Name: "a second connection with the same client identifier takes the session over",
	V5:   []string{"MQTT-3.1.4-3", "MQTT-3.14.2-1"},
	V311: []string{"MQTT-3.1.4-2"},
	Run: func(t *T) {
		id := t.ClientID()
		a, _ := t.Connect(withID(id))
		b, _ := t.Connect(withID(id))
		if t.V == mqtt.V5 {
			for _, r := range a.ExpectClosed("the first connection is taken over") {
				if d, ok := r.Packet.(*packet.Disconnect); ok {
					t.Expect(d.ReasonCode).To(Equal(mqtt.SessionTakenOver), "DISCONNECT to the old connection: %s", describe(d, t.V))
				}
			}
		} else {
			a.ExpectClosed("the first connection is taken over")
		}
		b.ExpectOpen("the new connection")
	},
})

var _ = check(Check{
	Area: "session", Name: "clean start discards the previous session",
	V5:    []string{"MQTT-3.1.2-4", "MQTT-3.2.2-2", "MQTT-3.1.4-4"},
	V311:  []string{"MQTT-3.1.2-6", "MQTT-3.2.2-1"},
	Needs: []Capability{CapSessionExpiry},
	Run: func(t *T) {
		id, topic := t.ClientID(), t.Topic("a")
		c, _ := t.Connect(resume(id))
		c.Sub(topic, t.qosOf(1))
		c.Disconnect()
		c, ack := t.Connect(withID(id))
		t.Expect(ack.SessionPresent).To(BeFalse(), "CONNACK to a clean start: %s", describe(ack, t.V))
		p, _ := t.Connect()
		p.Pub(topic, "to the old subscription", t.qosOf(1), false)
		c.ExpectNoPublishOn(topic, "the subscription of the discarded session must be gone")
	},
})

var _ = check(Check{
	Area: "session", Name: "a session without clean start is resumed with its subscriptions and queued messages",
	V5:    []string{"MQTT-3.1.2-5", "MQTT-3.2.2-3", "MQTT-3.1.2-23", "MQTT-3.1.3-2", "MQTT-4.5.0-1"},
	V311:  []string{"MQTT-3.1.2-4", "MQTT-3.2.2-2", "MQTT-3.1.2-5", "MQTT-3.1.3-2", "MQTT-4.1.0-1", "MQTT-4.5.0-1"},
	Needs: []Capability{CapSessionExpiry, CapQoS1},
	Run: func(t *T) {
		id, topic := t.ClientID(), t.Topic("a")
		c, _ := t.Connect(resume(id))
		c.Sub(topic, 1)
		c.Disconnect()
		p, _ := t.Connect()
		p.Pub(topic, "queued while away", 1, false)
		c, ack := t.Connect(resume(id))
		defer t.cleanEnd(id, t.V)
		t.Expect(ack.SessionPresent).To(BeTrue(), "CONNACK resuming a stored session: %s", describe(ack, t.V))
		m := c.ExpectPublishOn(topic)
		t.Expect(string(m.Payload)).To(Equal("queued while away"))
		t.Expect(m.QoS).To(Equal(mqtt.QoS1), "queued message QoS")
		c.Close()
	},
})

var _ = check(Check{
	Area: "session", Name: "no clean start and no stored session creates a new session",
	V5:   []string{"MQTT-3.1.2-6", "MQTT-3.2.2-3"},
	V311: []string{"MQTT-3.1.2-4", "MQTT-3.2.2-3"},
	Run: func(t *T) {
		id := t.ClientID()
		c, ack := t.Connect(resume(id))
		t.Expect(ack.SessionPresent).To(BeFalse(), "CONNACK with no stored session: %s", describe(ack, t.V))
		topic := t.Topic("a")
		c.Sub(topic, 0)
		c.Pub(topic, "own", 0, false)
		c.ExpectPublishOn(topic)
		c.Disconnect()
		t.cleanEnd(id, t.V)
	},
})

var _ = check(Check{
	Area: "session", Name: "retained messages outlive the session that published them",
	V311:  []string{"MQTT-3.1.2-7"},
	Needs: []Capability{CapRetain},
	Run: func(t *T) {
		topic := t.Topic("kept")
		c, _ := t.Connect()
		c.Pub(topic, "retained", t.qosOf(1), true)
		c.Disconnect()
		s, _ := t.Connect()
		s.Sub(topic, 0)
		m := s.ExpectPublishOn(topic)
		t.Expect(string(m.Payload)).To(Equal("retained"))
		s.Pub(topic, "", 0, true)
	},
})

var _ = check(Check{
	Area: "session", Name: "the session stays while the connection is open",
	V5:   []string{"MQTT-4.1.0-1"},
	V311: []string{"MQTT-4.1.0-2"},
	Run: func(t *T) {
		topic := t.Topic("a")
		c, _ := t.Connect()
		c.Sub(topic, 0)
		p, _ := t.Connect()
		for i := 0; i < 3; i++ {
			p.Pub(topic, "m"+itoa(i), 0, false)
			m := c.ExpectPublishOn(topic)
			t.Expect(string(m.Payload)).To(Equal("m" + itoa(i)))
			c.Sync()
		}
	},
})

var _ = check(Check{
	Area: "session", Name: "a session ends when its expiry interval passes",
	V5:    []string{"MQTT-4.1.0-2"},
	Needs: []Capability{CapSessionExpiry},
	Run: func(t *T) {
		id := t.ClientID()
		c, _ := t.Connect(func(p *packet.Connect) { p.ClientID = id; p.CleanStart = false; p.Properties.SessionExpiry = 1 })
		c.Sub(t.Topic("a"), 0)
		c.Disconnect()
		time.Sleep(2500 * time.Millisecond) // the 1 s expiry, with a margin for the broker's timer
		_, ack := t.Connect(resume(id))
		defer t.cleanEnd(id, t.V)
		t.Expect(ack.SessionPresent).To(BeFalse(), "CONNACK after the session expired: %s", describe(ack, t.V))
	},
})

var _ = check(Check{
	Area: "keepalive", Name: "the broker closes a connection silent for 1.5 times the keep alive",
	V5:   []string{"MQTT-3.1.2-22", "MQTT-3.2.2-22"},
	V311: []string{"MQTT-3.1.2-24"},
	Run: func(t *T) {
		c := t.Dial(t.V)
		ack := c.Handshake(func(p *packet.Connect) { p.KeepAlive = 1 })
		t.Expect(ack.ReasonCode).To(Equal(mqtt.Success))
		ka := 1 * time.Second
		if t.V == mqtt.V5 && ack.Properties.Has(packet.PropServerKeepAlive) {
			if ack.Properties.ServerKeepAlive == 0 || ack.Properties.ServerKeepAlive > 5 {
				t.Skipf("broker imposes Server Keep Alive %d s", ack.Properties.ServerKeepAlive)
			}
			ka = time.Duration(ack.Properties.ServerKeepAlive) * time.Second
		}
		if !c.WaitClosedByBroker() {
			t.Fatalf("expected the broker to close the connection silent for 1.5 × keep alive %v; still open after %v", ka, t.Wait())
		}
	},
})

var _ = check(Check{
	Area: "keepalive", Name: "PINGREQ is answered with PINGRESP",
	V5:   []string{"MQTT-3.12.4-1"},
	V311: []string{"MQTT-3.12.4-1"},
	Run: func(t *T) {
		c, _ := t.Connect()
		c.Send(&packet.Pingreq{})
		r := c.ExpectNext("PINGRESP")
		t.Expect(r.Type()).To(Equal(packet.TypePingresp), "answer to PINGREQ: %s", describe(r.Packet, t.V))
	},
})

var _ = check(Check{
	Area: "connect", Name: "the Maximum QoS announced matches what the broker accepts",
	V5: []string{"MQTT-3.2.2-9"},
	Run: func(t *T) {
		c, ack := t.Connect()
		if ack.Properties.Has(packet.PropMaximumQoS) {
			t.Skipf("broker announces Maximum QoS %d", ack.Properties.MaximumQoS)
		}
		// No Maximum QoS: QoS 2 must be taken.
		topic := t.Topic("q2")
		rec := c.Pub(topic, "qos2", 2, false).(*packet.Pubrec)
		t.Expect(rec.ReasonCode < 0x80).To(BeTrue(), "QoS 2 PUBLISH to a broker announcing no Maximum QoS: %s", describe(rec, t.V))
	},
})

var _ = check(Check{
	Area: "connect", Name: "SUBSCRIBE at QoS 0, 1 and 2 is accepted whatever the Maximum QoS",
	V5: []string{"MQTT-3.2.2-10"},
	Run: func(t *T) {
		c, _ := t.Connect()
		ack := c.Subscribe(packet.Subscription{Filter: t.Topic("a"), QoS: 0}, packet.Subscription{Filter: t.Topic("b"), QoS: 1}, packet.Subscription{Filter: t.Topic("c"), QoS: 2})
		for i, rc := range ack.ReasonCodes {
			t.Expect(rc < 0x80).To(BeTrue(), "SUBACK code %d: %s", i, describe(ack, t.V))
		}
	},
})

var _ = check(Check{
	Area: "connect", Name: "a will QoS above the Maximum QoS is refused",
	V5: []string{"MQTT-3.2.2-12"},
	Run: func(t *T) {
		if t.Caps.V["v5"].MaxQoS == 2 {
			t.Skipf("broker supports QoS 2: every will QoS is within its capabilities")
		}
		c := t.Dial(t.V)
		c.Send(func() *packet.Connect {
			p := t.ConnectPacket(t.V)
			p.Will = &packet.Will{Topic: t.Topic("w"), Payload: []byte("w"), QoS: 2}
			return p
		}())
		c.ExpectRefused("will QoS 2 above the Maximum QoS", false)
	},
})

var _ = check(Check{
	Area: "connect", Name: "a retained will is refused when retain is unavailable",
	V5: []string{"MQTT-3.2.2-13"},
	Run: func(t *T) {
		if t.Caps.V["v5"].Retain {
			t.Skipf("broker offers retained messages")
		}
		c := t.Dial(t.V)
		c.Send(func() *packet.Connect {
			p := t.ConnectPacket(t.V)
			p.Will = &packet.Will{Topic: t.Topic("w"), Payload: []byte("w"), Retain: true}
			return p
		}())
		c.ExpectRefused("retained will without retain support", false)
	},
})

var _ = check(Check{
	Area: "connect", Name: "Request Response Information 0 gets no Response Information",
	V5: []string{"MQTT-3.1.2-28"},
	Run: func(t *T) {
		_, ack := t.Connect()
		t.Expect(ack.Properties.Has(packet.PropResponseInfo)).To(BeFalse(), "CONNACK without a request: %s", describe(ack, t.V))
	},
})

var _ = check(Check{
	Area: "connect", Name: "no authentication method: no AUTH and no method in CONNACK",
	V5: []string{"MQTT-4.12.0-6"},
	Run: func(t *T) {
		c, ack := t.Connect()
		t.Expect(ack.Properties.Has(packet.PropAuthMethod)).To(BeFalse(), "CONNACK: %s", describe(ack, t.V))
		c.ExpectNo("no AUTH to a client that gave no authentication method", func(p packet.Packet) bool { return p.Type() == packet.TypeAuth })
	},
})

var _ = check(Check{
	Area: "connect", Name: "an unsupported authentication method is refused",
	V5: []string{"MQTT-4.12.0-1", "MQTT-4.12.0-4"},
	Run: func(t *T) {
		c := t.Dial(t.V)
		c.Send(func() *packet.Connect {
			p := t.ConnectPacket(t.V)
			p.Properties.AuthMethod = "MQTTCHECK-NO-SUCH-METHOD-" + strings.ToUpper(t.ClientID())
			return p
		}())
		for _, r := range c.ExpectClosed("unknown authentication method") {
			switch p := r.Packet.(type) {
			case *packet.Connack:
				t.Expect(p.ReasonCode >= 0x80).To(BeTrue(), "CONNACK to an unknown authentication method: %s", describe(p, t.V))
			case *packet.Auth:
				t.Expect(p.ReasonCode).To(Equal(mqtt.ContinueAuthentication), "AUTH: %s", describe(p, t.V))
			default:
				t.Fatalf("expected CONNACK refusing or AUTH; got %s", describe(p, t.V))
			}
		}
	},
})
