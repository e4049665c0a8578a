package server_test

import (
	"fmt"
	"testing"

	"github.com/eclipse/paho.golang/paho"
	"github.com/mqttx/mqttx/mqtt"
	"github.com/mqttx/mqttx/mqtt/packet"
	"github.com/mqttx/mqttx/mqtt/server"
)

func aliased(topic string, alias uint16, payload string) *packet.Publish {
	p := &packet.Publish{Topic: topic, Payload: []byte(payload)}
	p.Properties.TopicAlias = alias
	return p
}

func TestTopicAliasInbound(t *testing.T) {
	addr := start(t, &server.Server{TopicAliasMaximum: 3})
	sub := open(t, addr, mqtt.V5, "alias-sub")
	sub.subscribe(1, packet.Subscription{Filter: "#"})

	pub := dial(t, addr, mqtt.V5)
	ack := pub.connect(&packet.Connect{ClientID: "alias-pub", CleanStart: true})
	if ack.Properties.TopicAliasMaximum != 3 {
		t.Fatalf("CONNACK Topic Alias Maximum %d, want 3", ack.Properties.TopicAliasMaximum)
	}
	steps := []struct {
		topic string
		alias uint16
		want  string
	}{
		{"a/b", 1, "a/b"}, // sets alias 1
		{"", 1, "a/b"},    // uses it
		{"c", 3, "c"},     // the maximum is accepted [MQTT-3.3.2-12]
		{"d/e", 1, "d/e"}, // replaces alias 1
		{"", 1, "d/e"},
		{"", 3, "c"},
		{"plain", 0, "plain"},
	}
	for i, s := range steps {
		payload := fmt.Sprint(i)
		pub.send(aliased(s.topic, s.alias, payload))
		m := expect[*packet.Publish](sub)
		if m.Topic != s.want || string(m.Payload) != payload {
			t.Fatalf("step %d: subscriber got %q %q, want %q %q", i, m.Topic, m.Payload, s.want, payload)
		}
		if m.Properties.TopicAlias != 0 {
			t.Fatalf("step %d: the publisher's alias %d was forwarded", i, m.Properties.TopicAlias)
		}
	}

	// Over the maximum: DISCONNECT Topic Alias invalid [MQTT-3.3.2-9].
	pub.send(aliased("x", 4, "over"))
	if got := pub.closed(); len(got) != 1 || got[0].(*packet.Disconnect).ReasonCode != mqtt.TopicAliasInvalid {
		t.Errorf("alias over the maximum: got %v, want DISCONNECT Topic Alias invalid", got)
	}
	// Aliases do not outlive the connection [MQTT-3.3.2-7]: alias 1 is
	// unknown to the next one, a protocol error.
	pub = dial(t, addr, mqtt.V5)
	pub.connect(&packet.Connect{ClientID: "alias-pub", CleanStart: true})
	pub.send(aliased("", 1, "unset"))
	if got := pub.closed(); len(got) != 1 || got[0].(*packet.Disconnect).ReasonCode != mqtt.ProtocolError {
		t.Errorf("alias never set: got %v, want DISCONNECT Protocol error", got)
	}
	sub.silent(50e6)

	// Aliases turned off: none advertised, any is invalid.
	addr = start(t, &server.Server{TopicAliasMaximum: -1})
	pub = dial(t, addr, mqtt.V5)
	if ack := pub.connect(&packet.Connect{ClientID: "alias-off", CleanStart: true}); ack.Properties.Has(packet.PropTopicAliasMaximum) {
		t.Errorf("CONNACK advertises Topic Alias Maximum %d with aliases off", ack.Properties.TopicAliasMaximum)
	}
	pub.send(aliased("x", 1, "x"))
	if got := pub.closed(); len(got) != 1 || got[0].(*packet.Disconnect).ReasonCode != mqtt.TopicAliasInvalid {
		t.Errorf("alias with none allowed: got %v, want DISCONNECT Topic Alias invalid", got)
	}
}

// aliasReader resolves the Topic Aliases a client receives, failing the
// test on any the server may not send.
type aliasReader struct {
	t     *testing.T
	max   uint16
	names map[uint16]string
}

func (r *aliasReader) resolve(topic string, alias uint16) string {
	r.t.Helper()
	if alias == 0 {
		if topic == "" {
			r.t.Fatal("PUBLISH with neither topic nor alias")
		}
		return topic
	}
	if alias > r.max {
		r.t.Fatalf("alias %d over the client's Topic Alias Maximum %d [MQTT-3.3.2-11]", alias, r.max)
	}
	if topic != "" {
		r.names[alias] = topic
		return topic
	}
	name, ok := r.names[alias]
	if !ok {
		r.t.Fatalf("alias %d used before it was set", alias)
	}
	return name
}

