package server

import (
	"sync/atomic"
	"time"

	"github.com/mqttx/mqttx/mqtt/packet"
)

// DropReason says why a message was not delivered to a subscriber, or not
// routed at all.
type DropReason byte

const (
	// DropQueueFull: the subscriber's queue was full and the message was
	// refused, for a connected client after QueueWait, for an offline
	// session under DropNewest.
	DropQueueFull DropReason = iota
	// DropQueueOldest: an offline session's full queue discarded its
	// oldest message to make room (DropOldest).
	DropQueueOldest
	// DropExpired: the Message Expiry Interval ran out before the message
	// was sent.
	DropExpired
	// DropTooLarge: the PUBLISH would exceed the client's Maximum Packet
	// Size.
	DropTooLarge
	// DropNoSubscribers: no subscription matched a message that is not
	// retained.
	DropNoSubscribers
	// DropNotAuthorized: an Authorizer denied the publish, or denied a
	// subscriber receiving the message.
	DropNotAuthorized
	// DropRejected: a PublishHook refused the message.
	DropRejected
	// DropRateLimited: the publisher was over its MessageRate.
	DropRateLimited
	// DropRetainedLimit: storing the retained message would exceed
	// MaxRetainedMessages or MaxRetainedBytes.
	DropRetainedLimit
	// DropInvalid: the message broke a configured rule (MaxTopicLength,
	// MaxTopicLevels, MaxUserProperties, ValidatePayloadFormat, Maximum
	// QoS or Retain Available).
	DropInvalid
)

const numDropReasons = int(DropInvalid) + 1

var dropNames = [numDropReasons]string{
	"queue_full", "queue_oldest", "expired", "too_large", "no_subscribers", "not_authorized", "rejected",
	"rate_limited", "retained_limit", "invalid",
}

// String returns the reason in snake case ("queue_full"), the form used
// in $SYS topic names and metric labels.
func (r DropReason) String() string {
	if int(r) < numDropReasons {
		return dropNames[r]
	}
	return "DropReason(" + itoa(uint64(r)) + ")"
}

// Stats is a snapshot of the server's counters, from [Server.Stats]. The
// uint64 fields and arrays are counters that only grow from the server's
// start; the others are values at the time of the snapshot.
type Stats struct {
	// Start is when the server was first used; Uptime is the time since.
	Start  time.Time
	Uptime time.Duration

	// Connections is the number of open network connections, those still
	// before or in CONNECT included; ConnectionsTotal counts every
	// connection accepted since the start.
	Connections      int
	ConnectionsTotal uint64
	// ConnectsAccepted and ConnectsRefused count the CONNECT packets
	// answered with a successful and with a refusing CONNACK.
	ConnectsAccepted uint64
	ConnectsRefused  uint64
	// Clients is the number of connected clients (CONNECT accepted,
	// connection open), ClientsMaximum the highest it has been.
	Clients        int
	ClientsMaximum int

	// SessionsOnline and SessionsOffline are the sessions held with and
	// without a connection (in-process subscribers of [Server.Subscribe]
	// are not counted); SessionsExpired counts offline sessions ended by
	// their expiry interval.
	SessionsOnline  int
	SessionsOffline int
	SessionsExpired uint64
	// Subscriptions is the number of subscriptions held, of every session
	// and in-process subscriber.
	Subscriptions int
	// RetainedMessages is the number of retained messages, RetainedBytes
	// the sum of their payload sizes.
	RetainedMessages int
	RetainedBytes    int64
	// QueuedMessages are waiting in sessions' queues to be sent; Inflight
	// are QoS 1 and 2 messages sent and not yet acknowledged. The Bytes
	// fields sum their payload sizes; a message queued for several
	// sessions counts once for each.
	QueuedMessages int
	QueuedBytes    int64
	Inflight       int
	InflightBytes  int64

	// PacketsReceived and PacketsSent count control packets by type,
	// indexed by packet.Type (PacketsSent[packet.TypePublish] is the
	// number of messages sent to clients).
	PacketsReceived [16]uint64
	PacketsSent     [16]uint64
	// BytesReceived and BytesSent count the bytes read from and written
	// to connections: MQTT packets, inside any TLS or WebSocket framing.
	BytesReceived uint64
	BytesSent     uint64
	// PublishBytesReceived and PublishBytesSent count the payload bytes of
	// the PUBLISH packets received and sent.
	PublishBytesReceived uint64
	PublishBytesSent     uint64
	// Dropped counts messages dropped, indexed by DropReason. A message
	// dropped for several subscribers counts once for each.
	Dropped [numDropReasons]uint64
}

