package server_test

import (
	"net"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/mqttx/mqttx/mqtt"
	"github.com/mqttx/mqttx/mqtt/packet"
	"github.com/mqttx/mqttx/mqtt/server"
)

// bubble runs f in a synctest bubble with a server reached over in-memory
// pipes, so the fake clock drives keep alive, will delay and expiry.
func bubble(t *testing.T, srv *server.Server, f func(t *testing.T, dial func(v mqtt.Version) *client)) {
	synctest.Test(t, func(t *testing.T) {
		srv.Logger = quietLogger()
		dial := func(v mqtt.Version) *client {
			a, b := net.Pipe()
			go srv.ServeConn(b)
			t.Cleanup(func() { a.Close() })
			return newClient(t, a, v)
		}
		f(t, dial)
		srv.Close()
		synctest.Wait()
	})
}

// pipeRecv reads the next packet without a deadline: in a bubble, a
// blocked read lets the fake clock run until the server acts.
func (c *client) pipeRecv() (packet.Packet, error) {
	p, err := c.r.ReadPacket()
	if err != nil {
		return nil, err
	}
	return packet.Clone(p), nil
}

func TestKeepAliveTimeout(t *testing.T) {
	for _, v := range []mqtt.Version{mqtt.V311, mqtt.V5} {
		t.Run(v.String(), func(t *testing.T) {
			bubble(t, &server.Server{}, func(t *testing.T, dial func(mqtt.Version) *client) {
				c := dial(v)
				c.send(&packet.Connect{Version: v, ClientID: "ka", CleanStart: true, KeepAlive: 10})
				expect2[*packet.Connack](t, c)
				startAt := time.Now()
				time.Sleep(14 * time.Second)
				c.send(&packet.Pingreq{}) // resets the clock
				expect2[*packet.Pingresp](t, c)
				resetAt := time.Now()
				p, err := c.pipeRecv()
				if v == mqtt.V5 {
					if d, ok := p.(*packet.Disconnect); !ok || d.ReasonCode != mqtt.KeepAliveTimeout {
						t.Fatalf("got %v %v, want DISCONNECT 0x8D", p, err)
					}
					_, err = c.pipeRecv()
				}
				if err == nil {
					t.Fatal("connection still open")
				}
				if got := time.Since(resetAt); got != 15*time.Second {
					t.Fatalf("closed %v after the last packet, want 1.5 x 10 s (started %v ago)", got, time.Since(startAt))
				}
			})
		})
	}
}

func TestServerKeepAlive(t *testing.T) {
	bubble(t, &server.Server{ServerKeepAlive: 4}, func(t *testing.T, dial func(mqtt.Version) *client) {
		c := dial(mqtt.V5)
		c.send(&packet.Connect{Version: mqtt.V5, ClientID: "ska", CleanStart: true, KeepAlive: 100})
		ack := expect2[*packet.Connack](t, c)
		if !ack.Properties.Has(packet.PropServerKeepAlive) || ack.Properties.ServerKeepAlive != 4 {
			t.Fatalf("CONNACK properties %+v", ack.Properties)
		}
		at := time.Now()
		c.pipeRecv() // DISCONNECT
		c.pipeRecv() // EOF
		if got := time.Since(at); got != 6*time.Second {
			t.Fatalf("closed after %v, want 6 s", got)
		}
	})
}

func TestConnectTimeout(t *testing.T) {
	bubble(t, &server.Server{ConnectTimeout: 3 * time.Second}, func(t *testing.T, dial func(mqtt.Version) *client) {
		c := dial(mqtt.V311)
		at := time.Now()
		if _, err := c.pipeRecv(); err == nil {
			t.Fatal("got a packet without sending CONNECT")
		}
		if got := time.Since(at); got != 3*time.Second {
			t.Fatalf("closed after %v, want the 3 s connect timeout", got)
		}
	})
}

func willConnect(id string, delay, expiry uint32) *packet.Connect {
	cp := &packet.Connect{Version: mqtt.V5, ClientID: id, CleanStart: true, Will: &packet.Will{Topic: "will/" + id, Payload: []byte("bye")}}
	cp.Will.Properties.WillDelay = delay
	cp.Properties.SessionExpiry = expiry
	return cp
}

