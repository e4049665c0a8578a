package server

import (
	"slices"
	"sync"
	"time"

	"github.com/mqttx/mqttx/mqtt"
	"github.com/mqttx/mqttx/mqtt/topic"
)

// session is the server side of a client identifier's session: its
// subscriptions, the messages waiting for it, those sent and not yet
// acknowledged, and the QoS 2 packet identifiers received and awaiting
// PUBREL. It outlives connections when the client asked for that.
//
// Lock order: Server.sessMu, then session.mu, then the Index's own lock
// (inside topic). Everything below mu is guarded by it, including the
// output state of the attached connection (conn.out, conn.writing).
type session struct {
	srv   *Server
	id    string
	local func(*Message) // in-process subscriber (Server.Subscribe)

	mu       sync.Mutex
	c        *conn // attached connection; nil while offline
	version  mqtt.Version
	subs     map[string]*subRecord // by the filter as the client sent it
	q        queue
	inflight []outMsg // sent, awaiting acknowledgement, in send order
	nextID   uint16
	incoming []uint16 // QoS 2 packet identifiers awaiting PUBREL
	waitCh   chan struct{}
	ended    bool
	dropped  uint64

	expiry       time.Duration // session expiry interval
	never        bool          // never expires
	disconnected time.Time
	expTimer     *time.Timer
	will         *Message // will of the attached or last connection
	willDelay    time.Duration
	willFrom     *Client
	willTimer    *time.Timer
	gen          uint64 // bumped on every attach; timers check it
}

type subRecord struct {
	group, inner string
	sub          topic.Subscription
	stored       StoredSubscription
}

// outMsg is one message on its way to this session's client.
type outMsg struct {
	m      *Message
	ids    []uint32 // subscription identifiers (MQTT 5)
	qos    mqtt.QoS
	retain bool
	id     uint16 // packet identifier once sent (QoS > 0)
	state  byte
}

// States of an inflight message.
const (
	awaitAck  byte = iota + 1 // QoS 1 sent: awaiting PUBACK
	awaitRec                  // QoS 2 sent: awaiting PUBREC
	awaitComp                 // PUBREL sent: awaiting PUBCOMP
)

func newSession(srv *Server, id string) *session {
	return &session{srv: srv, id: id} // subs is made by the first subscription
}

// queue is a ring of messages waiting to be sent.
type queue struct {
	buf   []outMsg
	head  int
	n     int
	bytes int64 // the sum of the payload sizes, for Stats
}

func (q *queue) push(e outMsg) {
	if q.n == len(q.buf) {
		nb := make([]outMsg, max(8, 2*len(q.buf)))
		for i := 0; i < q.n; i++ {
			nb[i] = q.buf[(q.head+i)%len(q.buf)]
		}
		q.buf, q.head = nb, 0
	}
	q.buf[(q.head+q.n)%len(q.buf)] = e
	q.n++
	q.bytes += int64(len(e.m.Payload))
}

func (q *queue) front() *outMsg { return &q.buf[q.head] }

func (q *queue) pop() {
	q.bytes -= int64(len(q.buf[q.head].m.Payload))
	q.buf[q.head] = outMsg{}
	q.head = (q.head + 1) % len(q.buf)
	q.n--
	if q.n == 0 {
		q.head = 0
		if len(q.buf) > 64 {
			q.buf = nil // give back what a burst made
		}
	}
}

func (q *queue) all() []outMsg {
	out := make([]outMsg, 0, q.n)
	for i := 0; i < q.n; i++ {
		out = append(out, q.buf[(q.head+i)%len(q.buf)])
	}
	return out
}

// route delivers m to every subscription matching its topic and stores it
// when retained. from is the publishing connection, nil for the server.
// It returns the number of subscribers that got the message.
func (s *Server) route(from *conn, m *Message, r *topic.Result) int {
	if m.Retain {
		var old *Message
		if len(m.Payload) == 0 {
			old, _ = s.retained.LoadAndDelete(m.Topic) // [MQTT-3.3.1-6] [MQTT-3.3.1-7] (3.1.1: [MQTT-3.3.1-10] [MQTT-3.3.1-11])
		} else {
			old, _ = s.retained.Swap(m.Topic, m) // [MQTT-3.3.1-5] (3.1.1: [MQTT-3.3.1-5] [MQTT-3.3.1-7])
		}
		if d := len(m.Payload) - old.payloadLen(); d != 0 {
			s.retainedBytes.Add(int64(d))
		}
	}
	st := &s.acc
	if from != nil {
		st = from.st
	}
	s.index.Match(m.Topic, m.Publisher, r) // No Local subscriptions of the publisher are left out [MQTT-3.8.3-3]
	if r.Len() == 0 && r.Groups() == 0 && !m.Retain {
		st.drop(DropNoSubscribers)
	}
	n := 0
	for i := 0; i < r.Len(); i++ {
		d := r.At(i)
		if sess := s.session(d.Client); sess != nil && sess.deliver(m, d.QoS, d.RetainAsPublished, d.IDs, false, st) {
			n++
		}
	}
	for i := 0; i < r.Groups(); i++ {
		if s.deliverShared(st, m, r.Group(i)) {
			n++
		}
	}
	return n
}