// MessagesReceived is the number of PUBLISH packets received.
func (st Stats) MessagesReceived() uint64 { return st.PacketsReceived[packet.TypePublish] }

// MessagesSent is the number of PUBLISH packets sent.
func (st Stats) MessagesSent() uint64 { return st.PacketsSent[packet.TypePublish] }

// MessagesDropped is the number of messages dropped, for every reason.
func (st Stats) MessagesDropped() uint64 { return sum(st.Dropped[:]) }

// PacketsReceivedTotal is the number of control packets received.
func (st Stats) PacketsReceivedTotal() uint64 { return sum(st.PacketsReceived[:]) }

// PacketsSentTotal is the number of control packets sent.
func (st Stats) PacketsSentTotal() uint64 { return sum(st.PacketsSent[:]) }

func sum(a []uint64) uint64 {
	var n uint64
	for _, v := range a {
		n += v
	}
	return n
}

// counters are traffic counters. Connections count into one of
// counterShards shards, given out in turn as connections are made, so a
// connection costs a pointer rather than a few hundred bytes of counters,
// and two connections share a shard's cache lines only when their numbers
// are equal modulo counterShards: on a machine with fewer cores than
// shards, adds from different cores rarely meet. Server.acc counts what
// the server does on its own (Server.Publish, wills, $SYS). Server.Stats
// sums acc and the shards; nothing is folded when a connection ends, so a
// count never goes backwards and is never lost.
//
// The reader's counters come first and the writer's last, with the
// rarely written drops between, so that the two directions' frequent adds
// do not land on one cache line.
type counters struct {
	bytesIn    atomic.Uint64
	pubBytesIn atomic.Uint64
	pktIn      [16]atomic.Uint64

	drops [numDropReasons]atomic.Uint64

	bytesOut    atomic.Uint64
	pubBytesOut atomic.Uint64
	pktOut      [16]atomic.Uint64
}

// counterShards is the number of counter shards of a Server.
const counterShards = 64

// paddedCounters keeps shards on cache lines of their own.
type paddedCounters struct {
	counters
	_ [64]byte
}

func (c *counters) drop(r DropReason) { c.drops[r].Add(1) }

// addTo adds the counters to st.
func (c *counters) addTo(st *Stats) {
	st.BytesReceived += c.bytesIn.Load()
	st.BytesSent += c.bytesOut.Load()
	st.PublishBytesReceived += c.pubBytesIn.Load()
	st.PublishBytesSent += c.pubBytesOut.Load()
	for i := range c.pktIn {
		st.PacketsReceived[i] += c.pktIn[i].Load()
		st.PacketsSent[i] += c.pktOut[i].Load()
	}
	for i := range c.drops {
		st.Dropped[i] += c.drops[i].Load()
	}
}

