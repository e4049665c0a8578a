package server

import (
	"context"
	"crypto/tls"
	"net"
	"sync/atomic"

	"github.com/mqttx/mqttx/mqtt"
	"github.com/mqttx/mqttx/mqtt/packet"
)

// Hooks are values in [Server.Hooks], each implementing any number of the
// small interfaces below; the server finds them by type assertion. Several
// hooks compose: they are called in order, and for every decision any
// refusal wins (the first refusing hook's reason code is the answer).
//
// Hooks are called from the goroutine of the connection concerned (or of
// the publisher, for delivery checks), never while the server holds a
// lock, so a hook may call back into the Server. They run on the hot path
// of their connection and should be quick.
type Hook = any

// Authenticator decides whether a CONNECT is accepted. It runs before any
// existing session of the client identifier is touched, so a client that
// fails authentication can never take over another's session.
//
// It returns [mqtt.Success] to accept or a CONNACK reason code to refuse
// (for MQTT 3.x clients mapped to the nearest return code:
// BadUserNameOrPassword → 4, NotAuthorized → 5, …). It may add properties
// to the MQTT 5 CONNACK (User Properties, Reason String, Server Reference
// with UseAnotherServer or ServerMoved) and attach a value to the client
// with [Client.SetValue]. ctx ends with the CONNECT timeout.
type Authenticator interface {
	Authenticate(ctx context.Context, c *Client, connect *packet.Connect, connack *packet.Connack) mqtt.ReasonCode
}

// Access is what a client asks to do with a topic.
type Access byte

const (
	// AccessPublish: the client publishes to a topic name, a will included.
	AccessPublish Access = iota + 1
	// AccessSubscribe: the client subscribes to a topic filter.
	AccessSubscribe
	// AccessReceive: a message with this topic name is about to be sent
	// to the client, live or retained.
	AccessReceive
)

func (a Access) String() string {
	switch a {
	case AccessPublish:
		return "publish"
	case AccessSubscribe:
		return "subscribe"
	case AccessReceive:
		return "receive"
	}
	return "access?"
}

// Authorizer allows or denies access to a topic. A denied publish is
// answered with NotAuthorized in the PUBACK or PUBREC (MQTT 5) or
// acknowledged and dropped (MQTT 3.x, [MQTT-3.3.5-2]); a denied subscribe
// gets NotAuthorized (0x80 below MQTT 5) in its SUBACK slot; a denied
// receive silently skips that client; a will whose topic is denied refuses
// the CONNECT with NotAuthorized.
type Authorizer interface {
	Authorize(c *Client, a Access, topic string) bool
}

// PublishHook sees every PUBLISH a client sends, after authorization and
// before routing. It may modify m (topic, payload, QoS, retain,
// properties) and returns Success to route it or an error reason code to
// drop it, which a QoS 1 or 2 sender on MQTT 5 gets in its PUBACK or
// PUBREC. To disconnect the client instead, call c.Disconnect.
type PublishHook interface {
	OnPublish(c *Client, m *Message) mqtt.ReasonCode
}

// SubscribeHook decides each topic filter of a SUBSCRIBE: it returns the
// granted QoS (GrantedQoS0 to GrantedQoS2, at most sub.QoS) or a failure
// reason code. The lowest grant of all hooks is used.
type SubscribeHook interface {
	OnSubscribe(c *Client, sub *packet.Subscription) mqtt.ReasonCode
}

// UnsubscribeHook is told of each filter a client unsubscribes.
type UnsubscribeHook interface {
	OnUnsubscribe(c *Client, filter string)
}

// ConnectHook is told when a client has been accepted and its CONNACK
// queued.
type ConnectHook interface {
	OnConnect(c *Client, sessionPresent bool)
}

// DisconnectReason tells why a connection ended.
type DisconnectReason byte

const (
	// DisconnectNormal: the client sent DISCONNECT.
	DisconnectNormal DisconnectReason = iota + 1
	// DisconnectClosed: the network connection closed or failed without
	// DISCONNECT.
	DisconnectClosed
	// DisconnectKeepAlive: nothing arrived within 1.5 times the keep alive.
	DisconnectKeepAlive
	// DisconnectTakeover: another connection took over the session.
	DisconnectTakeover
	// DisconnectServer: the server closed it (Server.Disconnect, shutdown,
	// a hook, or a slow consumer).
	DisconnectServer
	// DisconnectProtocolError: the client broke the protocol.
	DisconnectProtocolError
)

