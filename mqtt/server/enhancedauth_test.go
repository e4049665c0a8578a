package server_test

import (
	"context"
	"sync"
	"testing"

	"github.com/mqttx/mqttx/mqtt"
	"github.com/mqttx/mqttx/mqtt/packet"
	"github.com/mqttx/mqttx/mqtt/server"
)

// challenge is a two-step test method: the client names itself, the
// server asks for the name reversed, and accepts when it gets it.
type challenge struct {
	mu    sync.Mutex
	users []string // identities set, in order
}

func (*challenge) Method() string { return "TEST-CHALLENGE" }

func (h *challenge) StartAuth(c *server.Client, connect *packet.Connect) server.AuthExchange {
	return &challengeRun{h: h, c: c, reauth: connect == nil}
}

type challengeRun struct {
	h      *challenge
	c      *server.Client
	reauth bool
	name   string
}

func (r *challengeRun) Next(ctx context.Context, data []byte) ([]byte, mqtt.ReasonCode) {
	if r.name == "" {
		if len(data) == 0 {
			return nil, mqtt.NotAuthorized
		}
		r.name = string(data)
		return []byte("reverse " + r.name), mqtt.ContinueAuthentication
	}
	if string(data) != reverse(r.name) {
		return nil, mqtt.BadUserNameOrPassword
	}
	if r.reauth && r.c.Username() != r.name {
		return nil, mqtt.NotAuthorized
	}
	r.c.SetUsername(r.name)
	r.h.mu.Lock()
	r.h.users = append(r.h.users, r.c.Username())
	r.h.mu.Unlock()
	return []byte("welcome " + r.name), mqtt.Success
}

func reverse(s string) string {
	b := []byte(s)
	for i, j := 0, len(b)-1; i < j; i, j = i+1, j-1 {
		b[i], b[j] = b[j], b[i]
	}
	return string(b)
}

func authPacket(code mqtt.ReasonCode, method, data string) *packet.Auth {
	a := &packet.Auth{ReasonCode: code}
	a.Properties.AuthMethod = method
	if data != "" {
		a.Properties.AuthData = []byte(data)
	}
	return a
}

func authConnect(id, method, data string) *packet.Connect {
	cp := &packet.Connect{Version: mqtt.V5, ClientID: id, CleanStart: true, KeepAlive: 60}
	cp.Properties.AuthMethod = method
	if data != "" {
		cp.Properties.AuthData = []byte(data)
	}
	return cp
}

// enhancedConnect runs the test method's exchange up to the CONNACK.
func enhancedConnect(t *testing.T, addr, name, answer string) (*client, *packet.Connack) {
	t.Helper()
	c := dial(t, addr, mqtt.V5)
	c.send(authConnect("ea-"+name, "TEST-CHALLENGE", name))
	a := expect[*packet.Auth](c)
	if a.ReasonCode != mqtt.ContinueAuthentication || a.Properties.AuthMethod != "TEST-CHALLENGE" || string(a.Properties.AuthData) != "reverse "+name {
		t.Fatalf("first AUTH = %v %q %q, want Continue authentication, the method, the challenge", a.ReasonCode, a.Properties.AuthMethod, a.Properties.AuthData)
	}
	c.send(authPacket(mqtt.ContinueAuthentication, "TEST-CHALLENGE", answer))
	return c, expect[*packet.Connack](c)
}

type connectedUsers struct {
	mu    sync.Mutex
	names []string
}

func (h *connectedUsers) OnConnect(c *server.Client, _ bool) {
	h.mu.Lock()
	h.names = append(h.names, c.Username())
	h.mu.Unlock()
}

func TestEnhancedAuthDuringConnect(t *testing.T) {
	method := new(challenge)
	users := new(connectedUsers)
	addr := start(t, &server.Server{Hooks: []server.Hook{method, users}})

	c, ack := enhancedConnect(t, addr, "alice", "ecila")
	if ack.ReasonCode != mqtt.Success {
		t.Fatalf("CONNACK %v, want Success", ack.ReasonCode)
	}
	if ack.Properties.AuthMethod != "TEST-CHALLENGE" || string(ack.Properties.AuthData) != "welcome alice" {
		t.Errorf("CONNACK carries method %q data %q, want the method [MQTT-4.12.0-5] and the final data", ack.Properties.AuthMethod, ack.Properties.AuthData)
	}
	c.disconnect()
	users.mu.Lock()
	got := users.names
	users.mu.Unlock()
	if len(got) != 1 || got[0] != "alice" {
		t.Errorf("connected users %q, want the identity the method set", got)
	}

	// A wrong answer: CONNACK with the method's code, then close.
	c, ack = enhancedConnect(t, addr, "bob", "wrong")
	if ack.ReasonCode != mqtt.BadUserNameOrPassword {
		t.Errorf("CONNACK %v, want Bad user name or password", ack.ReasonCode)
	}
	if ack.Properties.AuthMethod != "" {
		t.Errorf("refusing CONNACK names the method %q", ack.Properties.AuthMethod)
	}
	c.closed()

	// Another packet instead of the AUTH: protocol error.
	c = dial(t, addr, mqtt.V5)
	c.send(authConnect("ea-carol", "TEST-CHALLENGE", "carol"))
	expect[*packet.Auth](c)
	c.send(&packet.Publish{Topic: "a", Payload: []byte("x")})
	if ack := expect[*packet.Connack](c); ack.ReasonCode != mqtt.ProtocolError {
		t.Errorf("PUBLISH during authentication: CONNACK %v, want Protocol error", ack.ReasonCode)
	}
	c.closed()

	// An AUTH with another method [MQTT-4.12.0-5].
	c = dial(t, addr, mqtt.V5)
	c.send(authConnect("ea-dave", "TEST-CHALLENGE", "dave"))
	expect[*packet.Auth](c)
	c.send(authPacket(mqtt.ContinueAuthentication, "OTHER", "evad"))
	if ack := expect[*packet.Connack](c); ack.ReasonCode != mqtt.ProtocolError {
		t.Errorf("AUTH with another method: CONNACK %v, want Protocol error", ack.ReasonCode)
	}
	c.closed()

	// A method no hook offers [MQTT-4.12.0-1].
	c = dial(t, addr, mqtt.V5)
	if ack := c.connect(authConnect("ea-eve", "NOPE", "")); ack.ReasonCode != mqtt.BadAuthenticationMethod {
		t.Errorf("unknown method: CONNACK %v, want Bad authentication method", ack.ReasonCode)
	}
	c.closed()

	// Without a method the server sends no AUTH and no method [MQTT-4.12.0-6].
	c = open(t, addr, mqtt.V5, "ea-plain")
	c.send(authPacket(mqtt.ReAuthenticate, "TEST-CHALLENGE", "plain"))
	got2 := c.closed()
	if len(got2) != 1 || got2[0].(*packet.Disconnect).ReasonCode != mqtt.ProtocolError {
		t.Errorf("AUTH without a method in CONNECT: got %v, want DISCONNECT Protocol error", got2)
	}
}