// wrote counts a write of n bytes from b, encoded for version v5 or not:
// the bytes, and the packets b[:n] holds whole, by type, with the payload
// bytes of the PUBLISH packets among them. It reads only the fixed headers
// (and a PUBLISH's topic length and property length), so a batch of many
// packets is counted in one pass and a few atomic adds.
func (c *counters) wrote(b []byte, n int, v5 bool) {
	if n <= 0 {
		return
	}
	c.bytesOut.Add(uint64(n))
	b = b[:n]
	var pkts [16]uint32
	var pay uint64
	for len(b) >= 2 {
		rem, hl := 0, 1
		for shift := 0; ; shift += 7 {
			if hl >= len(b) || hl > 4 {
				hl = -1
				break
			}
			d := b[hl]
			hl++
			rem |= int(d&0x7f) << shift
			if d < 0x80 {
				break
			}
		}
		if hl < 0 || hl+rem > len(b) {
			break // a packet cut short by a failed write
		}
		t := b[0] >> 4
		pkts[t]++
		if packet.Type(t) == packet.TypePublish {
			pay += uint64(publishPayload(b[hl:hl+rem], b[0], v5))
		}
		b = b[hl+rem:]
	}
	for t, k := range pkts {
		if k != 0 {
			c.pktOut[t].Add(uint64(k))
		}
	}
	if pay != 0 {
		c.pubBytesOut.Add(pay)
	}
}

// publishPayload returns the payload size of a PUBLISH whose first byte is
// b0 and whose variable header and payload are body.
func publishPayload(body []byte, b0 byte, v5 bool) int {
	if len(body) < 2 {
		return 0
	}
	off := 2 + (int(body[0])<<8 | int(body[1]))
	if (b0>>1)&3 != 0 {
		off += 2 // packet identifier
	}
	if v5 {
		plen, shift := 0, 0
		for {
			if off >= len(body) || shift > 21 {
				return 0
			}
			d := body[off]
			off++
			plen |= int(d&0x7f) << shift
			if d < 0x80 {
				break
			}
			shift += 7
		}
		off += plen
	}
	return max(len(body)-off, 0)
}

// connected counts a client whose CONNECT was accepted.
func (s *Server) connected(c *conn) {
	c.accepted = true
	s.connectsAccepted.Add(1)
	n := s.clients.Add(1)
	for {
		m := s.clientsMax.Load()
		if n <= m || s.clientsMax.CompareAndSwap(m, n) {
			return
		}
	}
}

// Serving reports whether the server is serving: Serve or ServeConn has
// been called (or a WebSocket connection served) and neither Shutdown nor
// Close has.
func (s *Server) Serving() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.serving && !s.closed
}

// Stats returns a snapshot of the server's counters. It visits every open
// connection and every session, taking each session's lock briefly, so it
// costs time in proportion to their number; it is meant to be called at
// intervals (by the $SYS publisher, a metrics scrape), not per message.
func (s *Server) Stats() Stats {
	s.init()
	now := time.Now()
	st := Stats{Start: s.start, Uptime: now.Sub(s.start)}
	s.mu.Lock()
	st.Connections = len(s.conns)
	st.ConnectionsTotal = s.connsTotal
	s.mu.Unlock()
	s.acc.addTo(&st)
	for i := range s.shards {
		s.shards[i].addTo(&st)
	}
	st.ConnectsAccepted = s.connectsAccepted.Load()
	st.ConnectsRefused = s.connectsRefused.Load()
	st.Clients = int(s.clients.Load())
	st.ClientsMaximum = int(s.clientsMax.Load())
	st.SessionsExpired = s.sessExpired.Load()
	s.sessions.Range(func(_, v any) bool {
		sess := v.(*session)
		if sess.local != nil {
			return true
		}
		sess.mu.Lock()
		if !sess.ended {
			if sess.c != nil {
				st.SessionsOnline++
			} else {
				st.SessionsOffline++
			}
			st.QueuedMessages += sess.q.n
			st.QueuedBytes += sess.q.bytes
			st.Inflight += len(sess.inflight)
			for i := range sess.inflight {
				st.InflightBytes += int64(len(sess.inflight[i].m.Payload))
			}
		}
		sess.mu.Unlock()
		return true
	})
	st.Subscriptions = s.index.Len()
	st.RetainedMessages = s.retained.Len()
	st.RetainedBytes = s.retainedBytes.Load()
	return st
}

// payloadLen is the payload size of m, 0 for nil.
func (m *Message) payloadLen() int {
	if m == nil {
		return 0
	}
	return len(m.Payload)
}
