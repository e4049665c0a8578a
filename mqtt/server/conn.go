package server

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/mqttx/mqttx/mqtt"
	"github.com/mqttx/mqttx/mqtt/packet"
	"github.com/mqttx/mqttx/mqtt/topic"
)

// conn is one network connection. Its reader goroutine (serve) reads and
// handles packets; output goes through conn.out and the session's queue
// and is written by writeLoop, run either inline by the reader when it is
// about to wait for input, or on a goroutine started when another
// goroutine queues a message while no writer runs. An idle connection
// has only its reader goroutine and a small read buffer.
type conn struct {
	srv      *Server
	nc       net.Conn
	listener string
	r        *packet.Reader
	s        *session
	client   *Client
	version  mqtt.Version

	keepAlive  time.Duration
	sendQuota  int // QoS 1 and 2 messages the client accepts unacknowledged
	maxOut     int // the client's Maximum Packet Size; 0 for none
	problem    bool
	res        *topic.Result // taken from srv.results by a PUBLISH, given back when the connection goes quiet
	big        bool          // the last packet read was large: release the read buffer when idle
	deep       bool          // a packet other than PINGREQ was handled since the reader goroutine started
	heard      bool          // a packet was handled since kaDeadline was set
	kaDeadline time.Time     // when the keep alive runs out; zero without one
	in         firstByte
	st         *counters // traffic counters, a shard shared with other connections (stats.go)
	accepted   bool      // CONNECT accepted; counted in Server.clients

	// guarded by s.mu
	out       []byte // control packets waiting to be written
	writing   bool   // a writeLoop runs
	delivered []*Message

	limited    bool            // a PUBLISH over the message rate was logged
	refuse     mqtt.ReasonCode // not Success: the CONNECT is refused with it (admitLocked)
	rate       *rate.Limiter   // PUBLISH rate, nil for none
	fullSince  time.Time       // guarded by s.mu: when the queue was last found full and dropping; zero when it is not
	aliasIn    []string        // inbound Topic Alias → topic name, by alias-1; reader goroutine only
	aliasInMax int             // the Topic Alias Maximum sent in CONNACK
	aliasOut   aliases         // outbound, guarded by s.mu
	authMethod string          // the CONNECT's Authentication Method, "" for none
	reauth     AuthExchange    // a re-authentication in progress

	normal      bool // DISCONNECT received without will
	sessionExp0 bool // CONNECT's Session Expiry Interval was 0 [MQTT-3.14.2-2]
	reasonMu    sync.Mutex
	reason      DisconnectReason
	reasonErr   error
	closed      atomic.Bool
	done        chan struct{}
}

var (
	errNormalClose = errors.New("client sent DISCONNECT")
	errUnencodable = errors.New("message cannot be encoded for this client")
	errHandoff     = errors.New("reader continues on a fresh goroutine")
)

const batchMax = 64 << 10 // bytes gathered into one write

// refuseWait bounds the wait for the CONNECT of a connection that is to be
// refused (over MaxConnections or a connection rate).
const refuseWait = 2 * time.Second

// busyWait is the longest wait for input after which a connection still
// counts as busy and keeps its read buffer.
const busyWait = 50 * time.Millisecond

// quietAfter is how long a busy connection waits for input holding its
// read buffer before it counts as quiet.
const quietAfter = time.Second

// firstByte is the read side of a connection: it hands the Reader a byte
// read ahead while the connection waited without a buffer.
type firstByte struct {
	nc    net.Conn
	b     [1]byte
	has   bool
	count *atomic.Uint64 // bytes read from nc
}

func (f *firstByte) Read(p []byte) (int, error) {
	if f.has && len(p) > 0 {
		p[0] = f.b[0]
		f.has = false
		return 1, nil
	}
	n, err := f.nc.Read(p)
	if n > 0 {
		f.count.Add(uint64(n))
	}
	return n, err
}

var writeBufs = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

func (c *conn) logger() *slog.Logger {
	l := c.srv.log.With("remote", addrString(c.nc.RemoteAddr()))
	if c.client != nil {
		l = l.With("client", c.client.id)
	}
	return l
}

// setReason records why the connection ends; the first reason wins.
func (c *conn) setReason(r DisconnectReason, err error) bool {
	c.reasonMu.Lock()
	defer c.reasonMu.Unlock()
	if c.reason != 0 {
		return false
	}
	c.reason, c.reasonErr = r, err
	return true
}

// closeWith closes the network connection; the reader then ends and
// cleans up.
func (c *conn) closeWith(r DisconnectReason, err error) {
	c.setReason(r, err)
	if c.closed.CompareAndSwap(false, true) {
		c.nc.Close()
	}
}

