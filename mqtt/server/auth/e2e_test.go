package auth_test

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mqttx/mqttx/mqtt"
	"github.com/mqttx/mqttx/mqtt/packet"
	"github.com/mqttx/mqttx/mqtt/server"
	"github.com/mqttx/mqttx/mqtt/server/auth"
)

// rawClient speaks MQTT over one TCP connection with the codec.
type rawClient struct {
	t  *testing.T
	nc net.Conn
	r  *packet.Reader
	v  mqtt.Version
}

func dial(t *testing.T, addr string, v mqtt.Version) *rawClient {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	r := packet.NewReader(nc)
	r.Version = v
	return &rawClient{t: t, nc: nc, r: r, v: v}
}

func (c *rawClient) send(p packet.Packet) {
	c.t.Helper()
	c.nc.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if err := packet.Write(c.nc, p, c.v); err != nil {
		c.t.Fatal(err)
	}
}

func (c *rawClient) recv(d time.Duration) (packet.Packet, error) {
	c.nc.SetReadDeadline(time.Now().Add(d))
	p, err := c.r.ReadPacket()
	if err != nil {
		return nil, err
	}
	return packet.Clone(p), nil
}

func (c *rawClient) connect(id, user, pass string, will *packet.Will) *packet.Connack {
	c.t.Helper()
	c.send(&packet.Connect{Version: c.v, ClientID: id, CleanStart: true, Username: user, Password: []byte(pass), Will: will})
	p, err := c.recv(5 * time.Second)
	if err != nil {
		c.t.Fatalf("CONNECT %s: %v", id, err)
	}
	ack, ok := p.(*packet.Connack)
	if !ok {
		c.t.Fatalf("got %v, want CONNACK", p.Type())
	}
	return ack
}

func serve(t *testing.T, hooks ...server.Hook) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &server.Server{Hooks: hooks}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	t.Cleanup(func() {
		srv.Close()
		if err := <-done; !errors.Is(err, server.ErrServerClosed) {
			t.Errorf("Serve: %v", err)
		}
	})
	return ln.Addr().String()
}