func TestWillDelay(t *testing.T) {
	bubble(t, &server.Server{}, func(t *testing.T, dial func(mqtt.Version) *client) {
		watch := dial(mqtt.V5)
		watch.send(&packet.Connect{Version: mqtt.V5, ClientID: "watch", CleanStart: true})
		expect2[*packet.Connack](t, watch)
		watch.send(&packet.Subscribe{PacketID: 1, Subscriptions: []packet.Subscription{{Filter: "will/#"}}})
		expect2[*packet.Suback](t, watch)

		// Delay 5 s, session 60 s: the will goes 5 s after the close.
		c := dial(mqtt.V5)
		c.send(willConnect("a", 5, 60))
		expect2[*packet.Connack](t, c)
		c.nc.Close()
		at := time.Now()
		p := expect2[*packet.Publish](t, watch)
		if p.Topic != "will/a" || time.Since(at) != 5*time.Second {
			t.Fatalf("will %q after %v, want will/a after 5 s", p.Topic, time.Since(at))
		}

		// Delay 30 s but the session expires after 10 s: the will goes
		// when the session ends.
		c = dial(mqtt.V5)
		c.send(willConnect("b", 30, 10))
		expect2[*packet.Connack](t, c)
		c.nc.Close()
		at = time.Now()
		p = expect2[*packet.Publish](t, watch)
		if p.Topic != "will/b" || time.Since(at) != 10*time.Second {
			t.Fatalf("will %q after %v, want will/b after 10 s", p.Topic, time.Since(at))
		}

		// Reconnecting within the delay cancels the will.
		c = dial(mqtt.V5)
		c.send(willConnect("c", 5, 60))
		expect2[*packet.Connack](t, c)
		c.nc.Close()
		time.Sleep(3 * time.Second)
		c = dial(mqtt.V5)
		cp := willConnect("c", 0, 60)
		cp.Will, cp.CleanStart = nil, false
		c.send(cp)
		expect2[*packet.Connack](t, c)
		time.Sleep(time.Minute)
		watch.send(&packet.Pingreq{})
		if p := expect2[packet.Packet](t, watch); p.Type() != packet.TypePingresp {
			t.Fatalf("got %v after a cancelled will", p.Type())
		}
	})
}

type expiredHook struct{ n atomic.Int32 }

func (h *expiredHook) OnSessionExpired(string) { h.n.Add(1) }

func TestSessionExpiry(t *testing.T) {
	hook := &expiredHook{}
	bubble(t, &server.Server{Hooks: []server.Hook{hook}}, func(t *testing.T, dial func(mqtt.Version) *client) {
		connect := func(clean bool) *packet.Connack {
			c := dial(mqtt.V5)
			cp := &packet.Connect{Version: mqtt.V5, ClientID: "exp", CleanStart: clean}
			cp.Properties.SessionExpiry = 10
			c.send(cp)
			ack := expect2[*packet.Connack](t, c)
			c.send(&packet.Disconnect{})
			c.pipeRecv()
			return ack
		}
		connect(true)
		time.Sleep(9 * time.Second)
		if !connect(false).SessionPresent {
			t.Fatal("session gone before its expiry")
		}
		time.Sleep(11 * time.Second)
		if connect(false).SessionPresent {
			t.Fatal("session present after its expiry")
		}
		if hook.n.Load() != 1 {
			t.Fatalf("OnSessionExpired called %d times, want 1", hook.n.Load())
		}
	})
}

func TestPersistentSessionExpiryV3(t *testing.T) {
	bubble(t, &server.Server{PersistentSessionExpiry: time.Hour}, func(t *testing.T, dial func(mqtt.Version) *client) {
		connect := func() bool {
			c := dial(mqtt.V311)
			c.send(&packet.Connect{Version: mqtt.V311, ClientID: "p3"})
			ack := expect2[*packet.Connack](t, c)
			c.send(&packet.Disconnect{})
			c.pipeRecv()
			return ack.SessionPresent
		}
		connect()
		time.Sleep(59 * time.Minute)
		if !connect() {
			t.Fatal("session gone before an hour")
		}
		time.Sleep(61 * time.Minute)
		if connect() {
			t.Fatal("session kept past an hour")
		}
	})
}