// terminate sends an MQTT 5 client DISCONNECT with code (and reason
// string) and closes the connection. Any goroutine may call it.
func (c *conn) terminate(code mqtt.ReasonCode, reason string, r DisconnectReason) {
	d := packet.Disconnect{ReasonCode: code}
	d.Properties.ReasonString = reason
	c.terminateWith(&d, r)
}

// terminateWith is terminate with the DISCONNECT's properties.
func (c *conn) terminateWith(d *packet.Disconnect, r DisconnectReason) {
	if !c.setReason(r, nil) || c.closed.Load() {
		c.closeWith(r, nil)
		return
	}
	if c.version == mqtt.V5 && c.client != nil {
		d.Properties.Clear(packet.PropSessionExpiry) // [MQTT-3.14.2-2]
		if !c.problem {
			d.Properties.ReasonString = ""
		}
		if _, err := (&packet.Disconnect{ReasonCode: d.ReasonCode}).Append(nil, mqtt.V5); err != nil {
			// A code DISCONNECT cannot carry (a CONNACK-only one from an
			// authentication method, say): the nearest one it can.
			switch d.ReasonCode {
			case mqtt.BadUserNameOrPassword, mqtt.BadAuthenticationMethod, mqtt.Banned, mqtt.ClientIdentifierNotValid:
				d.ReasonCode = mqtt.NotAuthorized
			default:
				d.ReasonCode = mqtt.UnspecifiedError
			}
		}
		if b := c.appendFitting(nil, d); len(b) > 0 {
			c.nc.SetWriteDeadline(time.Now().Add(time.Second))
			n, _ := c.nc.Write(b)
			c.st.wrote(b, n, true)
		}
	}
	c.closeWith(r, nil)
}

// serve answers the CONNECT on the accepting goroutine, then hands the
// connection to a fresh reader goroutine: the handshake's deeper calls
// (hooks, logging, TLS) grow a stack that an idle connection then need
// not keep.
func (c *conn) serve() {
	if !c.handshake() {
		c.closeWith(DisconnectClosed, nil)
		close(c.done)
		c.srv.dropConn(c)
		return
	}
	c.flushInline() // CONNACK and resends, written from this deeper stack too
	go c.run()
}

// run is the reader goroutine. When the connection goes quiet after
// handling packets, the loop continues on a fresh goroutine (errHandoff):
// handling SUBSCRIBE or PUBLISH grows a stack to several kilobytes, which
// the garbage collector does not shrink while the idle reader still uses a
// fair part of it, and a fresh goroutine waits on the smallest stack.
func (c *conn) run() {
	err := c.loop()
	if err == errHandoff {
		go c.run()
		return
	}
	defer c.srv.dropConn(c)
	defer close(c.done)
	c.finish(err)
}

func (c *conn) loop() error {
	busy := false
	for {
		var waitFrom time.Time // set when this read waits with the buffer held
		quietWait := false     // this read's deadline is quietAfter, not the keep alive
		if !c.r.Ready() {
			// About to wait for input: write what is pending first, so
			// that replies to a burst of packets go out in one write.
			c.flushInline()
			now := time.Now()
			if c.heard {
				// The keep alive counts from the last packet, however
				// many waits (and reader goroutines) follow it.
				c.heard = false
				c.kaDeadline = time.Time{}
				if c.keepAlive > 0 {
					c.kaDeadline = now.Add(c.keepAlive * 3 / 2) // [MQTT-3.1.2-22]
				}
			}
			keepAlive := c.kaDeadline
			if c.r.Buffered() == 0 && (!busy || c.big) {
				// A quiet connection waits holding no read buffer: the
				// buffer goes back to the pool and the wait reads one
				// byte into the conn itself. A busy one keeps its buffer
				// and saves that extra read.
				c.r.Release()
				c.big = false
				if c.res != nil {
					c.srv.results.Put(c.res)
					c.res = nil
				}
				if c.deep {
					c.deep = false
					return errHandoff
				}
				c.nc.SetReadDeadline(keepAlive)
				n, err := c.nc.Read(c.in.b[:])
				if n == 1 {
					c.in.has = true
					c.st.bytesIn.Add(1)
				} else if err != nil {
					return err
				}
				busy = time.Since(now) < busyWait
			} else {
				// A busy connection that then hears nothing for
				// quietAfter turns quiet, and gives up its buffer.
				deadline := now.Add(quietAfter)
				if quietWait = keepAlive.IsZero() || deadline.Before(keepAlive); !quietWait {
					deadline = keepAlive
				}
				c.nc.SetReadDeadline(deadline)
				waitFrom = now
			}
		}
		p, err := c.r.ReadPacket()
		if !waitFrom.IsZero() {
			busy = time.Since(waitFrom) < busyWait
		}
		if err != nil {
			if quietWait && errors.Is(err, os.ErrDeadlineExceeded) && !c.closed.Load() {
				busy = false
				continue
			}
			return err
		}
		c.st.pktIn[p.Type()].Add(1)
		if err := c.handle(p); err != nil {
			return err
		}
		c.heard = true
		if _, ping := p.(*packet.Pingreq); !ping {
			c.deep = true
		}
	}
}

