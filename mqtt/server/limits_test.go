package server_test

import (
	"context"
	"fmt"
	"net"

	"testing"
	"time"

	"github.com/mqttx/mqttx/mqtt"
	"github.com/mqttx/mqttx/mqtt/packet"
	"github.com/mqttx/mqttx/mqtt/server"
)

// Each protection is exceeded by a client here, and the client gets the
// answer the Server documents.

// refusedWith dials, sends CONNECT and expects CONNACK with code, then the
// close.
func refusedWith(t *testing.T, addr string, v mqtt.Version, id string, code mqtt.ReasonCode) {
	t.Helper()
	c := dial(t, addr, v)
	ack := c.connect(&packet.Connect{ClientID: id, CleanStart: true})
	want := code
	if v != mqtt.V5 {
		want = code.ConnectReturnCode().ReasonCode()
	}
	if ack.ReasonCode != want {
		t.Fatalf("%s: CONNACK %v, want %v", id, ack.ReasonCode, want)
	}
	c.closed()
}

func TestMaxConnections(t *testing.T) {
	srv := &server.Server{MaxConnections: 2}
	addr := start(t, srv)
	a := open(t, addr, mqtt.V5, "mc-a")
	open(t, addr, mqtt.V311, "mc-b")
	refusedWith(t, addr, mqtt.V5, "mc-c", mqtt.QuotaExceeded)
	refusedWith(t, addr, mqtt.V311, "mc-d", mqtt.QuotaExceeded) // 3.1.1: server unavailable
	a.disconnect()
	pahoWaitFor(t, "a connection slot free", func() bool { return srv.Stats().Connections < 2 })
	open(t, addr, mqtt.V5, "mc-e")
	if got := srv.Stats().ConnectsRefused; got != 2 {
		t.Errorf("ConnectsRefused %d, want 2", got)
	}
}

func TestConnectRatePerListener(t *testing.T) {
	// A rate so low that no token comes back during the test.
	addr := start(t, &server.Server{ConnectRate: 0.001, ConnectBurst: 2, ConnectRatePerIP: -1})
	open(t, addr, mqtt.V5, "cr-a")
	open(t, addr, mqtt.V5, "cr-b")
	refusedWith(t, addr, mqtt.V5, "cr-c", mqtt.ConnectionRateExceeded)
	refusedWith(t, addr, mqtt.V311, "cr-d", mqtt.ConnectionRateExceeded)

	// Another listener has its own bucket.
	other := start(t, &server.Server{ConnectRate: 0.001, ConnectBurst: 1, ConnectRatePerIP: -1})
	open(t, other, mqtt.V5, "cr-e")
	refusedWith(t, other, mqtt.V5, "cr-f", mqtt.ConnectionRateExceeded)
}

func TestConnectRatePerIP(t *testing.T) {
	addr := start(t, &server.Server{ConnectRate: -1, ConnectRatePerIP: 0.001, ConnectBurstPerIP: 2})
	open(t, addr, mqtt.V5, "ip-a")
	open(t, addr, mqtt.V5, "ip-b")
	refusedWith(t, addr, mqtt.V5, "ip-c", mqtt.ConnectionRateExceeded)

	// Another source address is not limited by the first one's bucket.
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}, Timeout: 5 * time.Second}
	nc, err := d.Dial("tcp", addr)
	if err != nil {
		t.Skipf("cannot dial from 127.0.0.2: %v", err)
	}
	t.Cleanup(func() { nc.Close() })
	c := newClient(t, nc, mqtt.V5)
	if ack := c.connect(&packet.Connect{ClientID: "ip-d", CleanStart: true}); ack.ReasonCode != mqtt.Success {
		t.Errorf("from 127.0.0.2: CONNACK %v, want Success", ack.ReasonCode)
	}
}

