package conformance

import (
	"github.com/mqttx/mqttx/mqtt"
	"github.com/mqttx/mqttx/mqtt/packet"
	. "github.com/onsi/gomega"
)

// Checks of MQTT 5 enhanced authentication with SCRAM-SHA-256, for a
// broker whose profile names a SCRAM user (scram: {username, password}):
// the AUTH exchange of a CONNECT, a refused proof, and re-authentication.

// scramStart dials and runs a SCRAM exchange up to the client's last
// step: CONNECT with the method and the client-first-message, the
// broker's AUTH Continue authentication naming the method, and the
// client's AUTH Continue authentication with the client-final-message
// computed from password. The broker's answer to that is left to the
// caller.
func (t *T) scramStart(password string) (*Conn, *scramClient) {
	t.Helper()
	sc := newSCRAMClient(t.Profile().SCRAM.Username, password)
	c := t.Dial(t.V)
	p := t.ConnectPacket(t.V)
	p.Username, p.Password = t.Profile().SCRAM.Username, nil
	p.Properties.AuthMethod = scramMethod
	p.Properties.AuthData = sc.first()
	c.Name = p.ClientID
	c.Send(p)
	r := c.ExpectNext("AUTH Continue authentication to a CONNECT with method " + scramMethod)
	a, ok := r.Packet.(*packet.Auth)
	if !ok {
		t.Fatalf("expected AUTH Continue authentication (0x18) with the server-first-message; got %s", describe(r.Packet, t.V))
	}
	c.Send(t.scramAnswer(a, sc, "CONNECT"))
	return c, sc
}

// scramAnswer checks an AUTH from the broker that continues an exchange
// (reason 0x18, the method repeated) and returns the client's answer to
// its server-first-message.
func (t *T) scramAnswer(a *packet.Auth, sc *scramClient, during string) *packet.Auth {
	t.Helper()
	t.Expect(a.ReasonCode).To(Equal(mqtt.ContinueAuthentication), "AUTH continuing the exchange of a %s: %s", during, describe(a, t.V))
	t.Expect(a.Properties.AuthMethod).To(Equal(scramMethod), "Authentication Method of the broker's AUTH during a %s: %s", during, describe(a, t.V))
	out, err := sc.final(a.Properties.AuthData)
	if err != nil {
		t.Fatalf("expected a SCRAM server-first-message as the Authentication Data of the broker's AUTH: %v", err)
	}
	reply := &packet.Auth{ReasonCode: mqtt.ContinueAuthentication}
	reply.Properties.AuthMethod = scramMethod
	reply.Properties.AuthData = out
	return reply
}

// scramConnect connects with the profile's SCRAM user and requires the
// exchange to succeed.
func (t *T) scramConnect() *Conn {
	t.Helper()
	c, sc := t.scramStart(t.Profile().SCRAM.Password)
	r := c.ExpectNext("CONNACK to the SCRAM client-final-message")
	ack, ok := r.Packet.(*packet.Connack)
	if !ok {
		t.Fatalf("expected CONNACK to the client-final-message; got %s", describe(r.Packet, t.V))
	}
	t.Expect(ack.ReasonCode).To(Equal(mqtt.Success), "CONNACK to a SCRAM exchange with the profile's credentials: %s", describe(ack, t.V))
	t.Expect(ack.Properties.AuthMethod).To(Equal(scramMethod), "Authentication Method of the successful CONNACK: %s", describe(ack, t.V))
	if err := sc.verify(ack.Properties.AuthData); err != nil {
		t.Fatalf("expected the server-final-message in the CONNACK's Authentication Data to verify: %v; got %s", err, describe(ack, t.V))
	}
	return c
}