// finish runs when the reader stops: it classifies the end, answers a
// protocol violation, detaches the session and deals with the will and
// the session's expiry.
func (c *conn) finish(err error) {
	reason := DisconnectClosed
	var perr *mqtt.Error
	var ne net.Error
	switch {
	case errors.Is(err, errNormalClose):
		reason = DisconnectNormal
	case errors.As(err, &perr):
		reason = DisconnectProtocolError
		c.logger().Warn("protocol violation; closing", "code", perr.Code.String(), "rule", perr.Rule, "reason", perr.Reason)
		c.terminate(perr.Code, perr.Reason, reason)
	case errors.As(err, &ne) && ne.Timeout() && !c.closed.Load():
		reason = DisconnectKeepAlive
		c.logger().Info("keep alive timeout; closing", "keepalive", c.keepAlive)
		c.terminate(mqtt.KeepAliveTimeout, "", reason)
	case errors.Is(err, io.ErrNoProgress):
		c.logger().Warn("stream makes no progress; closing")
	}
	c.closeWith(reason, err)
	c.reasonMu.Lock()
	reason, err = c.reason, c.reasonErr
	if err == nil && reason == DisconnectClosed {
		err = io.EOF
	}
	c.reasonMu.Unlock()

	srv := c.srv
	s := c.s
	var will *Message
	var from *Client
	srv.sessMu.Lock()
	s.mu.Lock()
	if s.c != c {
		s.mu.Unlock() // taken over: the session belongs to the new connection
		srv.sessMu.Unlock()
	} else {
		s.c = nil
		c.out = nil
		s.wakeLocked()
		s.disconnected = time.Now()
		will, from = s.will, s.willFrom
		s.will, s.willFrom = nil, nil
		if c.normal {
			will = nil // [MQTT-3.1.2-10] [MQTT-3.14.4-3]
		}
		if !s.never && s.expiry == 0 {
			s.mu.Unlock()
			srv.endSessionLocked(s)
		} else {
			if will != nil && s.willDelay > 0 {
				// [MQTT-3.1.3-9]: wait the Will Delay Interval, or until
				// the session ends, whichever comes first.
				delay := s.willDelay
				if !s.never {
					delay = min(delay, s.expiry)
				}
				s.will, s.willFrom = will, from
				gen := s.gen
				s.willTimer = time.AfterFunc(delay, func() { srv.fireWill(s, gen) })
				will = nil
			}
			srv.armExpiryLocked(s)
			st := s.stateLocked()
			s.mu.Unlock()
			if err := srv.store.Save(s.id, st); err != nil {
				c.logger().Error("saving session", "err", err)
			}
		}
		srv.sessMu.Unlock()
	}
	srv.publishWill(will, from)
	for _, h := range srv.hooks.disconnect {
		h.OnDisconnect(c.client, reason, err)
	}
}

// fireWill publishes a delayed will whose session still has no connection.
func (s *Server) fireWill(sess *session, gen uint64) {
	s.sessMu.Lock()
	sess.mu.Lock()
	var will *Message
	var from *Client
	if sess.gen == gen && sess.c == nil && !sess.ended {
		will, from = sess.will, sess.willFrom
		sess.will, sess.willFrom, sess.willTimer = nil, nil, nil
	}
	sess.mu.Unlock()
	s.sessMu.Unlock()
	s.publishWill(will, from)
}