// deliverShared gives m to one member of a shared subscription group
// [MQTT-4.8.2-2], preferring connected members.
func (s *Server) deliverShared(st *counters, m *Message, g topic.SharedMatch) bool {
	var scratch [8]topic.Subscription
	cands := scratch[:0]
	for _, mem := range g.Members {
		if sess := s.session(mem.Client); sess != nil && sess.online() {
			cands = append(cands, mem)
		}
	}
	if len(cands) == 0 {
		cands = g.Members
	}
	for tries := 0; tries < len(cands); tries++ {
		i := s.shared.Pick(g.Group, g.Filter, cands, m)
		if i < 0 || i >= len(cands) {
			i = 0
		}
		mem := cands[i]
		var ids []uint32
		if mem.ID != 0 {
			ids = []uint32{mem.ID}
		}
		if sess := s.session(mem.Client); sess != nil && sess.deliver(m, mem.QoS, mem.RetainAsPublished, ids, false, st) {
			return true
		}
		cands = slices.Delete(slices.Clone(cands), i, i+1)
		if len(cands) == 0 {
			break
		}
	}
	return false
}

func (s *session) online() bool {
	if s.local != nil {
		return true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.c != nil
}

// deliver queues m for the session's client at the lower of its QoS and
// subQoS [MQTT-3.8.4-8]. retained marks delivery of a retained message on
// subscribe, which keeps the RETAIN flag (3.1.1: [MQTT-3.3.1-8]); a live
// message keeps it only for Retain As Published subscriptions
// [MQTT-3.3.1-12] [MQTT-3.3.1-13].
//
// Messages it drops are counted in st: the counters of the calling
// goroutine's connection, or the server's own.
func (s *session) deliver(m *Message, subQoS mqtt.QoS, rap bool, ids []uint32, retained bool, st *counters) bool {
	if s.local != nil {
		s.local(m)
		return true
	}
	srv := s.srv
	if len(srv.hooks.authz) > 0 {
		s.mu.Lock()
		c := s.c
		s.mu.Unlock()
		if c != nil && c.client != nil && !srv.hooks.allowed(c.client, AccessReceive, m.Topic) {
			st.drop(DropNotAuthorized)
			return false
		}
	}
	qos := min(m.QoS, subQoS)
	retain := m.Retain && (rap || retained)
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	s.mu.Lock()
	if s.ended || (s.c == nil && qos == 0 && !srv.QueueQoS0) {
		s.mu.Unlock()
		return false
	}
	if s.version != mqtt.V5 {
		if !retained {
			retain = false // [MQTT-3.3.1-9] of 3.1.1: forwarded messages carry RETAIN 0
		}
		ids = nil
	}
	limit := srv.maxQueued()
	for s.q.n >= limit && s.c != nil && !s.ended {
		// A connected client's queue is full: wait for its writer to
		// make room rather than drop the message.
		if s.waitCh == nil {
			s.waitCh = make(chan struct{})
		}
		ch := s.waitCh
		s.mu.Unlock()
		if timer == nil {
			timer = time.NewTimer(srv.queueWait())
		}
		timedOut := false
		select {
		case <-ch:
		case <-timer.C:
			timedOut = true
		case <-srv.done:
			timedOut = true
		}
		s.mu.Lock()
		if timedOut {
			break
		}
	}
	if s.ended {
		s.mu.Unlock()
		return false
	}
	if s.q.n >= limit {
		if c := s.c; c != nil {
			// A connected client that takes nothing from its full queue
			// for StuckTimeout is disconnected.
			now := time.Now()
			if c.fullSince.IsZero() {
				c.fullSince = now
			}
			full := now.Sub(c.fullSince)
			stuck := srv.stuckTimeout() > 0 && full >= srv.stuckTimeout()
			s.dropped++
			s.mu.Unlock()
			st.drop(DropQueueFull)
			if stuck {
				c.logger().Warn("client stuck: its queue stayed full; disconnecting", "queued", limit, "for", full.Round(time.Second))
				go c.terminate(mqtt.QuotaExceeded, "messages not taken for too long", DisconnectServer)
			}
			return false
		}
		if srv.QueuePolicy == DropNewest {
			s.dropped++
			s.mu.Unlock()
			st.drop(DropQueueFull)
			return false
		}
		s.q.pop()
		s.dropped++
		st.drop(DropQueueOldest)
	}
	e := outMsg{m: m, qos: qos, retain: retain}
	if len(ids) > 0 {
		e.ids = slices.Clone(ids)
	}
	s.q.push(e)
	c := s.c
	kick := c != nil && !c.writing
	if kick {
		c.writing = true
	}
	s.mu.Unlock()
	if kick {
		go c.writeLoop(false)
	}
	return true
}

// wakeLocked releases publishers waiting for room in the queue.
func (s *session) wakeLocked() {
	if s.waitCh != nil {
		close(s.waitCh)
		s.waitCh = nil
	}
}

// allocIDLocked returns a packet identifier not in use by an inflight
// message [MQTT-2.2.1-3].
func (s *session) allocIDLocked() uint16 {
	for {
		s.nextID++
		if s.nextID == 0 {
			s.nextID = 1
		}
		if !s.idInUseLocked(s.nextID) {
			return s.nextID
		}
	}
}

func (s *session) idInUseLocked(id uint16) bool {
	for i := range s.inflight {
		if s.inflight[i].id == id {
			return true
		}
	}
	return false
}

func (s *session) findInflightLocked(id uint16) int {
	for i := range s.inflight {
		if s.inflight[i].id == id {
			return i
		}
	}
	return -1
}

func (s *session) info() SessionInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	in := SessionInfo{ClientID: s.id, Connected: s.c != nil, Subscriptions: len(s.subs), Queued: s.q.n, Inflight: len(s.inflight), Dropped: s.dropped}
	if s.c == nil && !s.never && !s.disconnected.IsZero() {
		in.Expires = s.disconnected.Add(s.expiry)
	}
	return in
}

