package server_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/mqttx/mqttx/mqtt"
	"github.com/mqttx/mqttx/mqtt/packet"
	"github.com/mqttx/mqttx/mqtt/server"
)

func TestQoS2ExactlyOnceInbound(t *testing.T) {
	for _, v := range versions {
		t.Run(v.String(), func(t *testing.T) {
			addr := start(t, &server.Server{})
			sub := open(t, addr, v, "sub")
			sub.subscribe(1, packet.Subscription{Filter: "q2", QoS: 2})
			pub := open(t, addr, v, "pub")
			pub.send(&packet.Publish{Topic: "q2", QoS: 2, PacketID: 5, Payload: []byte("once")})
			if rec := expect[*packet.Pubrec](pub); rec.PacketID != 5 {
				t.Fatalf("PUBREC %+v", rec)
			}
			// The retry of a sender that missed the PUBREC: same id, DUP.
			pub.send(&packet.Publish{Topic: "q2", QoS: 2, PacketID: 5, Dup: true, Payload: []byte("once")})
			if rec := expect[*packet.Pubrec](pub); rec.PacketID != 5 {
				t.Fatalf("PUBREC %+v", rec)
			}
			pub.send(&packet.Pubrel{PacketID: 5})
			if comp := expect[*packet.Pubcomp](pub); comp.PacketID != 5 || comp.ReasonCode != 0 {
				t.Fatalf("PUBCOMP %+v", comp)
			}
			got := expect[*packet.Publish](sub)
			if got.QoS != 2 || string(got.Payload) != "once" {
				t.Fatalf("got %+v", got)
			}
			sub.send(&packet.Pubrec{PacketID: got.PacketID})
			if rel := expect[*packet.Pubrel](sub); rel.PacketID != got.PacketID {
				t.Fatalf("PUBREL %+v", rel)
			}
			sub.send(&packet.Pubcomp{PacketID: got.PacketID})
			sub.silent(100 * time.Millisecond) // delivered once only
			// After PUBREL the identifier is free: the same id is a new message.
			pub.send(&packet.Publish{Topic: "q2", QoS: 2, PacketID: 5, Payload: []byte("again")})
			expect[*packet.Pubrec](pub)
			if got := expect[*packet.Publish](sub); string(got.Payload) != "again" {
				t.Fatalf("got %q", got.Payload)
			}
		})
	}
}

func TestPubrelUnknownID(t *testing.T) {
	addr := start(t, &server.Server{})
	c := open(t, addr, mqtt.V5, "c")
	c.send(&packet.Pubrel{PacketID: 77})
	if comp := expect[*packet.Pubcomp](c); comp.PacketID != 77 || comp.ReasonCode != mqtt.PacketIdentifierNotFound {
		t.Fatalf("PUBCOMP %+v", comp)
	}
}

func TestDowngradeAndOverlap(t *testing.T) {
	addr := start(t, &server.Server{})
	sub := open(t, addr, mqtt.V5, "sub")
	s1 := &packet.Subscribe{PacketID: 1, Subscriptions: []packet.Subscription{{Filter: "a/#", QoS: 0}}}
	s1.Properties.SubscriptionIDs = []uint32{1}
	sub.send(s1)
	expect[*packet.Suback](sub)
	s2 := &packet.Subscribe{PacketID: 2, Subscriptions: []packet.Subscription{{Filter: "a/+", QoS: 1}}}
	s2.Properties.SubscriptionIDs = []uint32{2}
	sub.send(s2)
	expect[*packet.Suback](sub)
	pub := open(t, addr, mqtt.V5, "pub")
	pub.send(&packet.Publish{Topic: "a/b", QoS: 2, PacketID: 1, Payload: []byte("x")})
	expect[*packet.Pubrec](pub)
	got := expect[*packet.Publish](sub)
	ids := slices.Sorted(slices.Values(got.Properties.SubscriptionIDs))
	if got.QoS != 1 || !slices.Equal(ids, []uint32{1, 2}) {
		t.Fatalf("got QoS %d ids %v, want one copy at QoS 1 with ids [1 2]", got.QoS, ids)
	}
	sub.send(&packet.Puback{PacketID: got.PacketID})
	sub.silent(100 * time.Millisecond)
	// Only a/# matches a/b/c: QoS 0 (downgraded from 2), id 1.
	pub.send(&packet.Publish{Topic: "a/b/c", QoS: 2, PacketID: 2, Payload: []byte("y")})
	got = expect[*packet.Publish](sub)
	if got.QoS != 0 || !slices.Equal(got.Properties.SubscriptionIDs, []uint32{1}) {
		t.Fatalf("got %+v", got)
	}
}

