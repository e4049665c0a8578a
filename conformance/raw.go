package conformance

import (
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mqttx/mqttx/mqtt"
	"github.com/mqttx/mqttx/mqtt/packet"
)

// Conn is the raw-packet driver: a client built on mqtt/packet that sends
// exactly the bytes a check gives it (illegal ones included) and shows every
// packet the broker sends, with its size on the wire. A goroutine reads the
// connection; unless ManualAck is set it answers the broker's QoS 1 and 2
// PUBLISH packets and PUBREL as a well-behaved client would.
//
// The Expect methods take packets in arrival order. A packet of another
// type than the one asked for is kept, so that a check waiting for a SUBACK
// is not upset by a PUBLISH that came first; it is there for the next
// Expect of its type.
type Conn struct {
	t    *T
	Name string // a label for the transcript, the client identifier by default
	V    mqtt.Version
	nc   net.Conn

	// ManualAck stops the automatic acknowledgements; set it before the
	// broker can send a PUBLISH.
	ManualAck atomic.Bool

	wmu     sync.Mutex
	events  chan event
	pending []Received
	closed  bool
	endErr  error
	nextID  atomic.Uint32
	done    chan struct{}
	ackSent chan packet.Packet // automatic acknowledgements, for checks that look at them
	tail    tailReader         // the connection, remembering the last bytes read
}

// tailReader reads from a connection and keeps the last bytes read, to show
// what the broker sent when it does not decode.
type tailReader struct {
	r    net.Conn
	mu   sync.Mutex
	last []byte
}

func (t *tailReader) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	t.mu.Lock()
	t.last = append(t.last, p[:n]...)
	if len(t.last) > 64 {
		t.last = t.last[len(t.last)-64:]
	}
	t.mu.Unlock()
	return n, err
}

func (t *tailReader) bytes() []byte {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]byte(nil), t.last...)
}

// Received is a packet from the broker with its size in bytes on the wire.
type Received struct {
	packet.Packet
	Size int
}

type event struct {
	r   Received
	err error
}

// Dial opens a raw connection for protocol version v without sending
// anything.
func (t *T) Dial(v mqtt.Version) *Conn {
	nc, err := t.env.dialer.dial(t.env.cfg.Wait)
	if err != nil {
		t.Fatalf("dial %s: %v", t.env.dialer, err)
	}
	return t.wrap(nc, v, "")
}

func (t *T) wrap(nc net.Conn, v mqtt.Version, name string) *Conn {
	c := &Conn{t: t, V: v, nc: nc, Name: name, events: make(chan event, 4096), done: make(chan struct{}), ackSent: make(chan packet.Packet, 1024)}
	c.tail.r = nc
	go c.read()
	t.Cleanup(func() {
		nc.Close()
		<-c.done
	})
	return c
}

func (c *Conn) read() {
	defer close(c.done)
	defer close(c.events)
	r := packet.NewReader(&c.tail)
	r.Version = c.V
	r.MaxPacketSize = packet.MaxVarint + 5
	for {
		p, err := r.ReadPacket()
		if err != nil {
			c.events <- event{err: err}
			return
		}
		p = packet.Clone(p)
		rc := Received{Packet: p, Size: p.Len(c.V)}
		c.t.logf("%s ← %s", c.label(), describe(p, c.V))
		c.events <- event{r: rc}
		if !c.ManualAck.Load() {
			c.autoAck(p)
		}
	}
}

func (c *Conn) autoAck(p packet.Packet) {
	var a packet.Packet
	switch p := p.(type) {
	case *packet.Publish:
		switch p.QoS {
		case 1:
			a = &packet.Puback{PacketID: p.PacketID}
		case 2:
			a = &packet.Pubrec{PacketID: p.PacketID}
		}
	case *packet.Pubrel:
		a = &packet.Pubcomp{PacketID: p.PacketID}
	}
	if a == nil {
		return
	}
	b, err := a.Append(nil, c.V)
	if err != nil {
		return
	}
	c.t.logf("%s → %s (automatic)", c.label(), describe(a, c.V))
	c.wmu.Lock()
	c.nc.Write(b)
	c.wmu.Unlock()
	select {
	case c.ackSent <- a:
	default:
	}
}