// stateLocked is the session's persistent state for the store.
func (s *session) stateLocked() *SessionState {
	st := &SessionState{Version: s.version, Expiry: s.expiry, Never: s.never, Disconnected: s.disconnected, NextID: s.nextID, Incoming: slices.Clone(s.incoming)}
	for _, r := range s.subs {
		st.Subscriptions = append(st.Subscriptions, r.stored)
	}
	slices.SortFunc(st.Subscriptions, func(a, b StoredSubscription) int {
		switch {
		case a.Filter < b.Filter:
			return -1
		case a.Filter > b.Filter:
			return 1
		}
		return 0
	})
	for _, e := range s.inflight {
		st.Pending = append(st.Pending, StoredMessage{Message: e.m, QoS: e.qos, Retain: e.retain, SubIDs: e.ids, PacketID: e.id, Released: e.state == awaitComp})
	}
	for _, e := range s.q.all() {
		st.Pending = append(st.Pending, StoredMessage{Message: e.m, QoS: e.qos, Retain: e.retain, SubIDs: e.ids})
	}
	return st
}

// restoreLocked loads a stored state into a fresh session and subscribes
// it in the index.
func (s *session) restoreLocked(st *SessionState) {
	s.version = st.Version
	s.expiry, s.never = st.Expiry, st.Never
	s.disconnected = st.Disconnected
	s.nextID = st.NextID
	s.incoming = slices.Clone(st.Incoming)
	for _, ss := range st.Subscriptions {
		rec, err := makeSubRecord(s.id, s.version, ss)
		if err != nil {
			continue
		}
		if s.subs == nil {
			s.subs = make(map[string]*subRecord)
		}
		s.subs[ss.Filter] = &rec
		s.srv.index.Subscribe(rec.sub)
	}
	for _, p := range st.Pending {
		if p.Message == nil {
			continue
		}
		e := outMsg{m: p.Message, qos: p.QoS, retain: p.Retain, ids: p.SubIDs}
		if p.PacketID != 0 {
			e.id = p.PacketID
			switch {
			case p.Released:
				e.state = awaitComp
			case p.QoS == mqtt.QoS1:
				e.state = awaitAck
			default:
				e.state = awaitRec
			}
			s.inflight = append(s.inflight, e)
			continue
		}
		s.q.push(e)
	}
}

func makeSubRecord(client string, v mqtt.Version, ss StoredSubscription) (subRecord, error) {
	group, inner := "", ss.Filter
	if v == mqtt.V5 {
		g, in, shared, err := topic.ParseShared(ss.Filter)
		if err != nil {
			return subRecord{}, err
		}
		if shared {
			group, inner = g, in
		}
	}
	return subRecord{group: group, inner: inner, stored: ss, sub: topic.Subscription{
		Client: client, Filter: inner, Group: group, QoS: ss.QoS, NoLocal: ss.NoLocal,
		RetainAsPublished: ss.RetainAsPublished, RetainHandling: ss.RetainHandling, ID: ss.ID,
	}}, nil
}

