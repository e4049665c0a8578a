package server_test

// The MQTT 5 features and protections as paho.golang sees them.

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/eclipse/paho.golang/paho"
	"github.com/mqttx/mqttx/mqtt"
	"github.com/mqttx/mqttx/mqtt/server"
)

// pahoChallenge answers the TEST-CHALLENGE method for paho.golang.
type pahoChallenge struct {
	name string
	mu   sync.Mutex
	done int
}

func (a *pahoChallenge) Authenticate(in *paho.Auth) *paho.Auth {
	return &paho.Auth{ReasonCode: byte(mqtt.ContinueAuthentication), Properties: &paho.AuthProperties{
		AuthMethod: "TEST-CHALLENGE", AuthData: []byte(reverse(a.name)),
	}}
}

func (a *pahoChallenge) Authenticated() {
	a.mu.Lock()
	a.done++
	a.mu.Unlock()
}

func TestPahoEnhancedAuth(t *testing.T) {
	users := new(connectedUsers)
	addr := start(t, &server.Server{Hooks: []server.Hook{new(challenge), users}})
	auther := &pahoChallenge{name: "alice"}
	cp := pahoClean("paho-ea")
	cp.Properties = &paho.ConnectProperties{AuthMethod: "TEST-CHALLENGE", AuthData: []byte("alice")}
	c, ack := connectPahoV5Config(t, addr, cp, func(cfg *paho.ClientConfig) { cfg.AuthHandler = auther })
	if ack.Properties == nil || ack.Properties.AuthMethod != "TEST-CHALLENGE" || string(ack.Properties.AuthData) != "welcome alice" {
		t.Fatalf("CONNACK properties %+v", ack.Properties)
	}
	users.mu.Lock()
	if len(users.names) != 1 || users.names[0] != "alice" {
		t.Errorf("connected as %q, want alice", users.names)
	}
	users.mu.Unlock()

	ctx, cancel := context.WithTimeout(context.Background(), pahoWait)
	defer cancel()
	resp, err := c.Authenticate(ctx, &paho.Auth{ReasonCode: byte(mqtt.ReAuthenticate), Properties: &paho.AuthProperties{
		AuthMethod: "TEST-CHALLENGE", AuthData: []byte("alice"),
	}})
	if err != nil || !resp.Success {
		t.Fatalf("re-authentication: %+v, %v", resp, err)
	}

	// A wrong answer is refused in CONNACK.
	cp = pahoClean("paho-ea2")
	cp.Properties = &paho.ConnectProperties{AuthMethod: "TEST-CHALLENGE", AuthData: []byte("bob")}
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	bad := paho.NewClient(paho.ClientConfig{Conn: nc, AuthHandler: &pahoChallenge{name: "not bob"}, OnClientError: func(error) {}})
	ack, err = bad.Connect(ctx, cp)
	if err == nil || ack == nil || ack.ReasonCode != byte(mqtt.BadUserNameOrPassword) {
		t.Errorf("wrong answer: CONNACK %+v, err %v; want Bad user name or password", ack, err)
	}
}

func TestPahoCapabilitiesAndLimits(t *testing.T) {
	srv := &server.Server{
		Disable:             server.FeatureQoS2 | server.FeatureShared,
		ResponseInformation: "replies/",
		MaxSubscriptions:    1,
		MaxRetainedMessages: 1,
		MaxTopicLevels:      2,
	}
	addr := start(t, srv)
	cp := pahoClean("paho-cap")
	cp.Properties = &paho.ConnectProperties{RequestResponseInfo: true}
	c, ack := connectPahoV5(t, addr, cp)
	p := ack.Properties
	if p == nil || p.MaximumQoS == nil || *p.MaximumQoS != 1 || p.SharedSubAvailable || !p.WildcardSubAvailable || !p.RetainAvailable || p.ResponseInfo != "replies/" {
		t.Fatalf("CONNACK properties %+v", p)
	}
	ctx, cancel := context.WithTimeout(context.Background(), pahoWait)
	defer cancel()
	sa, err := c.Subscribe(ctx, &paho.Subscribe{Subscriptions: []paho.SubscribeOptions{{Topic: "a/#", QoS: 2}, {Topic: "b"}}})
	if err != nil && sa == nil {
		t.Fatal(err)
	}
	if len(sa.Reasons) != 2 || sa.Reasons[0] != 1 || sa.Reasons[1] != byte(mqtt.QuotaExceeded) {
		t.Errorf("SUBACK %v, want granted QoS 1 (the maximum) and Quota exceeded (MaxSubscriptions)", sa.Reasons)
	}
	for i, tc := range []struct {
		topic  string
		retain bool
		code   mqtt.ReasonCode
	}{
		{"r/1", true, mqtt.NoMatchingSubscribers},
		{"r/2", true, mqtt.QuotaExceeded},       // MaxRetainedMessages
		{"x/y/z", false, mqtt.TopicNameInvalid}, // MaxTopicLevels
		{"a/1", false, mqtt.Success},
	} {
		r, err := c.Publish(ctx, &paho.Publish{Topic: tc.topic, QoS: 1, Retain: tc.retain, Payload: []byte("p")})
		var code byte
		if r != nil {
			code = r.ReasonCode
		}
		if code != byte(tc.code) {
			t.Errorf("publish %d (%s): PUBACK %#x, err %v; want %v", i, tc.topic, code, err, tc.code)
		}
	}
	c.nextIs("a/1", "p")
}

func TestPahoMessageRate(t *testing.T) {
	addr := start(t, &server.Server{MessageRate: 0.001, MessageBurst: 1})
	c, _ := connectPahoV5(t, addr, pahoClean("paho-rate"))
	c.publish(&paho.Publish{Topic: "r", QoS: 1, Payload: []byte("1")})
	// paho.golang reports the DISCONNECT once the unacknowledged publish
	// has given up waiting.
	pctx, pcancel := context.WithTimeout(context.Background(), pahoWait/5)
	defer pcancel()
	if _, err := c.Publish(pctx, &paho.Publish{Topic: "r", QoS: 1, Payload: []byte("2")}); err == nil {
		t.Fatal("publish over the rate acknowledged")
	}
	select {
	case d := <-c.disc:
		if d.ReasonCode != byte(mqtt.MessageRateTooHigh) {
			t.Errorf("DISCONNECT %#x, want Message rate too high", d.ReasonCode)
		}
	case <-time.After(pahoWait):
		t.Fatal("no DISCONNECT")
	}
}

func TestPahoRedirection(t *testing.T) {
	addr := start(t, &server.Server{Hooks: []server.Hook{redirect{mqtt.UseAnotherServer}}})
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	c := paho.NewClient(paho.ClientConfig{Conn: nc, OnClientError: func(error) {}})
	ctx, cancel := context.WithTimeout(context.Background(), pahoWait)
	defer cancel()
	ack, err := c.Connect(ctx, pahoClean("paho-rd"))
	if err == nil || ack == nil {
		t.Fatalf("connect: CONNACK %+v, err %v; want a refusal", ack, err)
	}
	if ack.ReasonCode != byte(mqtt.UseAnotherServer) || ack.Properties == nil || ack.Properties.ServerReference != "other.example:1883" {
		t.Errorf("CONNACK %#x %+v, want Use another server with the reference", ack.ReasonCode, ack.Properties)
	}
}
