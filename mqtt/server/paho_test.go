package server_test

// Integration tests with the Eclipse Paho clients over loopback: the MQTT 5
// client paho.golang and the MQTT 3.1.1 client paho.mqtt.golang drive the
// broker as applications do.

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/url"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/eclipse/paho.golang/paho"
	paho3 "github.com/eclipse/paho.mqtt.golang"
	"github.com/mqttx/mqttx/mqtt"
	"github.com/mqttx/mqttx/mqtt/packet"
	"github.com/mqttx/mqttx/mqtt/server"
)

// pahoWait bounds every wait for something that should happen; it is a
// failure bound, never a measure.
const pahoWait = 5 * time.Second

// pahoV5 is a connected paho.golang client whose received PUBLISH packets
// arrive on msgs. It is disconnected, and its goroutines ended, when the
// test ends.
type pahoV5 struct {
	*paho.Client
	t    *testing.T
	id   string
	msgs chan *paho.Publish
	disc chan *paho.Disconnect // DISCONNECT from the server
}

// connectPahoV5 dials addr and connects with cp, failing the test unless the
// CONNACK accepts.
func connectPahoV5(t *testing.T, addr string, cp *paho.Connect) (*pahoV5, *paho.Connack) {
	t.Helper()
	return connectPahoV5Config(t, addr, cp, nil)
}

// connectPahoV5Config is connectPahoV5 with configure adjusting the client's
// configuration.
func connectPahoV5Config(t *testing.T, addr string, cp *paho.Connect, configure func(*paho.ClientConfig)) (*pahoV5, *paho.Connack) {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, pahoWait)
	if err != nil {
		t.Fatal(err)
	}
	c := &pahoV5{t: t, id: cp.ClientID, msgs: make(chan *paho.Publish, 1024), disc: make(chan *paho.Disconnect, 1)}
	cfg := paho.ClientConfig{
		Conn: nc,
		OnPublishReceived: []func(paho.PublishReceived) (bool, error){func(pr paho.PublishReceived) (bool, error) {
			c.msgs <- pr.Packet
			return true, nil
		}},
		OnServerDisconnect: func(d *paho.Disconnect) {
			select {
			case c.disc <- d:
			default:
			}
		},
		OnClientError: func(error) {},
	}
	if configure != nil {
		configure(&cfg)
	}
	c.Client = paho.NewClient(cfg)
	if cp.KeepAlive == 0 {
		cp.KeepAlive = 30
	}
	ctx, cancel := context.WithTimeout(context.Background(), pahoWait)
	defer cancel()
	ack, err := c.Connect(ctx, cp)
	if err != nil {
		t.Fatalf("%s: connect: %v (CONNACK %+v)", cp.ClientID, err, ack)
	}
	t.Cleanup(c.stop)
	return c, ack
}

// stop disconnects normally (a no-op on the network when the server has
// already closed the connection) and waits for the client to shut down.
func (c *pahoV5) stop() {
	done := make(chan struct{})
	go func() {
		c.Disconnect(&paho.Disconnect{ReasonCode: 0})
		<-c.Done()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(pahoWait):
		c.t.Errorf("%s: paho client did not shut down", c.id)
	}
}

func (c *pahoV5) subscribe(subs ...paho.SubscribeOptions) {
	c.t.Helper()
	c.subscribeID(0, subs...)
}

// subscribeID subscribes with Subscription Identifier id (none when 0) and
// checks that every subscription is granted the QoS asked for.
func (c *pahoV5) subscribeID(id int, subs ...paho.SubscribeOptions) {
	c.t.Helper()
	s := &paho.Subscribe{Subscriptions: subs}
	if id != 0 {
		s.Properties = &paho.SubscribeProperties{SubscriptionIdentifier: &id}
	}
	ctx, cancel := context.WithTimeout(context.Background(), pahoWait)
	defer cancel()
	ack, err := c.Subscribe(ctx, s)
	if err != nil {
		c.t.Fatalf("%s: subscribe: %v", c.id, err)
	}
	for i, sub := range subs {
		if ack.Reasons[i] != sub.QoS {
			c.t.Fatalf("%s: SUBACK %v for %q, want granted QoS %d", c.id, ack.Reasons, sub.Topic, sub.QoS)
		}
	}
}

func (c *pahoV5) publish(p *paho.Publish) *paho.PublishResponse {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), pahoWait)
	defer cancel()
	r, err := c.Publish(ctx, p)
	if err != nil {
		c.t.Fatalf("%s: publish to %q: %v", c.id, p.Topic, err)
	}
	return r
}

// next returns the next message the client received.
func (c *pahoV5) next() *paho.Publish {
	c.t.Helper()
	select {
	case m := <-c.msgs:
		return m
	case <-time.After(pahoWait):
		c.t.Fatalf("%s: no PUBLISH within %v", c.id, pahoWait)
		return nil
	}
}

// nextIs checks that the next message has this topic and payload.
func (c *pahoV5) nextIs(topic, payload string) *paho.Publish {
	c.t.Helper()
	m := c.next()
	if m.Topic != topic || string(m.Payload) != payload {
		c.t.Fatalf("%s: got %q %q, want %q %q", c.id, m.Topic, m.Payload, topic, payload)
	}
	return m
}

// pahoClean is a CONNECT with Clean Start and no session expiry.
func pahoClean(id string) *paho.Connect { return &paho.Connect{ClientID: id, CleanStart: true} }

// pahoGone is a DisconnectHook announcing each ended connection, after the
// server is done with it (its will published or discarded, its session
// saved or ended). Its buffer holds more ends than any test here makes.
type pahoGone chan string

func newPahoGone() pahoGone { return make(pahoGone, 64) }

func (g pahoGone) OnDisconnect(c *server.Client, _ server.DisconnectReason, _ error) { g <- c.ID() }

// wait waits for the end of client id's connection.
func (g pahoGone) wait(t *testing.T, id string) {
	t.Helper()
	timeout := time.After(pahoWait)
	for {
		select {
		case got := <-g:
			if got == id {
				return
			}
		case <-timeout:
			t.Fatalf("%s still connected after %v", id, pahoWait)
		}
	}
}

// pahoWaitFor polls cond until it holds, failing the test after pahoWait.
func pahoWaitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(pahoWait)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("still not %s after %v", what, pahoWait)
		}
		time.Sleep(time.Millisecond)
	}
}