// A broker with a password file and an ACL, driven over the wire: CONNACK
// codes per version, publish and subscribe checks, retained delivery and
// wills all follow the files.
func TestPasswordsAndACLOverTheWire(t *testing.T) {
	h, err := auth.HashPassword("secret", 0)
	if err != nil {
		t.Fatal(err)
	}
	pw, err := auth.NewPasswords(strings.NewReader("alice:"+h+"\nbob:"+h+"\n"), "pw")
	if err != nil {
		t.Fatal(err)
	}
	acl, err := auth.NewACL(strings.NewReader("user alice\ntopic readwrite home/#\ntopic deny home/secret\nuser bob\ntopic read home/#\n"), "acl")
	if err != nil {
		t.Fatal(err)
	}
	addr := serve(t, pw, acl)

	for _, tc := range []struct {
		v          mqtt.Version
		user, pass string
		want       byte
	}{
		// For 3.1.1 the codec maps the return codes 4 and 5 to these.
		{mqtt.V311, "alice", "wrong", byte(mqtt.BadUserNameOrPassword)},
		{mqtt.V311, "", "", byte(mqtt.NotAuthorized)},
		{mqtt.V5, "alice", "wrong", byte(mqtt.BadUserNameOrPassword)},
		{mqtt.V5, "mallory", "secret", byte(mqtt.BadUserNameOrPassword)},
		{mqtt.V5, "", "", byte(mqtt.NotAuthorized)},
	} {
		ack := dial(t, addr, tc.v).connect("x", tc.user, tc.pass, nil)
		if byte(ack.ReasonCode) != tc.want {
			t.Errorf("%v user %q password %q: CONNACK %#x, want %#x", tc.v, tc.user, tc.pass, byte(ack.ReasonCode), tc.want)
		}
	}

	// A will to a topic alice may not write refuses her CONNECT.
	ack := dial(t, addr, mqtt.V5).connect("alice-w", "alice", "secret", &packet.Will{Topic: "elsewhere", Payload: []byte("x")})
	if ack.ReasonCode != mqtt.NotAuthorized {
		t.Errorf("will to a denied topic: CONNACK %v, want NotAuthorized", ack.ReasonCode)
	}

	alice := dial(t, addr, mqtt.V5)
	if ack := alice.connect("alice", "alice", "secret", nil); ack.ReasonCode != mqtt.Success {
		t.Fatalf("alice: %v", ack.ReasonCode)
	}
	// Retained before bob subscribes: one he may read, one denied.
	for _, tp := range []string{"home/lamp", "home/secret"} {
		alice.send(&packet.Publish{Topic: tp, QoS: mqtt.QoS1, PacketID: 1, Retain: true, Payload: []byte(tp)})
		p, err := alice.recv(5 * time.Second)
		if err != nil {
			t.Fatal(err)
		}
		want := mqtt.NoMatchingSubscribers // accepted, retained, no one listening yet
		if tp == "home/secret" {
			want = mqtt.NotAuthorized
		}
		if a, ok := p.(*packet.Puback); !ok || a.ReasonCode != want {
			t.Fatalf("publish %s: got %+v, want PUBACK %v", tp, p, want)
		}
	}

	bob := dial(t, addr, mqtt.V5)
	if ack := bob.connect("bob", "bob", "secret", nil); ack.ReasonCode != mqtt.Success {
		t.Fatalf("bob: %v", ack.ReasonCode)
	}
	bob.send(&packet.Subscribe{PacketID: 1, Subscriptions: []packet.Subscription{{Filter: "home/#", QoS: mqtt.QoS1}, {Filter: "#"}}})
	var got []string
	for len(got) < 2 {
		p, err := bob.recv(5 * time.Second)
		if err != nil {
			t.Fatalf("bob after %v: %v", got, err)
		}
		switch p := p.(type) {
		case *packet.Suback:
			if fmt.Sprint(p.ReasonCodes) != fmt.Sprint([]mqtt.ReasonCode{mqtt.GrantedQoS1, mqtt.NotAuthorized}) {
				t.Errorf("SUBACK %v, want [granted QoS 1, not authorized]", p.ReasonCodes)
			}
			got = append(got, "suback")
		case *packet.Publish:
			got = append(got, p.Topic)
		}
	}
	if got[1] != "home/lamp" {
		t.Errorf("bob got %v, want the retained home/lamp", got)
	}
	// bob may read but not write.
	bob.send(&packet.Publish{Topic: "home/door", QoS: mqtt.QoS1, PacketID: 2, Payload: []byte("x")})
	if p, err := bob.recv(5 * time.Second); err != nil {
		t.Fatal(err)
	} else if a, ok := p.(*packet.Puback); !ok || a.ReasonCode != mqtt.NotAuthorized {
		t.Errorf("bob publishing: got %+v, want PUBACK NotAuthorized", p)
	}
	if p, err := bob.recv(300 * time.Millisecond); err == nil {
		t.Errorf("bob got %v %+v, want nothing more (no secret, no own denied publish)", p.Type(), p)
	}
}

// Mosquitto accepts the hashes HashPassword writes.
func TestMosquittoAcceptsOurHashes(t *testing.T) {
	bin := "/usr/sbin/mosquitto"
	if _, err := os.Stat(bin); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("mosquitto not installed; .ci/run installs it")
		}
		t.Skip("mosquitto not installed")
	}
	h, err := auth.HashPassword("secret", 0)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	pwPath := filepath.Join(dir, "pw")
	os.WriteFile(pwPath, []byte("alice:"+h+"\n"), 0o600)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	conf := filepath.Join(dir, "mosquitto.conf")
	// "user root": run as root (as CI does), Mosquitto would otherwise
	// switch to its own user, which cannot read the temporary directory.
	os.WriteFile(conf, []byte(fmt.Sprintf("user root\nlistener %d 127.0.0.1\nallow_anonymous false\npassword_file %s\n", port, pwPath)), 0o600)
	logPath := filepath.Join(dir, "log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	cmd := exec.Command(bin, "-c", conf)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	for i := 0; ; i++ {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			break
		}
		if i == 100 {
			log, _ := os.ReadFile(logPath)
			t.Fatalf("mosquitto did not listen: %v\n%s", err, log)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if ack := dial(t, addr, mqtt.V311).connect("a", "alice", "secret", nil); ack.ReasonCode != 0 {
		t.Errorf("right password: CONNACK %#x", byte(ack.ReasonCode))
	}
	if ack := dial(t, addr, mqtt.V311).connect("b", "alice", "Secret", nil); ack.ReasonCode == 0 {
		t.Error("wrong password accepted")
	}
}
