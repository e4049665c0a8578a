package server_test

import (
	"fmt"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mqttx/mqttx/mqtt"
	"github.com/mqttx/mqttx/mqtt/packet"
	"github.com/mqttx/mqttx/mqtt/server"
)

// countConn counts the bytes a test client writes and reads: what the
// server reads and writes on the other end.
type countConn struct {
	net.Conn
	r, w atomic.Uint64
}

func (c *countConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.r.Add(uint64(n))
	return n, err
}

func (c *countConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.w.Add(uint64(n))
	return n, err
}

// dialCounted dials addr and returns a client over a countConn.
func dialCounted(t *testing.T, addr string, v mqtt.Version) (*client, *countConn) {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	cc := &countConn{Conn: nc}
	return newClient(t, cc, v), cc
}

// waitStats polls srv.Stats until check returns "" and returns that
// snapshot; after 5 s it fails with check's last complaint. Counters are
// updated by the server's goroutines after the writes a client sees, so a
// test waits for them rather than reading them once.
func waitStats(t *testing.T, srv *server.Server, check func(st server.Stats) string) server.Stats {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		st := srv.Stats()
		msg := check(st)
		if msg == "" {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("stats: %s", msg)
		}
		time.Sleep(time.Millisecond)
	}
}

// diff lists the fields of want that differ in got.
type diff []string

func (d *diff) int(name string, got, want int) {
	if got != want {
		*d = append(*d, fmt.Sprintf("%s = %d, want %d", name, got, want))
	}
}

func (d *diff) u64(name string, got, want uint64) {
	if got != want {
		*d = append(*d, fmt.Sprintf("%s = %d, want %d", name, got, want))
	}
}

func (d *diff) packets(name string, got [16]uint64, want map[packet.Type]uint64) {
	for i := range got {
		if w := want[packet.Type(i)]; got[i] != w {
			*d = append(*d, fmt.Sprintf("%s[%v] = %d, want %d", name, packet.Type(i), got[i], w))
		}
	}
}

func (d *diff) drops(got [len(server.Stats{}.Dropped)]uint64, want map[server.DropReason]uint64) {
	for i := range got {
		if w := want[server.DropReason(i)]; got[i] != w {
			*d = append(*d, fmt.Sprintf("Dropped[%v] = %d, want %d", server.DropReason(i), got[i], w))
		}
	}
}

func (d diff) String() string { return strings.Join(d, "; ") }