func TestPahoV5QoS(t *testing.T) {
	addr := start(t, &server.Server{})
	sub, _ := connectPahoV5(t, addr, pahoClean("sub"))
	// One filter per granted QoS: a message arrives at the lower of its
	// QoS and the subscription's [MQTT-3.8.4-8].
	sub.subscribe(
		paho.SubscribeOptions{Topic: "q/0", QoS: 0},
		paho.SubscribeOptions{Topic: "q/1", QoS: 1},
		paho.SubscribeOptions{Topic: "q/2", QoS: 2},
	)
	pub, _ := connectPahoV5(t, addr, pahoClean("pub"))
	for subQoS := byte(0); subQoS <= 2; subQoS++ {
		for pubQoS := byte(0); pubQoS <= 2; pubQoS++ {
			topic := fmt.Sprintf("q/%d", subQoS)
			payload := fmt.Sprintf("sent at QoS %d", pubQoS)
			r := pub.publish(&paho.Publish{Topic: topic, QoS: pubQoS, Payload: []byte(payload)})
			if r.ReasonCode != 0 {
				t.Errorf("publish QoS %d to %s: reason code %#x, want 0", pubQoS, topic, r.ReasonCode)
			}
			m := sub.nextIs(topic, payload)
			if want := min(pubQoS, subQoS); m.QoS != want {
				t.Errorf("%s %q arrived at QoS %d, want %d", topic, payload, m.QoS, want)
			}
			if m.Retain {
				t.Errorf("%s %q arrived with RETAIN set", topic, payload)
			}
		}
	}
}

// A request/response exchange: every property the requester sets reaches
// the responder untouched [MQTT-3.3.2-17] [MQTT-3.3.2-18], and the
// responder's answer carries the correlation data back.
func TestPahoV5RequestResponse(t *testing.T) {
	addr := start(t, &server.Server{})
	responder, _ := connectPahoV5(t, addr, pahoClean("responder"))
	responder.subscribe(paho.SubscribeOptions{Topic: "svc/echo", QoS: 1})
	requester, _ := connectPahoV5(t, addr, pahoClean("requester"))
	requester.subscribe(paho.SubscribeOptions{Topic: "reply/requester", QoS: 1})

	user := paho.UserProperties{{Key: "k", Value: "v1"}, {Key: "a", Value: "b"}, {Key: "k", Value: "v2"}}
	corr := []byte{0x00, 0x01, 0xfe, 0xff}
	requester.publish(&paho.Publish{Topic: "svc/echo", QoS: 1, Payload: []byte(`{"n":1}`), Properties: &paho.PublishProperties{
		ContentType:     "application/json",
		ResponseTopic:   "reply/requester",
		CorrelationData: corr,
		PayloadFormat:   paho.Byte(1),
		MessageExpiry:   paho.Uint32(3600),
		User:            user,
	}})

	req := responder.nextIs("svc/echo", `{"n":1}`)
	p := req.Properties
	if p == nil {
		t.Fatal("request arrived without properties")
	}
	if p.ContentType != "application/json" || p.ResponseTopic != "reply/requester" || !bytes.Equal(p.CorrelationData, corr) {
		t.Errorf("got content type %q, response topic %q, correlation data %x; want %q, %q, %x",
			p.ContentType, p.ResponseTopic, p.CorrelationData, "application/json", "reply/requester", corr)
	}
	if !slices.Equal(p.User, user) {
		t.Errorf("got user properties %v, want %v in order", p.User, user)
	}
	if p.PayloadFormat == nil || *p.PayloadFormat != 1 {
		t.Errorf("got payload format %v, want 1", p.PayloadFormat)
	}
	// The expiry is what is left of it [MQTT-3.3.2-6].
	if p.MessageExpiry == nil || *p.MessageExpiry == 0 || *p.MessageExpiry > 3600 {
		t.Errorf("got message expiry %v, want 1 to 3600", p.MessageExpiry)
	}
	if p.SubscriptionIdentifier != nil {
		t.Errorf("got subscription identifier %d for a subscription without one", *p.SubscriptionIdentifier)
	}

	responder.publish(&paho.Publish{Topic: p.ResponseTopic, QoS: 1, Payload: []byte(`{"ok":true}`), Properties: &paho.PublishProperties{
		CorrelationData: p.CorrelationData,
	}})
	resp := requester.nextIs("reply/requester", `{"ok":true}`)
	if resp.Properties == nil || !bytes.Equal(resp.Properties.CorrelationData, corr) {
		t.Errorf("response correlation data %+v, want %x", resp.Properties, corr)
	}
}

// Two overlapping subscriptions of one client, with identifiers 1 and 2:
// a message matching both arrives once, carrying both identifiers
// [MQTT-3.3.4-3] [MQTT-3.3.4-5].
func TestPahoV5SubscriptionIdentifiers(t *testing.T) {
	addr := start(t, &server.Server{})
	sub, _ := connectPahoV5(t, addr, pahoClean("sub"))
	sub.subscribeID(1, paho.SubscribeOptions{Topic: "ids/#", QoS: 1})
	sub.subscribeID(2, paho.SubscribeOptions{Topic: "ids/+", QoS: 1})
	// paho.golang keeps only the last Subscription Identifier of a
	// PUBLISH, so the raw client below checks the list itself.
	raw := open(t, addr, mqtt.V5, "raw")
	for i, f := range []string{"ids/#", "ids/+"} {
		s := &packet.Subscribe{PacketID: uint16(i + 1), Subscriptions: []packet.Subscription{{Filter: f}}}
		s.Properties.SubscriptionIDs = []uint32{uint32(i + 1)}
		raw.send(s)
		if ack := expect[*packet.Suback](raw); !slices.Equal(ack.ReasonCodes, []mqtt.ReasonCode{mqtt.GrantedQoS0}) {
			t.Fatalf("SUBACK %v", ack.ReasonCodes)
		}
	}

	pub, _ := connectPahoV5(t, addr, pahoClean("pub"))
	pub.publish(&paho.Publish{Topic: "ids/x", QoS: 1, Payload: []byte("both")})
	pub.publish(&paho.Publish{Topic: "ids/x/y", QoS: 1, Payload: []byte("only 1")})

	m := sub.nextIs("ids/x", "both")
	if id := m.Properties.SubscriptionIdentifier; id == nil || (*id != 1 && *id != 2) {
		t.Errorf("got subscription identifier %v, want 1 or 2", id)
	}
	// The next message is the second one: the first arrived once.
	m = sub.nextIs("ids/x/y", "only 1")
	if id := m.Properties.SubscriptionIdentifier; id == nil || *id != 1 {
		t.Errorf("got subscription identifier %v, want 1", id)
	}

	got := expect[*packet.Publish](raw)
	ids := slices.Sorted(slices.Values(got.Properties.SubscriptionIDs))
	if got.Topic != "ids/x" || !slices.Equal(ids, []uint32{1, 2}) {
		t.Errorf("raw client got %q with subscription identifiers %v, want ids/x with 1 and 2", got.Topic, got.Properties.SubscriptionIDs)
	}
	got = expect[*packet.Publish](raw)
	if got.Topic != "ids/x/y" || !slices.Equal(got.Properties.SubscriptionIDs, []uint32{1}) {
		t.Errorf("raw client got %q with subscription identifiers %v, want ids/x/y with 1", got.Topic, got.Properties.SubscriptionIDs)
	}
}