// handshake reads and answers the CONNECT. It returns false when the
// connection is to be closed.
func (c *conn) handshake() bool {
	srv := c.srv
	deadline := time.Now().Add(srv.connectTimeout())
	if c.refuse != mqtt.Success {
		// Refused already: wait only briefly for the CONNECT to answer.
		if d := time.Now().Add(refuseWait); d.Before(deadline) {
			deadline = d
		}
	}
	c.nc.SetReadDeadline(deadline) // CONNECT timeout
	var tlsState *tls.ConnectionState
	if tc, ok := c.nc.(*tls.Conn); ok {
		tc.SetDeadline(deadline)
		if err := tc.Handshake(); err != nil {
			c.logger().Info("TLS handshake failed", "err", err)
			return false
		}
		st := tc.ConnectionState()
		tlsState = &st
		tc.SetWriteDeadline(time.Time{})
	} else if ts, ok := c.nc.(tlsStater); ok {
		tlsState = ts.tlsState() // TLS under another protocol (wss://), handshake done
	}
	c.in.nc = c.nc
	c.in.count = &c.st.bytesIn
	c.r = packet.NewReader(&c.in)
	c.r.MaxPacketSize = srv.maxPacketSize()
	p, err := c.r.ReadPacket()
	if err != nil {
		var perr *mqtt.Error
		switch {
		case errors.As(err, &perr) && perr.Code == mqtt.UnsupportedProtocolVersion:
			// Answered in the 3.1.1 form, the one a client of an unknown
			// version is most likely to read [MQTT-3.1.2-2].
			b := []byte{0x20, 0x02, 0x00, byte(mqtt.ConnectUnacceptableProtocol)}
			c.nc.SetWriteDeadline(time.Now().Add(time.Second))
			n, _ := c.nc.Write(b)
			c.st.wrote(b, n, false)
			srv.connectsRefused.Add(1)
			c.logger().Info("CONNECT refused", "code", perr.Code.String(), "rule", perr.Rule, "reason", perr.Reason)
		case errors.As(err, &perr):
			c.logger().Warn("invalid CONNECT; closing", "code", perr.Code.String(), "rule", perr.Rule, "reason", perr.Reason)
		case errors.Is(err, os.ErrDeadlineExceeded):
			c.logger().Info("no CONNECT within the connect timeout; closing", "timeout", srv.connectTimeout())
		case errors.Is(err, io.EOF):
		default:
			c.logger().Debug("connection failed before CONNECT", "err", err)
		}
		return false
	}
	cp := p.(*packet.Connect) // the Reader accepts nothing else first [MQTT-3.1.0-1]
	c.st.pktIn[packet.TypeConnect].Add(1)
	c.version = cp.Version
	var ack packet.Connack
	refuse := func(code mqtt.ReasonCode, why string) bool {
		ack.ReasonCode = code
		ack.SessionPresent = false // [MQTT-3.2.2-4] [MQTT-3.2.2-6]
		if b := c.appendFitting(nil, &ack); len(b) > 0 {
			c.nc.SetWriteDeadline(time.Now().Add(time.Second))
			n, _ := c.nc.Write(b)
			c.st.wrote(b, n, c.version == mqtt.V5)
		}
		srv.connectsRefused.Add(1)
		l := c.logger()
		if c.client == nil {
			l = l.With("client", cp.ClientID) // else the logger names it
		}
		l.Info("CONNECT refused", "code", code.String(), "reason", why)
		return false // [MQTT-3.2.2-5]
	}

	id := cp.ClientID
	assigned := false
	if id == "" {
		switch {
		case c.version == mqtt.V31:
			return refuse(mqtt.ClientIdentifierNotValid, "MQTT 3.1 requires a client identifier")
		case c.version == mqtt.V311 && !cp.CleanStart:
			return refuse(mqtt.ClientIdentifierNotValid, "empty client identifier with CleanSession 0 [MQTT-3.1.3-8]")
		}
		id, assigned = newClientID(), true // [MQTT-3.1.3-6] [MQTT-3.2.2-16]
	}
	switch c.refuse {
	case mqtt.Success:
	case mqtt.QuotaExceeded:
		return refuse(c.refuse, "too many connections (MaxConnections "+itoa(uint64(srv.maxConnections()))+")")
	default:
		return refuse(c.refuse, "connection rate exceeded")
	}
	if max := srv.maxUserProperties(); max > 0 && len(cp.Properties.User) > max {
		return refuse(mqtt.ImplementationSpecificError, "CONNECT with more than "+itoa(uint64(max))+" User Properties")
	}
	c.client = &Client{id: id, username: cp.Username, version: c.version, remote: c.nc.RemoteAddr(), tlsState: tlsState, listener: c.listener, conn: c, assignedID: assigned}
	if c.version == mqtt.V5 && cp.Properties.Has(packet.PropMaximumPacketSize) {
		c.maxOut = int(cp.Properties.MaximumPacketSize) // for a refusing CONNACK too
	}
	if method := cp.Properties.AuthMethod; method != "" {
		am := srv.hooks.method(method)
		if am == nil {
			// [MQTT-4.12.0-1]
			return refuse(mqtt.BadAuthenticationMethod, "unsupported authentication method "+strconv.Quote(method))
		}
		ctx, cancel := context.WithDeadline(context.Background(), deadline)
		data, code, why, gone := c.authenticate(ctx, am.StartAuth(c.client, cp), method, cp.Properties.AuthData)
		cancel()
		switch {
		case gone:
			c.logger().Info("enhanced authentication abandoned", "method", method, "reason", why)
			return false
		case code != mqtt.Success:
			return refuse(code, why)
		}
		c.authMethod = method
		ack.Properties.AuthMethod = method // [MQTT-4.12.0-5]
		if len(data) > 0 {
			ack.Properties.AuthData = data
		}
	}

	if len(srv.hooks.auth) > 0 {
		ctx, cancel := context.WithDeadline(context.Background(), deadline)
		code := srv.hooks.authenticate(ctx, c.client, cp, &ack)
		cancel()
		if code != mqtt.Success {
			return refuse(code, "refused by the authenticator")
		}
	}

	var will *Message
	var willDelay time.Duration
	if w := cp.Will; w != nil {
		switch {
		case w.QoS > srv.maxQoS():
			return refuse(mqtt.QoSNotSupported, "will QoS over the Maximum QoS") // [MQTT-3.2.2-12]
		case w.Retain && !srv.has(FeatureRetain):
			return refuse(mqtt.RetainNotSupported, "will with RETAIN, retained messages disabled") // [MQTT-3.2.2-13]
		}
		if code, why := srv.checkMessage(w.Topic, w.Payload, &w.Properties); code != mqtt.Success {
			return refuse(code, "will: "+why)
		}
		if !srv.hooks.allowed(c.client, AccessPublish, w.Topic) {
			return refuse(mqtt.NotAuthorized, "will topic not authorized")
		}
		will = &Message{Topic: w.Topic, Payload: append([]byte(nil), w.Payload...), QoS: w.QoS, Retain: w.Retain, Publisher: id}
		if c.version == mqtt.V5 {
			will.Properties = forwardable(&w.Properties)
			willDelay = time.Duration(w.Properties.WillDelay) * time.Second
		}
	}

	ka := cp.KeepAlive
	expiry, never := time.Duration(0), false
	c.sendQuota = srv.maxInflight()
	if c.version == mqtt.V5 {
		if srv.ServerKeepAlive > 0 {
			ka = srv.ServerKeepAlive
			ack.Properties.ServerKeepAlive = ka
			ack.Properties.Set(packet.PropServerKeepAlive)
		}
		se := cp.Properties.SessionExpiry
		c.sessionExp0 = se == 0
		if se == 0xFFFFFFFF {
			never = true
		} else {
			expiry = time.Duration(se) * time.Second
		}
		if max := srv.MaxSessionExpiry; max > 0 && (never || expiry > max) {
			never, expiry = false, max
			ack.Properties.SessionExpiry = uint32(max / time.Second)
			ack.Properties.Set(packet.PropSessionExpiry)
		}
		if assigned {
			ack.Properties.AssignedClientID = id
		}
		ack.Properties.ReceiveMaximum = srv.receiveMaximum()
		ack.Properties.MaximumPacketSize = uint32(srv.maxPacketSize())
		if cp.Properties.Has(packet.PropReceiveMaximum) {
			c.sendQuota = min(c.sendQuota, int(cp.Properties.ReceiveMaximum))
		}
		if cp.Properties.Has(packet.PropMaximumPacketSize) {
			c.maxOut = int(cp.Properties.MaximumPacketSize)
		}
		srv.advertise(&ack.Properties)
		if cp.Properties.RequestResponseInfo == 1 && srv.ResponseInformation != "" {
			ack.Properties.ResponseInfo = srv.ResponseInformation // never unasked [MQTT-3.1.2-28]
		}
		c.aliasInMax = srv.topicAliasMaximum()
		ack.Properties.TopicAliasMaximum = uint16(c.aliasInMax)
		c.aliasOut.max = min(srv.outboundAliases(), int(cp.Properties.TopicAliasMaximum)) // [MQTT-3.3.2-11]
		c.problem = !cp.Properties.Has(packet.PropRequestProblemInfo) || cp.Properties.RequestProblemInfo == 1
	} else if !cp.CleanStart {
		if srv.PersistentSessionExpiry > 0 {
			expiry = srv.PersistentSessionExpiry
		} else {
			never = true
		}
	}
	c.rate = srv.messageLimiter()
	c.keepAlive = time.Duration(ka) * time.Second
	c.heard = true // the keep alive counts from the CONNECT
	c.nc.SetReadDeadline(time.Time{})
	// The same Reader goes on: it may hold packets sent right after the
	// CONNECT, and it drops what it kept for decoding the CONNECT when the
	// connection goes quiet (Reader.Release).
	c.r.Version = c.version

	present := srv.attach(c, cp.CleanStart, expiry, never, will, willDelay, &ack)
	srv.connected(c)
	for _, h := range srv.hooks.connect {
		h.OnConnect(c.client, present)
	}
	return true
}