func TestMessageExpiry(t *testing.T) {
	bubble(t, &server.Server{}, func(t *testing.T, dial func(mqtt.Version) *client) {
		sub := dial(mqtt.V5)
		cp := &packet.Connect{Version: mqtt.V5, ClientID: "late", CleanStart: true}
		cp.Properties.SessionExpiry = 3600
		sub.send(cp)
		expect2[*packet.Connack](t, sub)
		sub.send(&packet.Subscribe{PacketID: 1, Subscriptions: []packet.Subscription{{Filter: "e/#", QoS: 1}}})
		expect2[*packet.Suback](t, sub)
		sub.send(&packet.Disconnect{})
		sub.pipeRecv()

		pub := dial(mqtt.V5)
		pub.send(&packet.Connect{Version: mqtt.V5, ClientID: "pub", CleanStart: true})
		expect2[*packet.Connack](t, pub)
		for i, exp := range []uint32{2, 10} {
			p := &packet.Publish{Topic: "e/x", QoS: 1, PacketID: uint16(i + 1), Payload: []byte{byte('0' + exp)}}
			p.Properties.MessageExpiry = exp
			pub.send(p)
			expect2[*packet.Puback](t, pub)
		}
		// A retained message with an expiry is dropped from the store too.
		r := &packet.Publish{Topic: "e/retained", Retain: true, Payload: []byte("r")}
		r.Properties.MessageExpiry = 5
		pub.send(r)
		time.Sleep(6 * time.Second)

		sub = dial(mqtt.V5)
		cp.CleanStart = false
		sub.send(cp)
		expect2[*packet.Connack](t, sub)
		p := expect2[*packet.Publish](t, sub)
		if p.Payload[0] != '0'+10 || p.Properties.MessageExpiry != 4 {
			t.Fatalf("got payload %q expiry %d, want the 10 s message with 4 s left", p.Payload, p.Properties.MessageExpiry)
		}
		sub.send(&packet.Puback{PacketID: p.PacketID})
		sub.send(&packet.Subscribe{PacketID: 2, Subscriptions: []packet.Subscription{{Filter: "e/retained"}}})
		expect2[*packet.Suback](t, sub)
		sub.send(&packet.Pingreq{})
		if p := expect2[packet.Packet](t, sub); p.Type() != packet.TypePingresp {
			t.Fatalf("got %v: an expired message was delivered", p.Type())
		}
	})
}

func expect2[P packet.Packet](t *testing.T, c *client) P {
	t.Helper()
	p, err := c.pipeRecv()
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	v, ok := p.(P)
	if !ok {
		var want P
		t.Fatalf("got %v %+v, want %T", p.Type(), p, want)
	}
	return v
}

// A connection that sends packets back to back waits holding its read
// buffer; once nothing arrives for a while it turns quiet, gives the
// buffer back and continues on a fresh reader goroutine. None of that may
// show: deliveries keep flowing, and the keep alive still runs out exactly
// 1.5 times its interval after the last packet.
func TestBusyConnectionTurnsQuiet(t *testing.T) {
	bubble(t, &server.Server{}, func(t *testing.T, dial func(mqtt.Version) *client) {
		sub := dial(mqtt.V5)
		sub.send(&packet.Connect{Version: mqtt.V5, ClientID: "busy", CleanStart: true, KeepAlive: 10})
		expect2[*packet.Connack](t, sub)
		sub.send(&packet.Subscribe{PacketID: 1, Subscriptions: []packet.Subscription{{Filter: "busy/t", QoS: mqtt.QoS1}}})
		expect2[*packet.Suback](t, sub)
		last := time.Now()

		pub := dial(mqtt.V311)
		pub.send(&packet.Connect{Version: mqtt.V311, ClientID: "pub", CleanStart: true})
		expect2[*packet.Connack](t, pub)
		time.Sleep(5 * time.Second) // long past the point where sub is quiet
		pub.send(&packet.Publish{Topic: "busy/t", QoS: mqtt.QoS0, Payload: []byte("after a quiet spell")})
		if m := expect2[*packet.Publish](t, sub); string(m.Payload) != "after a quiet spell" {
			t.Fatalf("delivered %q", m.Payload)
		}
		// Sending nothing more: DISCONNECT 0x8D at 15 s after the SUBSCRIBE.
		p, err := sub.pipeRecv()
		if d, ok := p.(*packet.Disconnect); !ok || d.ReasonCode != mqtt.KeepAliveTimeout {
			t.Fatalf("got %v %v, want DISCONNECT 0x8D", p, err)
		}
		if got := time.Since(last); got != 15*time.Second {
			t.Fatalf("keep alive ran out %v after the last packet, want 15s", got)
		}
	})
}