// A No Local subscription does not get its own client's messages
// [MQTT-3.8.3-3]; another client's subscription does.
func TestPahoV5NoLocal(t *testing.T) {
	addr := start(t, &server.Server{})
	self, _ := connectPahoV5(t, addr, pahoClean("self"))
	self.subscribe(paho.SubscribeOptions{Topic: "chat/room", QoS: 1, NoLocal: true})
	other, _ := connectPahoV5(t, addr, pahoClean("other"))
	other.subscribe(paho.SubscribeOptions{Topic: "chat/room", QoS: 1})

	self.publish(&paho.Publish{Topic: "chat/room", QoS: 1, Payload: []byte("from self")})
	other.nextIs("chat/room", "from self")
	other.publish(&paho.Publish{Topic: "chat/room", QoS: 1, Payload: []byte("from other")})
	// Delivered in order, so had "from self" come back it would be first.
	self.nextIs("chat/room", "from other")
	other.nextIs("chat/room", "from other") // no No Local on other's subscription
}

func TestPahoV5Retained(t *testing.T) {
	addr := start(t, &server.Server{})
	live, _ := connectPahoV5(t, addr, pahoClean("live"))
	live.subscribe(paho.SubscribeOptions{Topic: "status/#", QoS: 1})
	pub, _ := connectPahoV5(t, addr, pahoClean("pub"))
	pub.publish(&paho.Publish{Topic: "status/door", QoS: 1, Retain: true, Payload: []byte("open")})

	// A live subscriber without Retain As Published gets RETAIN 0
	// [MQTT-3.3.1-12].
	if m := live.nextIs("status/door", "open"); m.Retain {
		t.Error("live subscriber got RETAIN 1 without Retain As Published")
	}

	// A new subscription gets the retained message with RETAIN 1
	// [MQTT-3.3.1-6] [MQTT-3.3.1-9].
	late, _ := connectPahoV5(t, addr, pahoClean("late"))
	late.subscribe(paho.SubscribeOptions{Topic: "status/+", QoS: 1})
	if m := late.nextIs("status/door", "open"); !m.Retain || m.QoS != 1 {
		t.Errorf("late subscriber got RETAIN %v QoS %d, want RETAIN 1 QoS 1", m.Retain, m.QoS)
	}

	// Retain Handling 2: no retained messages on subscribe
	// [MQTT-3.3.1-11].
	rh2, _ := connectPahoV5(t, addr, pahoClean("rh2"))
	rh2.subscribe(paho.SubscribeOptions{Topic: "status/#", QoS: 1, RetainHandling: 2})

	// An empty retained payload clears the retained message
	// [MQTT-3.3.1-10] and is delivered to current subscribers.
	pub.publish(&paho.Publish{Topic: "status/door", QoS: 1, Retain: true})
	live.nextIs("status/door", "")
	late.nextIs("status/door", "")
	rh2.nextIs("status/door", "") // the first message rh2 gets: no retained one before it

	cleared, _ := connectPahoV5(t, addr, pahoClean("cleared"))
	cleared.subscribe(paho.SubscribeOptions{Topic: "status/#", QoS: 1})
	pub.publish(&paho.Publish{Topic: "status/marker", QoS: 1, Payload: []byte("marker")})
	if m := cleared.nextIs("status/marker", "marker"); m.Retain {
		t.Error("marker arrived with RETAIN 1")
	}
}

// Members of a shared subscription get the group's messages in turn, each
// message once [MQTT-4.8.2-2].
func TestPahoV5SharedRoundRobin(t *testing.T) {
	addr := start(t, &server.Server{})
	members := make([]*pahoV5, 2)
	for i := range members {
		members[i], _ = connectPahoV5(t, addr, pahoClean(fmt.Sprintf("worker%d", i)))
		members[i].subscribe(paho.SubscribeOptions{Topic: "$share/g/jobs/#", QoS: 1})
	}
	pub, _ := connectPahoV5(t, addr, pahoClean("pub"))
	const n = 10
	for i := range n {
		pub.publish(&paho.Publish{Topic: fmt.Sprintf("jobs/%d", i), QoS: 1, Payload: []byte(fmt.Sprint(i))})
	}

	owner := make(map[string]int) // payload → member
	var perMember [2]int
	timeout := time.After(pahoWait)
	for len(owner) < n {
		var m *paho.Publish
		var who int
		select {
		case m = <-members[0].msgs:
			who = 0
		case m = <-members[1].msgs:
			who = 1
		case <-timeout:
			t.Fatalf("got %d of %d messages: %v", len(owner), n, owner)
		}
		if prev, dup := owner[string(m.Payload)]; dup {
			t.Fatalf("message %s delivered twice, to worker%d and worker%d", m.Payload, prev, who)
		}
		owner[string(m.Payload)] = who
		perMember[who]++
	}
	for i := 1; i < n; i++ {
		if a, b := owner[fmt.Sprint(i-1)], owner[fmt.Sprint(i)]; a == b {
			t.Errorf("messages %d and %d both went to worker%d, want alternating members (owners %v)", i-1, i, a, owner)
		}
	}
	if perMember != [2]int{n / 2, n / 2} {
		t.Errorf("members got %v messages, want %d each", perMember, n/2)
	}
	// Two more messages: one each, and nothing else was pending.
	pub.publish(&paho.Publish{Topic: "jobs/end", QoS: 1, Payload: []byte("end")})
	pub.publish(&paho.Publish{Topic: "jobs/end", QoS: 1, Payload: []byte("end")})
	for _, m := range members {
		m.nextIs("jobs/end", "end")
	}
}

// A session with an expiry interval outlives its connection: messages
// published while the client is away are delivered when it comes back
// without Clean Start.
func TestPahoV5SessionResumption(t *testing.T) {
	gone := newPahoGone()
	srv := &server.Server{Hooks: []server.Hook{gone}}
	addr := start(t, srv)
	persistent := func() *paho.Connect {
		return &paho.Connect{ClientID: "durable", CleanStart: false, Properties: &paho.ConnectProperties{SessionExpiryInterval: paho.Uint32(60)}}
	}
	c, ack := connectPahoV5(t, addr, persistent())
	if ack.SessionPresent {
		t.Error("first CONNACK has Session Present 1")
	}
	c.subscribe(paho.SubscribeOptions{Topic: "orders/#", QoS: 1})
	c.stop()
	gone.wait(t, "durable")

	pub, _ := connectPahoV5(t, addr, pahoClean("pub"))
	for i := range 3 {
		r := pub.publish(&paho.Publish{Topic: "orders/new", QoS: 1, Payload: []byte(fmt.Sprint(i))})
		if r.ReasonCode != 0 {
			t.Errorf("PUBACK reason code %#x for a message to an offline session, want 0", r.ReasonCode)
		}
	}

	c, ack = connectPahoV5(t, addr, persistent())
	if !ack.SessionPresent {
		t.Error("CONNACK of the resumed session has Session Present 0 [MQTT-3.2.2-3]")
	}
	for i := range 3 {
		if m := c.nextIs("orders/new", fmt.Sprint(i)); m.QoS != 1 {
			t.Errorf("queued message %d arrived at QoS %d, want 1", i, m.QoS)
		}
	}
}

