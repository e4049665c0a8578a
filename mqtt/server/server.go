package server

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mqttx/mqttx/mqtt"
	"github.com/mqttx/mqttx/mqtt/packet"
	"github.com/mqttx/mqttx/mqtt/topic"
)

// ErrServerClosed is returned by Serve and ListenAndServe after Shutdown or
// Close.
var ErrServerClosed = errors.New("mqtt/server: server closed")

// Defaults used where a Server field is zero.
const (
	DefaultConnectTimeout    = 10 * time.Second
	DefaultWriteTimeout      = 30 * time.Second
	DefaultMaxQueuedMessages = 1000
	DefaultMaxInflight       = 128
	DefaultReceiveMaximum    = 1024
	DefaultQueueWait         = 2 * time.Second
	DefaultAddr              = "127.0.0.1:1883"

	// Protections (see the Server fields of the same names).
	DefaultMaxConnections      = 100_000
	DefaultConnectRate         = 2000 // new connections per second, per listener
	DefaultConnectBurst        = 2000
	DefaultConnectRatePerIP    = 100 // new connections per second, per source address
	DefaultConnectBurstPerIP   = 200
	DefaultMaxSubscriptions    = 10_000 // per client
	DefaultMaxTopicLength      = 4096   // bytes, names and filters
	DefaultMaxTopicLevels      = 64
	DefaultMaxRetainedMessages = 1_000_000
	DefaultMaxRetainedBytes    = 1 << 30 // topic and payload bytes of retained messages
	DefaultMaxUserProperties   = 64      // per packet
	DefaultStuckTimeout        = time.Minute
	DefaultTopicAliasMaximum   = 64 // inbound aliases per connection (MQTT 5)
	DefaultOutboundAliases     = 64 // aliases the server assigns per connection (MQTT 5)
)

// Features are optional capabilities of the server, all available unless
// listed in [Server.Disable]. What is disabled is advertised to MQTT 5
// clients in CONNACK, and a client that uses it anyway gets the reason
// code the specification gives for it.
type Features uint16

const (
	// FeatureRetain: retained messages (Retain Available); a PUBLISH or
	// will with RETAIN is refused with RetainNotSupported (0x9A).
	FeatureRetain Features = 1 << iota
	// FeatureWildcards: wildcard subscriptions (Wildcard Subscription
	// Available); refused with WildcardSubscriptionsNotSupported (0xA2).
	FeatureWildcards
	// FeatureShared: shared subscriptions (Shared Subscription Available);
	// refused with SharedSubscriptionsNotSupported (0x9E).
	FeatureShared
	// FeatureSubscriptionIDs: Subscription Identifiers (Subscription
	// Identifier Available); a SUBSCRIBE with one is a protocol error
	// (SubscriptionIdentifiersNotSupported, 0xA1).
	FeatureSubscriptionIDs
	// FeatureQoS2: QoS 2; without it the Maximum QoS is 1.
	FeatureQoS2
	// FeatureQoS1: QoS 1 and 2; without it the Maximum QoS is 0.
	FeatureQoS1
)

// QueuePolicy says which message a full offline queue gives up.
type QueuePolicy byte

const (
	// DropNewest refuses the message that does not fit (the default).
	DropNewest QueuePolicy = iota
	// DropOldest discards the oldest queued message to make room.
	DropOldest
)

