package server_test

import (
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"testing"
	"time"

	"github.com/mqttx/mqttx/mqtt"
	"github.com/mqttx/mqttx/mqtt/packet"
	"github.com/mqttx/mqttx/mqtt/server"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// quietLogger discards the server's log unless MQTTX_TEST_LOG is set.
func quietLogger() *slog.Logger {
	if os.Getenv("MQTTX_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// start serves srv on a loopback port and closes it when the test ends.
func start(t testing.TB, srv *server.Server) string {
	t.Helper()
	if srv.Logger == nil {
		srv.Logger = quietLogger()
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
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

// client is a raw MQTT client on the codec: it sends exactly the packets a
// test gives it and shows every packet the server sends.
type client struct {
	t  testing.TB
	nc net.Conn
	r  *packet.Reader
	v  mqtt.Version
}

func dial(t testing.TB, addr string, v mqtt.Version) *client {
	t.Helper()
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	return newClient(t, nc, v)
}

func newClient(t testing.TB, nc net.Conn, v mqtt.Version) *client {
	r := packet.NewReader(nc)
	r.Version = v
	r.MaxPacketSize = 256 << 20
	return &client{t: t, nc: nc, r: r, v: v}
}

func (c *client) send(p packet.Packet) {
	c.t.Helper()
	b, err := p.Append(nil, c.v)
	if err != nil {
		c.t.Fatalf("encoding %v: %v", p.Type(), err)
	}
	c.sendRaw(b)
}

func (c *client) sendRaw(b []byte) {
	c.t.Helper()
	c.nc.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.nc.Write(b); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// recv returns the next packet from the server (a copy), failing the test
// after 5 s.
func (c *client) recv() packet.Packet {
	c.t.Helper()
	p, err := c.tryRecv(5 * time.Second)
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	return p
}

func (c *client) tryRecv(d time.Duration) (packet.Packet, error) {
	c.nc.SetReadDeadline(time.Now().Add(d))
	p, err := c.r.ReadPacket()
	if err != nil {
		return nil, err
	}
	return packet.Clone(p), nil
}

// silent checks that nothing arrives within d.
func (c *client) silent(d time.Duration) {
	c.t.Helper()
	if p, err := c.tryRecv(d); err == nil {
		c.t.Fatalf("unexpected %v: %+v", p.Type(), p)
	}
}

// closed checks that the server closes the connection, after the packets
// it sends first, which are returned.
func (c *client) closed() []packet.Packet {
	c.t.Helper()
	var got []packet.Packet
	for {
		p, err := c.tryRecv(5 * time.Second)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				c.t.Fatalf("connection still open after %d packets", len(got))
			}
			return got
		}
		got = append(got, p)
	}
}

func expect[P packet.Packet](c *client) P {
	c.t.Helper()
	p := c.recv()
	v, ok := p.(P)
	if !ok {
		var want P
		c.t.Fatalf("got %v %+v, want %T", p.Type(), p, want)
	}
	return v
}

// connect sends CONNECT and returns the CONNACK.
func (c *client) connect(p *packet.Connect) *packet.Connack {
	c.t.Helper()
	if p.Version == 0 {
		p.Version = c.v
	}
	c.send(p)
	return expect[*packet.Connack](c)
}

// open dials and connects with a clean session, failing unless accepted.
func open(t testing.TB, addr string, v mqtt.Version, id string) *client {
	t.Helper()
	c := dial(t, addr, v)
	ack := c.connect(&packet.Connect{ClientID: id, CleanStart: true, KeepAlive: 60})
	if ack.ReasonCode != mqtt.Success {
		t.Fatalf("CONNACK %v", ack.ReasonCode)
	}
	return c
}

func (c *client) subscribe(id uint16, subs ...packet.Subscription) *packet.Suback {
	c.t.Helper()
	c.send(&packet.Subscribe{PacketID: id, Subscriptions: subs})
	return expect[*packet.Suback](c)
}

func (c *client) disconnect() {
	c.t.Helper()
	c.send(&packet.Disconnect{})
	c.nc.Close()
}
