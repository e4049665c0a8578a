package conformance

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/mqttx/mqttx/mqtt"
	"github.com/mqttx/mqttx/mqtt/packet"
)

// Building blocks of hand-made packets.

func str(s string) []byte { return packet.AppendString(nil, s) }
func bin(b string) []byte { return packet.AppendBinary(nil, []byte(b)) }
func u16(x uint16) []byte { return packet.AppendUint16(nil, x) }
func cat(bs ...[]byte) []byte {
	var out []byte
	for _, b := range bs {
		out = append(out, b...)
	}
	return out
}

// Connect flag bits.
const (
	flagReserved = 0x01
	flagClean    = 0x02
	flagWill     = 0x04
	flagWillQoS1 = 0x08
	flagWillQoS2 = 0x10
	flagRetain   = 0x20
	flagPassword = 0x40
	flagUsername = 0x80
)

// rawConnect builds a CONNECT of protocol level level with protocol name
// name, the given flags, and payload fields appended as given (each already
// length-prefixed). An MQTT 5 CONNECT gets an empty property list.
func rawConnect(v mqtt.Version, name string, level, flags byte, fields ...[]byte) []byte {
	body := cat(str(name), []byte{level, flags}, u16(60))
	if v == mqtt.V5 {
		body = append(body, 0)
	}
	for _, f := range fields {
		body = append(body, f...)
	}
	return packet.AppendRaw(nil, 0x10, body)
}

// noProps is an empty MQTT 5 property list, nothing below MQTT 5.
func noProps(v mqtt.Version) []byte {
	if v == mqtt.V5 {
		return []byte{0}
	}
	return nil
}

// ExpectRefused checks the broker's answer to a CONNECT it must refuse: the
// connection is closed. Below MQTT 5 no CONNACK may come when strict (a
// non-conforming CONNECT [MQTT-3.1.4-1]); otherwise a CONNACK must refuse.
// In MQTT 5 a CONNACK, if sent, must carry one of codes (any code of 0x80
// or more when none is given), and no DISCONNECT may come before a CONNACK
// [MQTT-3.14.0-1].
func (c *Conn) ExpectRefused(why string, strict bool, codes ...mqtt.ReasonCode) {
	c.t.Helper()
	for _, r := range c.ExpectClosed(why) {
		switch p := r.Packet.(type) {
		case *packet.Connack:
			if c.V != mqtt.V5 {
				if strict {
					c.t.Fatalf("expected the connection closed without CONNACK (%s); got %s", why, describe(p, c.V))
				}
				if p.ReasonCode == mqtt.Success {
					c.t.Fatalf("expected a refusal (%s); got %s", why, describe(p, c.V))
				}
				continue
			}
			if p.ReasonCode < 0x80 || (len(codes) > 0 && !containsCode(codes, p.ReasonCode)) {
				want := "a reason code of 0x80 or more"
				if len(codes) > 0 {
					want = codeList(codes, packet.TypeConnack)
				}
				c.t.Fatalf("expected the connection closed (%s), with a CONNACK of %s if any; got %s", why, want, describe(p, c.V))
			}
		case *packet.Disconnect:
			c.t.Fatalf("expected the connection closed (%s); got DISCONNECT before any CONNACK: %s", why, describe(p, c.V))
		default:
			c.t.Fatalf("expected the connection closed (%s); got %s", why, describe(p, c.V))
		}
	}
}

// ExpectMalformedClose checks the answer to a malformed packet or protocol
// error after CONNACK: the connection is closed, after a DISCONNECT with
// one of codes in MQTT 5 if the broker sends one.
func (c *Conn) ExpectMalformedClose(why string, codes ...mqtt.ReasonCode) {
	c.t.Helper()
	if len(codes) == 0 {
		codes = []mqtt.ReasonCode{mqtt.MalformedPacket, mqtt.ProtocolError}
	}
	c.ExpectClosedWith(why, codes...)
}

// alnumID returns a 23-character client identifier of [0-9a-zA-Z] that no
// other check uses.
func (t *T) alnumID() string {
	id := t.ClientID()
	const pad = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	for i := 0; len(id) < 23; i++ {
		id += string(pad[(i*7)%len(pad)])
	}
	return id[:23]
}

// withID sets the client identifier.
func withID(id string) func(*packet.Connect) { return func(c *packet.Connect) { c.ClientID = id } }

