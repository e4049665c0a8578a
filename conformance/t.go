package conformance

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mqttx/mqttx/mqtt"
	"github.com/mqttx/mqttx/mqtt/packet"
	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/gomega"
	gtypes "github.com/onsi/gomega/types"
)

// T is what a check's body gets: the protocol version it runs for, the
// drivers, unique names, and assertions whose failures name the statements
// of the check and show the packets sent and received.
type T struct {
	// V is the protocol version this run of the check is for.
	V mqtt.Version
	// Caps is what the broker offers, as discovered.
	Caps *Capabilities

	env      *env
	check    *Check
	g        gomega.Gomega
	mu       sync.Mutex
	log      []string
	cleanups []func()
}

func newT(e *env, c *Check, v mqtt.Version) *T {
	t := &T{V: v, env: e, check: c, Caps: &e.caps}
	t.g = gomega.NewGomega(func(message string, callerSkip ...int) {
		skip := 1
		if len(callerSkip) > 0 {
			skip = callerSkip[0] + 1
		}
		ginkgo.Fail(t.failure(message), skip)
	})
	return t
}

// Helper marks the caller as a helper, as testing.T's does.
func (t *T) Helper() { ginkgo.GinkgoHelper() }

// Profile is the broker profile in use.
func (t *T) Profile() *Profile { return &t.env.cfg.Profile }

// Silence is the window of the "nothing arrives" checks.
func (t *T) Silence() time.Duration { return t.env.cfg.Silence }

// Wait is the bound of the "this arrives" checks.
func (t *T) Wait() time.Duration { return t.env.cfg.Wait }

// Expect starts a Gomega assertion whose failure names the check's
// statements and shows the transcript.
func (t *T) Expect(actual any, extra ...any) gtypes.Assertion {
	return t.g.Expect(actual, extra...)
}

// Eventually is Gomega's Eventually, bounded by the wait bound.
func (t *T) Eventually(actual any) gtypes.AsyncAssertion {
	return t.g.Eventually(actual).WithTimeout(t.env.cfg.Wait).WithPolling(10 * time.Millisecond)
}

// Fatalf fails the check with a message saying what was expected and
// what arrived.
func (t *T) Fatalf(format string, args ...any) {
	ginkgo.Fail(t.failure(fmt.Sprintf(format, args...)), 1)
}

// Skipf skips the check with a reason.
func (t *T) Skipf(format string, args ...any) {
	ginkgo.Skip(fmt.Sprintf(format, args...), 1)
}

// Cleanup registers fn to run when the check ends, latest first.
func (t *T) Cleanup(fn func()) {
	t.mu.Lock()
	t.cleanups = append(t.cleanups, fn)
	t.mu.Unlock()
}

func (t *T) runCleanups() {
	for {
		t.mu.Lock()
		n := len(t.cleanups)
		if n == 0 {
			t.mu.Unlock()
			return
		}
		fn := t.cleanups[n-1]
		t.cleanups = t.cleanups[:n-1]
		t.mu.Unlock()
		fn()
	}
}

func (t *T) logf(format string, args ...any) {
	line := fmt.Sprintf(format, args...)
	t.mu.Lock()
	t.log = append(t.log, line)
	t.mu.Unlock()
}

// Note adds a line to the transcript.
func (t *T) Note(format string, args ...any) { t.logf("  ("+format+")", args...) }

const transcriptLines = 60

// failure is the message of a failed check: the statements, the message,
// then what was sent and received, latest last.
func (t *T) failure(msg string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "[%s] %s\n", strings.Join(t.check.Qualified(t.V), " "), t.check.Name)
	b.WriteString(msg)
	t.mu.Lock()
	lines := t.log
	if len(lines) > transcriptLines {
		lines = lines[len(lines)-transcriptLines:]
		b.WriteString("\ntranscript (last lines; → sent, ← received):")
	} else {
		b.WriteString("\ntranscript (→ sent, ← received):")
	}
	for _, l := range lines {
		b.WriteString("\n  ")
		b.WriteString(l)
	}
	t.mu.Unlock()
	return b.String()
}