func TestReauthentication(t *testing.T) {
	method := new(challenge)
	addr := start(t, &server.Server{Hooks: []server.Hook{method}})
	c, ack := enhancedConnect(t, addr, "alice", "ecila")
	if ack.ReasonCode != mqtt.Success {
		t.Fatalf("CONNACK %v", ack.ReasonCode)
	}
	c.subscribe(1, packet.Subscription{Filter: "re/#", QoS: 1})

	c.send(authPacket(mqtt.ReAuthenticate, "TEST-CHALLENGE", "alice"))
	a := expect[*packet.Auth](c)
	if a.ReasonCode != mqtt.ContinueAuthentication || string(a.Properties.AuthData) != "reverse alice" {
		t.Fatalf("AUTH %v %q, want Continue authentication with the challenge", a.ReasonCode, a.Properties.AuthData)
	}
	// Other packets flow while re-authentication is in progress.
	c.send(&packet.Publish{Topic: "re/x", QoS: 1, PacketID: 7, Payload: []byte("during")})
	var sawAck, sawMsg bool
	for !sawAck || !sawMsg {
		switch p := c.recv().(type) {
		case *packet.Puback:
			sawAck = p.PacketID == 7
		case *packet.Publish:
			sawMsg = string(p.Payload) == "during"
			c.send(&packet.Puback{PacketID: p.PacketID})
		default:
			t.Fatalf("unexpected %v", p.Type())
		}
	}
	c.send(authPacket(mqtt.ContinueAuthentication, "TEST-CHALLENGE", "ecila"))
	a = expect[*packet.Auth](c)
	if a.ReasonCode != mqtt.Success || a.Properties.AuthMethod != "TEST-CHALLENGE" || string(a.Properties.AuthData) != "welcome alice" {
		t.Fatalf("AUTH %v %q %q, want Success with the method and data", a.ReasonCode, a.Properties.AuthMethod, a.Properties.AuthData)
	}

	// Another method: protocol error [MQTT-4.12.1-1].
	c.send(authPacket(mqtt.ReAuthenticate, "OTHER", "alice"))
	if got := c.closed(); len(got) != 1 || got[0].(*packet.Disconnect).ReasonCode != mqtt.ProtocolError {
		t.Errorf("re-authentication with another method: got %v, want DISCONNECT Protocol error", got)
	}

	// A failed re-authentication ends the connection with DISCONNECT
	// [MQTT-4.12.1-2]: Not authorized, as DISCONNECT cannot carry the
	// method's Bad user name or password.
	c, ack = enhancedConnect(t, addr, "bob", "bob")
	if ack.ReasonCode != mqtt.Success {
		t.Fatalf("CONNACK %v", ack.ReasonCode)
	}
	c.send(authPacket(mqtt.ReAuthenticate, "TEST-CHALLENGE", "bob"))
	expect[*packet.Auth](c)
	c.send(authPacket(mqtt.ContinueAuthentication, "TEST-CHALLENGE", "nope"))
	got := c.closed()
	if len(got) != 1 || got[0].(*packet.Disconnect).ReasonCode != mqtt.NotAuthorized {
		t.Errorf("failed re-authentication: got %v, want DISCONNECT Not authorized", got)
	}

	// Continue authentication out of turn is a protocol error [MQTT-4.12.0-3].
	c, _ = enhancedConnect(t, addr, "carol", "lorac")
	c.send(authPacket(mqtt.ContinueAuthentication, "TEST-CHALLENGE", "x"))
	if got := c.closed(); len(got) != 1 || got[0].(*packet.Disconnect).ReasonCode != mqtt.ProtocolError {
		t.Errorf("AUTH Continue with no exchange: got %v, want DISCONNECT Protocol error", got)
	}
}