// persistent makes a CONNECT keep its session: Clean Start 0 and, in MQTT
// 5, a Session Expiry Interval of 300 s.
func persistent(c *packet.Connect) {
	c.CleanStart = false
	if c.Version == mqtt.V5 {
		c.Properties.SessionExpiry = 300
	}
}

// resume is persistent without asking the session to start clean.
func resume(id string) func(*packet.Connect) {
	return func(c *packet.Connect) { c.ClientID = id; persistent(c) }
}

// cleanEnd connects clean to id and disconnects, ending a persistent
// session a check left behind.
func (t *T) cleanEnd(id string, v mqtt.Version) {
	c, _ := t.ConnectV(v, withID(id))
	c.Disconnect()
}

// will sets a will.
func withWill(topic, payload string, qos mqtt.QoS, retain bool) func(*packet.Connect) {
	return func(c *packet.Connect) {
		c.Will = &packet.Will{Topic: topic, Payload: []byte(payload), QoS: qos, Retain: retain}
	}
}

// payloadN is a payload of n bytes, distinct per call site by its prefix.
func payloadN(prefix string, n int) string {
	if n <= len(prefix) {
		return prefix[:n]
	}
	return prefix + strings.Repeat("x", n-len(prefix))
}

func itoa(i int) string { return strconv.Itoa(i) }

// qosOf caps q at the broker's maximum QoS.
func (t *T) qosOf(q mqtt.QoS) mqtt.QoS {
	if m := t.Caps.V[VersionName(t.V)].MaxQoS; q > m {
		return m
	}
	return q
}

// pair connects a publisher and a subscriber of the check's version, the
// subscriber subscribed to filter at qos.
func (t *T) pair(filter string, qos mqtt.QoS) (pub, sub *Conn) {
	t.Helper()
	sub, _ = t.Connect()
	sub.Sub(filter, qos)
	pub, _ = t.Connect()
	return pub, sub
}

func fmtCodes(cs []mqtt.ReasonCode) string { return fmt.Sprint(cs) }

// RawExchange sends b on a new connection and reads whatever comes back
// until the broker closes the connection or the wait bound passes; closed
// tells which.
func (t *T) RawExchange(b []byte, what string) (got []byte, closed bool) {
	t.Helper()
	nc, err := t.env.dialer.dial(t.Wait())
	if err != nil {
		t.Fatalf("dial %s: %v", t.env.dialer, err)
	}
	defer nc.Close()
	t.logf("raw → %s: bytes % X", what, clip(b))
	nc.SetWriteDeadline(time.Now().Add(t.Wait()))
	nc.Write(b)
	nc.SetReadDeadline(time.Now().Add(t.Wait()))
	buf := make([]byte, 512)
	for {
		n, err := nc.Read(buf)
		got = append(got, buf[:n]...)
		if err != nil {
			var ne net.Error
			closed = !(errors.As(err, &ne) && ne.Timeout())
			t.logf("raw ← bytes % X (%s)", clip(got), map[bool]string{true: "then closed", false: "connection still open"}[closed])
			return got, closed
		}
	}
}

// connackRefusal judges the bytes a broker sent to a CONNECT it cannot
// accept as the protocol it claims: nothing, or one CONNACK refusing in
// either the MQTT 3.1.1 form (return code 1) or the MQTT 5 form (a code of
// 0x80 or more). It returns a description of what is wrong, or "".
func connackRefusal(got []byte) string {
	if len(got) == 0 {
		return ""
	}
	if len(got) == 4 && got[0] == 0x20 && got[1] == 2 {
		if got[3] == 0 {
			return "a CONNACK accepting the connection"
		}
		return ""
	}
	p, n, err := packet.Decode(got, mqtt.V5)
	if err != nil {
		return fmt.Sprintf("bytes that are no CONNACK of MQTT 3.1.1 or 5.0: % X", clip(got))
	}
	ack, ok := p.(*packet.Connack)
	if !ok {
		return "a " + p.Type().String() + " instead of a CONNACK"
	}
	if ack.ReasonCode < 0x80 {
		return "a CONNACK with code " + code(ack.ReasonCode, packet.TypeConnack)
	}
	if n != len(got) {
		return fmt.Sprintf("more bytes after the CONNACK: % X", clip(got[n:]))
	}
	return ""
}