// ClientID returns a client identifier no other check uses: at most 23
// characters of [0-9a-zA-Z], which every broker must accept.
func (t *T) ClientID() string { return t.env.clientID() }

// Topic returns a topic name under a prefix no other check uses, ending
// with the given levels.
func (t *T) Topic(levels ...string) string {
	base := t.env.topicBase()
	if len(levels) == 0 {
		return base
	}
	return base + "/" + strings.Join(levels, "/")
}

// ConnectPacket is the CONNECT the suite sends by default: a fresh client
// identifier, a clean start, keep alive 60 and the profile's credentials.
func (t *T) ConnectPacket(v mqtt.Version) *packet.Connect {
	p := &packet.Connect{Version: v, ClientID: t.ClientID(), CleanStart: true, KeepAlive: 60}
	if t.env.cfg.Profile.Username != "" {
		p.Username = t.env.cfg.Profile.Username
	}
	if t.env.cfg.Profile.Password != "" {
		p.Password = []byte(t.env.cfg.Profile.Password)
	}
	return p
}

// Connect opens a raw connection of the check's version, sends the default
// CONNECT changed by mods, and requires a successful CONNACK.
func (t *T) Connect(mods ...func(*packet.Connect)) (*Conn, *packet.Connack) {
	t.Helper()
	return t.ConnectV(t.V, mods...)
}

// ConnectV is Connect for protocol version v.
func (t *T) ConnectV(v mqtt.Version, mods ...func(*packet.Connect)) (*Conn, *packet.Connack) {
	t.Helper()
	c := t.Dial(v)
	ack := c.Handshake(mods...)
	if ack.ReasonCode != mqtt.Success {
		t.Fatalf("expected CONNACK success for %s; got %s", c.Name, describe(ack, v))
	}
	return c, ack
}

// ConnectManual is Connect for a client that acknowledges nothing by
// itself (Conn.ManualAck): the check decides which deliveries stay
// unacknowledged.
func (t *T) ConnectManual(mods ...func(*packet.Connect)) (*Conn, *packet.Connack) {
	t.Helper()
	c := t.Dial(t.V)
	c.ManualAck.Store(true)
	ack := c.Handshake(mods...)
	if ack.ReasonCode != mqtt.Success {
		t.Fatalf("expected CONNACK success for %s; got %s", c.Name, describe(ack, t.V))
	}
	return c, ack
}

// Handshake sends the default CONNECT changed by mods and returns the
// CONNACK, whatever its code.
func (c *Conn) Handshake(mods ...func(*packet.Connect)) *packet.Connack {
	c.t.Helper()
	p := c.t.ConnectPacket(c.V)
	for _, m := range mods {
		m(p)
	}
	if c.Name == "" {
		c.Name = p.ClientID
		if c.Name == "" {
			c.Name = "(empty id)"
		}
	}
	c.Send(p)
	return c.Expect(packet.TypeConnack).Packet.(*packet.Connack)
}

// Subscribe sends one SUBSCRIBE and returns its SUBACK, checking the packet
// identifier and the number of reason codes.
func (c *Conn) Subscribe(subs ...packet.Subscription) *packet.Suback {
	c.t.Helper()
	return c.SubscribeWith(nil, subs...)
}

// SubscribeWith is Subscribe with properties (a Subscription Identifier).
func (c *Conn) SubscribeWith(props *packet.Properties, subs ...packet.Subscription) *packet.Suback {
	c.t.Helper()
	p := &packet.Subscribe{PacketID: c.NextID(), Subscriptions: subs}
	if props != nil {
		p.Properties = *props
	}
	c.Send(p)
	ack := c.Expect(packet.TypeSuback).Packet.(*packet.Suback)
	if ack.PacketID != p.PacketID {
		c.t.Fatalf("expected SUBACK with packet identifier %d; got %s", p.PacketID, describe(ack, c.V))
	}
	if len(ack.ReasonCodes) != len(subs) {
		c.t.Fatalf("expected a SUBACK with %d reason codes; got %s", len(subs), describe(ack, c.V))
	}
	return ack
}