func (r DisconnectReason) String() string {
	switch r {
	case DisconnectNormal:
		return "normal"
	case DisconnectClosed:
		return "closed"
	case DisconnectKeepAlive:
		return "keepalive timeout"
	case DisconnectTakeover:
		return "session taken over"
	case DisconnectServer:
		return "server disconnect"
	case DisconnectProtocolError:
		return "protocol error"
	}
	return "unknown"
}

// DisconnectHook is told when an accepted client's connection has ended;
// err holds the failure, if any.
type DisconnectHook interface {
	OnDisconnect(c *Client, reason DisconnectReason, err error)
}

// SessionExpiredHook is told when a session ends because its expiry
// interval passed while its client was away.
type SessionExpiredHook interface {
	OnSessionExpired(clientID string)
}

// DeliveredHook is told of every message written to a client.
type DeliveredHook interface {
	OnDelivered(c *Client, m *Message)
}

// AckedHook is told when a client acknowledges a QoS 1 (PUBACK) or QoS 2
// (PUBCOMP) message.
type AckedHook interface {
	OnAcked(c *Client, m *Message)
}

// Client is a connected client as hooks see it. Its identity fields are
// fixed once the CONNECT is accepted; methods are safe for concurrent use.
type Client struct {
	id         string
	username   string
	version    mqtt.Version
	remote     net.Addr
	tlsState   *tls.ConnectionState
	listener   string
	value      atomic.Pointer[any]
	conn       *conn
	assignedID bool
}

// ID is the client identifier (as assigned by the server when the client
// sent an empty one).
func (c *Client) ID() string { return c.id }

// Username is the CONNECT user name, "" when none was given.
func (c *Client) Username() string { return c.username }

// Version is the protocol version the client speaks.
func (c *Client) Version() mqtt.Version { return c.version }

// RemoteAddr is the address of the client's end of the connection.
func (c *Client) RemoteAddr() net.Addr { return c.remote }

// TLS is the connection's TLS state, nil on a plain connection.
func (c *Client) TLS() *tls.ConnectionState { return c.tlsState }

// Listener names the listener the client came through: its address
// ("host:port", or a Unix socket's path), or the URL of a WebSocket
// listener.
func (c *Client) Listener() string { return c.listener }

// Value returns what an Authenticator attached with SetValue.
func (c *Client) Value() any {
	if v := c.value.Load(); v != nil {
		return *v
	}
	return nil
}

// SetUsername sets the user name the client is known by: the identity an
// Authenticator or AuthMethod established (a certificate's subject, a
// token's subject, a SCRAM user). It has effect only while the CONNECT is
// being authenticated; after that the identity is fixed.
func (c *Client) SetUsername(name string) {
	if c.conn != nil && !c.conn.accepted {
		c.username = name
	}
}

// SetValue attaches an application value to the client (the user context
// of an authentication, for example).
func (c *Client) SetValue(v any) { c.value.Store(&v) }

// Disconnect ends the client's connection: an MQTT 5 client first gets a
// DISCONNECT with code, an MQTT 3.x client's connection is closed. It
// returns at once; the connection ends on its own goroutine.
func (c *Client) Disconnect(code mqtt.ReasonCode) {
	c.DisconnectWith(&packet.Disconnect{ReasonCode: code})
}

// DisconnectWith is Disconnect with the whole DISCONNECT an MQTT 5 client
// gets: its reason code and properties (Reason String, User Properties, a
// Server Reference with UseAnotherServer or ServerMoved to redirect the
// client). A Session Expiry Interval, which a server may not send
// [MQTT-3.14.2-2], is left out.
func (c *Client) DisconnectWith(d *packet.Disconnect) {
	if c.conn != nil {
		go c.conn.terminateWith(d, DisconnectServer)
	}
}