// Server is an MQTT 3.1, 3.1.1 and 5.0 broker. The zero value serves with
// the defaults documented on each field; fields must not change once
// Serve has been called.
type Server struct {
	// Addr is the TCP address ListenAndServe listens on; DefaultAddr when
	// empty.
	Addr string
	// TLSConfig is used by ListenAndServeTLS.
	TLSConfig *tls.Config
	// Logger receives one line per refused connection, protocol
	// violation and connection failure; nil means silent.
	Logger *slog.Logger
	// Hooks are the application's callbacks; see [Hook].
	Hooks []Hook
	// Store keeps persistent sessions; an in-memory store when nil.
	Store SessionStore
	// SharedStrategy picks the member of a shared subscription group that
	// gets a message; round robin when nil.
	SharedStrategy SharedStrategy

	// ConnectTimeout bounds the wait for CONNECT on a new connection
	// (DefaultConnectTimeout).
	ConnectTimeout time.Duration
	// WriteTimeout bounds each write to a client; a client that does not
	// read for that long is disconnected (DefaultWriteTimeout).
	WriteTimeout time.Duration
	// MaxPacketSize limits incoming packets, advertised to MQTT 5 clients
	// as Maximum Packet Size (packet.DefaultMaxPacketSize).
	MaxPacketSize int
	// ServerKeepAlive, when non-zero, replaces the Keep Alive of MQTT 5
	// clients and is sent to them in CONNACK [MQTT-3.2.2-21].
	ServerKeepAlive uint16
	// MaxSessionExpiry caps the Session Expiry Interval MQTT 5 clients ask
	// for; zero for no cap.
	MaxSessionExpiry time.Duration
	// PersistentSessionExpiry is how long the session of an MQTT 3.x
	// client with CleanSession 0 outlives its connection; zero keeps it
	// until the client cleans it.
	PersistentSessionExpiry time.Duration
	// MaxQueuedMessages bounds each session's queue of messages waiting to
	// be sent (DefaultMaxQueuedMessages).
	MaxQueuedMessages int
	// QueuePolicy chooses what a full queue of an offline session drops.
	QueuePolicy QueuePolicy
	// QueueQoS0 queues QoS 0 messages for offline persistent sessions; by
	// default only QoS 1 and 2 messages are queued for them.
	QueueQoS0 bool
	// QueueWait is how long a publisher waits for room in a connected
	// subscriber's full queue before the message is dropped for that
	// subscriber (DefaultQueueWait): back-pressure first, loss last.
	QueueWait time.Duration
	// MaxInflight bounds the QoS 1 and 2 messages sent to a client and not
	// yet acknowledged, further bounded by an MQTT 5 client's Receive
	// Maximum (DefaultMaxInflight).
	MaxInflight int
	// ReceiveMaximum bounds the QoS 2 messages a client may have awaiting
	// PUBREL, advertised to MQTT 5 clients (DefaultReceiveMaximum).
	ReceiveMaximum uint16
	// SysInterval, when non-zero, has the server publish its statistics
	// (see [Stats]) as retained messages under $SYS/broker/ every
	// SysInterval, from the first Serve or ServeConn until Shutdown or
	// Close: Mosquitto's topic names where Mosquitto has one
	// ($SYS/broker/clients/connected, $SYS/broker/bytes/received …) and
	// $SYS/broker/mqttx/ for the rest. A topic is published again only
	// when its value changed. Zero publishes none.
	SysInterval time.Duration

	// Protections. Each limit is on by default (the Default… constant of
	// its name, used when the field is zero); a negative value turns it
	// off.

	// MaxConnections bounds the connections served at once, counted from
	// accept. A connection beyond it gets CONNACK QuotaExceeded (MQTT 3.x:
	// server unavailable) and is closed.
	MaxConnections int
	// ConnectRate and ConnectBurst bound the new connections each listener
	// accepts per second (a token bucket); ConnectRatePerIP and
	// ConnectBurstPerIP do the same per source address. A connection over
	// either rate gets CONNACK ConnectionRateExceeded (0x9F; MQTT 3.x:
	// server unavailable) and is closed.
	ConnectRate       float64
	ConnectBurst      int
	ConnectRatePerIP  float64
	ConnectBurstPerIP int
	// MessageRate and MessageBurst bound the PUBLISH packets each client
	// may send per second (a token bucket; MessageBurst defaults to the
	// rate). Over the rate a QoS 0 message is dropped and counted
	// (DropRateLimited); a QoS 1 or 2 message ends the connection with
	// DISCONNECT MessageRateTooHigh (0x96; MQTT 3.x: closed) without
	// being acknowledged, so the client sends it again once reconnected
	// and nothing it was told is delivered is lost. Zero means no message
	// rate limit: throughput is bounded by the receive window and the
	// queues instead.
	MessageRate  float64
	MessageBurst int
	// MaxSubscriptions bounds the subscriptions of one session; a filter
	// beyond it gets QuotaExceeded (MQTT 3.x: failure) in its SUBACK slot.
	MaxSubscriptions int
	// MaxTopicLength (bytes) and MaxTopicLevels bound topic names and
	// filters. A name over them is refused like an unauthorized one with
	// TopicNameInvalid (0x90), a filter with TopicFilterInvalid (0x8F).
	MaxTopicLength int
	MaxTopicLevels int
	// MaxRetainedMessages and MaxRetainedBytes (payload bytes, as
	// Stats.RetainedBytes counts them) bound the retained store. A retained PUBLISH that would exceed them
	// (replacing or clearing one never does) is not routed and is
	// answered with QuotaExceeded (0x97); counted as DropRetainedLimit.
	MaxRetainedMessages int
	MaxRetainedBytes    int64
	// MaxUserProperties bounds the User Properties of one packet. A
	// PUBLISH over it is refused with ImplementationSpecificError (0x83,
	// QoS 0 dropped), a CONNECT gets CONNACK 0x83, any other packet ends
	// the connection with DISCONNECT 0x83.
	MaxUserProperties int
	// StuckTimeout disconnects a connected client whose queue has stayed
	// full — messages for it being dropped, none taken — for this long
	// (DISCONNECT QuotaExceeded): a client that stopped reading or
	// acknowledging.
	StuckTimeout time.Duration

	// MQTT 5.

	// TopicAliasMaximum is the Topic Alias Maximum advertised to MQTT 5
	// clients: the aliases each may set on its PUBLISH packets.
	TopicAliasMaximum int
	// OutboundAliases bounds the topic aliases the server assigns on the
	// messages it sends a client, further bounded by the client's own
	// Topic Alias Maximum. Topics beyond it reuse the least recently
	// assigned alias.
	OutboundAliases int
	// OmitReasonStrings leaves the Reason String out of every packet the
	// server sends (it may tell more than an operator wants clients to
	// know).
	OmitReasonStrings bool
	// ValidatePayloadFormat checks the payload of every PUBLISH and will
	// whose Payload Format Indicator is 1: one that is not valid UTF-8 is
	// refused with PayloadFormatInvalid (0x99).
	ValidatePayloadFormat bool
	// ResponseInformation is sent in CONNACK to MQTT 5 clients that ask
	// for it (Request Response Information 1): the basis of the response
	// topics they may use.
	ResponseInformation string
	// Disable lists optional capabilities the server does not offer.
	Disable Features

	initOnce sync.Once
	hooks    *hookSet
	log      *slog.Logger
	store    SessionStore
	shared   SharedStrategy

	index    topic.Index
	retained *topic.Tree[*Message]

	sessMu   sync.Mutex // serializes connects, takeovers and session ends
	sessions sync.Map   // client id → *session; written under sessMu
	nsess    atomic.Int64
	localSeq atomic.Uint64

	mu        sync.Mutex
	listeners map[net.Listener]struct{}
	conns     map[*conn]struct{}
	closed    bool
	done      chan struct{}
	wg        sync.WaitGroup // connection goroutines

	results sync.Pool // *topic.Result for publishes not made by a connection
	limits  limiters  // guarded by mu

	// Statistics (stats.go). acc counts what the server does on its own;
	// connections count into shards, each shared by many connections.
	start            time.Time
	serving          bool // guarded by mu
	acc              counters
	shards           [counterShards]paddedCounters
	connsTotal       uint64 // guarded by mu
	connectsAccepted atomic.Uint64
	connectsRefused  atomic.Uint64
	clients          atomic.Int64
	clientsMax       atomic.Int64
	sessExpired      atomic.Uint64
	retainedBytes    atomic.Int64
	sysStarted       bool // guarded by mu
	sysWG            sync.WaitGroup
}