func TestMessageRate(t *testing.T) {
	srv := &server.Server{MessageRate: 0.001, MessageBurst: 3} // no token comes back during the test
	addr := start(t, srv)
	sub := open(t, addr, mqtt.V5, "mr-sub")
	sub.subscribe(1, packet.Subscription{Filter: "mr/#"})

	for _, v := range []mqtt.Version{mqtt.V5, mqtt.V311} {
		pub := open(t, addr, v, "mr-pub-"+v.String())
		for i := range 2 {
			pub.send(&packet.Publish{Topic: "mr/a", QoS: 1, PacketID: uint16(i + 1), Payload: []byte("in")})
			if ack := expect[*packet.Puback](pub); ack.ReasonCode != mqtt.Success {
				t.Fatalf("%v: PUBACK %v within the burst", v, ack.ReasonCode)
			}
			expect[*packet.Publish](sub)
		}
		pub.send(&packet.Publish{Topic: "mr/a", Payload: []byte("last in burst")})
		expect[*packet.Publish](sub)
		// Over the rate, QoS 0 is dropped…
		pub.send(&packet.Publish{Topic: "mr/a", Payload: []byte("over0")})
		sub.silent(50 * time.Millisecond)
		// …and QoS 1 ends the connection unacknowledged: DISCONNECT 0x96
		// for MQTT 5, a close for 3.1.1.
		pub.send(&packet.Publish{Topic: "mr/a", QoS: 1, PacketID: 9, Payload: []byte("over1")})
		got := pub.closed()
		switch {
		case v == mqtt.V5 && (len(got) != 1 || got[0].(*packet.Disconnect).ReasonCode != mqtt.MessageRateTooHigh):
			t.Errorf("%v over the rate: got %v, want DISCONNECT Message rate too high", v, got)
		case v != mqtt.V5 && len(got) != 0:
			t.Errorf("%v over the rate: got %v, want the connection closed", v, got)
		}
		sub.silent(50 * time.Millisecond)
	}
	if got := srv.Stats().Dropped[server.DropRateLimited]; got != 4 {
		t.Errorf("Dropped[rate_limited] = %d, want 4", got)
	}
}

func TestMaxSubscriptions(t *testing.T) {
	addr := start(t, &server.Server{MaxSubscriptions: 2})
	for _, v := range []mqtt.Version{mqtt.V5, mqtt.V311} {
		c := open(t, addr, v, "ms-"+v.String())
		ack := c.subscribe(1, packet.Subscription{Filter: "a"}, packet.Subscription{Filter: "b", QoS: 1}, packet.Subscription{Filter: "c"})
		want := []mqtt.ReasonCode{0, 1, mqtt.QuotaExceeded}
		if v != mqtt.V5 {
			want[2] = 0x80
		}
		if fmt.Sprint(ack.ReasonCodes) != fmt.Sprint(want) {
			t.Errorf("%v: SUBACK %v, want %v", v, ack.ReasonCodes, want)
		}
		// Replacing one is not a new subscription; removing one makes room.
		if ack := c.subscribe(2, packet.Subscription{Filter: "a", QoS: 1}); ack.ReasonCodes[0] != 1 {
			t.Errorf("%v: replacing: SUBACK %v", v, ack.ReasonCodes)
		}
		c.send(&packet.Unsubscribe{PacketID: 3, Filters: []string{"b"}})
		expect[*packet.Unsuback](c)
		if ack := c.subscribe(4, packet.Subscription{Filter: "c"}); ack.ReasonCodes[0] != 0 {
			t.Errorf("%v: after UNSUBSCRIBE: SUBACK %v", v, ack.ReasonCodes)
		}
	}
}