func TestDollarTopics(t *testing.T) {
	addr := start(t, &server.Server{})
	all := open(t, addr, mqtt.V311, "all")
	all.subscribe(1, packet.Subscription{Filter: "#"}, packet.Subscription{Filter: "+/info"})
	sys := open(t, addr, mqtt.V311, "sys")
	sys.subscribe(1, packet.Subscription{Filter: "$SYS/#"})
	pub := open(t, addr, mqtt.V311, "pub")
	pub.send(&packet.Publish{Topic: "$SYS/info", Payload: []byte("s")})
	if got := expect[*packet.Publish](sys); got.Topic != "$SYS/info" {
		t.Fatalf("got %+v", got)
	}
	all.silent(100 * time.Millisecond) // [MQTT-4.7.2-1]
}

func TestRetained(t *testing.T) {
	addr := start(t, &server.Server{})
	pub := open(t, addr, mqtt.V5, "pub")
	pub.send(&packet.Publish{Topic: "r/1", Retain: true, Payload: []byte("old")})
	pub.send(&packet.Publish{Topic: "r/1", Retain: true, Payload: []byte("new")})
	pub.send(&packet.Publish{Topic: "r/2", Retain: true, QoS: 1, PacketID: 1, Payload: []byte("two")})
	expect[*packet.Puback](pub)
	pub.send(&packet.Publish{Topic: "r/3", Retain: true, Payload: []byte("gone")})
	pub.send(&packet.Publish{Topic: "r/3", Retain: true}) // empty payload clears
	pub.send(&packet.Pingreq{})
	expect[*packet.Pingresp](pub)

	sub := open(t, addr, mqtt.V5, "sub")
	sub.send(&packet.Subscribe{PacketID: 1, Subscriptions: []packet.Subscription{{Filter: "r/+", QoS: 1}}})
	expect[*packet.Suback](sub) // SUBACK before the retained messages
	got := map[string]string{}
	for range 2 {
		p := expect[*packet.Publish](sub)
		if !p.Retain {
			t.Fatalf("retained message without RETAIN: %+v", p)
		}
		got[p.Topic] = string(p.Payload)
		if p.QoS > 0 {
			sub.send(&packet.Puback{PacketID: p.PacketID})
		}
	}
	if got["r/1"] != "new" || got["r/2"] != "two" || len(got) != 2 {
		t.Fatalf("retained delivered %v", got)
	}
	sub.silent(100 * time.Millisecond)

	// Retain Handling 1: only when the subscription is new.
	sub.subscribe(2, packet.Subscription{Filter: "r/1", RetainHandling: 1})
	expect[*packet.Publish](sub)
	sub.subscribe(3, packet.Subscription{Filter: "r/1", RetainHandling: 1})
	sub.silent(100 * time.Millisecond)
	// Retain Handling 2: never.
	sub.subscribe(4, packet.Subscription{Filter: "r/#", RetainHandling: 2})
	sub.silent(100 * time.Millisecond)

	// Live messages: RETAIN cleared unless Retain As Published.
	rap := open(t, addr, mqtt.V5, "rap")
	rap.subscribe(1, packet.Subscription{Filter: "live", RetainAsPublished: true, RetainHandling: 2})
	plain := open(t, addr, mqtt.V5, "plain")
	plain.subscribe(1, packet.Subscription{Filter: "live", RetainHandling: 2})
	pub.send(&packet.Publish{Topic: "live", Retain: true, Payload: []byte("l")})
	if p := expect[*packet.Publish](rap); !p.Retain {
		t.Fatal("Retain As Published subscriber got RETAIN 0")
	}
	if p := expect[*packet.Publish](plain); p.Retain {
		t.Fatal("subscriber without Retain As Published got RETAIN 1")
	}
}