func TestTopicAliasOutbound(t *testing.T) {
	addr := start(t, &server.Server{})
	sub := dial(t, addr, mqtt.V5)
	cp := &packet.Connect{ClientID: "out-sub", CleanStart: true}
	cp.Properties.TopicAliasMaximum = 2
	sub.connect(cp)
	sub.subscribe(1, packet.Subscription{Filter: "t/#", QoS: 1})
	plain := open(t, addr, mqtt.V5, "out-plain") // sends no Topic Alias Maximum
	plain.subscribe(1, packet.Subscription{Filter: "t/#"})
	pub := open(t, addr, mqtt.V5, "out-pub")

	r := &aliasReader{t: t, max: 2, names: map[uint16]string{}}
	// With two aliases: t/1 and t/2 take them, t/3 reuses the least
	// recently assigned (1), then t/1 takes 2.
	topics := []string{"t/1", "t/1", "t/2", "t/3", "t/2", "t/1", "t/3"}
	wantAlias := []uint16{1, 1, 2, 1, 2, 2, 1}
	wantTopic := []bool{true, false, true, true, false, true, false}
	for i, tp := range topics {
		payload := fmt.Sprint(i)
		pub.send(&packet.Publish{Topic: tp, QoS: 1, PacketID: uint16(i + 1), Payload: []byte(payload)})
		expect[*packet.Puback](pub)
		m := expect[*packet.Publish](sub)
		if got := r.resolve(m.Topic, m.Properties.TopicAlias); got != tp || string(m.Payload) != payload {
			t.Fatalf("message %d: resolved %q %q, want %q %q", i, got, m.Payload, tp, payload)
		}
		if m.Properties.TopicAlias != wantAlias[i] || (m.Topic != "") != wantTopic[i] {
			t.Errorf("message %d (%s): alias %d with topic %q; want alias %d, topic sent %v", i, tp, m.Properties.TopicAlias, m.Topic, wantAlias[i], wantTopic[i])
		}
		sub.send(&packet.Puback{PacketID: m.PacketID})
		if pm := expect[*packet.Publish](plain); pm.Topic != tp || pm.Properties.TopicAlias != 0 {
			t.Errorf("client without Topic Alias Maximum got %q alias %d [MQTT-3.3.2-11]", pm.Topic, pm.Properties.TopicAlias)
		}
	}

	// A resumed session resends with aliases of the new connection only.
	sub.nc.Close()
	cp = &packet.Connect{ClientID: "out-sub2"}
	cp.Properties.SessionExpiry = 60
	cp.Properties.TopicAliasMaximum = 4
	s2 := dial(t, addr, mqtt.V5)
	s2.connect(cp)
	s2.subscribe(1, packet.Subscription{Filter: "r/#", QoS: 1})
	pub.send(&packet.Publish{Topic: "r/1", QoS: 1, PacketID: 50, Payload: []byte("held")})
	expect[*packet.Puback](pub)
	m := expect[*packet.Publish](s2) // not acknowledged
	if m.Topic != "r/1" || m.Properties.TopicAlias != 1 {
		t.Fatalf("got %q alias %d, want r/1 with alias 1", m.Topic, m.Properties.TopicAlias)
	}
	s2.nc.Close()
	s3 := dial(t, addr, mqtt.V5)
	cp.CleanStart = false
	if ack := s3.connect(cp); !ack.SessionPresent {
		t.Fatal("session not resumed")
	}
	m = expect[*packet.Publish](s3)
	if !m.Dup || m.Topic != "r/1" {
		t.Errorf("resend: DUP %v topic %q alias %d; want the topic sent again, the old connection's alias forgotten [MQTT-3.3.2-7]", m.Dup, m.Topic, m.Properties.TopicAlias)
	}

	// Turned off on the server: none sent, whatever the client accepts.
	addr = start(t, &server.Server{OutboundAliases: -1})
	sub = dial(t, addr, mqtt.V5)
	cp = &packet.Connect{ClientID: "off", CleanStart: true}
	cp.Properties.TopicAliasMaximum = 10
	sub.connect(cp)
	sub.subscribe(1, packet.Subscription{Filter: "#"})
	pub = open(t, addr, mqtt.V5, "off-pub")
	for range 2 {
		pub.send(&packet.Publish{Topic: "x", Payload: []byte("x")})
		if m := expect[*packet.Publish](sub); m.Topic != "x" || m.Properties.TopicAlias != 0 {
			t.Errorf("OutboundAliases -1: got %q alias %d", m.Topic, m.Properties.TopicAlias)
		}
	}
}

// TestTopicAliasPaho runs both directions with paho.golang: it publishes
// with aliases of its own and resolves those the server sends.
func TestTopicAliasPaho(t *testing.T) {
	addr := start(t, &server.Server{TopicAliasMaximum: 5})
	amax := uint16(3)
	cp := pahoClean("paho-alias-sub")
	cp.Properties = &paho.ConnectProperties{TopicAliasMaximum: &amax}
	sub, _ := connectPahoV5(t, addr, cp)
	sub.subscribe(paho.SubscribeOptions{Topic: "pa/#", QoS: 1})
	pub, ack := connectPahoV5(t, addr, pahoClean("paho-alias-pub"))
	if ack.Properties == nil || ack.Properties.TopicAliasMaximum == nil || *ack.Properties.TopicAliasMaximum != 5 {
		t.Fatalf("CONNACK properties %+v, want Topic Alias Maximum 5", ack.Properties)
	}
	r := &aliasReader{t: t, max: amax, names: map[uint16]string{}}
	for i := range 8 {
		tp := fmt.Sprintf("pa/%d", i%4)
		p := &paho.Publish{Topic: tp, QoS: 1, Payload: []byte(tp)}
		alias := uint16(i%4 + 1)
		p.Properties = &paho.PublishProperties{TopicAlias: &alias}
		if i >= 4 {
			p.Topic = "" // the alias set by the first round
		}
		if resp := pub.publish(p); resp.ReasonCode != 0 {
			t.Fatalf("PUBACK %v", resp.ReasonCode)
		}
		m := sub.next()
		var a uint16
		if m.Properties != nil && m.Properties.TopicAlias != nil {
			a = *m.Properties.TopicAlias
		}
		if got := r.resolve(m.Topic, a); got != tp || string(m.Payload) != tp {
			t.Fatalf("message %d: got %q (alias %d) %q, want %q", i, got, a, m.Payload, tp)
		}
		if i >= 4 && i < 7 && a == 0 {
			t.Errorf("message %d: no alias with room for %d", i, amax)
		}
	}
}
