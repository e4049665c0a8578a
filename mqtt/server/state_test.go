package server

import (
	"net"
	"slices"
	"testing"

	"github.com/mqttx/mqttx/mqtt"
	"github.com/mqttx/mqttx/mqtt/packet"
)

// The session state machine without I/O: packets go in through
// conn.handle, and what the server would write comes out of fillLocked.
// The test connection is marked as having a writer, so nothing is ever
// written to its network side.

func stateConn(t *testing.T, srv *Server, id string, v mqtt.Version, quota int) *conn {
	t.Helper()
	srv.init()
	a, b := net.Pipe()
	t.Cleanup(func() { a.Close(); b.Close() })
	c := &conn{srv: srv, nc: b, done: make(chan struct{}), version: v, sendQuota: quota, st: &srv.acc}
	c.client = &Client{id: id, version: v, conn: c}
	srv.attach(c, true, 0, false, nil, 0, &packet.Connack{})
	c.s.mu.Lock()
	c.writing = true // no writer goroutine: the test drains the output
	c.s.mu.Unlock()
	if got := drain(t, c); len(got) != 1 || got[0].Type() != packet.TypeConnack {
		t.Fatalf("first output %v, want CONNACK", got)
	}
	return c
}

// drain returns what the server would write now.
func drain(t *testing.T, c *conn) []packet.Packet {
	t.Helper()
	c.s.mu.Lock()
	b := c.fillLocked(nil)
	c.s.mu.Unlock()
	var out []packet.Packet
	d := packet.Decoder{Version: c.version}
	for len(b) > 0 {
		p, n, err := d.Decode(b)
		if err != nil {
			t.Fatalf("server output does not decode: %v", err)
		}
		out = append(out, packet.Clone(p))
		b = b[n:]
	}
	return out
}

func in(t *testing.T, c *conn, p packet.Packet) {
	t.Helper()
	if err := c.handle(p); err != nil {
		t.Fatalf("handle %v: %v", p.Type(), err)
	}
}

func ids(ps []packet.Packet) []uint16 {
	var out []uint16
	for _, p := range ps {
		if pub, ok := p.(*packet.Publish); ok {
			out = append(out, pub.PacketID)
		}
	}
	return out
}

func TestStateReceiveWindowAndIDs(t *testing.T) {
	srv := &Server{}
	sub := stateConn(t, srv, "sub", mqtt.V5, 2)
	in(t, sub, &packet.Subscribe{PacketID: 1, Subscriptions: []packet.Subscription{{Filter: "w", QoS: 1}}})
	if got := drain(t, sub); len(got) != 1 || got[0].Type() != packet.TypeSuback {
		t.Fatalf("got %v, want SUBACK", got)
	}
	for i := range 3 {
		srv.Publish(&Message{Topic: "w", QoS: 1, Payload: []byte{byte(i)}})
	}
	if got := ids(drain(t, sub)); !slices.Equal(got, []uint16{1, 2}) {
		t.Fatalf("sent ids %v, want [1 2]: the window is 2", got)
	}
	if got := drain(t, sub); len(got) != 0 {
		t.Fatalf("sent %v with the window full", got)
	}
	in(t, sub, &packet.Puback{PacketID: 2})
	if got := ids(drain(t, sub)); !slices.Equal(got, []uint16{3}) {
		t.Fatalf("sent ids %v, want [3]", got)
	}
	in(t, sub, &packet.Puback{PacketID: 99}) // unknown: ignored
	in(t, sub, &packet.Puback{PacketID: 1})
	in(t, sub, &packet.Puback{PacketID: 3})
	sub.s.mu.Lock()
	left := len(sub.s.inflight)
	sub.s.mu.Unlock()
	if left != 0 {
		t.Fatalf("%d messages still inflight", left)
	}
}