// The Go API of the Server talks to paho clients.
func TestPahoServerAPI(t *testing.T) {
	gone := newPahoGone()
	srv := &server.Server{Hooks: []server.Hook{gone}}
	addr := start(t, srv)
	c, _ := connectPahoV5(t, addr, &paho.Connect{ClientID: "app", CleanStart: true, Username: "alice", UsernameFlag: true})

	clients := srv.Clients()
	if len(clients) != 1 || clients[0].ID != "app" || clients[0].Username != "alice" || clients[0].Version != mqtt.V5 {
		t.Errorf("Clients() = %+v, want one: app, alice, MQTT 5", clients)
	}

	t.Run("Publish", func(t *testing.T) {
		c.subscribe(paho.SubscribeOptions{Topic: "from/server", QoS: 1})
		msg := &server.Message{Topic: "from/server", Payload: []byte("hello"), QoS: 1}
		msg.Properties.ContentType = "text/plain"
		if err := srv.Publish(msg); err != nil {
			t.Fatal(err)
		}
		m := c.nextIs("from/server", "hello")
		if m.QoS != 1 || m.Properties == nil || m.Properties.ContentType != "text/plain" {
			t.Errorf("got QoS %d properties %+v, want QoS 1 content type text/plain", m.QoS, m.Properties)
		}
	})

	t.Run("Subscribe", func(t *testing.T) {
		got := make(chan *server.Message, 10)
		cancel, err := srv.Subscribe("a/#", func(m *server.Message) { got <- m })
		if err != nil {
			t.Fatal(err)
		}
		defer cancel()
		c.publish(&paho.Publish{Topic: "a/b", QoS: 1, Payload: []byte("to the app"), Properties: &paho.PublishProperties{
			User: paho.UserProperties{{Key: "k", Value: "v"}},
		}})
		select {
		case m := <-got:
			if m.Topic != "a/b" || string(m.Payload) != "to the app" || m.QoS != 1 || m.Publisher != "app" {
				t.Errorf("in-process subscriber got %q %q QoS %d from %q, want a/b %q QoS 1 from app", m.Topic, m.Payload, m.QoS, m.Publisher, "to the app")
			}
			if !slices.Equal(m.Properties.User, []packet.UserProperty{{Key: "k", Value: "v"}}) {
				t.Errorf("user properties %v", m.Properties.User)
			}
		case <-time.After(pahoWait):
			t.Fatal("in-process subscriber got nothing")
		}
		cancel()
		c.publish(&paho.Publish{Topic: "a/b", QoS: 1, Payload: []byte("after cancel")})
		select {
		case m := <-got:
			t.Errorf("cancelled subscriber got %q", m.Payload)
		default:
		}
	})

	t.Run("Disconnect", func(t *testing.T) {
		if err := srv.Disconnect("app", mqtt.AdministrativeAction); err != nil {
			t.Fatal(err)
		}
		select {
		case d := <-c.disc:
			if d.ReasonCode != byte(mqtt.AdministrativeAction) {
				t.Errorf("DISCONNECT reason code %#x, want %#x", d.ReasonCode, byte(mqtt.AdministrativeAction))
			}
		case <-time.After(pahoWait):
			t.Fatal("no DISCONNECT from the server")
		}
		gone.wait(t, "app")
		if err := srv.Disconnect("app", mqtt.AdministrativeAction); err != server.ErrNotConnected {
			t.Errorf("Disconnect of an offline client: %v, want ErrNotConnected", err)
		}
	})
}

// The will of an MQTT 5 client keeps its properties; it is published when
// the connection breaks [MQTT-3.1.2-8] and when the client disconnects
// with reason code 0x04, and not after a normal DISCONNECT
// [MQTT-3.1.2-10].
func TestPahoV5Will(t *testing.T) {
	gone := newPahoGone()
	addr := start(t, &server.Server{Hooks: []server.Hook{gone}})
	watcher, _ := connectPahoV5(t, addr, pahoClean("watcher"))
	watcher.subscribe(paho.SubscribeOptions{Topic: "will/#", QoS: 1})
	withWill := func(id string) *paho.Connect {
		cp := pahoClean(id)
		cp.WillMessage = &paho.WillMessage{Topic: "will/" + id, QoS: 1, Payload: []byte(id + " is gone")}
		cp.WillProperties = &paho.WillProperties{User: paho.UserProperties{{Key: "who", Value: id}}}
		return cp
	}

	abrupt, _ := connectPahoV5(t, addr, withWill("abrupt"))
	abrupt.TerminateConnectionForTest()
	m := watcher.nextIs("will/abrupt", "abrupt is gone")
	if m.QoS != 1 || m.Properties == nil || m.Properties.User.Get("who") != "abrupt" {
		t.Errorf("will arrived at QoS %d with properties %+v, want QoS 1, user who=abrupt", m.QoS, m.Properties)
	}

	// paho.golang leaves every will property but User Properties out of
	// its CONNECT, so a raw client sends the others.
	raw := dial(t, addr, mqtt.V5)
	w := &packet.Will{QoS: 1, Topic: "will/raw", Payload: []byte("raw is gone")}
	w.Properties.ContentType = "text/plain"
	w.Properties.ResponseTopic = "ask/raw"
	w.Properties.CorrelationData = []byte{7}
	w.Properties.PayloadFormat = 1
	w.Properties.Set(packet.PropPayloadFormat)
	if ack := raw.connect(&packet.Connect{ClientID: "raw", CleanStart: true, Will: w}); ack.ReasonCode != mqtt.Success {
		t.Fatalf("CONNACK %v", ack.ReasonCode)
	}
	raw.nc.Close()
	m = watcher.nextIs("will/raw", "raw is gone")
	if p := m.Properties; p == nil || p.ContentType != "text/plain" || p.ResponseTopic != "ask/raw" || !bytes.Equal(p.CorrelationData, []byte{7}) ||
		p.PayloadFormat == nil || *p.PayloadFormat != 1 {
		t.Errorf("will properties %+v, want content type, response topic, correlation data and payload format kept", m.Properties)
	}

	polite, _ := connectPahoV5(t, addr, withWill("polite"))
	polite.Disconnect(&paho.Disconnect{ReasonCode: 0})
	gone.wait(t, "polite")

	leaving, _ := connectPahoV5(t, addr, withWill("leaving"))
	leaving.Disconnect(&paho.Disconnect{ReasonCode: byte(mqtt.DisconnectWithWillMessage)})
	watcher.nextIs("will/leaving", "leaving is gone") // and none from polite before it
}

