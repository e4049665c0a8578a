package codec

import (
	"bytes"
	"fmt"
	"testing"

	mochip "github.com/mochi-mqtt/server/v2/packets"
)

// mochi is github.com/mochi-mqtt/server/v2/packets, the codec of the Mochi
// MQTT broker. It decodes from a byte slice holding the packet body (the
// broker reads the fixed header and the body off the connection itself) and
// encodes into a *bytes.Buffer; it speaks 3.1, 3.1.1 and 5. Decoded strings
// alias the input, like mqttx's Decoder.
type mochi struct{}

func (mochi) Name() string         { return "mochi" }
func (mochi) Supports(v byte) bool { return v == V311 || v == V5 }

// value builds the typed mochi packet for m at protocol level v.
func (mochi) value(v byte, m *Msg) *mochip.Packet {
	pk := &mochip.Packet{ProtocolVersion: v}
	switch m.Type {
	case typeConnect:
		pk.FixedHeader.Type = mochip.Connect
		pk.Connect = mochip.ConnectParams{
			ProtocolName:     []byte("MQTT"),
			Clean:            m.CleanStart,
			Keepalive:        m.KeepAlive,
			ClientIdentifier: m.ClientID,
			UsernameFlag:     m.Username != "",
			Username:         []byte(m.Username),
			PasswordFlag:     m.Password != "",
			Password:         []byte(m.Password),
		}
		pk.Properties.SessionExpiryInterval = m.SessionExpiry
		pk.Properties.SessionExpiryIntervalFlag = m.SessionExpiry != 0
		pk.Properties.ReceiveMaximum = m.ReceiveMaximum
	case typePublish:
		pk.FixedHeader = mochip.FixedHeader{Type: mochip.Publish, Qos: m.QoS, Dup: m.Dup, Retain: m.Retain}
		pk.TopicName = m.Topic
		pk.PacketID = m.PacketID
		pk.Payload = []byte(m.Payload)
		pk.Properties.PayloadFormat = m.PayloadFormat
		pk.Properties.PayloadFormatFlag = m.PayloadFormat != 0
		pk.Properties.MessageExpiryInterval = m.MessageExpiry
		pk.Properties.TopicAlias = m.TopicAlias
		pk.Properties.TopicAliasFlag = m.TopicAlias != 0
		pk.Properties.ContentType = m.ContentType
		for _, u := range m.User {
			pk.Properties.User = append(pk.Properties.User, mochip.UserProperty{Key: u.Key, Val: u.Value})
		}
	case typeSubscribe:
		pk.FixedHeader = mochip.FixedHeader{Type: mochip.Subscribe, Qos: 1}
		pk.PacketID = m.PacketID
		if m.SubscriptionID != 0 {
			pk.Properties.SubscriptionIdentifier = []int{m.SubscriptionID}
		}
		for _, s := range m.Subs {
			pk.Filters = append(pk.Filters, mochip.Subscription{Filter: s.Filter, Qos: s.QoS,
				NoLocal: s.NoLocal, RetainAsPublished: s.RetainAsPublished, RetainHandling: s.RetainHandling})
		}
	default:
		panic("mochi: unsupported packet type")
	}
	return pk
}

// encode encodes pk with the method for its type.
func mochiEncode(pk *mochip.Packet, buf *bytes.Buffer) error {
	switch pk.FixedHeader.Type {
	case mochip.Connect:
		return pk.ConnectEncode(buf)
	case mochip.Publish:
		return pk.PublishEncode(buf)
	case mochip.Subscribe:
		return pk.SubscribeEncode(buf)
	}
	return fmt.Errorf("mochi: no encoder for type %d", pk.FixedHeader.Type)
}