// authenticate runs an enhanced authentication exchange during CONNECT:
// the method's answers go out as AUTH Continue authentication
// [MQTT-4.12.0-2] until it accepts or refuses. It returns the data for the
// CONNACK with Success, or the refusing code with why; gone means the
// connection failed or the client gave up, with nothing more to send.
func (c *conn) authenticate(ctx context.Context, ex AuthExchange, method string, data []byte) (out []byte, code mqtt.ReasonCode, why string, gone bool) {
	c.r.Version = mqtt.V5
	for {
		out, code = ex.Next(ctx, data)
		switch {
		case code == mqtt.Success:
			return out, code, "", false
		case code != mqtt.ContinueAuthentication:
			if !code.IsError() {
				code = mqtt.NotAuthorized
			}
			return nil, code, "refused by authentication method " + strconv.Quote(method), false
		case ctx.Err() != nil:
			return nil, 0, "no answer within the connect timeout", true
		}
		a := packet.Auth{ReasonCode: mqtt.ContinueAuthentication}
		a.Properties.AuthMethod = method // [MQTT-4.12.0-5]
		if len(out) > 0 {
			a.Properties.AuthData = out
		}
		b := c.appendFitting(nil, &a)
		c.nc.SetWriteDeadline(time.Now().Add(time.Second))
		n, err := c.nc.Write(b)
		c.st.wrote(b, n, true)
		if err != nil {
			return nil, 0, err.Error(), true
		}
		p, err := c.r.ReadPacket()
		if err != nil {
			var perr *mqtt.Error
			if errors.As(err, &perr) {
				return nil, perr.Code, perr.Reason, false
			}
			return nil, 0, err.Error(), true
		}
		c.st.pktIn[p.Type()].Add(1)
		switch p := p.(type) {
		case *packet.Auth:
			if p.ReasonCode != mqtt.ContinueAuthentication { // [MQTT-4.12.0-3]
				return nil, mqtt.ProtocolError, "AUTH during CONNECT with reason code " + p.ReasonCode.String(), false
			}
			if p.Properties.AuthMethod != method { // [MQTT-4.12.0-5]
				return nil, mqtt.ProtocolError, "AUTH with another Authentication Method", false
			}
			data = p.Properties.AuthData
		case *packet.Disconnect:
			return nil, 0, "client sent DISCONNECT during authentication", true
		default:
			return nil, mqtt.ProtocolError, p.Type().String() + " before authentication completed", false
		}
	}
}