func TestSecondConnect(t *testing.T) {
	for _, v := range []mqtt.Version{mqtt.V311, mqtt.V5} {
		t.Run(v.String(), func(t *testing.T) {
			addr := start(t, &server.Server{})
			c := open(t, addr, v, "twice")
			c.send(&packet.Connect{Version: v, ClientID: "twice", CleanStart: true})
			got := c.closed()
			if v == mqtt.V5 {
				if len(got) != 1 || got[0].(*packet.Disconnect).ReasonCode != mqtt.ProtocolError {
					t.Fatalf("got %v, want DISCONNECT 0x82", got)
				}
			} else if len(got) != 0 {
				t.Fatalf("got %v, want a plain close", got)
			}
		})
	}
}

func TestClientIdentifiers(t *testing.T) {
	addr := start(t, &server.Server{})
	cases := []struct {
		v     mqtt.Version
		clean bool
		code  mqtt.ReasonCode
	}{
		{mqtt.V31, true, mqtt.ClientIdentifierNotValid},
		{mqtt.V311, false, mqtt.ClientIdentifierNotValid},
		{mqtt.V311, true, mqtt.Success},
		{mqtt.V5, false, mqtt.Success},
	}
	for _, tc := range cases {
		c := dial(t, addr, tc.v)
		ack := c.connect(&packet.Connect{CleanStart: tc.clean})
		if ack.ReasonCode != tc.code {
			t.Errorf("%v clean=%v: CONNACK %v, want %v", tc.v, tc.clean, ack.ReasonCode, tc.code)
		}
		if tc.v == mqtt.V5 && ack.Properties.AssignedClientID == "" {
			t.Errorf("v5 empty client id: no Assigned Client Identifier")
		}
		if tc.code != mqtt.Success {
			c.closed()
		}
	}
}

func TestUnsupportedProtocolLevel(t *testing.T) {
	addr := start(t, &server.Server{})
	c := dial(t, addr, mqtt.V311)
	// CONNECT with protocol level 6.
	c.sendRaw([]byte{0x10, 0x0d, 0, 4, 'M', 'Q', 'T', 'T', 6, 0x02, 0, 60, 0, 1, 'x'})
	got := c.closed()
	if len(got) != 1 || got[0].(*packet.Connack).ReasonCode.ConnectReturnCode() != mqtt.ConnectUnacceptableProtocol {
		t.Fatalf("got %v, want CONNACK 0x01", got)
	}
}

type passwordAuth struct{ password string }

func (a passwordAuth) Authenticate(_ context.Context, _ *server.Client, p *packet.Connect, _ *packet.Connack) mqtt.ReasonCode {
	if string(p.Password) != a.password {
		return mqtt.BadUserNameOrPassword
	}
	return mqtt.Success
}

