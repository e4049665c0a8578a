package server

import (
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mqttx/mqttx/mqtt/packet"
	"github.com/mqttx/mqttx/mqtt/topic"
)

// startSysLocked starts the $SYS publisher once, when SysInterval is set.
// s.mu is held.
func (s *Server) startSysLocked() {
	if s.SysInterval <= 0 || s.sysStarted || s.closed {
		return
	}
	s.sysStarted = true
	s.sysWG.Add(1)
	go s.sysLoop()
}

// sysLoop publishes the $SYS topics at once and then every SysInterval
// until the server stops.
func (s *Server) sysLoop() {
	defer s.sysWG.Done()
	t := time.NewTicker(s.SysInterval)
	defer t.Stop()
	p := sysPublisher{srv: s, last: make(map[string]string)}
	p.publish()
	for {
		select {
		case <-t.C:
			p.publish()
		case <-s.done:
			return
		}
	}
}

// sysPublisher publishes the $SYS topics whose values changed since it
// last published them.
type sysPublisher struct {
	srv  *Server
	last map[string]string
	r    *topic.Result
}

func (p *sysPublisher) publish() {
	s := p.srv
	st := s.Stats()
	p.r = s.results.Get().(*topic.Result)
	defer func() { s.results.Put(p.r); p.r = nil }()

	u := func(n uint64) string { return strconv.FormatUint(n, 10) }
	i := func(n int64) string { return strconv.FormatInt(n, 10) }
	const b = "$SYS/broker/"
	p.set(b+"version", "mqttx version "+version())
	p.set(b+"uptime", i(int64(st.Uptime/time.Second))+" seconds")
	p.set(b+"clients/connected", i(int64(st.Clients)))
	p.set(b+"clients/disconnected", i(int64(st.SessionsOffline)))
	p.set(b+"clients/total", i(int64(st.SessionsOnline+st.SessionsOffline)))
	p.set(b+"clients/maximum", i(int64(st.ClientsMaximum)))
	p.set(b+"clients/expired", u(st.SessionsExpired))
	p.set(b+"messages/received", u(st.PacketsReceivedTotal()))
	p.set(b+"messages/sent", u(st.PacketsSentTotal()))
	stored := int64(st.RetainedMessages + st.QueuedMessages + st.Inflight)
	p.set(b+"messages/stored", i(stored))
	p.set(b+"messages/inflight", i(int64(st.Inflight)))
	p.set(b+"store/messages/count", i(stored))
	p.set(b+"store/messages/bytes", i(st.RetainedBytes+st.QueuedBytes+st.InflightBytes))
	p.set(b+"publish/messages/received", u(st.MessagesReceived()))
	p.set(b+"publish/messages/sent", u(st.MessagesSent()))
	p.set(b+"publish/messages/dropped", u(st.MessagesDropped()))
	p.set(b+"publish/bytes/received", u(st.PublishBytesReceived))
	p.set(b+"publish/bytes/sent", u(st.PublishBytesSent))
	p.set(b+"bytes/received", u(st.BytesReceived))
	p.set(b+"bytes/sent", u(st.BytesSent))
	p.set(b+"subscriptions/count", i(int64(st.Subscriptions)))
	p.set(b+"retained messages/count", i(int64(st.RetainedMessages)))

	const x = b + "mqttx/"
	p.set(x+"connections/current", i(int64(st.Connections)))
	p.set(x+"connections/total", u(st.ConnectionsTotal))
	p.set(x+"connects/accepted", u(st.ConnectsAccepted))
	p.set(x+"connects/refused", u(st.ConnectsRefused))
	p.set(x+"messages/queued/count", i(int64(st.QueuedMessages)))
	p.set(x+"messages/queued/bytes", i(st.QueuedBytes))
	p.set(x+"messages/inflight/bytes", i(st.InflightBytes))
	p.set(x+"retained messages/bytes", i(st.RetainedBytes))
	for r, n := range st.Dropped {
		p.set(x+"publish/messages/dropped/"+DropReason(r).String(), u(n))
	}
	for t := range st.PacketsReceived {
		name := strings.ToLower(packet.Type(t).String())
		if n := st.PacketsReceived[t]; n != 0 {
			p.set(x+"packets/received/"+name, u(n))
		}
		if n := st.PacketsSent[t]; n != 0 {
			p.set(x+"packets/sent/"+name, u(n))
		}
	}
}

// set publishes value, retained, on name unless it is the value last
// published there.
func (p *sysPublisher) set(name, value string) {
	if old, ok := p.last[name]; ok && old == value {
		return
	}
	p.last[name] = value
	m := &Message{Topic: name, Payload: []byte(value), Retain: true}
	p.srv.route(nil, m, p.r)
}

// version is the mqttx module version the program was built with.
var version = sync.OnceValue(func() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	const mod = "github.com/mqttx/mqttx"
	if bi.Main.Path == mod {
		return bi.Main.Version
	}
	for _, d := range bi.Deps {
		if d.Path == mod {
			return d.Version
		}
	}
	return "unknown"
})