func newClientID() string {
	var b [12]byte
	rand.Read(b[:])
	return "mqttx-" + hex.EncodeToString(b[:])
}

// attach makes c the connection of its client identifier's session: it
// takes the session over from a connection still attached (which gets
// DISCONNECT SessionTakenOver [MQTT-3.1.4-3]), starts afresh on Clean
// Start, or resumes a live or stored session. It queues the CONNACK, then
// the resends of unacknowledged messages [MQTT-4.4.0-1].
func (srv *Server) attach(c *conn, clean bool, expiry time.Duration, never bool, will *Message, willDelay time.Duration, ack *packet.Connack) bool {
	id := c.client.id
	srv.sessMu.Lock()
	var oldConn *conn
	var pendingWill *Message
	var pendingFrom *Client
	old := srv.session(id)
	if old != nil {
		old.mu.Lock()
		oldConn = old.c
		if oldConn != nil {
			old.c = nil
			oldConn.out = nil
			old.wakeLocked()
			if !clean {
				// The old connection closes without DISCONNECT, so its will
				// is due [MQTT-3.1.2-8] — unless it has a Will Delay
				// Interval, which the new connection cuts short
				// [MQTT-3.1.3-9]. (With Clean Start the session ends and
				// endSessionLocked publishes it.)
				if old.version != mqtt.V5 || old.willDelay == 0 {
					pendingWill, pendingFrom = old.will, old.willFrom
				}
				old.will, old.willFrom = nil, nil
			}
		}
		old.mu.Unlock()
	}
	if old != nil && clean {
		pendingWill, pendingFrom = srv.endSessionLocked(old) // [MQTT-3.1.2-4]
		old = nil
	}
	present := false
	sess := old
	if sess == nil && !clean {
		st, found, err := srv.store.Load(id)
		if err != nil {
			c.logger().Error("loading session from the store", "err", err)
		}
		if found {
			sess = newSession(srv, id)
			sess.mu.Lock()
			sess.restoreLocked(st)
			sess.mu.Unlock()
			srv.sessions.Store(id, sess)
			srv.nsess.Add(1)
		}
	}
	if sess != nil {
		present = true // [MQTT-3.2.2-2] [MQTT-3.2.2-3]
	} else {
		sess = newSession(srv, id)
		srv.sessions.Store(id, sess)
		srv.nsess.Add(1)
	}
	sess.mu.Lock()
	if sess.expTimer != nil {
		sess.expTimer.Stop()
		sess.expTimer = nil
	}
	if sess.willTimer != nil {
		sess.willTimer.Stop() // a new connection cancels a delayed will [MQTT-3.1.3-9]
		sess.willTimer = nil
	}
	sess.gen++
	sess.c = c
	c.s = sess
	sess.version = c.version
	sess.expiry, sess.never = expiry, never
	sess.disconnected = time.Time{}
	sess.will, sess.willDelay, sess.willFrom = will, willDelay, c.client
	ack.SessionPresent = present
	ack.ReasonCode = mqtt.Success
	if _, err := ack.Append(nil, c.version); err != nil {
		// Properties from a hook the CONNACK cannot carry: send it without them.
		c.logger().Error("CONNACK properties rejected; sending none from hooks", "err", err)
		ack.Properties.User, ack.Properties.ReasonString = nil, ""
	}
	c.out = c.appendFitting(c.out[:0], ack)
	if present {
		c.out = sess.resendLocked(c, c.out)
	}
	sess.mu.Unlock()
	srv.sessMu.Unlock()
	if oldConn != nil {
		oldConn.logger().Info("session taken over by a new connection")
		oldConn.terminate(mqtt.SessionTakenOver, "", DisconnectTakeover)
	}
	srv.publishWill(pendingWill, pendingFrom)
	return present
}