func TestMaxTopicLengthAndLevels(t *testing.T) {
	srv := &server.Server{MaxTopicLength: 12, MaxTopicLevels: 3}
	addr := start(t, srv)
	c := open(t, addr, mqtt.V5, "tl")
	ack := c.subscribe(1,
		packet.Subscription{Filter: "a/b/#"},
		packet.Subscription{Filter: "a/b/c/#"},       // 4 levels
		packet.Subscription{Filter: "abcdefghijklm"}, // 13 bytes
	)
	if want := []mqtt.ReasonCode{0, mqtt.TopicFilterInvalid, mqtt.TopicFilterInvalid}; fmt.Sprint(ack.ReasonCodes) != fmt.Sprint(want) {
		t.Errorf("SUBACK %v, want %v", ack.ReasonCodes, want)
	}
	for i, tp := range []string{"a/b/c/d", "abcdefghijklm"} {
		c.send(&packet.Publish{Topic: tp, QoS: 1, PacketID: uint16(i + 1)})
		if ack := expect[*packet.Puback](c); ack.ReasonCode != mqtt.TopicNameInvalid {
			t.Errorf("PUBLISH to %q: PUBACK %v, want Topic Name invalid", tp, ack.ReasonCode)
		}
	}
	c.send(&packet.Publish{Topic: "a/b/c", QoS: 1, PacketID: 3, Payload: []byte("ok")})
	if ack := expect[*packet.Puback](c); ack.ReasonCode != mqtt.Success {
		t.Errorf("PUBLISH within the limits: PUBACK %v", ack.ReasonCode)
	}
	expect[*packet.Publish](c)
	if got := srv.Stats().Dropped[server.DropInvalid]; got != 2 {
		t.Errorf("Dropped[invalid] = %d, want 2", got)
	}

	// A will over the limits refuses the CONNECT.
	w := dial(t, addr, mqtt.V5)
	if ack := w.connect(&packet.Connect{ClientID: "tl-w", CleanStart: true, Will: &packet.Will{Topic: "w/x/y/z", Payload: []byte("x")}}); ack.ReasonCode != mqtt.TopicNameInvalid {
		t.Errorf("will over the levels: CONNACK %v, want Topic Name invalid", ack.ReasonCode)
	}
}

func TestRetainedLimits(t *testing.T) {
	srv := &server.Server{MaxRetainedMessages: 2, MaxRetainedBytes: 10}
	addr := start(t, srv)
	c := open(t, addr, mqtt.V5, "rl")
	id := uint16(0)
	pub := func(tp, payload string) mqtt.ReasonCode {
		id++
		c.send(&packet.Publish{Topic: tp, QoS: 1, Retain: true, PacketID: id, Payload: []byte(payload)})
		return expect[*packet.Puback](c).ReasonCode
	}
	ok := mqtt.NoMatchingSubscribers // accepted, no subscriber
	steps := []struct {
		topic, payload string
		want           mqtt.ReasonCode
	}{
		{"r/1", "aaaa", ok},
		{"r/2", "bbbb", ok},
		{"r/3", "c", mqtt.QuotaExceeded},     // a third message
		{"r/1", "aaaaaa", ok},                // replacing: 10 bytes in all
		{"r/2", "bbbbb", mqtt.QuotaExceeded}, // 11 bytes
		{"r/2", "", ok},                      // clearing always works
		{"r/3", "cccc", ok},                  // room again
	}
	for i, s := range steps {
		if got := pub(s.topic, s.payload); got != s.want {
			t.Errorf("step %d (%s %q): PUBACK %v, want %v", i, s.topic, s.payload, got, s.want)
		}
	}
	st := srv.Stats()
	if st.RetainedMessages != 2 || st.RetainedBytes != 10 || st.Dropped[server.DropRetainedLimit] != 2 {
		t.Errorf("retained %d messages %d bytes, %d refused; want 2, 10, 2", st.RetainedMessages, st.RetainedBytes, st.Dropped[server.DropRetainedLimit])
	}
	// A refused retained message is not routed either.
	sub := open(t, addr, mqtt.V5, "rl-sub")
	sub.subscribe(1, packet.Subscription{Filter: "r/#", RetainHandling: 2})
	if got := pub("r/4", "d"); got != mqtt.QuotaExceeded {
		t.Fatalf("PUBACK %v", got)
	}
	sub.silent(100 * time.Millisecond)
}

func userProps(n int) []packet.UserProperty {
	u := make([]packet.UserProperty, n)
	for i := range u {
		u[i] = packet.UserProperty{Key: "k", Value: fmt.Sprint(i)}
	}
	return u
}