// mochiDecode decodes the packet in wire into pk the way the Mochi broker
// does (Client.ReadFixedHeader, then Client.ReadPacket minus the copy of
// the body): fixed header byte, remaining length, then the body decoder for
// the type. pk.ProtocolVersion must hold the connection's protocol level
// (a CONNECT sets it itself); r is reset to wire.
func mochiDecode(pk *mochip.Packet, r *bytes.Reader, wire []byte) error {
	r.Reset(wire)
	hb, err := r.ReadByte()
	if err != nil {
		return err
	}
	if err := pk.FixedHeader.Decode(hb); err != nil {
		return err
	}
	pk.FixedHeader.Remaining, _, err = mochip.DecodeLength(r)
	if err != nil {
		return err
	}
	body := wire[len(wire)-r.Len():]
	if len(body) < pk.FixedHeader.Remaining {
		return fmt.Errorf("mochi: short packet")
	}
	body = body[:pk.FixedHeader.Remaining]
	switch pk.FixedHeader.Type {
	case mochip.Connect:
		return pk.ConnectDecode(body)
	case mochip.Publish:
		return pk.PublishDecode(body)
	case mochip.Subscribe:
		return pk.SubscribeDecode(body)
	}
	return fmt.Errorf("mochi: no decoder for type %d", pk.FixedHeader.Type)
}

func (c mochi) Encode(p *Packet) ([]byte, error) {
	var buf bytes.Buffer
	err := mochiEncode(c.value(p.Version, &p.Want), &buf)
	return buf.Bytes(), err
}

func (mochi) Decode(p *Packet, wire []byte) (Msg, error) {
	pk := mochip.Packet{ProtocolVersion: p.Version}
	if err := mochiDecode(&pk, new(bytes.Reader), wire); err != nil {
		return Msg{}, err
	}
	pr := &pk.Properties
	switch pk.FixedHeader.Type {
	case mochip.Connect:
		return Msg{Type: typeConnect, ProtocolVersion: pk.ProtocolVersion,
			ClientID: pk.Connect.ClientIdentifier, CleanStart: pk.Connect.Clean,
			KeepAlive: pk.Connect.Keepalive, Username: string(pk.Connect.Username),
			Password: string(pk.Connect.Password), SessionExpiry: pr.SessionExpiryInterval,
			ReceiveMaximum: pr.ReceiveMaximum}, nil
	case mochip.Publish:
		m := Msg{Type: typePublish, QoS: pk.FixedHeader.Qos, Dup: pk.FixedHeader.Dup,
			Retain: pk.FixedHeader.Retain, Topic: pk.TopicName, PacketID: pk.PacketID,
			Payload: string(pk.Payload), PayloadFormat: pr.PayloadFormat,
			MessageExpiry: pr.MessageExpiryInterval, TopicAlias: pr.TopicAlias,
			ContentType: pr.ContentType}
		for _, u := range pr.User {
			m.User = append(m.User, UserProp{u.Key, u.Val})
		}
		return m, nil
	case mochip.Subscribe:
		m := Msg{Type: typeSubscribe, PacketID: pk.PacketID}
		if len(pr.SubscriptionIdentifier) > 0 {
			m.SubscriptionID = pr.SubscriptionIdentifier[0]
		}
		for _, s := range pk.Filters {
			m.Subs = append(m.Subs, Sub{Filter: s.Filter, QoS: s.Qos, NoLocal: s.NoLocal,
				RetainAsPublished: s.RetainAsPublished, RetainHandling: s.RetainHandling})
		}
		return m, nil
	}
	return Msg{}, fmt.Errorf("mochi: unexpected type %d", pk.FixedHeader.Type)
}

// BenchDecode decodes the wire bytes in place into a packets.Packet that is
// zeroed each iteration, as the broker starts each read from a fresh value.
func (mochi) BenchDecode(p *Packet) func(*testing.B) {
	return func(b *testing.B) {
		var r bytes.Reader
		pk := new(mochip.Packet)
		b.SetBytes(int64(len(p.Wire)))
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			*pk = mochip.Packet{ProtocolVersion: p.Version}
			if err := mochiDecode(pk, &r, p.Wire); err != nil {
				b.Fatal(err)
			}
		}
		sink = pk
	}
}

// BenchEncode encodes the typed packet with its <Type>Encode method into a
// reused bytes.Buffer.
func (c mochi) BenchEncode(p *Packet) func(*testing.B) {
	return func(b *testing.B) {
		pk := c.value(p.Version, &p.Want)
		var buf bytes.Buffer
		buf.Grow(256)
		b.SetBytes(int64(len(p.Wire)))
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			buf.Reset()
			if err := mochiEncode(pk, &buf); err != nil {
				b.Fatal(err)
			}
		}
	}
}