func TestStatsTraffic(t *testing.T) {
	for _, v := range []mqtt.Version{mqtt.V311, mqtt.V5} {
		t.Run(v.String(), func(t *testing.T) {
			srv := &server.Server{}
			addr := start(t, srv)

			sub, subN := dialCounted(t, addr, v)
			sub.connect(&packet.Connect{ClientID: "sub", CleanStart: true})
			sub.subscribe(1, packet.Subscription{Filter: "t/#", QoS: mqtt.QoS1})
			pub, pubN := dialCounted(t, addr, v)
			pub.connect(&packet.Connect{ClientID: "pub", CleanStart: true})

			for range 3 {
				pub.send(&packet.Publish{Topic: "t/a", Payload: []byte("hello")})
			}
			for id := uint16(1); id <= 2; id++ {
				p := &packet.Publish{Topic: "t/b", QoS: mqtt.QoS1, PacketID: id, Payload: []byte("12345678")}
				if v == mqtt.V5 {
					// Forwarded properties: the subscriber's PUBLISH carries them too.
					p.Properties.ContentType = "text/plain"
					p.Properties.Set(packet.PropContentType)
					p.Properties.User = []packet.UserProperty{{Key: "k", Value: "v"}}
				}
				pub.send(p)
				expect[*packet.Puback](pub)
			}
			pub.send(&packet.Publish{Topic: "none/x", Payload: []byte("z")}) // no subscriber
			pub.send(&packet.Pingreq{})
			expect[*packet.Pingresp](pub)
			for range 5 {
				p := expect[*packet.Publish](sub)
				if p.QoS == mqtt.QoS1 {
					sub.send(&packet.Puback{PacketID: p.PacketID})
				}
			}
			sub.send(&packet.Pingreq{})
			expect[*packet.Pingresp](sub)

			in := map[packet.Type]uint64{packet.TypeConnect: 2, packet.TypeSubscribe: 1, packet.TypePublish: 6, packet.TypePuback: 2, packet.TypePingreq: 2}
			out := map[packet.Type]uint64{packet.TypeConnack: 2, packet.TypeSuback: 1, packet.TypePublish: 5, packet.TypePuback: 2, packet.TypePingresp: 2}
			drops := map[server.DropReason]uint64{server.DropNoSubscribers: 1}
			check := func(st server.Stats) string {
				var d diff
				d.packets("PacketsReceived", st.PacketsReceived, in)
				d.packets("PacketsSent", st.PacketsSent, out)
				d.u64("BytesReceived", st.BytesReceived, subN.w.Load()+pubN.w.Load())
				d.u64("BytesSent", st.BytesSent, subN.r.Load()+pubN.r.Load())
				d.u64("PublishBytesReceived", st.PublishBytesReceived, 3*5+2*8+1)
				d.u64("PublishBytesSent", st.PublishBytesSent, 3*5+2*8)
				d.u64("MessagesReceived", st.MessagesReceived(), 6)
				d.u64("MessagesSent", st.MessagesSent(), 5)
				d.u64("MessagesDropped", st.MessagesDropped(), 1)
				d.drops(st.Dropped, drops)
				d.int("Subscriptions", st.Subscriptions, 1)
				d.int("Inflight", st.Inflight, 0)
				d.int("QueuedMessages", st.QueuedMessages, 0)
				d.u64("ConnectsAccepted", st.ConnectsAccepted, 2)
				d.u64("ConnectsRefused", st.ConnectsRefused, 0)
				d.u64("ConnectionsTotal", st.ConnectionsTotal, 2)
				return d.String()
			}
			st := waitStats(t, srv, func(st server.Stats) string {
				var d diff
				d.int("Connections", st.Connections, 2)
				d.int("Clients", st.Clients, 2)
				d.int("ClientsMaximum", st.ClientsMaximum, 2)
				d.int("SessionsOnline", st.SessionsOnline, 2)
				d.int("SessionsOffline", st.SessionsOffline, 0)
				return d.String() + check(st)
			})
			if st.Uptime < 0 || st.Start.IsZero() {
				t.Errorf("Start %v, Uptime %v", st.Start, st.Uptime)
			}

			// The publisher leaves: its counters stay in the totals.
			pub.disconnect()
			in[packet.TypeDisconnect] = 1
			waitStats(t, srv, func(st server.Stats) string {
				var d diff
				d.int("Connections", st.Connections, 1)
				d.int("Clients", st.Clients, 1)
				d.int("ClientsMaximum", st.ClientsMaximum, 2)
				d.int("SessionsOnline", st.SessionsOnline, 1)
				return d.String() + check(st)
			})
		})
	}
}

func TestStatsRefused(t *testing.T) {
	srv := &server.Server{}
	addr := start(t, srv)

	c, n := dialCounted(t, addr, mqtt.V31)
	ack := c.connect(&packet.Connect{}) // MQTT 3.1 requires a client identifier
	if ack.ReasonCode == mqtt.Success {
		t.Fatal("empty client identifier accepted")
	}
	c.closed()

	// Protocol level 9: answered with the 3.1.1 CONNACK 0x01.
	bad := dial(t, addr, mqtt.V311)
	bad.sendRaw([]byte{0x10, 0x0c, 0, 4, 'M', 'Q', 'T', 'T', 9, 0x02, 0, 60, 0, 0})
	if p := bad.closed(); len(p) != 1 {
		t.Fatalf("got %d packets, want one CONNACK", len(p))
	}

	waitStats(t, srv, func(st server.Stats) string {
		var d diff
		d.u64("ConnectsRefused", st.ConnectsRefused, 2)
		d.u64("ConnectsAccepted", st.ConnectsAccepted, 0)
		d.u64("ConnectionsTotal", st.ConnectionsTotal, 2)
		d.int("Connections", st.Connections, 0)
		d.int("Clients", st.Clients, 0)
		d.int("ClientsMaximum", st.ClientsMaximum, 0)
		d.packets("PacketsReceived", st.PacketsReceived, map[packet.Type]uint64{packet.TypeConnect: 1})
		d.packets("PacketsSent", st.PacketsSent, map[packet.Type]uint64{packet.TypeConnack: 2})
		d.u64("BytesSent", st.BytesSent, n.r.Load()+4)
		return d.String()
	})
}