func TestMaxUserProperties(t *testing.T) {
	addr := start(t, &server.Server{MaxUserProperties: 2})
	c := open(t, addr, mqtt.V5, "up")
	p := &packet.Publish{Topic: "u", QoS: 1, PacketID: 1}
	p.Properties.User = userProps(2)
	c.send(p)
	if ack := expect[*packet.Puback](c); ack.ReasonCode.IsError() {
		t.Errorf("2 User Properties: PUBACK %v", ack.ReasonCode)
	}
	p.PacketID, p.Properties.User = 2, userProps(3)
	c.send(p)
	if ack := expect[*packet.Puback](c); ack.ReasonCode != mqtt.ImplementationSpecificError {
		t.Errorf("3 User Properties: PUBACK %v, want Implementation specific error", ack.ReasonCode)
	}
	s := &packet.Subscribe{PacketID: 3, Subscriptions: []packet.Subscription{{Filter: "x"}}}
	s.Properties.User = userProps(3)
	c.send(s)
	if got := c.closed(); len(got) != 1 || got[0].(*packet.Disconnect).ReasonCode != mqtt.ImplementationSpecificError {
		t.Errorf("SUBSCRIBE with 3 User Properties: got %v, want DISCONNECT 0x83", got)
	}
	cp := &packet.Connect{Version: mqtt.V5, ClientID: "up2", CleanStart: true}
	cp.Properties.User = userProps(3)
	c = dial(t, addr, mqtt.V5)
	if ack := c.connect(cp); ack.ReasonCode != mqtt.ImplementationSpecificError {
		t.Errorf("CONNECT with 3 User Properties: CONNACK %v", ack.ReasonCode)
	}
}

// TestStuckClient: a subscriber that stops acknowledging fills its queue;
// once it has stayed full for StuckTimeout the client is disconnected.
func TestStuckClient(t *testing.T) {
	srv := &server.Server{MaxInflight: 1, MaxQueuedMessages: 2, QueueWait: 100 * time.Millisecond, StuckTimeout: 10 * time.Second}
	bubble(t, srv, func(t *testing.T, dial func(mqtt.Version) *client) {
		c := dial(mqtt.V5)
		c.send(&packet.Connect{Version: mqtt.V5, ClientID: "stuck", CleanStart: true})
		expect2[*packet.Connack](t, c)
		c.send(&packet.Subscribe{PacketID: 1, Subscriptions: []packet.Subscription{{Filter: "s", QoS: 1}}})
		expect2[*packet.Suback](t, c)
		got := make(chan packet.Packet, 16)
		go func() {
			defer close(got)
			for {
				p, err := c.pipeRecv()
				if err != nil {
					return
				}
				got <- p
			}
		}()
		var firstDrop time.Time
		for i := 0; ; i++ {
			before := srv.Stats().Dropped[server.DropQueueFull]
			srv.Publish(&server.Message{Topic: "s", QoS: 1, Payload: []byte{byte(i)}})
			if firstDrop.IsZero() && srv.Stats().Dropped[server.DropQueueFull] > before {
				firstDrop = time.Now()
			}
			time.Sleep(time.Second)
			if srv.Stats().Connections == 0 {
				break
			}
			if i > 100 {
				t.Fatal("stuck client still connected")
			}
		}
		var last packet.Packet
		n := 0
		for p := range got {
			last = p
			n++
		}
		if d, ok := last.(*packet.Disconnect); !ok || d.ReasonCode != mqtt.QuotaExceeded {
			t.Fatalf("last packet %v, want DISCONNECT Quota exceeded", last)
		}
		if n != 2 {
			t.Errorf("got %d packets, want the one message in flight and DISCONNECT", n)
		}
		if held := time.Since(firstDrop); held < 10*time.Second || held > 12*time.Second {
			t.Errorf("disconnected %v after the first drop, want StuckTimeout (10 s) and the next publish", held)
		}
	})
}

