package server_test

import (
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/mqttx/mqttx/mqtt"
	"github.com/mqttx/mqttx/mqtt/packet"
	"github.com/mqttx/mqttx/mqtt/server"
)

// collector reads every packet a client gets, on its own goroutine, and
// keeps the PUBLISH packets: the last payload and the count per topic.
type collector struct {
	mu    sync.Mutex
	last  map[string]string
	count map[string]int
}

func collect(c *client) *collector {
	col := &collector{last: make(map[string]string), count: make(map[string]int)}
	go func() {
		for {
			p, err := c.pipeRecv()
			if err != nil {
				return
			}
			if p, ok := p.(*packet.Publish); ok {
				col.mu.Lock()
				col.last[p.Topic] = string(p.Payload)
				col.count[p.Topic]++
				col.mu.Unlock()
			}
		}
	}()
	return col
}

func (col *collector) get(topic string) (string, int) {
	col.mu.Lock()
	defer col.mu.Unlock()
	return col.last[topic], col.count[topic]
}

func (col *collector) topics() []string {
	col.mu.Lock()
	defer col.mu.Unlock()
	var ts []string
	for t := range col.last {
		ts = append(ts, t)
	}
	return ts
}

func TestSysTopics(t *testing.T) {
	const every = 10 * time.Second
	srv := &server.Server{SysInterval: every}
	bubble(t, srv, func(t *testing.T, dial func(mqtt.Version) *client) {
		connect := func(id string) *client {
			c := dial(mqtt.V311)
			c.send(&packet.Connect{Version: mqtt.V311, ClientID: id, CleanStart: true})
			expect2[*packet.Connack](t, c)
			return c
		}
		sys := connect("sys")
		synctest.Wait() // the first publication, at start, is done
		sys.send(&packet.Subscribe{PacketID: 1, Subscriptions: []packet.Subscription{{Filter: "$SYS/#"}}})
		expect2[*packet.Suback](t, sys)
		col := collect(sys)

		all := connect("all") // "#" does not match $SYS topics [MQTT-4.7.2-1]
		all.send(&packet.Subscribe{PacketID: 1, Subscriptions: []packet.Subscription{{Filter: "#"}}})
		expect2[*packet.Suback](t, all)
		other := collect(all)
		synctest.Wait()

		want := func(topic, value string, count int) {
			t.Helper()
			got, n := col.get(topic)
			if got != value || (count > 0 && n != count) {
				t.Errorf("%s: got %q (%d times), want %q (%d times)", topic, got, n, value, count)
			}
		}
		// The retained values of the publication at start.
		want("$SYS/broker/uptime", "0 seconds", 1)
		want("$SYS/broker/publish/messages/received", "0", 1)
		want("$SYS/broker/mqttx/publish/messages/dropped/queue_full", "0", 1)
		if v, _ := col.get("$SYS/broker/version"); !strings.HasPrefix(v, "mqttx version ") {
			t.Errorf("$SYS/broker/version: %q", v)
		}

		pub := connect("pub")
		for range 3 {
			pub.send(&packet.Publish{Topic: "t/x", Payload: []byte("abc")})
		}
		pub.send(&packet.Publish{Topic: "$app/x", Payload: []byte("q")}) // no subscriber
		pub.send(&packet.Pingreq{})
		expect2[*packet.Pingresp](t, pub)

		time.Sleep(every + time.Second)
		synctest.Wait()
		st := srv.Stats()
		want("$SYS/broker/uptime", "10 seconds", 2)
		want("$SYS/broker/clients/connected", "3", 2)
		want("$SYS/broker/clients/maximum", "3", 0)
		want("$SYS/broker/clients/total", "3", 0)
		want("$SYS/broker/subscriptions/count", "2", 0)
		want("$SYS/broker/publish/messages/received", "4", 2)
		want("$SYS/broker/mqttx/packets/received/publish", "4", 1)
		want("$SYS/broker/mqttx/packets/received/pingreq", "1", 1)
		want("$SYS/broker/publish/messages/dropped", "1", 2)
		want("$SYS/broker/mqttx/publish/messages/dropped/no_subscribers", "1", 2)
		want("$SYS/broker/publish/bytes/received", "10", 2)
		want("$SYS/broker/bytes/received", strconv.FormatUint(st.BytesReceived, 10), 2)
		want("$SYS/broker/messages/received", strconv.FormatUint(st.PacketsReceivedTotal(), 10), 2)
		if _, n := col.get("$SYS/broker/version"); n != 1 {
			t.Errorf("$SYS/broker/version published %d times, want once (it does not change)", n)
		}

		time.Sleep(every)
		synctest.Wait()
		want("$SYS/broker/uptime", "20 seconds", 3)
		want("$SYS/broker/publish/messages/received", "4", 2) // unchanged: not published again

		for _, topic := range other.topics() {
			if strings.HasPrefix(topic, "$") {
				t.Errorf("a subscriber to # got %s", topic)
			}
		}
		if _, n := other.get("t/x"); n != 3 {
			t.Errorf("a subscriber to # got t/x %d times, want 3", n)
		}
	})
}