// Sub subscribes to filter at qos and requires the subscription granted
// (at any QoS).
func (c *Conn) Sub(filter string, qos mqtt.QoS) {
	c.t.Helper()
	ack := c.Subscribe(packet.Subscription{Filter: filter, QoS: qos})
	if ack.ReasonCodes[0] >= 0x80 {
		c.t.Fatalf("expected SUBSCRIBE %q to be granted; got %s", filter, describe(ack, c.V))
	}
}

// Unsub unsubscribes and returns the UNSUBACK, checking its identifier.
func (c *Conn) Unsub(filters ...string) *packet.Unsuback {
	c.t.Helper()
	p := &packet.Unsubscribe{PacketID: c.NextID(), Filters: filters}
	c.Send(p)
	ack := c.Expect(packet.TypeUnsuback).Packet.(*packet.Unsuback)
	if ack.PacketID != p.PacketID {
		c.t.Fatalf("expected UNSUBACK with packet identifier %d; got %s", p.PacketID, describe(ack, c.V))
	}
	return ack
}

// Pub publishes and completes the QoS flow (PUBACK, or PUBREC, PUBREL,
// PUBCOMP), returning the first acknowledgement (nil for QoS 0).
func (c *Conn) Pub(topic, payload string, qos mqtt.QoS, retain bool) packet.Packet {
	c.t.Helper()
	return c.PubPacket(&packet.Publish{Topic: topic, Payload: []byte(payload), QoS: qos, Retain: retain})
}

// PubPacket is Pub with a whole PUBLISH (its packet identifier is set
// when zero).
func (c *Conn) PubPacket(p *packet.Publish) packet.Packet {
	c.t.Helper()
	if p.QoS > 0 && p.PacketID == 0 {
		p.PacketID = c.NextID()
	}
	c.Send(p)
	switch p.QoS {
	case 1:
		r := c.Await(fmt.Sprintf("PUBACK %d", p.PacketID), func(x packet.Packet) bool {
			a, ok := x.(*packet.Puback)
			return ok && a.PacketID == p.PacketID
		})
		return r.Packet
	case 2:
		r := c.Await(fmt.Sprintf("PUBREC %d", p.PacketID), func(x packet.Packet) bool {
			a, ok := x.(*packet.Pubrec)
			return ok && a.PacketID == p.PacketID
		})
		if rec := r.Packet.(*packet.Pubrec); rec.ReasonCode < 0x80 {
			c.Send(&packet.Pubrel{PacketID: p.PacketID})
			c.Await(fmt.Sprintf("PUBCOMP %d", p.PacketID), func(x packet.Packet) bool {
				a, ok := x.(*packet.Pubcomp)
				return ok && a.PacketID == p.PacketID
			})
		}
		return r.Packet
	}
	if p.Retain {
		// No acknowledgement tells when the broker has stored it; a
		// PINGREQ answered after it does, so that a subscription made
		// next on another connection finds it.
		c.Sync()
	}
	return nil
}

// Sync makes sure the broker has handled everything sent before: it sends
// a PINGREQ and waits for the PINGRESP, which a broker answers in order.
func (c *Conn) Sync() { c.t.Helper(); c.ExpectOpen("synchronizing") }

// env is the state of one run of the suite: the configuration, the
// dialer, what discovery found, and the counters behind unique names.
type env struct {
	cfg    Config
	dialer *dialer
	// wsDialer reaches the broker over a WebSocket, nil when no ws://
	// or wss:// URL is known.
	wsDialer *dialer
	caps     Capabilities
	run      string
	ids      atomic.Uint64
	topics   atomic.Uint64
}

func (e *env) clientID() string {
	n := e.ids.Add(1)
	return "mc" + e.run + strconv.FormatUint(n, 36)
}

func (e *env) topicBase() string {
	n := e.topics.Add(1)
	return "mqttcheck/" + e.run + "/" + strconv.FormatUint(n, 36)
}