// hookSet holds Server.Hooks sorted by interface.
type hookSet struct {
	auth        []Authenticator
	authz       []Authorizer
	publish     []PublishHook
	subscribe   []SubscribeHook
	unsubscribe []UnsubscribeHook
	connect     []ConnectHook
	disconnect  []DisconnectHook
	expired     []SessionExpiredHook
	delivered   []DeliveredHook
	acked       []AckedHook
	methods     []AuthMethod
}

func newHookSet(hs []Hook) *hookSet {
	return &hookSet{
		auth:        hooksOf[Authenticator](hs),
		authz:       hooksOf[Authorizer](hs),
		publish:     hooksOf[PublishHook](hs),
		subscribe:   hooksOf[SubscribeHook](hs),
		unsubscribe: hooksOf[UnsubscribeHook](hs),
		connect:     hooksOf[ConnectHook](hs),
		disconnect:  hooksOf[DisconnectHook](hs),
		expired:     hooksOf[SessionExpiredHook](hs),
		delivered:   hooksOf[DeliveredHook](hs),
		acked:       hooksOf[AckedHook](hs),
		methods:     hooksOf[AuthMethod](hs),
	}
}

// hooksOf returns the hooks implementing T, in order.
func hooksOf[T any](hs []Hook) []T {
	var out []T
	for _, h := range hs {
		if v, ok := h.(T); ok {
			out = append(out, v)
		}
	}
	return out
}

func (h *hookSet) authenticate(ctx context.Context, c *Client, p *packet.Connect, ack *packet.Connack) mqtt.ReasonCode {
	for _, a := range h.auth {
		if code := a.Authenticate(ctx, c, p, ack); code != mqtt.Success {
			return code
		}
	}
	return mqtt.Success
}

// method returns the first hook offering the authentication method.
func (h *hookSet) method(name string) AuthMethod {
	for _, m := range h.methods {
		if m.Method() == name {
			return m
		}
	}
	return nil
}

func (h *hookSet) allowed(c *Client, a Access, topic string) bool {
	for _, z := range h.authz {
		if !z.Authorize(c, a, topic) {
			return false
		}
	}
	return true
}

func (h *hookSet) onPublish(c *Client, m *Message) mqtt.ReasonCode {
	for _, p := range h.publish {
		if code := p.OnPublish(c, m); code.IsError() {
			return code
		}
	}
	return mqtt.Success
}

// onSubscribe returns the grant of all SubscribeHooks: the lowest QoS, or
// the first failure.
func (h *hookSet) onSubscribe(c *Client, sub *packet.Subscription) mqtt.ReasonCode {
	grant := mqtt.ReasonCode(sub.QoS)
	for _, s := range h.subscribe {
		code := s.OnSubscribe(c, sub)
		if code.IsError() {
			return code
		}
		if code > mqtt.GrantedQoS2 {
			return mqtt.ImplementationSpecificError
		}
		grant = min(grant, code)
	}
	return grant
}

// AuthMethod is an MQTT 5 enhanced authentication method. A CONNECT whose
// Authentication Method names it runs an exchange of AUTH packets before
// its CONNACK; a connected client that sends AUTH Re-authenticate with the
// same method runs another. A CONNECT naming a method no hook offers gets
// CONNACK BadAuthenticationMethod [MQTT-4.12.0-1].
//
// A client accepted through a method also passes through the
// [Authenticator] hooks; connect.Properties.AuthMethod tells them it did.
type AuthMethod interface {
	// Method is the Authentication Method's name, "SCRAM-SHA-256" say.
	Method() string
	// StartAuth begins an exchange for c. connect is the CONNECT being
	// authenticated, nil for a re-authentication.
	StartAuth(c *Client, connect *packet.Connect) AuthExchange
}

// AuthExchange is one run of an authentication method.
type AuthExchange interface {
	// Next is given the Authentication Data the client sent, in CONNECT
	// or AUTH, and returns the data for the server's answer with its
	// code: ContinueAuthentication sends AUTH and waits for the client's
	// next step, Success accepts (the data goes in CONNACK, or in AUTH
	// Success after a re-authentication), any error code refuses.
	// ctx ends with the CONNECT timeout. data is valid only during the
	// call.
	Next(ctx context.Context, data []byte) ([]byte, mqtt.ReasonCode)
}