func (c *Conn) label() string {
	if c.Name == "" {
		return "client"
	}
	return c.Name
}

// NextID returns a fresh packet identifier for this connection.
func (c *Conn) NextID() uint16 {
	for {
		id := uint16(c.nextID.Add(1))
		if id != 0 {
			return id
		}
	}
}

// Send validates and sends p.
func (c *Conn) Send(p packet.Packet) {
	c.t.Helper()
	v := c.V
	if p.Type() == packet.TypeConnect {
		v = 0
	}
	b, err := p.Append(nil, v)
	if err != nil {
		c.t.Fatalf("suite bug: cannot encode %s: %v", describe(p, c.V), err)
	}
	c.write(b, describe(p, c.V))
}

// SendIllegal sends p as given, without validating it.
func (c *Conn) SendIllegal(p packet.Packet) {
	v := c.V
	if cp, ok := p.(*packet.Connect); ok {
		v = cp.Version
	}
	c.write(packet.AppendIllegal(nil, p, v), describe(p, c.V)+" (unvalidated)")
}

// SendRaw sends a packet of the given first byte and body.
func (c *Conn) SendRaw(first byte, body []byte) {
	c.write(packet.AppendRaw(nil, first, body), fmt.Sprintf("raw first byte 0x%02X, body % X", first, clip(body)))
}

// SendBytes sends b as it is.
func (c *Conn) SendBytes(b []byte, what string) {
	c.write(b, fmt.Sprintf("%s: bytes % X", what, clip(b)))
}

func clip(b []byte) []byte {
	if len(b) > 48 {
		return b[:48]
	}
	return b
}

func (c *Conn) write(b []byte, what string) {
	c.t.logf("%s → %s", c.label(), what)
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.nc.SetWriteDeadline(time.Now().Add(c.t.env.cfg.Wait))
	if _, err := c.nc.Write(b); err != nil {
		// A broker may close first; that is for the Expect methods to judge.
		c.t.logf("%s   (write failed: %v)", c.label(), err)
	}
}

// next returns the next event within d, ok false on timeout.
func (c *Conn) next(d time.Duration) (ev event, ok bool) {
	if c.closed {
		return event{err: c.endErr}, true
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case ev, open := <-c.events:
		if !open || ev.err != nil {
			c.closed = true
			if open {
				c.endErr = ev.err
			}
			return event{err: c.endErr}, true
		}
		return ev, true
	case <-timer.C:
		return event{}, false
	}
}

// endDesc tells how the connection ended, for messages.
func (c *Conn) endDesc() string {
	switch {
	case c.endErr == nil, errors.Is(c.endErr, io.EOF):
		return "the broker closed the connection"
	case isReset(c.endErr):
		return "the broker closed the connection (reset)"
	}
	return "the connection ended: " + c.endErr.Error()
}

func isReset(err error) bool {
	return err != nil && (strings.Contains(err.Error(), "connection reset") || strings.Contains(err.Error(), "broken pipe"))
}

// decodeFailure reports whether the connection ended because a packet from
// the broker could not be decoded (rather than by a close).
func (c *Conn) decodeFailure() bool {
	var me *mqtt.Error
	return errors.As(c.endErr, &me)
}

// take removes and returns the first pending packet matching.
func (c *Conn) take(match func(packet.Packet) bool) (Received, bool) {
	for i, r := range c.pending {
		if match(r.Packet) {
			c.pending = append(c.pending[:i], c.pending[i+1:]...)
			return r, true
		}
	}
	return Received{}, false
}