func TestSysOff(t *testing.T) {
	bubble(t, &server.Server{}, func(t *testing.T, dial func(mqtt.Version) *client) {
		c := dial(mqtt.V311)
		c.send(&packet.Connect{Version: mqtt.V311, ClientID: "c", CleanStart: true})
		expect2[*packet.Connack](t, c)
		c.send(&packet.Subscribe{PacketID: 1, Subscriptions: []packet.Subscription{{Filter: "$SYS/#"}}})
		expect2[*packet.Suback](t, c)
		col := collect(c)
		time.Sleep(time.Hour)
		synctest.Wait()
		if ts := col.topics(); len(ts) > 0 {
			t.Errorf("got %v with SysInterval 0", ts)
		}
	})
}

// Message expiry and session expiry, on the fake clock.
func TestStatsExpiry(t *testing.T) {
	srv := &server.Server{}
	bubble(t, srv, func(t *testing.T, dial func(mqtt.Version) *client) {
		connect := func(id string, clean bool) *client {
			c := dial(mqtt.V5)
			cp := &packet.Connect{Version: mqtt.V5, ClientID: id, CleanStart: clean}
			cp.Properties.SessionExpiry = 30
			c.send(cp)
			expect2[*packet.Connack](t, c)
			return c
		}
		sub := connect("sub", true)
		sub.send(&packet.Subscribe{PacketID: 1, Subscriptions: []packet.Subscription{{Filter: "e", QoS: mqtt.QoS1}}})
		expect2[*packet.Suback](t, sub)
		sub.send(&packet.Disconnect{})
		sub.pipeRecv() // EOF

		pub := connect("pub", true)
		p := &packet.Publish{Topic: "e", QoS: mqtt.QoS1, PacketID: 1, Payload: []byte("soon gone")}
		p.Properties.MessageExpiry = 5
		p.Properties.Set(packet.PropMessageExpiry)
		pub.send(p)
		expect2[*packet.Puback](t, pub)
		synctest.Wait()
		if st := srv.Stats(); st.QueuedMessages != 1 || st.QueuedBytes != 9 || st.SessionsOffline != 1 {
			t.Fatalf("queued %d (%d bytes), offline %d; want 1 (9 bytes), 1", st.QueuedMessages, st.QueuedBytes, st.SessionsOffline)
		}

		time.Sleep(6 * time.Second)
		back := connect("sub", false)
		back.send(&packet.Pingreq{})
		expect2[*packet.Pingresp](t, back) // the expired message was not sent
		back.send(&packet.Disconnect{})
		back.pipeRecv()
		synctest.Wait()
		st := srv.Stats()
		if st.Dropped[server.DropExpired] != 1 || st.QueuedMessages != 0 {
			t.Fatalf("Dropped[expired] %d, queued %d; want 1, 0", st.Dropped[server.DropExpired], st.QueuedMessages)
		}
		if st.SessionsExpired != 0 || st.SessionsOffline != 1 {
			t.Fatalf("SessionsExpired %d, offline %d; want 0, 1", st.SessionsExpired, st.SessionsOffline)
		}

		time.Sleep(31 * time.Second)
		synctest.Wait()
		st = srv.Stats()
		if st.SessionsExpired != 1 || st.SessionsOffline != 0 {
			t.Fatalf("SessionsExpired %d, offline %d; want 1, 0", st.SessionsExpired, st.SessionsOffline)
		}
	})
}