// A second connection with the same client identifier takes the session
// over: the first gets DISCONNECT 0x8E [MQTT-3.1.4-3].
func TestPahoV5Takeover(t *testing.T) {
	addr := start(t, &server.Server{})
	first, _ := connectPahoV5(t, addr, &paho.Connect{ClientID: "dup", CleanStart: false, Properties: &paho.ConnectProperties{SessionExpiryInterval: paho.Uint32(60)}})
	first.subscribe(paho.SubscribeOptions{Topic: "kept/#", QoS: 1})
	second, ack := connectPahoV5(t, addr, &paho.Connect{ClientID: "dup", CleanStart: false, Properties: &paho.ConnectProperties{SessionExpiryInterval: paho.Uint32(60)}})
	if !ack.SessionPresent {
		t.Error("CONNACK of the taking-over connection has Session Present 0")
	}
	select {
	case d := <-first.disc:
		if d.ReasonCode != byte(mqtt.SessionTakenOver) {
			t.Errorf("DISCONNECT reason code %#x, want %#x", d.ReasonCode, byte(mqtt.SessionTakenOver))
		}
	case <-time.After(pahoWait):
		t.Fatal("no DISCONNECT for the taken-over connection")
	}
	// The subscription moved to the new connection with the session.
	pub, _ := connectPahoV5(t, addr, pahoClean("pub"))
	pub.publish(&paho.Publish{Topic: "kept/x", QoS: 1, Payload: []byte("still here")})
	second.nextIs("kept/x", "still here")
}

// A v5 connection taken over closes without DISCONNECT: its will is
// published [MQTT-3.1.2-8], unless a Will Delay Interval lets the new
// connection of the session cancel it [MQTT-3.1.3-9].
func TestPahoV5WillOnTakeover(t *testing.T) {
	gone := newPahoGone()
	addr := start(t, &server.Server{Hooks: []server.Hook{gone}})
	watcher, _ := connectPahoV5(t, addr, pahoClean("watcher"))
	watcher.subscribe(paho.SubscribeOptions{Topic: "will/#", QoS: 1})
	other, _ := connectPahoV5(t, addr, pahoClean("other"))
	for _, tc := range []struct {
		id        string
		delay     uint32
		published bool
	}{{"nodelay", 0, true}, {"delayed", 30, false}} {
		cp := func(will bool) *paho.Connect {
			c := &paho.Connect{ClientID: tc.id, Properties: &paho.ConnectProperties{SessionExpiryInterval: paho.Uint32(60)}}
			if will {
				c.WillMessage = &paho.WillMessage{Topic: "will/" + tc.id, QoS: 1, Payload: []byte(tc.id)}
				c.WillProperties = &paho.WillProperties{WillDelayInterval: paho.Uint32(tc.delay)}
			}
			return c
		}
		connectPahoV5(t, addr, cp(true))
		connectPahoV5(t, addr, cp(false))
		gone.wait(t, tc.id)
		other.publish(&paho.Publish{Topic: "will/marker", QoS: 1, Payload: []byte(tc.id)})
		if tc.published {
			watcher.nextIs("will/"+tc.id, tc.id)
		}
		watcher.nextIs("will/marker", tc.id)
	}
}

// Messages sent and not acknowledged when the connection breaks are sent
// again, with DUP set, when the session resumes [MQTT-4.4.0-1]
// [MQTT-3.3.1-1].
func TestPahoV5Redelivery(t *testing.T) {
	gone := newPahoGone()
	addr := start(t, &server.Server{Hooks: []server.Hook{gone}})
	persistent := func() *paho.Connect {
		return &paho.Connect{ClientID: "forgetful", CleanStart: false, Properties: &paho.ConnectProperties{SessionExpiryInterval: paho.Uint32(60)}}
	}
	noAcks := func(cfg *paho.ClientConfig) { cfg.EnableManualAcknowledgment = true }
	c, _ := connectPahoV5Config(t, addr, persistent(), noAcks)
	c.subscribe(paho.SubscribeOptions{Topic: "work/#", QoS: 2})
	pub, _ := connectPahoV5(t, addr, pahoClean("pub"))
	pub.publish(&paho.Publish{Topic: "work/1", QoS: 1, Payload: []byte("one")})
	pub.publish(&paho.Publish{Topic: "work/2", QoS: 2, Payload: []byte("two")})
	for _, want := range []string{"one", "two"} {
		if m := c.next(); string(m.Payload) != want || m.Duplicate() {
			t.Fatalf("got %q DUP %v, want %q DUP false", m.Payload, m.Duplicate(), want)
		}
	}
	c.TerminateConnectionForTest() // neither PUBACK nor PUBREC sent
	gone.wait(t, "forgetful")

	c, ack := connectPahoV5(t, addr, persistent())
	if !ack.SessionPresent {
		t.Error("CONNACK of the resumed session has Session Present 0")
	}
	for i, want := range []struct {
		topic, payload string
		qos            byte
	}{{"work/1", "one", 1}, {"work/2", "two", 2}} {
		m := c.nextIs(want.topic, want.payload)
		if !m.Duplicate() || m.QoS != want.qos {
			t.Errorf("resent message %d: DUP %v QoS %d, want DUP true QoS %d", i, m.Duplicate(), m.QoS, want.qos)
		}
	}
	// Acknowledged this time: nothing more is resent.
	pub.publish(&paho.Publish{Topic: "work/3", QoS: 1, Payload: []byte("three")})
	if m := c.nextIs("work/3", "three"); m.Duplicate() {
		t.Error("new message with DUP set")
	}
}

// A session whose expiry interval is 0 ends with its connection; so does
// one whose DISCONNECT sets the interval to 0 [MQTT-3.1.2-23].
func TestPahoV5SessionEnds(t *testing.T) {
	gone := newPahoGone()
	srv := &server.Server{Hooks: []server.Hook{gone}}
	addr := start(t, srv)
	resume := func(id string) *paho.Connect {
		return &paho.Connect{ClientID: id, CleanStart: false, Properties: &paho.ConnectProperties{SessionExpiryInterval: paho.Uint32(60)}}
	}

	c, _ := connectPahoV5(t, addr, &paho.Connect{ClientID: "brief", CleanStart: false})
	c.subscribe(paho.SubscribeOptions{Topic: "x", QoS: 1})
	c.stop()
	gone.wait(t, "brief")
	if _, ack := connectPahoV5(t, addr, resume("brief")); ack.SessionPresent {
		t.Error("session with expiry interval 0 outlived its connection")
	}

	c, _ = connectPahoV5(t, addr, resume("shortened"))
	c.subscribe(paho.SubscribeOptions{Topic: "x", QoS: 1})
	c.Disconnect(&paho.Disconnect{ReasonCode: 0, Properties: &paho.DisconnectProperties{SessionExpiryInterval: paho.Uint32(0)}})
	gone.wait(t, "shortened")
	if _, ack := connectPahoV5(t, addr, resume("shortened")); ack.SessionPresent {
		t.Error("session whose DISCONNECT set expiry interval 0 outlived its connection")
	}
}

