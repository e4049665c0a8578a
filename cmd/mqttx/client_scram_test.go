package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/mqttx/mqttx/mqtt"
	"github.com/mqttx/mqttx/mqtt/packet"
	"github.com/mqttx/mqttx/mqtt/server/auth"
)

// scriptedBroker accepts one connection on 127.0.0.1 and runs script on
// it, speaking MQTT 5 with the codec; the script's error, or nil, arrives
// on the channel returned when it ends.
func scriptedBroker(t *testing.T, script func(nc net.Conn, r *packet.Reader) error) (host, port string, done <-chan error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	errc := make(chan error, 1)
	go func() {
		nc, err := ln.Accept()
		if err != nil {
			errc <- err
			return
		}
		defer nc.Close()
		nc.SetDeadline(time.Now().Add(10 * time.Second))
		errc <- script(nc, packet.NewReader(nc))
	}()
	host, port, _ = net.SplitHostPort(ln.Addr().String())
	return host, port, errc
}

// scramSide is the broker's side of a SCRAM exchange, as the scripts run
// it: the real server method over a credentials file holding alice.
func scramSide(t *testing.T) *auth.SCRAM {
	t.Helper()
	cred, err := auth.HashSCRAM("s3cret:pw", 0)
	if err != nil {
		t.Fatal(err)
	}
	s, err := auth.NewSCRAM(strings.NewReader("alice:"+cred+"\n"), "scram")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// authenticate runs the broker's side up to its decision: it reads the
// CONNECT, checks what the client put in it, answers AUTH Continue with
// the server-first-message and reads the client-final-message. It returns
// the method's last answer.
func authenticate(s *auth.SCRAM, r *packet.Reader, nc net.Conn) ([]byte, mqtt.ReasonCode, error) {
	p, err := r.ReadPacket()
	if err != nil {
		return nil, 0, err
	}
	cp, ok := p.(*packet.Connect)
	switch {
	case !ok:
		return nil, 0, fmt.Errorf("got %v, want CONNECT", p.Type())
	case cp.Version != mqtt.V5 || cp.Properties.AuthMethod != "SCRAM-SHA-256":
		return nil, 0, fmt.Errorf("CONNECT %v with method %q", cp.Version, cp.Properties.AuthMethod)
	case cp.PasswordFlag || len(cp.Password) > 0:
		return nil, 0, fmt.Errorf("the password was sent: %q", cp.Password)
	case cp.Username != "alice":
		return nil, 0, fmt.Errorf("CONNECT user name %q", cp.Username)
	}
	x := s.StartAuth(nil, packet.Clone(cp).(*packet.Connect))
	out, code := x.Next(context.Background(), cp.Properties.AuthData)
	if code != mqtt.ContinueAuthentication {
		return nil, 0, fmt.Errorf("client-first-message %q: %v", cp.Properties.AuthData, code)
	}
	a := &packet.Auth{ReasonCode: mqtt.ContinueAuthentication}
	a.Properties.AuthMethod = "SCRAM-SHA-256"
	a.Properties.AuthData = out
	if err := packet.Write(nc, a, mqtt.V5); err != nil {
		return nil, 0, err
	}
	if p, err = r.ReadPacket(); err != nil {
		return nil, 0, err
	}
	if a, ok = p.(*packet.Auth); !ok || a.ReasonCode != mqtt.ContinueAuthentication || a.Properties.AuthMethod != "SCRAM-SHA-256" {
		return nil, 0, fmt.Errorf("got %v, want AUTH Continue with the method", p)
	}
	out, code = x.Next(context.Background(), a.Properties.AuthData)
	return out, code, nil
}

func connackWith(code mqtt.ReasonCode, method string, data []byte) *packet.Connack {
	ack := &packet.Connack{ReasonCode: code}
	ack.Properties.AuthMethod = method
	ack.Properties.AuthData = data
	return ack
}

func runPub(host, port string, extra ...string) (int, string) {
	args := append([]string{"-h", host, "-p", port, "-u", "alice", "-P", "s3cret:pw", "--auth-method", "SCRAM-SHA-256", "--timeout", "5s", "-t", "a/b", "-m", "hello"}, extra...)
	var stderr bytes.Buffer
	code := pub(args, strings.NewReader(""), &bytes.Buffer{}, &stderr)
	return code, stderr.String()
}

// The whole exchange with a broker that knows alice: the client proves
// the password without sending it, checks the broker's signature, then
// publishes.
func TestPubSCRAM(t *testing.T) {
	s := scramSide(t)
	host, port, done := scriptedBroker(t, func(nc net.Conn, r *packet.Reader) error {
		final, code, err := authenticate(s, r, nc)
		if err != nil {
			return err
		}
		if code != mqtt.Success {
			return fmt.Errorf("client-final-message refused: %v", code)
		}
		if err := packet.Write(nc, connackWith(mqtt.Success, "SCRAM-SHA-256", final), mqtt.V5); err != nil {
			return err
		}
		p, err := r.ReadPacket()
		if err != nil {
			return err
		}
		if m, ok := p.(*packet.Publish); !ok || m.Topic != "a/b" || string(m.Payload) != "hello" {
			return fmt.Errorf("got %v, want the PUBLISH", p)
		}
		return nil
	})
	if code, stderr := runPub(host, port); code != 0 {
		t.Fatalf("pub: exit %d: %s", code, stderr)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// A broker that accepts without proving that it holds the credential is
// refused by the client, which then sends nothing more.
func TestPubSCRAMRefusesImpostor(t *testing.T) {
	s := scramSide(t)
	for _, tc := range []struct {
		name string
		ack  func(final []byte) *packet.Connack
		want string
	}{
		{"forged signature", func(final []byte) *packet.Connack {
			return connackWith(mqtt.Success, "SCRAM-SHA-256", []byte("v=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="))
		}, "wrong server signature"},
		{"no signature", func([]byte) *packet.Connack {
			return connackWith(mqtt.Success, "SCRAM-SHA-256", nil)
		}, "did not authenticate itself"},
		{"no method", func([]byte) *packet.Connack {
			return connackWith(mqtt.Success, "", nil)
		}, "Authentication Method"},
		{"server error", func([]byte) *packet.Connack {
			return connackWith(mqtt.Success, "SCRAM-SHA-256", []byte("e=other-error"))
		}, "other-error"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			host, port, done := scriptedBroker(t, func(nc net.Conn, r *packet.Reader) error {
				final, code, err := authenticate(s, r, nc)
				if err != nil {
					return err
				}
				if code != mqtt.Success {
					return fmt.Errorf("client-final-message refused: %v", code)
				}
				if err := packet.Write(nc, tc.ack(final), mqtt.V5); err != nil {
					return err
				}
				if p, err := r.ReadPacket(); err == nil {
					return fmt.Errorf("the client went on with %v", p.Type())
				}
				return nil
			})
			if code, stderr := runPub(host, port); code != 1 || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, stderr %q, want 1 and %q", code, stderr, tc.want)
			}
			if err := <-done; err != nil {
				t.Error(err)
			}
		})
	}
}

// A wrong password: the broker's refusal is reported.
func TestPubSCRAMWrongPassword(t *testing.T) {
	s := scramSide(t)
	host, port, done := scriptedBroker(t, func(nc net.Conn, r *packet.Reader) error {
		_, code, err := authenticate(s, r, nc)
		if err != nil {
			return err
		}
		if code != mqtt.BadUserNameOrPassword {
			return fmt.Errorf("wrong password: %v", code)
		}
		return packet.Write(nc, connackWith(code, "", nil), mqtt.V5)
	})
	if code, stderr := runPub(host, port, "-P", "wrong"); code != 1 || !strings.Contains(stderr, "bad user name or password") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
	if err := <-done; err != nil {
		t.Error(err)
	}
}

// A broker that asks for a second round, or answers with another method,
// is refused.
func TestPubSCRAMUnexpectedAuth(t *testing.T) {
	s := scramSide(t)
	for _, tc := range []struct {
		name string
		auth *packet.Auth
	}{
		{"second round", &packet.Auth{ReasonCode: mqtt.ContinueAuthentication, Properties: packet.Properties{AuthMethod: "SCRAM-SHA-256", AuthData: []byte("r=x,s=AAAA,i=4096")}}},
		{"other method", &packet.Auth{ReasonCode: mqtt.ContinueAuthentication, Properties: packet.Properties{AuthMethod: "OTHER"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			host, port, done := scriptedBroker(t, func(nc net.Conn, r *packet.Reader) error {
				if tc.name == "second round" {
					if _, _, err := authenticate(s, r, nc); err != nil {
						return err
					}
				} else if _, err := r.ReadPacket(); err != nil {
					return err
				}
				if err := packet.Write(nc, tc.auth, mqtt.V5); err != nil {
					return err
				}
				if p, err := r.ReadPacket(); err == nil {
					return fmt.Errorf("the client went on with %v", p.Type())
				}
				return nil
			})
			if code, stderr := runPub(host, port); code != 1 || !strings.Contains(stderr, "AUTH") && !strings.Contains(stderr, "out of order") {
				t.Errorf("exit %d, stderr %q", code, stderr)
			}
			if err := <-done; err != nil {
				t.Error(err)
			}
		})
	}
}

// Flags that cannot work are refused before connecting.
func TestSCRAMFlags(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	host, port, _ := net.SplitHostPort(ln.Addr().String())
	ln.Close() // nothing listens: an attempt to connect would fail otherwise
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-V", "3.1.1"}, "needs MQTT 5"},
		{[]string{"--auth-method", "SCRAM-SHA-1"}, "the only method is SCRAM-SHA-256"},
		{[]string{"-P", ""}, "needs a user name and a password"},
		{[]string{"-u", ""}, "needs a user name and a password"},
		{[]string{"-P", "tab\there"}, "control character"},
	} {
		code, stderr := runPub(host, port, tc.args...)
		if code != 1 || !strings.Contains(stderr, tc.want) || strings.Contains(stderr, "refused") {
			t.Errorf("%v: exit %d, stderr %q, want %q", tc.args, code, stderr, tc.want)
		}
	}
	// sub takes the flag too.
	var stderr bytes.Buffer
	code := sub(context.Background(), []string{"-h", host, "-p", port, "-V", "3.1", "-u", "a", "-P", "b", "--auth-method", "SCRAM-SHA-256", "-t", "x"}, &bytes.Buffer{}, &stderr)
	if code != 1 || !strings.Contains(stderr.String(), "needs MQTT 5") {
		t.Errorf("sub: exit %d, stderr %q", code, stderr.String())
	}
}

// Against the broker with the SCRAM method: pub and sub authenticate, and
// a wrong password is refused with the broker's reason.
func TestPubSubSCRAMBroker(t *testing.T) {
	addr := startBroker(t, scramSide(t))
	host, port, _ := net.SplitHostPort(addr)
	common := []string{"-h", host, "-p", port, "-u", "alice", "-P", "s3cret:pw", "--auth-method", "SCRAM-SHA-256"}
	var subOut, subErr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- sub(context.Background(), append(append([]string{}, common...), "-t", "scram/#", "-C", "1", "-W", "10s"), &subOut, &subErr)
	}()
	// The subscription is in place once a retained message reaches it.
	if code, stderr := runPub(host, port, "-t", "scram/r", "-m", "retained", "-r"); code != 0 {
		t.Fatalf("pub: exit %d: %s", code, stderr)
	}
	if code := <-done; code != 0 || subOut.String() != "retained\n" {
		t.Fatalf("sub: exit %d, printed %q: %s", code, subOut.String(), subErr.String())
	}
	if code, stderr := runPub(host, port, "-P", "wrong"); code != 1 || !strings.Contains(stderr, "bad user name or password") {
		t.Errorf("wrong password: exit %d, %q", code, stderr)
	}
}