func (s *Server) init() {
	s.initOnce.Do(func() {
		s.hooks = newHookSet(s.Hooks)
		s.log = s.Logger
		if s.log == nil {
			s.log = slog.New(slog.DiscardHandler)
		}
		s.store = s.Store
		if s.store == nil {
			s.store = new(MemoryStore)
		}
		s.shared = s.SharedStrategy
		if s.shared == nil {
			s.shared = new(RoundRobin)
		}
		s.retained = topic.NewTree[*Message]()
		s.listeners = make(map[net.Listener]struct{})
		s.conns = make(map[*conn]struct{})
		s.done = make(chan struct{})
		s.results.New = func() any { return new(topic.Result) }
		s.start = time.Now()
		s.restore()
	})
}

func (s *Server) connectTimeout() time.Duration {
	return orDefault(s.ConnectTimeout, DefaultConnectTimeout)
}

func (s *Server) writeTimeout() time.Duration { return orDefault(s.WriteTimeout, DefaultWriteTimeout) }
func (s *Server) queueWait() time.Duration    { return orDefault(s.QueueWait, DefaultQueueWait) }

func (s *Server) maxPacketSize() int {
	if s.MaxPacketSize > 0 {
		return s.MaxPacketSize
	}
	return packet.DefaultMaxPacketSize
}