// Await waits for the first packet that match accepts, keeping the others.
// It fails the check, naming want, if none arrives within the wait bound or
// the connection ends first.
func (c *Conn) Await(want string, match func(packet.Packet) bool) Received {
	c.t.Helper()
	if r, ok := c.take(match); ok {
		return r
	}
	deadline := time.Now().Add(c.t.env.cfg.Wait)
	for {
		ev, ok := c.next(time.Until(deadline))
		if !ok {
			c.t.Fatalf("expected %s within %v; got %s", want, c.t.env.cfg.Wait, c.sawDesc())
		}
		if ev.err != nil || c.closed {
			if c.decodeFailure() {
				c.t.Fatalf("expected %s; got bytes that do not decode as MQTT %s (%v); last bytes received: % X", want, c.V, c.endErr, c.tail.bytes())
			}
			c.t.Fatalf("expected %s; got %s before it (%s)", want, c.sawDesc(), c.endDesc())
		}
		if match(ev.r.Packet) {
			return ev.r
		}
		c.pending = append(c.pending, ev.r)
	}
}

func (c *Conn) sawDesc() string {
	if len(c.pending) == 0 {
		return "no packet"
	}
	s := make([]string, len(c.pending))
	for i, r := range c.pending {
		s[i] = describe(r.Packet, c.V)
	}
	return "only " + strings.Join(s, "; ")
}

// Expect waits for the next packet of type typ.
func (c *Conn) Expect(typ packet.Type) Received {
	c.t.Helper()
	return c.Await(typ.String(), func(p packet.Packet) bool { return p.Type() == typ })
}

// ExpectNext waits for the next packet whatever its type; pending packets
// come first.
func (c *Conn) ExpectNext(want string) Received {
	c.t.Helper()
	return c.Await(want, func(packet.Packet) bool { return true })
}

// ExpectPublish waits for the next PUBLISH.
func (c *Conn) ExpectPublish() *packet.Publish {
	c.t.Helper()
	return c.Expect(packet.TypePublish).Packet.(*packet.Publish)
}

// ExpectPublishOn waits for the next PUBLISH of topic, ignoring others.
func (c *Conn) ExpectPublishOn(topic string) *packet.Publish {
	c.t.Helper()
	return c.Await("PUBLISH on "+topic, func(p packet.Packet) bool {
		pub, ok := p.(*packet.Publish)
		return ok && pub.Topic == topic
	}).Packet.(*packet.Publish)
}

// Watch collects what arrives during the silence window (or until the
// connection ends), returning every packet pending afterwards; they stay
// pending.
func (c *Conn) Watch() []Received {
	deadline := time.Now().Add(c.t.env.cfg.Silence)
	for !c.closed {
		ev, ok := c.next(time.Until(deadline))
		if !ok || ev.err != nil || c.closed {
			break
		}
		c.pending = append(c.pending, ev.r)
	}
	return c.pending
}

// ExpectNo fails if a packet match accepts arrives within the silence
// window (or is pending). why says what must not happen.
func (c *Conn) ExpectNo(why string, match func(packet.Packet) bool) {
	c.t.Helper()
	for _, r := range c.Watch() {
		if match(r.Packet) {
			c.t.Fatalf("expected %s; got %s", why, describe(r.Packet, c.V))
		}
	}
}

// ExpectNoPublish fails if any PUBLISH arrives within the silence window.
func (c *Conn) ExpectNoPublish(why string) {
	c.t.Helper()
	c.ExpectNo(why, func(p packet.Packet) bool { return p.Type() == packet.TypePublish })
}

// ExpectNoPublishOn fails if a PUBLISH of topic arrives within the silence
// window.
func (c *Conn) ExpectNoPublishOn(topic, why string) {
	c.t.Helper()
	c.ExpectNo(why, func(p packet.Packet) bool {
		pub, ok := p.(*packet.Publish)
		return ok && pub.Topic == topic
	})
}

// ExpectClosed waits for the broker to close the connection and returns the
// packets that arrived before (and were not taken). Packets the broker may
// send before closing are allowed unless reject says otherwise.
func (c *Conn) ExpectClosed(why string) []Received {
	c.t.Helper()
	deadline := time.Now().Add(c.t.env.cfg.Wait)
	for !c.closed {
		ev, ok := c.next(time.Until(deadline))
		if !ok {
			c.t.Fatalf("expected the broker to close the connection (%s) within %v; it stayed open, and sent %s", why, c.t.env.cfg.Wait, c.sawDesc())
		}
		if ev.err != nil || c.closed {
			break
		}
		c.pending = append(c.pending, ev.r)
	}
	if c.decodeFailure() {
		c.t.Fatalf("expected the broker to close the connection (%s); it sent bytes that do not decode as MQTT %s (%v); last bytes received: % X", why, c.V, c.endErr, c.tail.bytes())
	}
	return c.pending
}