// resendLocked appends the unacknowledged messages of a resumed session
// in their original order: PUBLISH with DUP for those awaiting PUBACK or
// PUBREC, PUBREL for those awaiting PUBCOMP [MQTT-4.4.0-1].
func (s *session) resendLocked(c *conn, b []byte) []byte {
	now := time.Now()
	for _, e := range s.inflight {
		if e.state == awaitComp {
			rel := packet.Pubrel{PacketID: e.id}
			b, _ = rel.Append(b, c.version)
			continue
		}
		nb, use, err := c.appendPublish(b, &e, e.id, true, now)
		if err == nil {
			b = nb
			c.aliasOut.commit(e.m.Topic, use)
		}
	}
	return b
}

// queueLocked appends a control packet to the output.
func (c *conn) queue(p packet.Packet) {
	s := c.s
	s.mu.Lock()
	if s.c == c {
		c.out = c.appendFitting(c.out, p)
	}
	s.mu.Unlock()
}

// appendFitting appends p encoded for the client. When the client's
// Maximum Packet Size is too small for it, the Reason String and User
// Properties are left out, which every packet that has them allows
// [MQTT-3.1.2-24] [MQTT-3.2.2-19] [MQTT-3.2.2-20] [MQTT-3.14.2-3]
// [MQTT-3.14.2-4]; the acknowledgements' own rules say the same
// ([MQTT-3.4.2-2] [MQTT-3.4.2-3] and their peers).
func (c *conn) appendFitting(b []byte, p packet.Packet) []byte {
	if c.srv.OmitReasonStrings {
		if props := optionalProperties(p); props != nil {
			props.ReasonString = ""
		}
	}
	start := len(b)
	nb, err := p.Append(b, c.version)
	if err == nil && (c.maxOut == 0 || len(nb)-start <= c.maxOut) {
		return nb
	}
	props := optionalProperties(p)
	if props == nil || (props.ReasonString == "" && len(props.User) == 0) {
		if err != nil {
			return b[:start]
		}
		return nb // nothing to leave out: sent as it is
	}
	props.ReasonString, props.User = "", nil
	if nb, err = p.Append(b[:start], c.version); err != nil {
		return b[:start]
	}
	return nb
}

// optionalProperties returns the properties of the packets whose Reason
// String and User Properties the server may leave out.
func optionalProperties(p packet.Packet) *packet.Properties {
	switch p := p.(type) {
	case *packet.Connack:
		return &p.Properties
	case *packet.Puback:
		return &p.Properties
	case *packet.Pubrec:
		return &p.Properties
	case *packet.Pubrel:
		return &p.Properties
	case *packet.Pubcomp:
		return &p.Properties
	case *packet.Suback:
		return &p.Properties
	case *packet.Unsuback:
		return &p.Properties
	case *packet.Disconnect:
		return &p.Properties
	case *packet.Auth:
		return &p.Properties
	}
	return nil
}

// flushInline writes pending output from the reader goroutine.
func (c *conn) flushInline() {
	s := c.s
	s.mu.Lock()
	if c.writing || s.c != c || (len(c.out) == 0 && !s.sendableLocked(c)) {
		s.mu.Unlock()
		return
	}
	c.writing = true
	s.mu.Unlock()
	c.writeLoop(true)
}

// sendableLocked reports whether a queued message could be sent now.
func (s *session) sendableLocked(c *conn) bool {
	if s.q.n == 0 {
		return false
	}
	return s.q.front().qos == 0 || len(s.inflight) < c.sendQuota
}

// writeLoop writes pending output until none is left. The caller has set
// c.writing. Run inline by the reader, it hands over to a goroutine after
// a few batches so that the reader goes back to reading.
func (c *conn) writeLoop(inline bool) {
	s := c.s
	srv := c.srv
	bp := writeBufs.Get().(*[]byte)
	b := (*bp)[:0]
	defer func() {
		if cap(b) <= batchMax*2 {
			*bp = b[:0]
			writeBufs.Put(bp)
		}
	}()
	for round := 0; ; round++ {
		s.mu.Lock()
		if s.c != c || c.closed.Load() {
			c.writing = false
			s.mu.Unlock()
			return
		}
		if inline && round == 4 {
			s.mu.Unlock()
			go c.writeLoop(false)
			return
		}
		b = c.fillLocked(b[:0])
		delivered := c.delivered
		c.delivered = nil
		if len(b) == 0 {
			c.writing = false
			s.mu.Unlock()
			return
		}
		s.mu.Unlock()
		c.nc.SetWriteDeadline(time.Now().Add(srv.writeTimeout()))
		n, err := c.nc.Write(b)
		c.st.wrote(b, n, c.version == mqtt.V5)
		if err != nil {
			if !c.closed.Load() {
				c.logger().Info("write failed; closing", "err", err)
			}
			c.closeWith(DisconnectClosed, err)
			s.mu.Lock()
			c.writing = false
			s.mu.Unlock()
			return
		}
		for _, m := range delivered {
			for _, h := range srv.hooks.delivered {
				h.OnDelivered(c.client, m)
			}
		}
	}
}

