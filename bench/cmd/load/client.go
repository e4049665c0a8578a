package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"time"

	"github.com/mqttx/mqttx/mqtt"
	"github.com/mqttx/mqttx/mqtt/packet"
)

// The load clients are raw sockets driven by the mqttx codec, MQTT 3.1.1
// only, so that every broker is spoken to in the same way and the client
// side costs the same whichever broker it measures.

// epoch is the time base of every timestamp the harness takes: the
// monotonic clock of this process, which both ends of a message share.
var epoch = time.Now()

func now() int64 { return int64(time.Since(epoch)) }

// client is one MQTT connection. Readers and writers that move many
// packets sit on bufio with a large buffer; idle connections have none.
type client struct {
	conn net.Conn
	br   *bufio.Reader // nil for unbuffered clients
	r    *packet.Reader
	bw   *bufio.Writer // nil for unbuffered clients
}

// ioBuf is the size of the bufio reader and writer of a busy client.
const ioBuf = 32 << 10

// connect dials addr and completes CONNECT/CONNACK with a clean session
// and keep alive 0 (no pings expected either way). buffered gives the
// client bufio readers and writers. The whole exchange must finish within
// timeout.
func connect(ctx context.Context, addr, id string, buffered bool, timeout time.Duration) (*client, error) {
	d := net.Dialer{Timeout: timeout}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	c := &client{conn: conn}
	if buffered {
		c.br = bufio.NewReaderSize(conn, ioBuf)
		c.r = packet.NewReader(c.br)
		c.bw = bufio.NewWriterSize(conn, ioBuf)
	} else {
		c.r = packet.NewReader(conn)
	}
	c.r.Version = mqtt.V311
	conn.SetDeadline(time.Now().Add(timeout))
	err = packet.Write(conn, &packet.Connect{Version: mqtt.V311, CleanStart: true, ClientID: id}, mqtt.V311)
	if err == nil {
		var p packet.Packet
		p, err = c.r.ReadPacket()
		switch p := p.(type) {
		case nil:
		case *packet.Connack:
			if p.ReasonCode != 0 {
				err = fmt.Errorf("CONNACK return code %#x", byte(p.ReasonCode))
			}
		default:
			err = fmt.Errorf("got %v, want CONNACK", p.Type())
		}
	}
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("connect %s: %w", id, err)
	}
	conn.SetDeadline(time.Time{})
	return c, nil
}

// subscribe sends one SUBSCRIBE and waits for its SUBACK.
func (c *client) subscribe(filter string, qos mqtt.QoS, timeout time.Duration) error {
	c.conn.SetDeadline(time.Now().Add(timeout))
	defer c.conn.SetDeadline(time.Time{})
	s := &packet.Subscribe{PacketID: 1, Subscriptions: []packet.Subscription{{Filter: filter, QoS: qos}}}
	if err := packet.Write(c.conn, s, mqtt.V311); err != nil {
		return err
	}
	for {
		p, err := c.r.ReadPacket()
		if err != nil {
			return fmt.Errorf("subscribe %s: %w", filter, err)
		}
		if a, ok := p.(*packet.Suback); ok {
			if len(a.ReasonCodes) != 1 || a.ReasonCodes[0] >= 0x80 {
				return fmt.Errorf("subscribe %s: SUBACK %v", filter, a.ReasonCodes)
			}
			return nil
		}
	}
}

func (c *client) disconnect() {
	packet.Write(c.conn, &packet.Disconnect{}, mqtt.V311)
	c.conn.Close()
}

// The first bytes of every payload the harness publishes:
//
//	0..8   send time, ns since epoch
//	8..12  sequence number within the publisher and phase
//	12..14 publisher index
//	14     phase (0 warm-up, 1 measured)
const (
	stampLen     = 15
	phaseWarm    = 0
	phaseMeasure = 1
)

func stamp(b []byte, t int64, seq uint32, src uint16, phase byte) {
	binary.LittleEndian.PutUint64(b, uint64(t))
	binary.LittleEndian.PutUint32(b[8:], seq)
	binary.LittleEndian.PutUint16(b[12:], src)
	b[14] = phase
}

func unstamp(b []byte) (t int64, seq uint32, src uint16, phase byte) {
	return int64(binary.LittleEndian.Uint64(b)), binary.LittleEndian.Uint32(b[8:]),
		binary.LittleEndian.Uint16(b[12:]), b[14]
}

// template is a PUBLISH encoded once; sending it again only rewrites the
// stamp at the front of the payload and, at QoS 1, the packet identifier,
// so the client spends nothing on encoding.
type template struct {
	b      []byte
	payOff int // payload start
}

func newTemplate(topic string, qos mqtt.QoS, payloadLen int) (*template, error) {
	p := &packet.Publish{Topic: topic, QoS: qos, Payload: make([]byte, payloadLen)}
	if qos > 0 {
		p.PacketID = 1
	}
	b, err := p.Append(nil, mqtt.V311)
	if err != nil {
		return nil, err
	}
	return &template{b: b, payOff: len(b) - payloadLen}, nil
}

func (t *template) set(ts int64, seq uint32, src uint16, phase byte) {
	stamp(t.b[t.payOff:], ts, seq, src, phase)
}

// setID writes the packet identifier, which MQTT 3.1.1 puts just before
// the payload.
func (t *template) setID(id uint16) {
	binary.BigEndian.PutUint16(t.b[t.payOff-2:], id)
}