// A client that connects with an empty client identifier is given one in
// CONNACK [MQTT-3.2.2-16], under which the server lists it.
func TestPahoV5AssignedClientID(t *testing.T) {
	srv := &server.Server{}
	addr := start(t, srv)
	c, ack := connectPahoV5(t, addr, pahoClean(""))
	id := ""
	if ack.Properties != nil {
		id = ack.Properties.AssignedClientID
	}
	if id == "" {
		t.Fatal("no Assigned Client Identifier in CONNACK")
	}
	if c.ClientID() != id {
		t.Errorf("paho uses client id %q, want %q", c.ClientID(), id)
	}
	if cl := srv.Clients(); len(cl) != 1 || cl[0].ID != id {
		t.Errorf("Clients() = %+v, want one client %q", cl, id)
	}
}

// A message matching several subscriptions of one client arrives once, at
// the highest QoS granted [MQTT-3.3.4-2]; after UNSUBSCRIBE only the
// remaining subscription delivers [MQTT-3.10.4-1]; a message no one
// subscribes to is acknowledged with No matching subscribers.
func TestPahoV5OverlapAndUnsubscribe(t *testing.T) {
	addr := start(t, &server.Server{})
	sub, _ := connectPahoV5(t, addr, pahoClean("sub"))
	sub.subscribe(paho.SubscribeOptions{Topic: "m/#", QoS: 0}, paho.SubscribeOptions{Topic: "m/+", QoS: 2})
	pub, _ := connectPahoV5(t, addr, pahoClean("pub"))
	pub.publish(&paho.Publish{Topic: "m/a", QoS: 2, Payload: []byte("first")})
	pub.publish(&paho.Publish{Topic: "m/a", QoS: 2, Payload: []byte("second")})
	if m := sub.nextIs("m/a", "first"); m.QoS != 2 {
		t.Errorf("overlapping subscriptions: got QoS %d, want 2", m.QoS)
	}
	sub.nextIs("m/a", "second") // "first" arrived once

	ctx, cancel := context.WithTimeout(context.Background(), pahoWait)
	defer cancel()
	ua, err := sub.Unsubscribe(ctx, &paho.Unsubscribe{Topics: []string{"m/+", "m/none"}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ua.Reasons, []byte{byte(mqtt.Success), byte(mqtt.NoSubscriptionExisted)}) {
		t.Errorf("UNSUBACK %#x, want [0x00 0x11]", ua.Reasons)
	}
	pub.publish(&paho.Publish{Topic: "m/a", QoS: 2, Payload: []byte("third")})
	if m := sub.nextIs("m/a", "third"); m.QoS != 0 {
		t.Errorf("after unsubscribing the QoS 2 filter: got QoS %d, want 0", m.QoS)
	}

	if r := pub.publish(&paho.Publish{Topic: "nobody/listens", QoS: 1, Payload: []byte("?")}); r.ReasonCode != byte(mqtt.NoMatchingSubscribers) {
		t.Errorf("PUBACK reason code %#x for a message without subscribers, want %#x", r.ReasonCode, byte(mqtt.NoMatchingSubscribers))
	}
}

// Retain As Published keeps the RETAIN flag of live messages
// [MQTT-3.3.1-12].
func TestPahoV5RetainAsPublished(t *testing.T) {
	addr := start(t, &server.Server{})
	sub, _ := connectPahoV5(t, addr, pahoClean("sub"))
	sub.subscribe(paho.SubscribeOptions{Topic: "rap/#", QoS: 1, RetainAsPublished: true})
	pub, _ := connectPahoV5(t, addr, pahoClean("pub"))
	pub.publish(&paho.Publish{Topic: "rap/a", QoS: 1, Retain: true, Payload: []byte("kept")})
	pub.publish(&paho.Publish{Topic: "rap/a", QoS: 1, Payload: []byte("plain")})
	if m := sub.nextIs("rap/a", "kept"); !m.Retain {
		t.Error("Retain As Published subscription got RETAIN 0 for a retained message")
	}
	if m := sub.nextIs("rap/a", "plain"); m.Retain {
		t.Error("Retain As Published subscription got RETAIN 1 for a message sent without it")
	}
}

// An in-process subscriber can be a member of a shared subscription group
// alongside network clients.
func TestPahoSharedWithInProcessMember(t *testing.T) {
	srv := &server.Server{}
	addr := start(t, srv)
	local := make(chan string, 10)
	cancel, err := srv.Subscribe("$share/g/tasks/#", func(m *server.Message) { local <- string(m.Payload) })
	if err != nil {
		t.Fatal(err)
	}
	defer cancel()
	remote, _ := connectPahoV5(t, addr, pahoClean("remote"))
	remote.subscribe(paho.SubscribeOptions{Topic: "$share/g/tasks/#", QoS: 1})
	pub, _ := connectPahoV5(t, addr, pahoClean("pub"))
	for i := range 4 {
		pub.publish(&paho.Publish{Topic: "tasks/t", QoS: 1, Payload: []byte(fmt.Sprint(i))})
	}
	got := map[string]bool{}
	for range 2 {
		got[string(remote.next().Payload)] = true
	}
	for range 2 {
		select {
		case p := <-local:
			got[p] = true
		case <-time.After(pahoWait):
			t.Fatalf("in-process member got too few messages; so far %v", got)
		}
	}
	if len(got) != 4 {
		t.Errorf("members got %v, want 0 to 3 once each", got)
	}
}

// Shutdown tells MQTT 5 clients why their connection ends
// [MQTT-3.14.0-1]: DISCONNECT with Server shutting down.
func TestPahoShutdown(t *testing.T) {
	srv := &server.Server{}
	addr := start(t, srv)
	c, _ := connectPahoV5(t, addr, pahoClean("c"))
	c3, _ := connectPahoV3(t, addr, "c3", nil)
	ctx, cancel := context.WithTimeout(context.Background(), pahoWait)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	select {
	case d := <-c.disc:
		if d.ReasonCode != byte(mqtt.ServerShuttingDown) {
			t.Errorf("DISCONNECT reason code %#x, want %#x", d.ReasonCode, byte(mqtt.ServerShuttingDown))
		}
	case <-time.After(pahoWait):
		t.Fatal("no DISCONNECT at shutdown")
	}
	pahoWaitFor(t, "c3 disconnected", func() bool { return !c3.IsConnectionOpen() })
}

// pahoV3 is a connected paho.mqtt.golang client speaking MQTT 3.1.1;
// every message it receives arrives on msgs.
type pahoV3 struct {
	paho3.Client
	t    *testing.T
	id   string
	msgs chan paho3.Message

	mu sync.Mutex
	nc net.Conn // the current network connection
}

// connectPahoV3 connects a 3.1.1 client; configure adjusts the options (clean
// session by default).
func connectPahoV3(t *testing.T, addr, id string, configure func(*paho3.ClientOptions)) (*pahoV3, bool) {
	t.Helper()
	c := &pahoV3{t: t, id: id, msgs: make(chan paho3.Message, 1024)}
	opts := paho3.NewClientOptions().
		AddBroker("tcp://" + addr).
		SetClientID(id).
		SetProtocolVersion(4).
		SetCleanSession(true).
		SetAutoReconnect(false).
		SetConnectRetry(false).
		SetKeepAlive(30 * time.Second).
		SetConnectTimeout(pahoWait).
		SetDefaultPublishHandler(func(_ paho3.Client, m paho3.Message) { c.msgs <- m }).
		SetCustomOpenConnectionFn(func(u *url.URL, _ paho3.ClientOptions) (net.Conn, error) {
			nc, err := net.DialTimeout("tcp", u.Host, pahoWait)
			if err == nil {
				c.mu.Lock()
				c.nc = nc
				c.mu.Unlock()
			}
			return nc, err
		})
	if configure != nil {
		configure(opts)
	}
	c.Client = paho3.NewClient(opts)
	tok := c.Connect()
	if !tok.WaitTimeout(pahoWait) {
		t.Fatalf("%s: no CONNACK within %v", id, pahoWait)
	}
	if err := tok.Error(); err != nil {
		t.Fatalf("%s: connect: %v", id, err)
	}
	t.Cleanup(c.stop)
	return c, tok.(*paho3.ConnectToken).SessionPresent()
}

func (c *pahoV3) stop() {
	if c.IsConnectionOpen() {
		c.Disconnect(250)
	}
}

// kill closes the network connection without DISCONNECT.
func (c *pahoV3) kill() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.nc.Close()
}