func (s *Server) maxQueued() int {
	if s.MaxQueuedMessages > 0 {
		return s.MaxQueuedMessages
	}
	return DefaultMaxQueuedMessages
}

func (s *Server) maxInflight() int {
	if s.MaxInflight > 0 {
		return min(s.MaxInflight, 65535)
	}
	return DefaultMaxInflight
}

func (s *Server) receiveMaximum() uint16 {
	if s.ReceiveMaximum > 0 {
		return s.ReceiveMaximum
	}
	return DefaultReceiveMaximum
}

// limit is a protection's value: v, its default when zero, none (0) when
// negative.
func limit(v, def int) int {
	switch {
	case v > 0:
		return v
	case v == 0:
		return def
	}
	return 0
}

func (s *Server) topicAliasMaximum() int {
	return min(limit(s.TopicAliasMaximum, DefaultTopicAliasMaximum), 65535)
}

func (s *Server) outboundAliases() int {
	return min(limit(s.OutboundAliases, DefaultOutboundAliases), 65535)
}

func orDefault(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// ListenAndServe listens on Addr (TCP) and serves.
func (s *Server) ListenAndServe() error {
	ln, err := net.Listen("tcp", cmpOr(s.Addr, DefaultAddr))
	if err != nil {
		return err
	}
	return s.Serve(ln)
}

// ListenAndServeTLS listens on Addr with TLS. certFile and keyFile may be
// empty when TLSConfig holds certificates.
func (s *Server) ListenAndServeTLS(certFile, keyFile string) error {
	cfg := &tls.Config{}
	if s.TLSConfig != nil {
		cfg = s.TLSConfig.Clone()
	}
	if certFile != "" || keyFile != "" {
		cert, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return err
		}
		cfg.Certificates = append(cfg.Certificates, cert)
	}
	ln, err := tls.Listen("tcp", cmpOr(s.Addr, DefaultAddr), cfg)
	if err != nil {
		return err
	}
	return s.Serve(ln)
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// Serve accepts connections on ln and serves each on its own goroutine
// until Shutdown or Close, then returns ErrServerClosed. Serve may be
// called for several listeners at once. The listener may be any
// net.Listener: TCP, TLS (a *tls.Conn's handshake runs on the connection's
// goroutine), or another transport whose connections are net.Conn.
func (s *Server) Serve(ln net.Listener) error {
	s.init()
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		ln.Close()
		return ErrServerClosed
	}
	s.listeners[ln] = struct{}{}
	s.serving = true
	s.startSysLocked()
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.listeners, ln)
		s.mu.Unlock()
	}()
	var delay time.Duration
	for {
		nc, err := ln.Accept()
		if err != nil {
			if s.isClosed() {
				return ErrServerClosed
			}
			// Retry what the net package marks temporary (EMFILE, ENFILE,
			// ECONNABORTED …), as net/http does.
			var te interface{ Temporary() bool }
			if errors.As(err, &te) && te.Temporary() {
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				time.Sleep(delay)
				continue
			}
			return err
		}
		delay = 0
		c := s.newConn(nc, ln.Addr().String())
		if c == nil {
			nc.Close()
			return ErrServerClosed
		}
		go c.serve()
	}
}