func TestTakeoverOnlyAfterAuthentication(t *testing.T) {
	addr := start(t, &server.Server{Hooks: []server.Hook{passwordAuth{"pw"}}})
	first := dial(t, addr, mqtt.V5)
	if ack := first.connect(&packet.Connect{ClientID: "same", CleanStart: true, UsernameFlag: true, Username: "u", PasswordFlag: true, Password: []byte("pw")}); ack.ReasonCode != 0 {
		t.Fatalf("CONNACK %v", ack.ReasonCode)
	}
	intruder := dial(t, addr, mqtt.V5)
	if ack := intruder.connect(&packet.Connect{ClientID: "same", CleanStart: true, UsernameFlag: true, Username: "u", PasswordFlag: true, Password: []byte("wrong")}); ack.ReasonCode != mqtt.BadUserNameOrPassword {
		t.Fatalf("intruder CONNACK %v", ack.ReasonCode)
	}
	first.send(&packet.Pingreq{})
	expect[*packet.Pingresp](first) // still connected

	second := dial(t, addr, mqtt.V5)
	if ack := second.connect(&packet.Connect{ClientID: "same", UsernameFlag: true, Username: "u", PasswordFlag: true, Password: []byte("pw")}); ack.ReasonCode != 0 {
		t.Fatalf("CONNACK %v", ack.ReasonCode)
	}
	got := first.closed()
	if len(got) != 1 || got[0].(*packet.Disconnect).ReasonCode != mqtt.SessionTakenOver {
		t.Fatalf("old connection got %v, want DISCONNECT 0x8E", got)
	}
}

func TestPersistentSessionResendsWithDup(t *testing.T) {
	srv := &server.Server{}
	addr := start(t, srv)
	c := dial(t, addr, mqtt.V311)
	if ack := c.connect(&packet.Connect{ClientID: "p", KeepAlive: 60}); ack.SessionPresent {
		t.Fatal("new session reported present")
	}
	c.subscribe(1, packet.Subscription{Filter: "t", QoS: 1}, packet.Subscription{Filter: "t2", QoS: 2})
	pub := open(t, addr, mqtt.V311, "pub")
	pub.send(&packet.Publish{Topic: "t", QoS: 1, PacketID: 1, Payload: []byte("m1")})
	expect[*packet.Puback](pub)
	first := expect[*packet.Publish](c)
	pub.send(&packet.Publish{Topic: "t2", QoS: 2, PacketID: 2, Payload: []byte("m2")})
	expect[*packet.Pubrec](pub)
	pub.send(&packet.Pubrel{PacketID: 2})
	expect[*packet.Pubcomp](pub)
	second := expect[*packet.Publish](c)
	c.send(&packet.Pubrec{PacketID: second.PacketID})
	expect[*packet.Pubrel](c)
	c.nc.Close() // no acks: m1 awaits PUBACK, m2 awaits PUBCOMP
	waitFor(t, func() bool { return len(srv.Clients()) == 1 })

	pub.send(&packet.Publish{Topic: "t", QoS: 1, PacketID: 3, Payload: []byte("while away")})
	expect[*packet.Puback](pub)

	c = dial(t, addr, mqtt.V311)
	if ack := c.connect(&packet.Connect{ClientID: "p", KeepAlive: 60}); !ack.SessionPresent {
		t.Fatal("session not present on reconnect")
	}
	re := expect[*packet.Publish](c)
	if !re.Dup || re.PacketID != first.PacketID || string(re.Payload) != "m1" {
		t.Fatalf("resend %+v, want m1 with DUP and id %d", re, first.PacketID)
	}
	if rel := expect[*packet.Pubrel](c); rel.PacketID != second.PacketID {
		t.Fatalf("PUBREL %+v", rel)
	}
	queued := expect[*packet.Publish](c)
	if string(queued.Payload) != "while away" || queued.Dup {
		t.Fatalf("queued %+v", queued)
	}
	c.send(&packet.Puback{PacketID: re.PacketID})
	c.send(&packet.Pubcomp{PacketID: second.PacketID})
	c.send(&packet.Puback{PacketID: queued.PacketID})
	c.silent(100 * time.Millisecond)

	// Clean session discards it.
	c.disconnect()
	c = dial(t, addr, mqtt.V311)
	if ack := c.connect(&packet.Connect{ClientID: "p", CleanStart: true}); ack.SessionPresent {
		t.Fatal("clean session reported present")
	}
}

