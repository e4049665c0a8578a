package codec

import (
	"bytes"
	"fmt"
	"io"
	"testing"

	paho3p "github.com/eclipse/paho.mqtt.golang/packets"
)

// paho3 is github.com/eclipse/paho.mqtt.golang/packets, the codec of the
// Eclipse Paho MQTT 3.1.1 client. It reads from an io.Reader and writes to
// an io.Writer; it speaks 3.1 and 3.1.1 only.
type paho3 struct{}

func (paho3) Name() string         { return "paho.mqtt.golang" }
func (paho3) Supports(v byte) bool { return v == V311 }

// value builds the typed paho.mqtt.golang packet for m.
func (paho3) value(m *Msg) paho3p.ControlPacket {
	switch m.Type {
	case typeConnect:
		c := paho3p.NewControlPacket(paho3p.Connect).(*paho3p.ConnectPacket)
		c.ProtocolName = "MQTT"
		c.ProtocolVersion = m.ProtocolVersion
		c.CleanSession = m.CleanStart
		c.Keepalive = m.KeepAlive
		c.ClientIdentifier = m.ClientID
		c.UsernameFlag = m.Username != ""
		c.Username = m.Username
		c.PasswordFlag = m.Password != ""
		c.Password = []byte(m.Password)
		return c
	case typePublish:
		p := paho3p.NewControlPacket(paho3p.Publish).(*paho3p.PublishPacket)
		p.Qos = m.QoS
		p.Dup = m.Dup
		p.Retain = m.Retain
		p.TopicName = m.Topic
		p.MessageID = m.PacketID
		p.Payload = []byte(m.Payload)
		return p
	case typeSubscribe:
		s := paho3p.NewControlPacket(paho3p.Subscribe).(*paho3p.SubscribePacket)
		s.MessageID = m.PacketID
		for _, sub := range m.Subs {
			s.Topics = append(s.Topics, sub.Filter)
			s.Qoss = append(s.Qoss, sub.QoS)
		}
		return s
	}
	panic("paho3: unsupported packet type")
}

func (c paho3) Encode(p *Packet) ([]byte, error) {
	var buf bytes.Buffer
	err := c.value(&p.Want).Write(&buf)
	return buf.Bytes(), err
}

func (paho3) Decode(_ *Packet, wire []byte) (Msg, error) {
	cp, err := paho3p.ReadPacket(bytes.NewReader(wire))
	if err != nil {
		return Msg{}, err
	}
	switch p := cp.(type) {
	case *paho3p.ConnectPacket:
		return Msg{Type: typeConnect, ProtocolVersion: p.ProtocolVersion, ClientID: p.ClientIdentifier,
			CleanStart: p.CleanSession, KeepAlive: p.Keepalive, Username: p.Username,
			Password: string(p.Password)}, nil
	case *paho3p.PublishPacket:
		return Msg{Type: typePublish, QoS: p.Qos, Dup: p.Dup, Retain: p.Retain, Topic: p.TopicName,
			PacketID: p.MessageID, Payload: string(p.Payload)}, nil
	case *paho3p.SubscribePacket:
		m := Msg{Type: typeSubscribe, PacketID: p.MessageID}
		for i, f := range p.Topics {
			m.Subs = append(m.Subs, Sub{Filter: f, QoS: p.Qoss[i]})
		}
		return m, nil
	}
	return Msg{}, fmt.Errorf("paho3: unexpected %T", cp)
}

// BenchDecode reads the packet with packets.ReadPacket from a bytes.Reader
// reset to the wire bytes each iteration.
func (paho3) BenchDecode(p *Packet) func(*testing.B) {
	return benchReadPacket(p, paho3p.ReadPacket)
}

// BenchEncode writes the typed packet with its Write method into a reused
// bytes.Buffer.
func (c paho3) BenchEncode(p *Packet) func(*testing.B) {
	cp := c.value(&p.Want)
	return benchWriteTo(p, func(w io.Writer) error { return cp.Write(w) })
}