func (s *Server) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// ServeConn serves one connection that the caller accepted itself and
// returns when it ends.
func (s *Server) ServeConn(nc net.Conn) {
	s.init()
	c := s.newConn(nc, "")
	if c == nil {
		nc.Close()
		return
	}
	c.serve()
	<-c.done
}

func (s *Server) newConn(nc net.Conn, listener string) *conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	c := &conn{srv: s, nc: nc, listener: listener, done: make(chan struct{})}
	c.refuse = s.admitLocked(nc, listener)
	c.st = &s.shards[s.connsTotal%counterShards].counters
	s.conns[c] = struct{}{}
	s.connsTotal++
	s.serving = true
	s.startSysLocked()
	s.wg.Add(1)
	return c
}

func (s *Server) dropConn(c *conn) {
	s.mu.Lock()
	delete(s.conns, c)
	if c.accepted {
		s.clients.Add(-1)
	}
	s.mu.Unlock()
	s.wg.Done()
}

// Shutdown stops the server gracefully: it stops accepting, sends MQTT 5
// clients DISCONNECT with ServerShuttingDown, closes every connection,
// waits for their goroutines until ctx ends, and saves every persistent
// session to the Store. Messages queued for persistent sessions stay in
// them. It returns ctx's error if ctx ended first.
func (s *Server) Shutdown(ctx context.Context) error {
	return s.stop(ctx, true)
}

// Close stops the server at once: listeners and connections are closed
// without DISCONNECT. Persistent sessions are saved to the Store.
func (s *Server) Close() error {
	return s.stop(context.Background(), false)
}

func (s *Server) stop(ctx context.Context, graceful bool) error {
	s.init()
	s.mu.Lock()
	if s.closed {
		// Already stopping: Close forces what a running Shutdown waits for.
		conns := make([]*conn, 0, len(s.conns))
		for c := range s.conns {
			conns = append(conns, c)
		}
		s.mu.Unlock()
		if !graceful {
			for _, c := range conns {
				c.closeWith(DisconnectServer, ErrServerClosed)
			}
		}
		return nil
	}
	s.closed = true
	close(s.done)
	for ln := range s.listeners {
		ln.Close()
	}
	conns := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		if graceful {
			c.terminate(mqtt.ServerShuttingDown, "", DisconnectServer)
		} else {
			c.closeWith(DisconnectServer, ErrServerClosed)
		}
	}
	waited := make(chan struct{})
	go func() { s.wg.Wait(); close(waited) }()
	var err error
	select {
	case <-waited:
	case <-ctx.Done():
		select {
		case <-waited: // finished as ctx ended: not a failure
		default:
			err = ctx.Err()
			for _, c := range conns {
				c.closeWith(DisconnectServer, ErrServerClosed)
			}
			<-waited
		}
	}
	s.sysWG.Wait()
	s.saveAll()
	return err
}

// Publish routes a message from the server itself to every matching
// subscriber, like a client's PUBLISH (retained when m.Retain is set).
// The Message must not be modified afterwards.
func (s *Server) Publish(m *Message) error {
	s.init()
	if err := topic.ValidateName(m.Topic); err != nil {
		return err
	}
	if !m.QoS.Valid() {
		return mqtt.Malformed("MQTT-3.3.1-4", "QoS 3")
	}
	m.Properties = forwardable(&m.Properties)
	m.setExpiry(time.Now())
	r := s.results.Get().(*topic.Result)
	s.route(nil, m, r)
	s.results.Put(r)
	return nil
}