func TestProtocolViolationsV5(t *testing.T) {
	cases := []struct {
		name string
		send func(c *client)
		code mqtt.ReasonCode
	}{
		{"topic alias over the maximum", func(c *client) {
			p := &packet.Publish{Topic: "a", Payload: []byte("x")}
			p.Properties.TopicAlias = server.DefaultTopicAliasMaximum + 1
			c.send(p)
		}, mqtt.TopicAliasInvalid},
		{"QoS 3", func(c *client) { c.sendRaw([]byte{0x36, 0x05, 0, 1, 'a', 0, 1}) }, mqtt.MalformedPacket},
		{"oversized", func(c *client) { c.send(&packet.Publish{Topic: "a", Payload: make([]byte, 200)}) }, mqtt.PacketTooLarge},
		{"subscription id from client", func(c *client) {
			p := &packet.Publish{Topic: "a"}
			p.Properties.SubscriptionIDs = []uint32{3}
			b := packet.AppendIllegal(nil, p, mqtt.V5)
			c.sendRaw(b)
		}, mqtt.ProtocolError},
		{"no local on shared", func(c *client) {
			c.sendRaw(packet.AppendIllegal(nil, &packet.Subscribe{PacketID: 1, Subscriptions: []packet.Subscription{{Filter: "$share/g/a", NoLocal: true}}}, mqtt.V5))
		}, mqtt.ProtocolError},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			addr := start(t, &server.Server{MaxPacketSize: 128})
			c := open(t, addr, mqtt.V5, "bad")
			tc.send(c)
			got := c.closed()
			if len(got) != 1 {
				t.Fatalf("got %v, want one DISCONNECT", got)
			}
			if d := got[0].(*packet.Disconnect); d.ReasonCode != tc.code {
				t.Fatalf("DISCONNECT %v, want %v", d.ReasonCode, tc.code)
			}
		})
	}
}

func TestReceiveMaximumOutgoing(t *testing.T) {
	addr := start(t, &server.Server{})
	sub := dial(t, addr, mqtt.V5)
	cp := &packet.Connect{ClientID: "slow", CleanStart: true}
	cp.Properties.ReceiveMaximum = 2
	sub.connect(cp)
	sub.subscribe(1, packet.Subscription{Filter: "f", QoS: 1})
	pub := open(t, addr, mqtt.V5, "pub")
	for i := range 5 {
		pub.send(&packet.Publish{Topic: "f", QoS: 1, PacketID: uint16(i + 1), Payload: []byte{byte('0' + i)}})
		expect[*packet.Puback](pub)
	}
	var got []string
	for range 2 {
		got = append(got, string(expect[*packet.Publish](sub).Payload))
	}
	sub.silent(100 * time.Millisecond) // the window is full [MQTT-3.3.4-7]
	for i := 1; len(got) < 5; i++ {
		sub.send(&packet.Puback{PacketID: uint16(i)})
		got = append(got, string(expect[*packet.Publish](sub).Payload))
	}
	if !slices.Equal(got, []string{"0", "1", "2", "3", "4"}) {
		t.Fatalf("order %v", got)
	}
}

func TestWill(t *testing.T) {
	cases := []struct {
		name     string
		end      func(c *client)
		wantWill bool
	}{
		{"abrupt close", func(c *client) { c.nc.Close() }, true},
		{"normal disconnect", func(c *client) { c.send(&packet.Disconnect{}) }, false},
		{"disconnect with will", func(c *client) { c.send(&packet.Disconnect{ReasonCode: mqtt.DisconnectWithWillMessage}) }, true},
		{"protocol error", func(c *client) { c.sendRaw([]byte{0xc0, 0x01, 0x00}) }, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			addr := start(t, &server.Server{})
			watch := open(t, addr, mqtt.V5, "watch")
			watch.subscribe(1, packet.Subscription{Filter: "will/#", QoS: 1})
			c := dial(t, addr, mqtt.V5)
			c.connect(&packet.Connect{ClientID: "dying", CleanStart: true, Will: &packet.Will{Topic: "will/dying", Payload: []byte("gone"), QoS: 1}})
			tc.end(c)
			if tc.wantWill {
				if p := expect[*packet.Publish](watch); p.Topic != "will/dying" || string(p.Payload) != "gone" {
					t.Fatalf("got %+v", p)
				}
			} else {
				watch.silent(200 * time.Millisecond)
			}
		})
	}
}