// restore loads every stored session when the server starts.
func (s *Server) restore() {
	rg, ok := s.store.(SessionRanger)
	if !ok {
		return
	}
	now := time.Now()
	err := rg.Range(func(id string, st *SessionState) bool {
		if !st.Never && !st.Disconnected.IsZero() && now.Sub(st.Disconnected) >= st.Expiry {
			s.store.Delete(id)
			return true
		}
		sess := newSession(s, id)
		sess.mu.Lock()
		sess.restoreLocked(st)
		if sess.disconnected.IsZero() {
			sess.disconnected = now
		}
		s.armExpiryLocked(sess)
		sess.mu.Unlock()
		s.sessions.Store(id, sess)
		s.nsess.Add(1)
		return true
	})
	if err != nil {
		s.log.Error("restoring sessions from the store", "err", err)
	}
}

// saveAll saves every persistent session, at shutdown.
func (s *Server) saveAll() {
	s.sessMu.Lock()
	defer s.sessMu.Unlock()
	s.sessions.Range(func(_, v any) bool {
		sess := v.(*session)
		sess.mu.Lock()
		if sess.expTimer != nil {
			sess.expTimer.Stop()
		}
		if sess.willTimer != nil {
			sess.willTimer.Stop()
		}
		persistent := sess.local == nil && !sess.ended && (sess.never || sess.expiry > 0)
		var st *SessionState
		if persistent {
			st = sess.stateLocked()
			if st.Disconnected.IsZero() {
				st.Disconnected = time.Now()
			}
		}
		sess.mu.Unlock()
		if st != nil {
			if err := s.store.Save(sess.id, st); err != nil {
				s.log.Error("saving session", "client", sess.id, "err", err)
			}
		}
		return true
	})
}

// armExpiryLocked starts the expiry clock of an offline session.
func (s *Server) armExpiryLocked(sess *session) {
	if sess.never {
		return
	}
	left := sess.expiry - time.Since(sess.disconnected)
	gen := sess.gen
	sess.expTimer = time.AfterFunc(max(left, 0), func() { s.expire(sess, gen) })
}

// expire ends an offline session whose expiry interval has passed.
func (s *Server) expire(sess *session, gen uint64) {
	s.sessMu.Lock()
	sess.mu.Lock()
	stale := sess.gen != gen || sess.c != nil || sess.ended
	sess.mu.Unlock()
	if stale {
		s.sessMu.Unlock()
		return
	}
	will, from := s.endSessionLocked(sess)
	s.sessMu.Unlock()
	s.sessExpired.Add(1)
	s.publishWill(will, from)
	for _, h := range s.hooks.expired {
		h.OnSessionExpired(sess.id)
	}
}

// endSessionLocked ends a session: its subscriptions leave the index, its
// messages are dropped and the store forgets it. It returns a will still
// pending, which the caller publishes [MQTT-3.1.3-9]. s.sessMu is held.
func (s *Server) endSessionLocked(sess *session) (*Message, *Client) {
	sess.mu.Lock()
	sess.ended = true
	subs := sess.subs
	sess.subs = nil
	sess.q = queue{}
	sess.inflight = nil
	sess.incoming = nil
	// A will still held is pending (delayed, or of a connection being
	// replaced): the session's end publishes it. fireWill takes it under
	// the same locks, so exactly one of the two publishes it.
	will, from := sess.will, sess.willFrom
	if sess.willTimer != nil {
		sess.willTimer.Stop()
	}
	sess.will, sess.willFrom, sess.willTimer = nil, nil, nil
	if sess.expTimer != nil {
		sess.expTimer.Stop()
		sess.expTimer = nil
	}
	sess.wakeLocked()
	sess.mu.Unlock()
	for _, r := range subs {
		s.index.Unsubscribe(sess.id, r.group, r.inner)
	}
	if s.sessions.CompareAndDelete(sess.id, sess) {
		s.nsess.Add(-1)
	}
	if err := s.store.Delete(sess.id); err != nil {
		s.log.Error("deleting session from the store", "client", sess.id, "err", err)
	}
	return will, from
}

// publishWill publishes a will message, subject to the authorizers and
// publish hooks like any message of its client.
func (s *Server) publishWill(will *Message, from *Client) {
	if will == nil {
		return
	}
	if from != nil {
		if !s.hooks.allowed(from, AccessPublish, will.Topic) {
			s.log.Info("will not published: not authorized", "client", from.id, "topic", will.Topic)
			return
		}
		if code := s.hooks.onPublish(from, will); code.IsError() {
			return
		}
	}
	will.setExpiry(time.Now())
	r := s.results.Get().(*topic.Result)
	s.route(nil, will, r)
	s.results.Put(r)
}