func (c *pahoV3) subscribe(filter string, qos byte) {
	c.t.Helper()
	tok := c.Subscribe(filter, qos, nil)
	if !tok.WaitTimeout(pahoWait) {
		c.t.Fatalf("%s: no SUBACK within %v", c.id, pahoWait)
	}
	if err := tok.Error(); err != nil {
		c.t.Fatalf("%s: subscribe %q: %v", c.id, filter, err)
	}
	if got := tok.(*paho3.SubscribeToken).Result()[filter]; got != qos {
		c.t.Fatalf("%s: SUBACK granted %d for %q, want %d", c.id, got, filter, qos)
	}
}

func (c *pahoV3) publish(topic string, qos byte, retained bool, payload string) {
	c.t.Helper()
	tok := c.Publish(topic, qos, retained, payload)
	if !tok.WaitTimeout(pahoWait) {
		c.t.Fatalf("%s: publish to %q not acknowledged within %v", c.id, topic, pahoWait)
	}
	if err := tok.Error(); err != nil {
		c.t.Fatalf("%s: publish to %q: %v", c.id, topic, err)
	}
}

func (c *pahoV3) nextIs(topic, payload string) paho3.Message {
	c.t.Helper()
	select {
	case m := <-c.msgs:
		if m.Topic() != topic || string(m.Payload()) != payload {
			c.t.Fatalf("%s: got %q %q, want %q %q", c.id, m.Topic(), m.Payload(), topic, payload)
		}
		return m
	case <-time.After(pahoWait):
		c.t.Fatalf("%s: no PUBLISH within %v (want %q %q)", c.id, pahoWait, topic, payload)
		return nil
	}
}

// pahoQoSMatrix publishes at every QoS to subscriptions of every QoS and
// checks that each message arrives once at the lower of the two.
func pahoQoSMatrix(t *testing.T, publish func(topic string, qos byte, payload string), next func(topic, payload string) byte) {
	t.Helper()
	for subQoS := byte(0); subQoS <= 2; subQoS++ {
		for pubQoS := byte(0); pubQoS <= 2; pubQoS++ {
			topic := fmt.Sprintf("q/%d", subQoS)
			payload := fmt.Sprintf("sent at QoS %d", pubQoS)
			publish(topic, pubQoS, payload)
			if got, want := next(topic, payload), min(pubQoS, subQoS); got != want {
				t.Errorf("%s %q arrived at QoS %d, want %d", topic, payload, got, want)
			}
		}
	}
}

func TestPaho311QoS(t *testing.T) {
	addr := start(t, &server.Server{})
	sub3, _ := connectPahoV3(t, addr, "sub3", nil)
	sub5, _ := connectPahoV5(t, addr, pahoClean("sub5"))
	for q := byte(0); q <= 2; q++ {
		sub3.subscribe(fmt.Sprintf("q/%d", q), q)
		sub5.subscribe(paho.SubscribeOptions{Topic: fmt.Sprintf("q/%d", q), QoS: q})
	}
	pub3, _ := connectPahoV3(t, addr, "pub3", nil)
	pub5, _ := connectPahoV5(t, addr, pahoClean("pub5"))
	publish3 := func(topic string, qos byte, payload string) { pub3.publish(topic, qos, false, payload) }
	publish5 := func(topic string, qos byte, payload string) {
		pub5.publish(&paho.Publish{Topic: topic, QoS: qos, Payload: []byte(payload)})
	}
	next3 := func(topic, payload string) byte {
		m := sub3.nextIs(topic, payload)
		if m.Retained() || m.Duplicate() {
			t.Errorf("%s %q: RETAIN %v DUP %v, want neither", topic, payload, m.Retained(), m.Duplicate())
		}
		return m.Qos()
	}
	next5 := func(topic, payload string) byte { return sub5.nextIs(topic, payload).QoS }
	// Each publish reaches both subscribers; the pair under test is
	// checked, the other one drained.
	both := func(check, drain func(topic, payload string) byte) func(topic, payload string) byte {
		return func(topic, payload string) byte {
			drain(topic, payload)
			return check(topic, payload)
		}
	}

	t.Run("3.1.1 to 3.1.1", func(t *testing.T) { pahoQoSMatrix(t, publish3, both(next3, next5)) })
	t.Run("3.1.1 to 5.0", func(t *testing.T) { pahoQoSMatrix(t, publish3, both(next5, next3)) })
	t.Run("5.0 to 3.1.1", func(t *testing.T) { pahoQoSMatrix(t, publish5, both(next3, next5)) })
}

