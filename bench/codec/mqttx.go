package codec

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/mqttx/mqttx/mqtt"
	"github.com/mqttx/mqttx/mqtt/packet"
)

// mqttxDecoder is github.com/mqttx/mqttx/mqtt/packet decoding with a reused
// packet.Decoder straight from the byte slice, and encoding with
// Packet.Append into a reused slice.
type mqttxDecoder struct{}

// mqttxReader is the same codec decoding through packet.Reader, the stream
// path, over a bytes.Reader reset to the wire bytes each iteration. It has
// no encoder of its own.
type mqttxReader struct{}

// mqttxFresh is the same codec decoding with the package-level
// packet.Decode: a new packet value per call and a cold string cache, so
// every string is allocated. It shows what mqttx costs without the reuse
// the other two rows benefit from. It has no encoder of its own.
type mqttxFresh struct{}

func (mqttxDecoder) Name() string { return "mqttx" }
func (mqttxReader) Name() string  { return "mqttx-reader" }
func (mqttxFresh) Name() string   { return "mqttx-fresh" }

func (mqttxDecoder) Supports(v byte) bool { return v == V311 || v == V5 }
func (mqttxReader) Supports(v byte) bool  { return v == V311 || v == V5 }
func (mqttxFresh) Supports(v byte) bool   { return v == V311 || v == V5 }

// decoderVersion is the Version a Decoder or Reader is given for p: zero
// for a CONNECT, the first packet of a connection, whose version is not yet
// known (the packet itself carries it); the connection's version otherwise.
func decoderVersion(p *Packet) mqtt.Version {
	if p.Want.Type == typeConnect {
		return 0
	}
	return mqtt.Version(p.Version)
}

// mqttxValue builds the typed mqttx packet for m.
func mqttxValue(m *Msg) packet.Packet {
	switch m.Type {
	case typeConnect:
		c := &packet.Connect{
			Version:    mqtt.Version(m.ProtocolVersion),
			CleanStart: m.CleanStart,
			KeepAlive:  m.KeepAlive,
			ClientID:   m.ClientID,
			Username:   m.Username,
			Password:   []byte(m.Password),
		}
		c.Properties.SessionExpiry = m.SessionExpiry
		c.Properties.ReceiveMaximum = m.ReceiveMaximum
		return c
	case typePublish:
		p := &packet.Publish{
			Dup:      m.Dup,
			QoS:      mqtt.QoS(m.QoS),
			Retain:   m.Retain,
			Topic:    m.Topic,
			PacketID: m.PacketID,
			Payload:  []byte(m.Payload),
		}
		p.Properties.PayloadFormat = m.PayloadFormat
		p.Properties.MessageExpiry = m.MessageExpiry
		p.Properties.TopicAlias = m.TopicAlias
		p.Properties.ContentType = m.ContentType
		for _, u := range m.User {
			p.Properties.User = append(p.Properties.User, packet.UserProperty{Key: u.Key, Value: u.Value})
		}
		return p
	case typeSubscribe:
		s := &packet.Subscribe{PacketID: m.PacketID}
		if m.SubscriptionID != 0 {
			s.Properties.SubscriptionIDs = []uint32{uint32(m.SubscriptionID)}
		}
		for _, sub := range m.Subs {
			s.Subscriptions = append(s.Subscriptions, packet.Subscription{Filter: sub.Filter,
				QoS: mqtt.QoS(sub.QoS), NoLocal: sub.NoLocal, RetainAsPublished: sub.RetainAsPublished,
				RetainHandling: sub.RetainHandling})
		}
		return s
	}
	panic("mqttx: unsupported packet type")
}

// mqttxMsg extracts the compared content of a decoded mqttx packet.
func mqttxMsg(pk packet.Packet) (Msg, error) {
	switch p := pk.(type) {
	case *packet.Connect:
		return Msg{Type: typeConnect, ProtocolVersion: byte(p.Version), ClientID: p.ClientID,
			CleanStart: p.CleanStart, KeepAlive: p.KeepAlive, Username: p.Username,
			Password: string(p.Password), SessionExpiry: p.Properties.SessionExpiry,
			ReceiveMaximum: p.Properties.ReceiveMaximum}, nil
	case *packet.Publish:
		m := Msg{Type: typePublish, QoS: byte(p.QoS), Dup: p.Dup, Retain: p.Retain, Topic: p.Topic,
			PacketID: p.PacketID, Payload: string(p.Payload),
			PayloadFormat: p.Properties.PayloadFormat, MessageExpiry: p.Properties.MessageExpiry,
			TopicAlias: p.Properties.TopicAlias, ContentType: p.Properties.ContentType}
		for _, u := range p.Properties.User {
			m.User = append(m.User, UserProp{u.Key, u.Value})
		}
		return m, nil
	case *packet.Subscribe:
		m := Msg{Type: typeSubscribe, PacketID: p.PacketID}
		if len(p.Properties.SubscriptionIDs) > 0 {
			m.SubscriptionID = int(p.Properties.SubscriptionIDs[0])
		}
		for _, s := range p.Subscriptions {
			m.Subs = append(m.Subs, Sub{Filter: s.Filter, QoS: byte(s.QoS), NoLocal: s.NoLocal,
				RetainAsPublished: s.RetainAsPublished, RetainHandling: s.RetainHandling})
		}
		return m, nil
	}
	return Msg{}, fmt.Errorf("mqttx: unexpected %T", pk)
}

