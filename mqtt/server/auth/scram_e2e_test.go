package auth_test

import (
	"strings"
	"testing"
	"time"

	"github.com/mqttx/mqttx/mqtt"
	"github.com/mqttx/mqttx/mqtt/packet"
	"github.com/mqttx/mqttx/mqtt/server/auth"
)

// scramConnect runs a CONNECT with SCRAM-SHA-256 as user (and, when
// connectUser is set, that CONNECT User Name) and returns the CONNACK,
// after checking the server's signature in an accepting one.
func (c *rawClient) scramConnect(id, connectUser, user, password string) *packet.Connack {
	c.t.Helper()
	sc, err := auth.NewSCRAMClient(user, password)
	if err != nil {
		c.t.Fatal(err)
	}
	cp := &packet.Connect{Version: mqtt.V5, ClientID: id, CleanStart: true, Username: connectUser}
	cp.Properties.AuthMethod = auth.SCRAMSHA256
	cp.Properties.AuthData = sc.First()
	c.send(cp)
	for {
		p, err := c.recv(5 * time.Second)
		if err != nil {
			c.t.Fatalf("SCRAM CONNECT %s: %v", id, err)
		}
		switch p := p.(type) {
		case *packet.Auth:
			if p.ReasonCode != mqtt.ContinueAuthentication || p.Properties.AuthMethod != auth.SCRAMSHA256 {
				c.t.Fatalf("AUTH %v %q", p.ReasonCode, p.Properties.AuthMethod)
			}
			final, err := sc.Next(p.Properties.AuthData)
			if err != nil {
				c.t.Fatal(err)
			}
			a := &packet.Auth{ReasonCode: mqtt.ContinueAuthentication}
			a.Properties.AuthMethod, a.Properties.AuthData = auth.SCRAMSHA256, final
			c.send(a)
		case *packet.Connack:
			if p.ReasonCode == mqtt.Success {
				if err := sc.Verify(p.Properties.AuthData); err != nil {
					c.t.Errorf("CONNACK of %s: %v", id, err)
				}
			}
			return p
		default:
			c.t.Fatalf("got %v during SCRAM", p.Type())
		}
	}
}

// A broker with the SCRAM method, a password file and an ACL: SCRAM users
// connect without a password, get their SCRAM identity for the ACL, and
// re-authenticate as themselves only.
func TestSCRAMOverTheWire(t *testing.T) {
	cred, err := auth.HashSCRAM("pencil", 0)
	if err != nil {
		t.Fatal(err)
	}
	scram, err := auth.NewSCRAM(strings.NewReader("alice:"+cred+"\nbob:"+cred+"\n"), "scram")
	if err != nil {
		t.Fatal(err)
	}
	pw, err := auth.NewPasswords(strings.NewReader(""), "pw")
	if err != nil {
		t.Fatal(err)
	}
	acl, err := auth.NewACL(strings.NewReader("user alice\ntopic write alice/#\n"), "acl")
	if err != nil {
		t.Fatal(err)
	}
	addr := serve(t, scram, pw, acl)

	for _, tc := range []struct {
		name, connectUser, user, password string
		want                              mqtt.ReasonCode
	}{
		{"wrong password", "", "alice", "pencil!", mqtt.BadUserNameOrPassword},
		{"unknown user", "", "mallory", "pencil", mqtt.BadUserNameOrPassword},
		{"CONNECT names another user", "bob", "alice", "pencil", mqtt.BadUserNameOrPassword},
	} {
		if ack := dial(t, addr, mqtt.V5).scramConnect("x", tc.connectUser, tc.user, tc.password); ack.ReasonCode != tc.want {
			t.Errorf("%s: CONNACK %v, want %v", tc.name, ack.ReasonCode, tc.want)
		}
	}

	alice := dial(t, addr, mqtt.V5)
	if ack := alice.scramConnect("alice", "", "alice", "pencil"); ack.ReasonCode != mqtt.Success || ack.Properties.AuthMethod != auth.SCRAMSHA256 {
		t.Fatalf("alice: CONNACK %v method %q", ack.ReasonCode, ack.Properties.AuthMethod)
	}
	// The ACL sees the SCRAM user: alice may write alice/#.
	alice.send(&packet.Publish{Topic: "alice/x", QoS: mqtt.QoS1, PacketID: 1, Payload: []byte("x")})
	if p, err := alice.recv(5 * time.Second); err != nil {
		t.Fatal(err)
	} else if a, ok := p.(*packet.Puback); !ok || a.ReasonCode.IsError() {
		t.Fatalf("alice publishing: got %+v, want PUBACK without error", p)
	}

	// Re-authentication as herself.
	reauth := func(c *rawClient, user string) packet.Packet {
		t.Helper()
		sc, err := auth.NewSCRAMClient(user, "pencil")
		if err != nil {
			t.Fatal(err)
		}
		a := &packet.Auth{ReasonCode: mqtt.ReAuthenticate}
		a.Properties.AuthMethod, a.Properties.AuthData = auth.SCRAMSHA256, sc.First()
		c.send(a)
		p, err := c.recv(5 * time.Second)
		if err != nil {
			t.Fatal(err)
		}
		got, ok := p.(*packet.Auth)
		if !ok || got.ReasonCode != mqtt.ContinueAuthentication {
			return p
		}
		final, err := sc.Next(got.Properties.AuthData)
		if err != nil {
			t.Fatal(err)
		}
		a = &packet.Auth{ReasonCode: mqtt.ContinueAuthentication}
		a.Properties.AuthMethod, a.Properties.AuthData = auth.SCRAMSHA256, final
		c.send(a)
		if p, err = c.recv(5 * time.Second); err != nil {
			t.Fatal(err)
		}
		if got, ok := p.(*packet.Auth); ok && got.ReasonCode == mqtt.Success {
			if err := sc.Verify(got.Properties.AuthData); err != nil {
				t.Errorf("re-authentication: %v", err)
			}
		}
		return p
	}
	if p := reauth(alice, "alice"); p.Type() != packet.TypeAuth || p.(*packet.Auth).ReasonCode != mqtt.Success {
		t.Errorf("re-authentication as alice: %+v", p)
	}
	// As bob, whose password she knows too: refused, and disconnected.
	if p := reauth(alice, "bob"); p.Type() != packet.TypeDisconnect || p.(*packet.Disconnect).ReasonCode != mqtt.NotAuthorized {
		t.Errorf("re-authentication as bob: %+v, want DISCONNECT NotAuthorized", p)
	}
}