// scramReauth sends AUTH Re-authenticate with a client-first-message for
// the profile's SCRAM user and answers the broker's AUTH Continue
// authentication with a client-final-message computed from password.
func (t *T) scramReauth(c *Conn, password string) *scramClient {
	t.Helper()
	sc := newSCRAMClient(t.Profile().SCRAM.Username, password)
	re := &packet.Auth{ReasonCode: mqtt.ReAuthenticate}
	re.Properties.AuthMethod = scramMethod
	re.Properties.AuthData = sc.first()
	c.Send(re)
	r, ok := c.AwaitOrClose("AUTH Continue authentication to AUTH Re-authenticate", func(p packet.Packet) bool { return p.Type() == packet.TypeAuth })
	if !ok {
		t.Fatalf("expected AUTH Continue authentication (0x18) to AUTH Re-authenticate; %s, after sending %s", c.endDesc(), c.sawDesc())
	}
	c.Send(t.scramAnswer(r.Packet.(*packet.Auth), sc, "re-authentication"))
	return sc
}

var _ = check(Check{
	Area: "authentication", Name: "enhanced authentication continues with AUTH 0x18 and names the method",
	V5:    []string{"MQTT-4.12.0-2", "MQTT-4.12.0-5"},
	Needs: []Capability{CapSCRAM},
	Run: func(t *T) {
		c := t.scramConnect()
		c.ExpectOpen("after a successful SCRAM-SHA-256 exchange")
	},
})

var _ = check(Check{
	Area: "authentication", Name: "a wrong SCRAM proof is refused and the connection closed",
	V5:    []string{"MQTT-4.12.0-4"},
	Needs: []Capability{CapSCRAM},
	Run: func(t *T) {
		c, _ := t.scramStart(t.Profile().SCRAM.Password + "-wrong")
		for _, r := range c.ExpectClosed("a SCRAM proof computed from a wrong password") {
			switch p := r.Packet.(type) {
			case *packet.Connack:
				t.Expect(p.ReasonCode >= 0x80).To(BeTrue(), "CONNACK to a wrong SCRAM proof must refuse (0x80 or above): %s", describe(p, t.V))
			default:
				t.Fatalf("expected at most a refusing CONNACK before the close; got %s", describe(p, t.V))
			}
		}
	},
})

var _ = check(Check{
	Area: "authentication", Name: "re-authentication succeeds with AUTH Success naming the method",
	V5:    []string{"MQTT-4.12.0-5"},
	Needs: []Capability{CapSCRAM},
	Run: func(t *T) {
		c := t.scramConnect()
		sc := t.scramReauth(c, t.Profile().SCRAM.Password)
		r, ok := c.AwaitOrClose("AUTH Success to the re-authentication", func(p packet.Packet) bool { return p.Type() == packet.TypeAuth })
		if !ok {
			t.Fatalf("expected AUTH Success to a re-authentication with the right password; %s, after sending %s", c.endDesc(), c.sawDesc())
		}
		a := r.Packet.(*packet.Auth)
		t.Expect(a.ReasonCode).To(Equal(mqtt.Success), "AUTH ending a re-authentication with the right password: %s", describe(a, t.V))
		t.Expect(a.Properties.AuthMethod).To(Equal(scramMethod), "Authentication Method of AUTH Success: %s", describe(a, t.V))
		if err := sc.verify(a.Properties.AuthData); err != nil {
			t.Fatalf("expected the server-final-message in AUTH Success to verify: %v; got %s", err, describe(a, t.V))
		}
		c.ExpectOpen("after a successful re-authentication")
	},
})

var _ = check(Check{
	Area: "authentication", Name: "a failed re-authentication closes the connection",
	V5:    []string{"MQTT-4.12.1-2"},
	Needs: []Capability{CapSCRAM},
	Run: func(t *T) {
		c := t.scramConnect()
		t.scramReauth(c, t.Profile().SCRAM.Password+"-wrong")
		for _, r := range c.ExpectClosed("a re-authentication with a SCRAM proof from a wrong password") {
			switch p := r.Packet.(type) {
			case *packet.Disconnect:
				t.Expect(p.ReasonCode >= 0x80).To(BeTrue(), "DISCONNECT after a failed re-authentication must carry an error code (0x80 or above): %s", describe(p, t.V))
			case *packet.Auth:
				t.Fatalf("expected the re-authentication with a wrong proof to fail; got %s", describe(p, t.V))
			}
		}
	},
})
