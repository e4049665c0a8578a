package server_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"log/slog"
	"math/big"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/mqttx/mqttx/mqtt"
	"github.com/mqttx/mqttx/mqtt/packet"
	"github.com/mqttx/mqttx/mqtt/server"
)

// testPKI is a certificate authority made for one test, with a server
// certificate for 127.0.0.1.
type testPKI struct {
	t      testing.TB
	ca     *x509.Certificate
	caKey  *ecdsa.PrivateKey
	roots  *x509.CertPool
	server tls.Certificate
	serial int64
}

func newTestPKI(t testing.TB) *testPKI {
	t.Helper()
	key := newKey(t)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "mqttx test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	p := &testPKI{t: t, ca: ca, caKey: key, roots: x509.NewCertPool(), serial: 1}
	p.roots.AddCert(ca)
	p.server = p.issue(&x509.Certificate{
		Subject:     pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	})
	return p
}

func newKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// issue signs a certificate made from tmpl with the CA.
func (p *testPKI) issue(tmpl *x509.Certificate) tls.Certificate {
	p.t.Helper()
	key := newKey(p.t)
	p.serial++
	tmpl.SerialNumber = big.NewInt(p.serial)
	tmpl.NotBefore, tmpl.NotAfter = time.Now().Add(-time.Hour), time.Now().Add(time.Hour)
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.ca, &key.PublicKey, p.caKey)
	if err != nil {
		p.t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		p.t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
}

// client issues a client certificate whose subject is
// "CN=<cn>,O=Example Org,C=FR" (cn "" for none).
func (p *testPKI) client(cn string) tls.Certificate {
	p.t.Helper()
	return p.issue(&x509.Certificate{
		Subject:     pkix.Name{CommonName: cn, Organization: []string{"Example Org"}, Country: []string{"FR"}},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	})
}

// serverConfig is the server's TLS configuration, asking for client
// certificates as auth says and verifying them against the CA.
func (p *testPKI) serverConfig(auth tls.ClientAuthType) *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{p.server}, ClientCAs: p.roots, ClientAuth: auth, MinVersion: tls.VersionTLS12}
}

// startTLS serves srv on a loopback TLS listener until the test ends.
func startTLS(t testing.TB, srv *server.Server, cfg *tls.Config) string {
	t.Helper()
	if srv.Logger == nil {
		srv.Logger = quietLogger()
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	t.Cleanup(func() {
		srv.Close()
		if err := <-done; !errors.Is(err, server.ErrServerClosed) {
			t.Errorf("Serve returned %v, want ErrServerClosed", err)
		}
	})
	return ln.Addr().String()
}

func dialTLS(t testing.TB, addr string, v mqtt.Version, roots *x509.CertPool, certs ...tls.Certificate) *client {
	t.Helper()
	nc, err := tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, "tcp", addr, &tls.Config{RootCAs: roots, Certificates: certs})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	return newClient(t, nc, v)
}

// userACL lets each user publish and subscribe under users/<name>/ only,
// and records the user names Authenticators after CertIdentity see.
type userACL struct {
	mu   sync.Mutex
	seen []string // "<Client.Username> <CONNECT User Name>"
}

func (a *userACL) Authenticate(_ context.Context, c *server.Client, p *packet.Connect, _ *packet.Connack) mqtt.ReasonCode {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.seen = append(a.seen, c.Username()+" "+p.Username)
	return mqtt.Success
}

func (a *userACL) Authorize(c *server.Client, _ server.Access, topic string) bool {
	return strings.HasPrefix(topic, "users/"+c.Username()+"/")
}

func (a *userACL) last() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.seen[len(a.seen)-1]
}