func TestStuckTimeoutSparesSlowClients(t *testing.T) {
	// A client whose queue fills but which keeps taking messages is not
	// stuck, however long that lasts.
	srv := &server.Server{MaxInflight: 1, MaxQueuedMessages: 1, QueueWait: 10 * time.Millisecond, StuckTimeout: 5 * time.Second}
	bubble(t, srv, func(t *testing.T, dial func(mqtt.Version) *client) {
		c := dial(mqtt.V5)
		c.send(&packet.Connect{Version: mqtt.V5, ClientID: "slow", CleanStart: true})
		expect2[*packet.Connack](t, c)
		c.send(&packet.Subscribe{PacketID: 1, Subscriptions: []packet.Subscription{{Filter: "s", QoS: 1}}})
		expect2[*packet.Suback](t, c)
		done := make(chan int)
		go func() {
			n := 0
			for {
				p, err := c.pipeRecv()
				if err != nil {
					done <- n
					return
				}
				if m, ok := p.(*packet.Publish); ok {
					n++
					time.Sleep(2 * time.Second) // slow, but never stops
					b, _ := (&packet.Puback{PacketID: m.PacketID}).Append(nil, mqtt.V5)
					c.nc.SetWriteDeadline(time.Time{})
					if _, err := c.nc.Write(b); err != nil {
						done <- n
						return
					}
				}
			}
		}()
		for i := range 30 {
			srv.Publish(&server.Message{Topic: "s", QoS: 1, Payload: []byte{byte(i)}})
			time.Sleep(time.Second)
		}
		if srv.Stats().Connections != 1 {
			t.Fatal("a slow client that keeps acknowledging was disconnected")
		}
		if srv.Stats().Dropped[server.DropQueueFull] == 0 {
			t.Fatal("the queue never filled: the test proves nothing")
		}
		c.nc.Close()
		<-done
	})
}