func TestStatsRetained(t *testing.T) {
	srv := &server.Server{}
	addr := start(t, srv)
	pub := open(t, addr, mqtt.V311, "pub")
	id := uint16(0)
	retain := func(topic, payload string) {
		id++
		pub.send(&packet.Publish{Topic: topic, QoS: mqtt.QoS1, PacketID: id, Retain: true, Payload: []byte(payload)})
		expect[*packet.Puback](pub)
	}
	want := func(count int, bytes int64) {
		t.Helper()
		waitStats(t, srv, func(st server.Stats) string {
			var d diff
			d.int("RetainedMessages", st.RetainedMessages, count)
			d.int("RetainedBytes", int(st.RetainedBytes), int(bytes))
			d.u64("Dropped[no_subscribers]", st.Dropped[server.DropNoSubscribers], 0)
			return d.String()
		})
	}
	retain("r/1", "abc")
	retain("r/2", "hello")
	want(2, 8)
	retain("r/1", "x")
	want(2, 6)
	retain("r/2", "")
	want(1, 1)
	retain("r/3", "") // clearing nothing
	want(1, 1)
}

func TestStatsInflightAndQueued(t *testing.T) {
	srv := &server.Server{MaxInflight: 1}
	addr := start(t, srv)
	sub := open(t, addr, mqtt.V311, "sub")
	sub.subscribe(1, packet.Subscription{Filter: "q", QoS: mqtt.QoS1})
	pub := open(t, addr, mqtt.V311, "pub")
	for id := uint16(1); id <= 3; id++ {
		pub.send(&packet.Publish{Topic: "q", QoS: mqtt.QoS1, PacketID: id, Payload: []byte("data")})
		expect[*packet.Puback](pub)
	}
	p := expect[*packet.Publish](sub)
	want := func(inflight, queued int) {
		t.Helper()
		waitStats(t, srv, func(st server.Stats) string {
			var d diff
			d.int("Inflight", st.Inflight, inflight)
			d.int("InflightBytes", int(st.InflightBytes), 4*inflight)
			d.int("QueuedMessages", st.QueuedMessages, queued)
			d.int("QueuedBytes", int(st.QueuedBytes), 4*queued)
			return d.String()
		})
	}
	want(1, 2)
	sub.send(&packet.Puback{PacketID: p.PacketID})
	p = expect[*packet.Publish](sub)
	want(1, 1)
	sub.send(&packet.Puback{PacketID: p.PacketID})
	p = expect[*packet.Publish](sub)
	sub.send(&packet.Puback{PacketID: p.PacketID})
	want(0, 0)
}

// dropHooks denies publishing to deny/#, rejects reject/# and denies
// client "sub" receiving norecv.
type dropHooks struct{}

func (dropHooks) Authorize(c *server.Client, a server.Access, topic string) bool {
	switch a {
	case server.AccessPublish:
		return !strings.HasPrefix(topic, "deny/")
	case server.AccessReceive:
		return !(c.ID() == "sub" && topic == "norecv")
	}
	return true
}

func (dropHooks) OnPublish(c *server.Client, m *server.Message) mqtt.ReasonCode {
	if strings.HasPrefix(m.Topic, "reject/") {
		return mqtt.QuotaExceeded
	}
	return mqtt.Success
}