func (mqttxDecoder) Encode(p *Packet) ([]byte, error) {
	return mqttxValue(&p.Want).Append(nil, mqtt.Version(p.Version))
}

func (mqttxReader) Encode(*Packet) ([]byte, error) { return nil, nil }
func (mqttxFresh) Encode(*Packet) ([]byte, error)  { return nil, nil }

func (mqttxDecoder) Decode(p *Packet, wire []byte) (Msg, error) {
	d := packet.Decoder{Version: decoderVersion(p)}
	pk, n, err := d.Decode(wire)
	if err != nil {
		return Msg{}, err
	}
	if n != len(wire) {
		return Msg{}, fmt.Errorf("mqttx: decoded %d of %d bytes", n, len(wire))
	}
	return mqttxMsg(pk)
}

func (mqttxFresh) Decode(p *Packet, wire []byte) (Msg, error) {
	pk, n, err := packet.Decode(wire, decoderVersion(p))
	if err != nil {
		return Msg{}, err
	}
	if n != len(wire) {
		return Msg{}, fmt.Errorf("mqttx: decoded %d of %d bytes", n, len(wire))
	}
	return mqttxMsg(pk)
}

func (mqttxReader) Decode(p *Packet, wire []byte) (Msg, error) {
	br := bytes.NewReader(wire)
	r := packet.NewReader(br)
	r.Version = decoderVersion(p)
	pk, err := r.ReadPacket()
	if err != nil {
		return Msg{}, err
	}
	if br.Len() != 0 {
		return Msg{}, fmt.Errorf("mqttx: %d bytes left unread", br.Len())
	}
	return mqttxMsg(pk)
}

// BenchDecode decodes the wire bytes with one packet.Decoder reused across
// iterations, as a connection reuses it.
func (mqttxDecoder) BenchDecode(p *Packet) func(*testing.B) {
	return func(b *testing.B) {
		v := decoderVersion(p)
		d := &packet.Decoder{Version: v}
		var pk packet.Packet
		var err error
		b.SetBytes(int64(len(p.Wire)))
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			d.Version = v // a CONNECT tells the Decoder its version
			pk, _, err = d.Decode(p.Wire)
			if err != nil {
				b.Fatal(err)
			}
		}
		sink = pk
	}
}

// BenchDecode reads the packet with one packet.Reader reused across
// iterations, over a bytes.Reader reset to the wire bytes.
func (mqttxReader) BenchDecode(p *Packet) func(*testing.B) {
	return func(b *testing.B) {
		v := decoderVersion(p)
		var br bytes.Reader
		r := packet.NewReader(&br)
		var pk packet.Packet
		var err error
		b.SetBytes(int64(len(p.Wire)))
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			br.Reset(p.Wire)
			r.Reset(&br)
			r.Version = v
			pk, err = r.ReadPacket()
			if err != nil {
				b.Fatal(err)
			}
		}
		sink = pk
	}
}

// BenchDecode decodes the wire bytes with packet.Decode, which returns a
// fresh packet value each call.
func (mqttxFresh) BenchDecode(p *Packet) func(*testing.B) {
	return func(b *testing.B) {
		v := decoderVersion(p)
		var pk packet.Packet
		var err error
		b.SetBytes(int64(len(p.Wire)))
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			pk, _, err = packet.Decode(p.Wire, v)
			if err != nil {
				b.Fatal(err)
			}
		}
		sink = pk
	}
}

// BenchEncode appends the typed packet to a reused slice.
func (mqttxDecoder) BenchEncode(p *Packet) func(*testing.B) {
	return func(b *testing.B) {
		pk := mqttxValue(&p.Want)
		v := mqtt.Version(p.Version)
		buf := make([]byte, 0, 256)
		var err error
		b.SetBytes(int64(len(p.Wire)))
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			buf, err = pk.Append(buf[:0], v)
			if err != nil {
				b.Fatal(err)
			}
		}
		sink = buf
	}
}

func (mqttxReader) BenchEncode(*Packet) func(*testing.B) { return nil }
func (mqttxFresh) BenchEncode(*Packet) func(*testing.B)  { return nil }