// The will of a 3.1.1 client whose connection breaks is published
// [MQTT-3.1.2-8]; a client that sends DISCONNECT has its will discarded
// [MQTT-3.1.2-10].
func TestPaho311Will(t *testing.T) {
	gone := newPahoGone()
	srv := &server.Server{Hooks: []server.Hook{gone}}
	addr := start(t, srv)
	watcher, _ := connectPahoV3(t, addr, "watcher", nil)
	watcher.subscribe("will/#", 1)

	abrupt, _ := connectPahoV3(t, addr, "abrupt", func(o *paho3.ClientOptions) { o.SetWill("will/abrupt", "abrupt is gone", 1, false) })
	abrupt.kill()
	if m := watcher.nextIs("will/abrupt", "abrupt is gone"); m.Qos() != 1 || m.Retained() {
		t.Errorf("will arrived at QoS %d RETAIN %v, want QoS 1 RETAIN 0", m.Qos(), m.Retained())
	}

	polite, _ := connectPahoV3(t, addr, "polite", func(o *paho3.ClientOptions) { o.SetWill("will/polite", "polite is gone", 1, false) })
	polite.Disconnect(250)
	gone.wait(t, "polite")
	other, _ := connectPahoV3(t, addr, "other", nil)
	other.publish("will/marker", 1, false, "marker")
	watcher.nextIs("will/marker", "marker") // no will before it
}

// A 3.1.1 session with CleanSession 0 keeps its subscriptions and queues
// QoS 1 messages while the client is away [MQTT-3.1.2-5].
func TestPaho311PersistentSession(t *testing.T) {
	gone := newPahoGone()
	srv := &server.Server{Hooks: []server.Hook{gone}}
	addr := start(t, srv)
	persistent := func(o *paho3.ClientOptions) { o.SetCleanSession(false) }
	c, present := connectPahoV3(t, addr, "durable3", persistent)
	if present {
		t.Error("first CONNACK has Session Present 1")
	}
	c.subscribe("orders/#", 1)
	c.Disconnect(250)
	gone.wait(t, "durable3")

	pub, _ := connectPahoV3(t, addr, "pub", nil)
	pub.publish("orders/new", 1, false, "0")
	pub.publish("orders/new", 1, false, "1")
	// Routed before the next message, acknowledged after its routing.
	pub.publish("orders/new", 0, false, "QoS 0, not queued")
	pub.publish("orders/new", 1, false, "2")

	c, present = connectPahoV3(t, addr, "durable3", persistent)
	if !present {
		t.Error("CONNACK of the resumed session has Session Present 0 [MQTT-3.2.2-2]")
	}
	for i := range 3 {
		if m := c.nextIs("orders/new", fmt.Sprint(i)); m.Qos() != 1 {
			t.Errorf("queued message %d arrived at QoS %d, want 1", i, m.Qos())
		}
	}
	pub.publish("orders/new", 1, false, "live")
	c.nextIs("orders/new", "live") // the QoS 0 message was not queued [MQTT-3.1.2-5]
}

// Retained messages reach MQTT 3.1.1 subscribers with RETAIN 1 on
// subscribe and RETAIN 0 live [MQTT-3.3.1-8] [MQTT-3.3.1-9], including one
// retained by Server.Publish.
func TestPaho311Retained(t *testing.T) {
	srv := &server.Server{}
	addr := start(t, srv)
	if err := srv.Publish(&server.Message{Topic: "cfg/a", Payload: []byte("from server"), QoS: 1, Retain: true}); err != nil {
		t.Fatal(err)
	}
	pub, _ := connectPahoV3(t, addr, "pub", nil)
	pub.publish("cfg/b", 2, true, "from client")

	sub, _ := connectPahoV3(t, addr, "sub", nil)
	sub.subscribe("cfg/#", 2)
	got := map[string]paho3.Message{}
	for range 2 {
		select {
		case m := <-sub.msgs:
			got[m.Topic()] = m
		case <-time.After(pahoWait):
			t.Fatalf("got %d of 2 retained messages", len(got))
		}
	}
	for topic, want := range map[string]struct {
		payload string
		qos     byte
	}{"cfg/a": {"from server", 1}, "cfg/b": {"from client", 2}} {
		m := got[topic]
		if m == nil || string(m.Payload()) != want.payload || m.Qos() != want.qos || !m.Retained() {
			t.Errorf("retained %s: got %v, want %q at QoS %d with RETAIN 1", topic, m, want.payload, want.qos)
		}
	}
	pub.publish("cfg/b", 1, true, "update")
	if m := sub.nextIs("cfg/b", "update"); m.Retained() {
		t.Error("live message forwarded to a 3.1.1 subscriber with RETAIN 1")
	}
}

// QoS 1 and 2 messages sent to a 3.1.1 client with CleanSession 0 and not
// acknowledged when its connection breaks are resent with DUP set when it
// reconnects [MQTT-4.4.0-1].
func TestPaho311Redelivery(t *testing.T) {
	gone := newPahoGone()
	addr := start(t, &server.Server{Hooks: []server.Hook{gone}})
	c, _ := connectPahoV3(t, addr, "forgetful", func(o *paho3.ClientOptions) { o.SetCleanSession(false).SetAutoAckDisabled(true) })
	c.subscribe("work/#", 2)
	pub, _ := connectPahoV3(t, addr, "pub", nil)
	pub.publish("work/1", 1, false, "one")
	c.nextIs("work/1", "one") // not acknowledged
	c.kill()
	gone.wait(t, "forgetful")

	c, present := connectPahoV3(t, addr, "forgetful", func(o *paho3.ClientOptions) { o.SetCleanSession(false) })
	if !present {
		t.Error("CONNACK of the resumed session has Session Present 0")
	}
	if m := c.nextIs("work/1", "one"); !m.Duplicate() || m.Qos() != 1 {
		t.Errorf("resent message: DUP %v QoS %d, want DUP true QoS 1", m.Duplicate(), m.Qos())
	}
}

// A 3.1.1 client whose session is taken over by a new connection has its
// network connection closed without having sent DISCONNECT, so its will
// is published [MQTT-3.1.4-2] [MQTT-3.1.2-8]: MQTT 3.1.1 has no Will Delay
// Interval that a returning client could cancel, whether or not its
// session persists.
func TestPaho311WillOnTakeover(t *testing.T) {
	for _, cleanSession := range []bool{true, false} {
		t.Run(fmt.Sprintf("CleanSession=%v", cleanSession), func(t *testing.T) {
			gone := newPahoGone()
			addr := start(t, &server.Server{Hooks: []server.Hook{gone}})
			watcher, _ := connectPahoV3(t, addr, "watcher", nil)
			watcher.subscribe("will/#", 1)
			connectPahoV3(t, addr, "twin", func(o *paho3.ClientOptions) {
				o.SetCleanSession(cleanSession).SetWill("will/twin", "first twin is gone", 1, false)
			})
			connectPahoV3(t, addr, "twin", func(o *paho3.ClientOptions) { o.SetCleanSession(cleanSession) })
			gone.wait(t, "twin")
			other, _ := connectPahoV3(t, addr, "other", nil)
			other.publish("will/marker", 1, false, "marker")
			watcher.nextIs("will/twin", "first twin is gone")
		})
	}
}