// Subscribe subscribes fn, in the process, to a topic filter (shared
// filters included). fn runs on the publisher's goroutine for every
// matching message and must not block or modify the Message. The returned
// function cancels the subscription.
func (s *Server) Subscribe(filter string, fn func(*Message)) (cancel func(), err error) {
	s.init()
	if err := topic.ValidateFilter(filter); err != nil {
		return nil, err
	}
	group, inner, shared, _ := topic.ParseShared(filter)
	if !shared {
		inner = filter
	}
	id := "\x00local/" + itoa(s.localSeq.Add(1))
	sess := newSession(s, id)
	sess.local = fn
	s.sessMu.Lock()
	s.sessions.Store(id, sess)
	s.sessMu.Unlock()
	s.index.Subscribe(topic.Subscription{Client: id, Filter: inner, Group: group, QoS: mqtt.QoS2})
	var once sync.Once
	return func() {
		once.Do(func() {
			s.index.Unsubscribe(id, group, inner)
			s.sessMu.Lock()
			s.sessions.Delete(id)
			s.sessMu.Unlock()
		})
	}, nil
}

// ErrNotConnected is returned by Disconnect for a client that is not
// connected.
var ErrNotConnected = errors.New("mqtt/server: client not connected")

// Disconnect ends a client's connection: an MQTT 5 client gets DISCONNECT
// with code first. Its session stays, as after any disconnection.
func (s *Server) Disconnect(clientID string, code mqtt.ReasonCode) error {
	return s.DisconnectWith(clientID, &packet.Disconnect{ReasonCode: code})
}

// DisconnectWith is Disconnect with the whole DISCONNECT an MQTT 5 client
// gets, properties included (see [Client.DisconnectWith]).
func (s *Server) DisconnectWith(clientID string, d *packet.Disconnect) error {
	s.init()
	sess := s.session(clientID)
	if sess == nil {
		return ErrNotConnected
	}
	sess.mu.Lock()
	c := sess.c
	sess.mu.Unlock()
	if c == nil {
		return ErrNotConnected
	}
	c.terminateWith(d, DisconnectServer)
	return nil
}

// ClientInfo describes a connected client.
type ClientInfo struct {
	ID         string
	Username   string
	Version    mqtt.Version
	RemoteAddr string
	Listener   string
}

// SessionInfo describes a session, connected or not.
type SessionInfo struct {
	ClientID      string
	Connected     bool
	Subscriptions int
	Queued        int // messages waiting to be sent
	Inflight      int // sent, awaiting acknowledgement
	Dropped       uint64
	// Expires is when an offline session ends; zero while connected or
	// for a session that never expires.
	Expires time.Time
}

// Clients lists the connected clients.
func (s *Server) Clients() []ClientInfo {
	s.init()
	var out []ClientInfo
	s.sessions.Range(func(_, v any) bool {
		sess := v.(*session)
		sess.mu.Lock()
		if c := sess.c; c != nil && c.client != nil {
			cl := c.client
			out = append(out, ClientInfo{ID: cl.id, Username: cl.username, Version: cl.version, RemoteAddr: addrString(cl.remote), Listener: cl.listener})
		}
		sess.mu.Unlock()
		return true
	})
	return out
}

// Sessions lists the sessions held, connected and offline.
func (s *Server) Sessions() []SessionInfo {
	s.init()
	var out []SessionInfo
	s.sessions.Range(func(_, v any) bool {
		sess := v.(*session)
		if sess.local != nil {
			return true
		}
		out = append(out, sess.info())
		return true
	})
	return out
}

func addrString(a net.Addr) string {
	if a == nil {
		return ""
	}
	return a.String()
}

func (s *Server) session(id string) *session {
	if v, ok := s.sessions.Load(id); ok {
		return v.(*session)
	}
	return nil
}

func itoa(n uint64) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			break
		}
	}
	return string(b[i:])
}