func TestCapabilities(t *testing.T) {
	srv := &server.Server{Disable: server.FeatureQoS2 | server.FeatureRetain | server.FeatureWildcards | server.FeatureShared | server.FeatureSubscriptionIDs}
	addr := start(t, srv)
	c := dial(t, addr, mqtt.V5)
	ack := c.connect(&packet.Connect{ClientID: "cap", CleanStart: true})
	pp := &ack.Properties
	for _, p := range []struct {
		id   packet.PropertyID
		got  byte
		want byte
	}{
		{packet.PropMaximumQoS, pp.MaximumQoS, 1},
		{packet.PropRetainAvailable, pp.RetainAvailable, 0},
		{packet.PropWildcardSubAvailable, pp.WildcardSubAvailable, 0},
		{packet.PropSharedSubAvailable, pp.SharedSubAvailable, 0},
		{packet.PropSubIDAvailable, pp.SubIDAvailable, 0},
	} {
		if !pp.Has(p.id) || p.got != p.want {
			t.Errorf("CONNACK %v: present %v value %d, want %d", p.id, pp.Has(p.id), p.got, p.want)
		}
	}
	sa := c.subscribe(1,
		packet.Subscription{Filter: "q", QoS: 2},  // granted at the Maximum QoS [MQTT-3.2.2-10]
		packet.Subscription{Filter: "w/+"},        // 0xA2
		packet.Subscription{Filter: "$share/g/s"}, // 0x9E
	)
	want := []mqtt.ReasonCode{1, mqtt.WildcardSubscriptionsNotSupported, mqtt.SharedSubscriptionsNotSupported}
	if fmt.Sprint(sa.ReasonCodes) != fmt.Sprint(want) {
		t.Errorf("SUBACK %v, want %v", sa.ReasonCodes, want)
	}
	s := &packet.Subscribe{PacketID: 2, Subscriptions: []packet.Subscription{{Filter: "i"}}}
	s.Properties.SubscriptionIDs = []uint32{5}
	c.send(s)
	if got := c.closed(); len(got) != 1 || got[0].(*packet.Disconnect).ReasonCode != mqtt.SubscriptionIdentifiersNotSupported {
		t.Errorf("Subscription Identifier: got %v, want DISCONNECT 0xA1", got)
	}

	for _, tc := range []struct {
		name string
		p    *packet.Publish
		code mqtt.ReasonCode
	}{
		{"QoS 2", &packet.Publish{Topic: "x", QoS: 2, PacketID: 1}, mqtt.QoSNotSupported},
		{"RETAIN", &packet.Publish{Topic: "x", Retain: true, Payload: []byte("r")}, mqtt.RetainNotSupported},
	} {
		c := open(t, addr, mqtt.V5, "cap-"+tc.name)
		c.send(tc.p)
		if got := c.closed(); len(got) != 1 || got[0].(*packet.Disconnect).ReasonCode != tc.code {
			t.Errorf("PUBLISH with %s: got %v, want DISCONNECT %v", tc.name, got, tc.code)
		}
	}
	for _, tc := range []struct {
		name string
		will *packet.Will
		code mqtt.ReasonCode
	}{
		{"QoS 2", &packet.Will{Topic: "w", QoS: 2}, mqtt.QoSNotSupported},           // [MQTT-3.2.2-12]
		{"RETAIN", &packet.Will{Topic: "w", Retain: true}, mqtt.RetainNotSupported}, // [MQTT-3.2.2-13]
	} {
		c := dial(t, addr, mqtt.V5)
		if ack := c.connect(&packet.Connect{ClientID: "capw", CleanStart: true, Will: tc.will}); ack.ReasonCode != tc.code {
			t.Errorf("will with %s: CONNACK %v, want %v", tc.name, ack.ReasonCode, tc.code)
		}
		c.closed()
	}

	// QoS 0 only.
	addr = start(t, &server.Server{Disable: server.FeatureQoS1})
	c = dial(t, addr, mqtt.V5)
	if ack := c.connect(&packet.Connect{ClientID: "q0", CleanStart: true}); !ack.Properties.Has(packet.PropMaximumQoS) || ack.Properties.MaximumQoS != 0 {
		t.Errorf("QoS 0 only: CONNACK Maximum QoS present %v value %d", ack.Properties.Has(packet.PropMaximumQoS), ack.Properties.MaximumQoS)
	}
	// Everything available: nothing advertised beyond the defaults.
	addr = start(t, &server.Server{})
	c = dial(t, addr, mqtt.V5)
	ack = c.connect(&packet.Connect{ClientID: "all", CleanStart: true})
	for _, id := range []packet.PropertyID{packet.PropMaximumQoS, packet.PropRetainAvailable, packet.PropWildcardSubAvailable, packet.PropSharedSubAvailable, packet.PropSubIDAvailable, packet.PropResponseInfo} {
		if ack.Properties.Has(id) {
			t.Errorf("default server advertises %v", id)
		}
	}
}

func TestResponseInformation(t *testing.T) {
	addr := start(t, &server.Server{ResponseInformation: "reply/"})
	for _, ask := range []byte{0, 1} {
		c := dial(t, addr, mqtt.V5)
		cp := &packet.Connect{ClientID: "ri", CleanStart: true}
		cp.Properties.RequestResponseInfo = ask
		ack := c.connect(cp)
		if want := map[byte]string{0: "", 1: "reply/"}[ask]; ack.Properties.ResponseInfo != want {
			t.Errorf("Request Response Information %d: Response Information %q, want %q [MQTT-3.1.2-28]", ask, ack.Properties.ResponseInfo, want)
		}
	}
}