type recorder struct {
	mu     sync.Mutex
	events []string
}

func (r *recorder) add(s string) {
	r.mu.Lock()
	r.events = append(r.events, s)
	r.mu.Unlock()
}

func (r *recorder) list() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.events)
}

func (r *recorder) OnConnect(c *server.Client, present bool) { r.add("connect " + c.ID()) }
func (r *recorder) OnDisconnect(c *server.Client, why server.DisconnectReason, _ error) {
	r.add("disconnect " + c.ID() + " " + why.String())
}
func (r *recorder) OnPublish(c *server.Client, m *server.Message) mqtt.ReasonCode {
	if m.Topic == "forbidden" {
		return mqtt.QuotaExceeded
	}
	if m.Topic == "rewrite" {
		m.Topic = "rewritten"
	}
	if m.Topic == "badrewrite" {
		m.Topic = "wild/#"
	}
	return mqtt.Success
}
func (r *recorder) Authorize(c *server.Client, a server.Access, topic string) bool {
	return !(a == server.AccessSubscribe && topic == "secret/#") && !(a == server.AccessReceive && topic == "secret/x")
}
func (r *recorder) OnSubscribe(c *server.Client, s *packet.Subscription) mqtt.ReasonCode {
	return mqtt.GrantedQoS1 // at most QoS 1
}
func (r *recorder) OnDelivered(c *server.Client, m *server.Message) { r.add("delivered " + m.Topic) }
func (r *recorder) OnAcked(c *server.Client, m *server.Message)     { r.add("acked " + m.Topic) }

func TestHooks(t *testing.T) {
	rec := &recorder{}
	addr := start(t, &server.Server{Hooks: []server.Hook{rec}})
	sub := open(t, addr, mqtt.V5, "sub")
	ack := sub.subscribe(1, packet.Subscription{Filter: "secret/#"}, packet.Subscription{Filter: "rewritten", QoS: 2}, packet.Subscription{Filter: "+/x", QoS: 1})
	if !slices.Equal(ack.ReasonCodes, []mqtt.ReasonCode{mqtt.NotAuthorized, mqtt.GrantedQoS1, mqtt.GrantedQoS1}) {
		t.Fatalf("SUBACK %v", ack.ReasonCodes)
	}
	pub := open(t, addr, mqtt.V5, "pub")
	pub.send(&packet.Publish{Topic: "forbidden", QoS: 1, PacketID: 1})
	if a := expect[*packet.Puback](pub); a.ReasonCode != mqtt.QuotaExceeded {
		t.Fatalf("PUBACK %v", a.ReasonCode)
	}
	pub.send(&packet.Publish{Topic: "badrewrite", QoS: 1, PacketID: 4})
	if a := expect[*packet.Puback](pub); a.ReasonCode != mqtt.TopicNameInvalid {
		t.Fatalf("PUBACK after a hook wrote a wildcard topic: %v, want 0x90", a.ReasonCode)
	}
	pub.send(&packet.Publish{Topic: "secret/x", QoS: 1, PacketID: 2}) // receive denied for sub
	expect[*packet.Puback](pub)
	pub.send(&packet.Publish{Topic: "rewrite", QoS: 1, PacketID: 3, Payload: []byte("r")})
	expect[*packet.Puback](pub)
	p := expect[*packet.Publish](sub)
	if p.Topic != "rewritten" || p.QoS != 1 {
		t.Fatalf("got %+v", p)
	}
	waitFor(t, func() bool { return slices.Contains(rec.list(), "delivered rewritten") })
	sub.send(&packet.Puback{PacketID: p.PacketID})
	sub.send(&packet.Pingreq{})
	expect[*packet.Pingresp](sub)
	sub.disconnect()
	waitFor(t, func() bool { return len(rec.list()) == 5 })
	pub.nc.Close()
	deadline := time.Now().Add(5 * time.Second)
	want := []string{"connect sub", "connect pub", "delivered rewritten", "acked rewritten", "disconnect sub normal", "disconnect pub closed"}
	for !slices.Equal(rec.list(), want) && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if got := rec.list(); !slices.Equal(got, want) {
		t.Fatalf("events %q\nwant %q", got, want)
	}
}