func TestStatePacketIDsSkipThoseInUse(t *testing.T) {
	srv := &Server{}
	sub := stateConn(t, srv, "sub", mqtt.V311, 10)
	in(t, sub, &packet.Subscribe{PacketID: 1, Subscriptions: []packet.Subscription{{Filter: "w", QoS: 2}}})
	drain(t, sub)
	sub.s.mu.Lock()
	sub.s.nextID = 65534
	sub.s.mu.Unlock()
	for range 2 {
		srv.Publish(&Message{Topic: "w", QoS: 2})
	}
	if got := ids(drain(t, sub)); !slices.Equal(got, []uint16{65535, 1}) {
		t.Fatalf("ids %v, want [65535 1]: 0 is never used [MQTT-2.3.1-1]", got)
	}
	// 65535 stays inflight; after a full cycle the allocator skips it.
	in(t, sub, &packet.Pubrec{PacketID: 1})
	if got := drain(t, sub); len(got) != 1 || got[0].(*packet.Pubrel).PacketID != 1 {
		t.Fatalf("got %v, want PUBREL 1", got)
	}
	in(t, sub, &packet.Pubcomp{PacketID: 1})
	sub.s.mu.Lock()
	sub.s.nextID = 65534
	sub.s.mu.Unlock()
	srv.Publish(&Message{Topic: "w", QoS: 2})
	if got := ids(drain(t, sub)); !slices.Equal(got, []uint16{1}) {
		t.Fatalf("ids %v, want [1]: 65535 is in use", got)
	}
}

func TestStateQoS2Inbound(t *testing.T) {
	srv := &Server{}
	pub := stateConn(t, srv, "pub", mqtt.V5, 10)
	sub := stateConn(t, srv, "sub", mqtt.V5, 10)
	in(t, sub, &packet.Subscribe{PacketID: 1, Subscriptions: []packet.Subscription{{Filter: "x", QoS: 2}}})
	drain(t, sub)
	p := &packet.Publish{Topic: "x", QoS: 2, PacketID: 7, Payload: []byte("m")}
	in(t, pub, p)
	in(t, pub, &packet.Publish{Topic: "x", QoS: 2, PacketID: 7, Dup: true, Payload: []byte("m")})
	got := drain(t, pub)
	if len(got) != 2 || got[0].(*packet.Pubrec).PacketID != 7 || got[1].(*packet.Pubrec).PacketID != 7 {
		t.Fatalf("publisher got %v, want two PUBREC 7", got)
	}
	if n := len(ids(drain(t, sub))); n != 1 {
		t.Fatalf("subscriber got %d copies, want 1", n)
	}
	in(t, pub, &packet.Pubrel{PacketID: 7})
	in(t, pub, &packet.Pubrel{PacketID: 7})
	got = drain(t, pub)
	if len(got) != 2 || got[0].(*packet.Pubcomp).ReasonCode != mqtt.Success || got[1].(*packet.Pubcomp).ReasonCode != mqtt.PacketIdentifierNotFound {
		t.Fatalf("publisher got %v, want PUBCOMP 0x00 then 0x92", got)
	}
}

func TestStateReceiveMaximumInbound(t *testing.T) {
	srv := &Server{ReceiveMaximum: 2}
	pub := stateConn(t, srv, "pub", mqtt.V5, 10)
	in(t, pub, &packet.Publish{Topic: "x", QoS: 2, PacketID: 1})
	in(t, pub, &packet.Publish{Topic: "x", QoS: 2, PacketID: 2})
	err := pub.handle(&packet.Publish{Topic: "x", QoS: 2, PacketID: 3})
	if mqtt.CodeOf(err) != mqtt.ReceiveMaximumExceeded {
		t.Fatalf("third unreleased QoS 2 PUBLISH: %v, want 0x93", err)
	}
}

func TestStateOfflineQoS0(t *testing.T) {
	for _, queue := range []bool{false, true} {
		srv := &Server{QueueQoS0: queue}
		srv.init()
		sess := newSession(srv, "away")
		sess.version = mqtt.V311
		sess.never = true
		srv.sessions.Store("away", sess)
		ok := sess.deliver(&Message{Topic: "t"}, 0, false, nil, false, &srv.acc)
		if ok != queue || (sess.q.n == 1) != queue {
			t.Fatalf("QueueQoS0=%v: queued=%v (%d in queue)", queue, ok, sess.q.n)
		}
	}
}