// ExpectClosedWith is ExpectClosed for MQTT 5 where the broker may first
// send a CONNACK or DISCONNECT: when it does, the reason code must be one
// of codes. Nothing other than such a packet may arrive.
func (c *Conn) ExpectClosedWith(why string, codes ...mqtt.ReasonCode) {
	c.t.Helper()
	for _, r := range c.ExpectClosed(why) {
		var got mqtt.ReasonCode
		switch p := r.Packet.(type) {
		case *packet.Disconnect:
			got = p.ReasonCode
		case *packet.Connack:
			got = p.ReasonCode
		default:
			continue
		}
		if c.V == mqtt.V5 && len(codes) > 0 && !containsCode(codes, got) {
			c.t.Fatalf("expected the connection closed (%s), with reason code %s if any; got %s", why, codeList(codes, r.Type()), describe(r.Packet, c.V))
		}
	}
}

func containsCode(cs []mqtt.ReasonCode, c mqtt.ReasonCode) bool {
	for _, x := range cs {
		if x == c {
			return true
		}
	}
	return false
}

func codeList(cs []mqtt.ReasonCode, t packet.Type) string {
	s := make([]string, len(cs))
	for i, c := range cs {
		s[i] = code(c, t)
	}
	return strings.Join(s, " or ")
}

// ExpectOpen checks the connection still works: a PINGREQ is answered.
func (c *Conn) ExpectOpen(why string) {
	c.t.Helper()
	c.Send(&packet.Pingreq{})
	deadline := time.Now().Add(c.t.env.cfg.Wait)
	if _, ok := c.take(func(p packet.Packet) bool { return p.Type() == packet.TypePingresp }); ok {
		return
	}
	for {
		ev, ok := c.next(time.Until(deadline))
		if !ok {
			c.t.Fatalf("expected the connection to stay usable (%s): no PINGRESP to PINGREQ within %v", why, c.t.env.cfg.Wait)
		}
		if ev.err != nil || c.closed {
			c.t.Fatalf("expected the connection to stay open (%s); %s, after sending %s", why, c.endDesc(), c.sawDesc())
		}
		if ev.r.Type() == packet.TypePingresp {
			return
		}
		c.pending = append(c.pending, ev.r)
	}
}

// Close closes the network connection without DISCONNECT.
func (c *Conn) Close() {
	c.t.logf("%s × closes the network connection", c.label())
	c.nc.Close()
	<-c.done
}

// Disconnect sends a normal DISCONNECT and closes the connection.
func (c *Conn) Disconnect() {
	c.Send(&packet.Disconnect{})
	c.Close()
}

// WaitClosedByBroker waits until the broker has closed the connection, with
// no judgement on how (for clean-up between steps).
func (c *Conn) WaitClosedByBroker() bool {
	deadline := time.Now().Add(c.t.env.cfg.Wait)
	for !c.closed {
		ev, ok := c.next(time.Until(deadline))
		if !ok {
			return false
		}
		if ev.err == nil && !c.closed {
			c.pending = append(c.pending, ev.r)
		}
	}
	return true
}

// AwaitOrClose waits for a packet match accepts or the end of the
// connection; ok is false when the connection ended first. It fails the
// check when neither happens within the wait bound.
func (c *Conn) AwaitOrClose(want string, match func(packet.Packet) bool) (r Received, ok bool) {
	c.t.Helper()
	if r, ok := c.take(match); ok {
		return r, true
	}
	deadline := time.Now().Add(c.t.env.cfg.Wait)
	for {
		ev, got := c.next(time.Until(deadline))
		if !got {
			c.t.Fatalf("expected %s or a close within %v; got %s", want, c.t.env.cfg.Wait, c.sawDesc())
		}
		if ev.err != nil || c.closed {
			return Received{}, false
		}
		if match(ev.r.Packet) {
			return ev.r, true
		}
		c.pending = append(c.pending, ev.r)
	}
}