func TestShutdownTellsV5Clients(t *testing.T) {
	srv := &server.Server{}
	addr := start(t, srv)
	c5 := open(t, addr, mqtt.V5, "c5")
	c3 := open(t, addr, mqtt.V311, "c3")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if got := c5.closed(); len(got) != 1 || got[0].(*packet.Disconnect).ReasonCode != mqtt.ServerShuttingDown {
		t.Fatalf("v5 got %v", got)
	}
	if got := c3.closed(); len(got) != 0 {
		t.Fatalf("v3 got %v", got)
	}
}

func TestSessionsSurviveRestartWithStore(t *testing.T) {
	store := &server.MemoryStore{}
	srv1 := &server.Server{Store: store}
	addr1 := start(t, srv1)
	c := dial(t, addr1, mqtt.V5)
	cp := &packet.Connect{ClientID: "durable"}
	cp.Properties.SessionExpiry = 3600
	c.connect(cp)
	c.subscribe(1, packet.Subscription{Filter: "d/#", QoS: 1})
	c.disconnect()
	pub := open(t, addr1, mqtt.V311, "pub")
	pub.send(&packet.Publish{Topic: "d/1", QoS: 1, PacketID: 1, Payload: []byte("before restart")})
	expect[*packet.Puback](pub)
	if err := srv1.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}

	srv2 := &server.Server{Store: store}
	addr2 := start(t, srv2)
	pub = open(t, addr2, mqtt.V311, "pub")
	pub.send(&packet.Publish{Topic: "d/2", QoS: 1, PacketID: 1, Payload: []byte("after restart")})
	expect[*packet.Puback](pub)
	c = dial(t, addr2, mqtt.V5)
	cp.CleanStart = false
	if ack := c.connect(cp); !ack.SessionPresent {
		t.Fatal("session not restored")
	}
	for _, want := range []string{"before restart", "after restart"} {
		p := expect[*packet.Publish](c)
		if string(p.Payload) != want {
			t.Fatalf("got %q, want %q", p.Payload, want)
		}
		c.send(&packet.Puback{PacketID: p.PacketID})
	}
}

func TestOfflineQueueLimit(t *testing.T) {
	for _, policy := range []server.QueuePolicy{server.DropNewest, server.DropOldest} {
		srv := &server.Server{MaxQueuedMessages: 3, QueuePolicy: policy}
		addr := start(t, srv)
		c := dial(t, addr, mqtt.V311)
		c.connect(&packet.Connect{ClientID: "away"})
		c.subscribe(1, packet.Subscription{Filter: "q", QoS: 1})
		c.disconnect()
		waitFor(t, func() bool { return len(srv.Clients()) == 0 }) // offline before publishing
		pub := open(t, addr, mqtt.V311, "pub")
		for i := range 5 {
			pub.send(&packet.Publish{Topic: "q", QoS: 1, PacketID: uint16(i + 1), Payload: []byte{byte('0' + i)}})
			expect[*packet.Puback](pub)
		}
		var dropped uint64
		for _, si := range srv.Sessions() {
			if si.ClientID == "away" {
				dropped = si.Dropped
			}
		}
		if dropped != 2 {
			t.Fatalf("policy %d: dropped %d, want 2", policy, dropped)
		}
		c = dial(t, addr, mqtt.V311)
		c.connect(&packet.Connect{ClientID: "away"})
		var got string
		for range 3 {
			p := expect[*packet.Publish](c)
			got += string(p.Payload)
			c.send(&packet.Puback{PacketID: p.PacketID})
		}
		want := map[server.QueuePolicy]string{server.DropNewest: "012", server.DropOldest: "234"}[policy]
		if got != want {
			t.Fatalf("policy %d delivered %q, want %q", policy, got, want)
		}
	}
}

