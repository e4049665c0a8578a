package codec

import (
	"bytes"
	"fmt"
	"io"
	"testing"

	paho5p "github.com/eclipse/paho.golang/packets"
)

// paho5 is github.com/eclipse/paho.golang/packets, the codec of the Eclipse
// Paho MQTT 5 client. It reads from an io.Reader and writes to an
// io.Writer; it speaks MQTT 5 only (it always reads and writes a property
// block).
type paho5 struct{}

func (paho5) Name() string         { return "paho.golang" }
func (paho5) Supports(v byte) bool { return v == V5 }

func ptr[T any](v T) *T { return &v }

// value builds the typed paho.golang control packet for m.
func (paho5) value(m *Msg) *paho5p.ControlPacket {
	switch m.Type {
	case typeConnect:
		cp := paho5p.NewControlPacket(paho5p.CONNECT)
		c := cp.Content.(*paho5p.Connect)
		c.ProtocolVersion = m.ProtocolVersion
		c.CleanStart = m.CleanStart
		c.KeepAlive = m.KeepAlive
		c.ClientID = m.ClientID
		c.UsernameFlag = m.Username != ""
		c.Username = m.Username
		c.PasswordFlag = m.Password != ""
		c.Password = []byte(m.Password)
		if m.SessionExpiry != 0 {
			c.Properties.SessionExpiryInterval = ptr(m.SessionExpiry)
		}
		if m.ReceiveMaximum != 0 {
			c.Properties.ReceiveMaximum = ptr(m.ReceiveMaximum)
		}
		return cp
	case typePublish:
		cp := paho5p.NewControlPacket(paho5p.PUBLISH)
		p := cp.Content.(*paho5p.Publish)
		p.QoS = m.QoS
		p.Duplicate = m.Dup
		p.Retain = m.Retain
		p.Topic = m.Topic
		p.PacketID = m.PacketID
		p.Payload = []byte(m.Payload)
		if m.PayloadFormat != 0 {
			p.Properties.PayloadFormat = ptr(m.PayloadFormat)
		}
		if m.MessageExpiry != 0 {
			p.Properties.MessageExpiry = ptr(m.MessageExpiry)
		}
		if m.TopicAlias != 0 {
			p.Properties.TopicAlias = ptr(m.TopicAlias)
		}
		p.Properties.ContentType = m.ContentType
		for _, u := range m.User {
			p.Properties.User = append(p.Properties.User, paho5p.User{Key: u.Key, Value: u.Value})
		}
		return cp
	case typeSubscribe:
		cp := paho5p.NewControlPacket(paho5p.SUBSCRIBE)
		s := cp.Content.(*paho5p.Subscribe)
		s.PacketID = m.PacketID
		if m.SubscriptionID != 0 {
			s.Properties.SubscriptionIdentifier = ptr(m.SubscriptionID)
		}
		for _, sub := range m.Subs {
			s.Subscriptions = append(s.Subscriptions, paho5p.SubOptions{Topic: sub.Filter, QoS: sub.QoS,
				NoLocal: sub.NoLocal, RetainAsPublished: sub.RetainAsPublished, RetainHandling: sub.RetainHandling})
		}
		return cp
	}
	panic("paho5: unsupported packet type")
}

func (c paho5) Encode(p *Packet) ([]byte, error) {
	var buf bytes.Buffer
	_, err := c.value(&p.Want).WriteTo(&buf)
	return buf.Bytes(), err
}

func val[T any](p *T) (v T) {
	if p != nil {
		v = *p
	}
	return v
}

func (paho5) Decode(_ *Packet, wire []byte) (Msg, error) {
	cp, err := paho5p.ReadPacket(bytes.NewReader(wire))
	if err != nil {
		return Msg{}, err
	}
	switch p := cp.Content.(type) {
	case *paho5p.Connect:
		return Msg{Type: typeConnect, ProtocolVersion: p.ProtocolVersion, ClientID: p.ClientID,
			CleanStart: p.CleanStart, KeepAlive: p.KeepAlive, Username: p.Username,
			Password:       string(p.Password),
			SessionExpiry:  val(p.Properties.SessionExpiryInterval),
			ReceiveMaximum: val(p.Properties.ReceiveMaximum)}, nil
	case *paho5p.Publish:
		m := Msg{Type: typePublish, QoS: p.QoS, Dup: p.Duplicate, Retain: p.Retain, Topic: p.Topic,
			PacketID: p.PacketID, Payload: string(p.Payload),
			PayloadFormat: val(p.Properties.PayloadFormat),
			MessageExpiry: val(p.Properties.MessageExpiry),
			TopicAlias:    val(p.Properties.TopicAlias),
			ContentType:   p.Properties.ContentType}
		for _, u := range p.Properties.User {
			m.User = append(m.User, UserProp{u.Key, u.Value})
		}
		return m, nil
	case *paho5p.Subscribe:
		m := Msg{Type: typeSubscribe, PacketID: p.PacketID,
			SubscriptionID: val(p.Properties.SubscriptionIdentifier)}
		for _, s := range p.Subscriptions {
			m.Subs = append(m.Subs, Sub{Filter: s.Topic, QoS: s.QoS, NoLocal: s.NoLocal,
				RetainAsPublished: s.RetainAsPublished, RetainHandling: s.RetainHandling})
		}
		return m, nil
	}
	return Msg{}, fmt.Errorf("paho5: unexpected %T", cp.Content)
}

// BenchDecode reads the packet with packets.ReadPacket from a bytes.Reader
// reset to the wire bytes each iteration.
func (paho5) BenchDecode(p *Packet) func(*testing.B) {
	return benchReadPacket(p, paho5p.ReadPacket)
}

// BenchEncode writes the typed packet with (*ControlPacket).WriteTo into a
// reused bytes.Buffer.
func (c paho5) BenchEncode(p *Packet) func(*testing.B) {
	cp := c.value(&p.Want)
	return benchWriteTo(p, func(w io.Writer) error { _, err := cp.WriteTo(w); return err })
}