func TestCertIdentity(t *testing.T) {
	pki := newTestPKI(t)
	alice, nameless := pki.client("alice"), pki.client("")
	for _, tt := range []struct {
		identity server.CertIdentity
		user     string
	}{
		{server.CertCommonName, "alice"},
		{server.CertSubject, "CN=alice,O=Example Org,C=FR"},
	} {
		t.Run(tt.identity.String(), func(t *testing.T) {
			acl := new(userACL)
			var logs syncLog
			srv := &server.Server{Hooks: []server.Hook{tt.identity, acl}, Logger: slog.New(slog.NewTextHandler(&logs, nil))}
			addr := startTLS(t, srv, pki.serverConfig(tls.VerifyClientCertIfGiven))
			plain := start(t, srv)
			wss := serveWS(t, srv, pki.serverConfig(tls.VerifyClientCertIfGiven))

			// The certificate's name replaces the CONNECT's User Name
			// for every hook, and the access list keyed by it applies.
			for _, v := range []mqtt.Version{mqtt.V5, mqtt.V311} {
				c := dialTLS(t, addr, v, pki.roots, alice)
				ack := c.connect(&packet.Connect{ClientID: "alice-" + v.String(), CleanStart: true, KeepAlive: 60, Username: "mallory", Password: []byte("x")})
				if ack.ReasonCode != mqtt.Success {
					t.Fatalf("MQTT %v with a certificate: CONNACK %v", v, ack.ReasonCode)
				}
				if got, want := acl.last(), tt.user+" "+tt.user; got != want {
					t.Errorf("MQTT %v: the next Authenticator saw user names %q, want %q", v, got, want)
				}
				granted := mqtt.GrantedQoS1
				denied := mqtt.NotAuthorized
				if v != mqtt.V5 {
					denied = 0x80
				}
				sa := c.subscribe(1, packet.Subscription{Filter: "users/" + tt.user + "/#", QoS: mqtt.QoS1}, packet.Subscription{Filter: "users/mallory/#", QoS: mqtt.QoS1})
				if sa.ReasonCodes[0] != granted || sa.ReasonCodes[1] != denied {
					t.Errorf("MQTT %v: SUBACK %v, want [%v %v]", v, sa.ReasonCodes, granted, denied)
				}
				var listed bool
				for _, ci := range srv.Clients() {
					listed = listed || ci.ID == "alice-"+v.String() && ci.Username == tt.user
				}
				if !listed {
					t.Errorf("MQTT %v: Clients() = %+v, want alice-%v with user name %q", v, srv.Clients(), v, tt.user)
				}
				c.disconnect()
			}

			// The same over wss://.
			ws, _ := newWSDialer(t, pki.roots, alice).dial(wss, "mqtt")
			c := newClient(t, websocket.NetConn(context.Background(), ws, websocket.MessageBinary), mqtt.V5)
			if ack := c.connect(&packet.Connect{ClientID: "alice-wss", CleanStart: true, KeepAlive: 60}); ack.ReasonCode != mqtt.Success {
				t.Fatalf("wss with a certificate: CONNACK %v", ack.ReasonCode)
			}
			if got, want := acl.last(), tt.user+" "+tt.user; got != want {
				t.Errorf("wss: the next Authenticator saw user names %q, want %q", got, want)
			}
			c.disconnect()

			// No certificate, over TLS or plain TCP, or one without the
			// name: refused with Not authorized (return code 5 below MQTT 5).
			for _, r := range []struct {
				name string
				dial func(v mqtt.Version) *client
			}{
				{"TLS without a certificate", func(v mqtt.Version) *client { return dialTLS(t, addr, v, pki.roots) }},
				{"TCP", func(v mqtt.Version) *client { return dial(t, plain, v) }},
				{"a certificate without a common name", func(v mqtt.Version) *client { return dialTLS(t, addr, v, pki.roots, nameless) }},
			} {
				if r.name == "a certificate without a common name" && tt.identity == server.CertSubject {
					continue // its subject is not empty
				}
				for _, v := range []mqtt.Version{mqtt.V5, mqtt.V311} {
					c := r.dial(v)
					ack := c.connect(&packet.Connect{ClientID: "anon", CleanStart: true, KeepAlive: 60, Username: "alice"})
					if ack.ReasonCode != mqtt.NotAuthorized || ack.SessionPresent {
						t.Errorf("%s, MQTT %v: CONNACK %v, want %v", r.name, v, ack.ReasonCode, mqtt.NotAuthorized)
					}
					if v == mqtt.V311 && ack.ReasonCode.ConnectReturnCode() != mqtt.ConnectNotAuthorized {
						t.Errorf("%s, MQTT 3.1.1: return code %v, want %v", r.name, ack.ReasonCode.ConnectReturnCode(), mqtt.ConnectNotAuthorized)
					}
					c.closed()
				}
			}
			if !strings.Contains(logs.String(), `msg="CONNECT refused: no verified TLS client certificate"`) {
				t.Errorf("log lacks the refusal; got:\n%s", logs.String())
			}
		})
	}
}

// TestCertIdentityUnverified checks that a certificate the TLS
// configuration did not verify is no identity.
func TestCertIdentityUnverified(t *testing.T) {
	pki := newTestPKI(t)
	other := newTestPKI(t) // a CA the server does not trust
	srv := &server.Server{Hooks: []server.Hook{server.CertCommonName}}
	addr := startTLS(t, srv, pki.serverConfig(tls.RequireAnyClientCert))
	c := dialTLS(t, addr, mqtt.V5, pki.roots, other.client("alice"))
	ack := c.connect(&packet.Connect{ClientID: "alice", CleanStart: true, KeepAlive: 60})
	if ack.ReasonCode != mqtt.NotAuthorized {
		t.Errorf("unverified certificate: CONNACK %v, want %v", ack.ReasonCode, mqtt.NotAuthorized)
	}
	if ack.Properties.ReasonString != "no verified TLS client certificate" {
		t.Errorf("CONNACK Reason String %q", ack.Properties.ReasonString)
	}
	c.closed()
}

// syncLog is a log destination the server's goroutines write to while the
// test reads it.
type syncLog struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *syncLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *syncLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