func TestUnsubscribe(t *testing.T) {
	addr := start(t, &server.Server{})
	c := open(t, addr, mqtt.V5, "u")
	c.subscribe(1, packet.Subscription{Filter: "u/1"})
	c.send(&packet.Unsubscribe{PacketID: 2, Filters: []string{"u/1", "u/2", "u/#/x"}})
	ack := expect[*packet.Unsuback](c)
	if !slices.Equal(ack.ReasonCodes, []mqtt.ReasonCode{mqtt.Success, mqtt.NoSubscriptionExisted, mqtt.TopicFilterInvalid}) {
		t.Fatalf("UNSUBACK %v", ack.ReasonCodes)
	}
	c.send(&packet.Publish{Topic: "u/1"})
	c.silent(100 * time.Millisecond)
}

func TestServerSideAPI(t *testing.T) {
	srv := &server.Server{}
	addr := start(t, srv)
	got := make(chan string, 4)
	cancel, err := srv.Subscribe("in/#", func(m *server.Message) { got <- m.Topic + "=" + string(m.Payload) })
	if err != nil {
		t.Fatal(err)
	}
	c := open(t, addr, mqtt.V5, "api")
	c.subscribe(1, packet.Subscription{Filter: "out", QoS: 1})
	c.send(&packet.Publish{Topic: "in/x", Payload: []byte("1")})
	if s := <-got; s != "in/x=1" {
		t.Fatalf("in-process subscriber got %q", s)
	}
	cancel()
	if err := srv.Publish(&server.Message{Topic: "out", QoS: 1, Payload: []byte("from go")}); err != nil {
		t.Fatal(err)
	}
	if p := expect[*packet.Publish](c); string(p.Payload) != "from go" || p.QoS != 1 {
		t.Fatalf("got %+v", p)
	}
	if cl := srv.Clients(); len(cl) != 1 || cl[0].ID != "api" || cl[0].Version != mqtt.V5 {
		t.Fatalf("Clients() = %+v", cl)
	}
	if err := srv.Disconnect("api", mqtt.AdministrativeAction); err != nil {
		t.Fatal(err)
	}
	if got := c.closed(); len(got) != 1 || got[0].(*packet.Disconnect).ReasonCode != mqtt.AdministrativeAction {
		t.Fatalf("got %v", got)
	}
	if err := srv.Disconnect("nobody", 0); err != server.ErrNotConnected {
		t.Fatalf("Disconnect(nobody) = %v", err)
	}
}

func TestSharedRoundRobin(t *testing.T) {
	addr := start(t, &server.Server{})
	a := open(t, addr, mqtt.V5, "a")
	a.subscribe(1, packet.Subscription{Filter: "$share/g/jobs/+", QoS: 1})
	b := open(t, addr, mqtt.V5, "b")
	b.subscribe(1, packet.Subscription{Filter: "$share/g/jobs/+", QoS: 1})
	pub := open(t, addr, mqtt.V5, "pub")
	for i := range 6 {
		pub.send(&packet.Publish{Topic: "jobs/x", QoS: 1, PacketID: uint16(i + 1), Payload: []byte{byte('0' + i)}})
		expect[*packet.Puback](pub)
	}
	count := func(c *client) int {
		n := 0
		for {
			p, err := c.tryRecv(200 * time.Millisecond)
			if err != nil {
				return n
			}
			c.send(&packet.Puback{PacketID: p.(*packet.Publish).PacketID})
			n++
		}
	}
	if na, nb := count(a), count(b); na != 3 || nb != 3 {
		t.Fatalf("members got %d and %d, want 3 each", na, nb)
	}
}

// waitFor polls cond until it holds, failing the test after 5 s.
func waitFor(t testing.TB, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