func TestValidatePayloadFormat(t *testing.T) {
	for _, validate := range []bool{false, true} {
		addr := start(t, &server.Server{ValidatePayloadFormat: validate})
		c := open(t, addr, mqtt.V5, "pf")
		c.subscribe(1, packet.Subscription{Filter: "pf"})
		for i, payload := range []string{"héllo", "\xff\xfe"} {
			p := &packet.Publish{Topic: "pf", QoS: 1, PacketID: uint16(i + 1), Payload: []byte(payload)}
			p.Properties.PayloadFormat = 1
			c.send(p)
			var ack *packet.Puback
			for ack == nil {
				switch p := c.recv().(type) {
				case *packet.Puback:
					ack = p
				case *packet.Publish:
				}
			}
			want := mqtt.Success
			if validate && i == 1 {
				want = mqtt.PayloadFormatInvalid
			}
			if ack.ReasonCode != want {
				t.Errorf("validate %v, payload %q: PUBACK %v, want %v", validate, payload, ack.ReasonCode, want)
			}
		}
		if validate {
			w := &packet.Will{Topic: "w", Payload: []byte{0xff}}
			w.Properties.PayloadFormat = 1
			c := dial(t, addr, mqtt.V5)
			if ack := c.connect(&packet.Connect{ClientID: "pfw", CleanStart: true, Will: w}); ack.ReasonCode != mqtt.PayloadFormatInvalid {
				t.Errorf("will with an invalid UTF-8 payload: CONNACK %v", ack.ReasonCode)
			}
		}
	}
}

func TestOmitReasonStrings(t *testing.T) {
	for _, omit := range []bool{false, true} {
		addr := start(t, &server.Server{OmitReasonStrings: omit})
		c := open(t, addr, mqtt.V5, "ors")
		c.send(&packet.Pubrel{PacketID: 5}) // unknown: PUBCOMP 0x92
		expect[*packet.Pubcomp](c)
		c.send(&packet.Connect{Version: mqtt.V5, ClientID: "again"}) // a second CONNECT: DISCONNECT with a reason
		got := c.closed()
		if len(got) != 1 {
			t.Fatalf("got %v", got)
		}
		rs := got[0].(*packet.Disconnect).Properties.ReasonString
		if omit == (rs != "") {
			t.Errorf("OmitReasonStrings %v: DISCONNECT Reason String %q", omit, rs)
		}
	}
}

// redirect refuses every CONNECT, sending the client to another server.
type redirect struct{ code mqtt.ReasonCode }

func (h redirect) Authenticate(_ context.Context, _ *server.Client, _ *packet.Connect, ack *packet.Connack) mqtt.ReasonCode {
	ack.Properties.ServerReference = "other.example:1883"
	return h.code
}

func TestServerRedirection(t *testing.T) {
	for _, code := range []mqtt.ReasonCode{mqtt.UseAnotherServer, mqtt.ServerMoved} {
		addr := start(t, &server.Server{Hooks: []server.Hook{redirect{code}}})
		c := dial(t, addr, mqtt.V5)
		ack := c.connect(&packet.Connect{ClientID: "rd", CleanStart: true})
		if ack.ReasonCode != code || ack.Properties.ServerReference != "other.example:1883" {
			t.Errorf("CONNACK %v Server Reference %q, want %v and the reference", ack.ReasonCode, ack.Properties.ServerReference, code)
		}
		c.closed()
	}

	// A connected client moved with DISCONNECT and properties.
	moved := make(chan *server.Client, 1)
	addr := start(t, &server.Server{Hooks: []server.Hook{connectFunc(func(c *server.Client) { moved <- c })}})
	c := open(t, addr, mqtt.V5, "mv")
	cl := <-moved
	d := &packet.Disconnect{ReasonCode: mqtt.ServerMoved}
	d.Properties.ServerReference = "new.example:8883"
	d.Properties.ReasonString = "maintenance"
	d.Properties.User = []packet.UserProperty{{Key: "until", Value: "tomorrow"}}
	d.Properties.SessionExpiry = 5 // a server may not send it: left out
	cl.DisconnectWith(d)
	got := c.closed()
	if len(got) != 1 {
		t.Fatalf("got %v, want one DISCONNECT", got)
	}
	gd := got[0].(*packet.Disconnect)
	if gd.ReasonCode != mqtt.ServerMoved || gd.Properties.ServerReference != "new.example:8883" || gd.Properties.ReasonString != "maintenance" ||
		len(gd.Properties.User) != 1 || gd.Properties.Has(packet.PropSessionExpiry) {
		t.Errorf("DISCONNECT %v %+v", gd.ReasonCode, gd.Properties)
	}
}

type connectFunc func(*server.Client)

func (f connectFunc) OnConnect(c *server.Client, _ bool) { f(c) }