func TestStatsDrops(t *testing.T) {
	srv := &server.Server{Hooks: []server.Hook{dropHooks{}}}
	addr := start(t, srv)

	sub := dial(t, addr, mqtt.V5)
	cp := &packet.Connect{ClientID: "sub", CleanStart: true}
	cp.Properties.MaximumPacketSize = 64
	cp.Properties.Set(packet.PropMaximumPacketSize)
	sub.connect(cp)
	sub.subscribe(1, packet.Subscription{Filter: "#"})

	pub := open(t, addr, mqtt.V5, "pub")
	id := uint16(0)
	publish := func(topic string, payload []byte, want mqtt.ReasonCode) {
		t.Helper()
		id++
		pub.send(&packet.Publish{Topic: topic, QoS: mqtt.QoS1, PacketID: id, Payload: payload})
		if ack := expect[*packet.Puback](pub); ack.ReasonCode != want {
			t.Fatalf("PUBACK for %s: %v, want %v", topic, ack.ReasonCode, want)
		}
	}
	publish("deny/1", nil, mqtt.NotAuthorized)
	publish("reject/1", nil, mqtt.QuotaExceeded)
	publish("norecv", nil, mqtt.NoMatchingSubscribers)
	publish("big", make([]byte, 100), mqtt.Success) // over the subscriber's 64 bytes
	publish("$none", nil, mqtt.NoMatchingSubscribers)
	publish("ok", []byte("x"), mqtt.Success)
	if p := expect[*packet.Publish](sub); p.Topic != "ok" {
		t.Fatalf("subscriber got %q, want ok", p.Topic)
	}
	waitStats(t, srv, func(st server.Stats) string {
		var d diff
		d.drops(st.Dropped, map[server.DropReason]uint64{
			server.DropNotAuthorized: 2, server.DropRejected: 1, server.DropTooLarge: 1, server.DropNoSubscribers: 1,
		})
		d.packets("PacketsSent", st.PacketsSent, map[packet.Type]uint64{packet.TypeConnack: 2, packet.TypeSuback: 1, packet.TypePuback: 6, packet.TypePublish: 1})
		return d.String()
	})
}

func TestStatsQueueFull(t *testing.T) {
	for _, tc := range []struct {
		policy server.QueuePolicy
		reason server.DropReason
		first  string
	}{
		{server.DropNewest, server.DropQueueFull, "m1"},
		{server.DropOldest, server.DropQueueOldest, "m3"},
	} {
		t.Run(tc.reason.String(), func(t *testing.T) {
			srv := &server.Server{MaxQueuedMessages: 1, QueuePolicy: tc.policy}
			addr := start(t, srv)
			sub := dial(t, addr, mqtt.V311)
			sub.connect(&packet.Connect{ClientID: "off", KeepAlive: 60})
			sub.subscribe(1, packet.Subscription{Filter: "q", QoS: mqtt.QoS1})
			sub.disconnect()
			waitStats(t, srv, func(st server.Stats) string {
				var d diff
				d.int("SessionsOffline", st.SessionsOffline, 1)
				d.int("SessionsOnline", st.SessionsOnline, 0)
				return d.String()
			})

			pub := open(t, addr, mqtt.V311, "pub")
			for id := uint16(1); id <= 3; id++ {
				pub.send(&packet.Publish{Topic: "q", QoS: mqtt.QoS1, PacketID: id, Payload: []byte(fmt.Sprintf("m%d", id))})
				expect[*packet.Puback](pub)
			}
			waitStats(t, srv, func(st server.Stats) string {
				var d diff
				d.drops(st.Dropped, map[server.DropReason]uint64{tc.reason: 2})
				d.int("QueuedMessages", st.QueuedMessages, 1)
				d.int("QueuedBytes", int(st.QueuedBytes), 2)
				d.int("SessionsOffline", st.SessionsOffline, 1)
				d.int("SessionsOnline", st.SessionsOnline, 1)
				return d.String()
			})
			back := dial(t, addr, mqtt.V311)
			back.connect(&packet.Connect{ClientID: "off", KeepAlive: 60})
			if p := expect[*packet.Publish](back); string(p.Payload) != tc.first {
				t.Fatalf("got %q, want %q", p.Payload, tc.first)
			}
		})
	}
}

func TestServing(t *testing.T) {
	srv := &server.Server{}
	if srv.Serving() {
		t.Fatal("Serving before Serve")
	}
	addr := start(t, srv)
	open(t, addr, mqtt.V311, "c") // Serve has registered its listener
	if !srv.Serving() {
		t.Fatal("not Serving while serving")
	}
	srv.Close()
	if srv.Serving() {
		t.Fatal("Serving after Close")
	}
}

func TestDropReasonString(t *testing.T) {
	want := []string{"queue_full", "queue_oldest", "expired", "too_large", "no_subscribers", "not_authorized", "rejected", "rate_limited", "retained_limit", "invalid"}
	var st server.Stats
	if len(st.Dropped) != len(want) {
		t.Fatalf("%d drop reasons, want %d", len(st.Dropped), len(want))
	}
	for i, w := range want {
		if got := server.DropReason(i).String(); got != w {
			t.Errorf("DropReason(%d) = %q, want %q", i, got, w)
		}
	}
	if got := server.DropReason(99).String(); got != "DropReason(99)" {
		t.Errorf("DropReason(99) = %q", got)
	}
}