// fillLocked appends the pending control packets and as many queued
// messages as the client's receive window and the batch size allow.
func (c *conn) fillLocked(b []byte) []byte {
	s := c.s
	b = append(b, c.out...)
	if cap(c.out) > 4096 {
		c.out = nil
	} else {
		c.out = c.out[:0]
	}
	var now time.Time
	popped := false
	track := len(c.srv.hooks.delivered) > 0
	for s.q.n > 0 && len(b) < batchMax {
		e := s.q.front()
		if e.m.expires != 0 {
			if now.IsZero() {
				now = time.Now()
			}
			if _, ok := e.m.remaining(now); !ok {
				s.q.pop() // expired before delivery started [MQTT-3.3.2-5]
				s.dropped++
				c.st.drop(DropExpired)
				popped = true
				continue
			}
		}
		if e.qos > 0 && len(s.inflight) >= c.sendQuota {
			break // the client's Receive Maximum [MQTT-3.3.4-9]
		}
		var id uint16
		if e.qos > 0 {
			id = s.allocIDLocked()
		}
		start := len(b)
		nb, use, err := c.appendPublish(b, e, id, false, now)
		if err != nil || (c.maxOut > 0 && len(nb)-start > c.maxOut) {
			// Too large for the client's Maximum Packet Size: dropped as
			// if sent [MQTT-3.1.2-25].
			b = nb[:start]
			s.q.pop()
			s.dropped++
			c.st.drop(DropTooLarge)
			popped = true
			continue
		}
		b = nb
		c.aliasOut.commit(e.m.Topic, use)
		if e.qos > 0 {
			x := *e
			x.id = id
			x.state = awaitAck
			if e.qos == mqtt.QoS2 {
				x.state = awaitRec
			}
			s.inflight = append(s.inflight, x)
		}
		if track {
			c.delivered = append(c.delivered, e.m)
		}
		s.q.pop()
		popped = true
	}
	if popped {
		c.fullSince = time.Time{}
		s.wakeLocked()
	}
	return b
}

// aliases are the Topic Aliases the server assigns on a connection
// [MQTT-3.3.2-7]: up to max, after which the least recently assigned one
// is given to the next new topic.
type aliases struct {
	max    int
	byName map[string]uint16
	names  []string // by alias-1
	next   int      // the alias-1 reassigned next, once all are in use
}

// aliasUse is how one PUBLISH uses an alias: alias 0 for none; assign when
// it sets the alias to its topic.
type aliasUse struct {
	alias  uint16
	assign bool
}

// use picks the alias for topic, assigned only by commit once the PUBLISH
// is really sent.
func (a *aliases) use(topic string) aliasUse {
	if a.max == 0 {
		return aliasUse{}
	}
	if id, ok := a.byName[topic]; ok {
		return aliasUse{alias: id}
	}
	if len(a.names) < a.max {
		return aliasUse{alias: uint16(len(a.names) + 1), assign: true}
	}
	return aliasUse{alias: uint16(a.next + 1), assign: true}
}

func (a *aliases) commit(topic string, u aliasUse) {
	if !u.assign {
		return
	}
	if a.byName == nil {
		a.byName = make(map[string]uint16)
	}
	i := int(u.alias) - 1
	if i < len(a.names) {
		delete(a.byName, a.names[i])
		a.names[i] = topic
		a.next = (i + 1) % a.max
	} else {
		a.names = append(a.names, topic)
	}
	a.byName[topic] = u.alias
}

// appendPublish encodes a message for this connection: with a Topic Alias
// when the client accepts them.
func (c *conn) appendPublish(b []byte, e *outMsg, id uint16, dup bool, now time.Time) ([]byte, aliasUse, error) {
	u := c.aliasOut.use(e.m.Topic)
	if u.alias == 0 {
		nb, err := e.m.appendPublish(b, c.version, e.qos, e.retain, dup, id, e.ids, now)
		return nb, u, err
	}
	nb, err := e.m.appendAliased(b, e.qos, e.retain, dup, id, e.ids, now, u.alias, u.assign)
	return nb, u, err
}
