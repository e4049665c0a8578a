package codec

import "encoding/binary"

// The protocol levels, as carried in a CONNECT packet.
const (
	V311 byte = 4
	V5   byte = 5
)

// The control packet types the cases use.
const (
	typeConnect   byte = 1
	typePublish   byte = 3
	typeSubscribe byte = 8
)

// Packet is one benchmark case: a control packet of one protocol version,
// described once as codec-neutral fields (Want) and once as its wire bytes
// (Wire). Every codec that speaks Version decodes Wire and encodes its own
// typed value built from the same content.
type Packet struct {
	Name    string // benchmark sub-name, e.g. "publish-v5-props"
	Version byte   // V311 or V5
	Want    Msg    // the content every codec must decode
	Wire    []byte // the reference encoding, built by hand below
}

// UserProp is one MQTT 5 User Property.
type UserProp struct{ Key, Value string }

// Sub is one SUBSCRIBE topic filter with its options.
type Sub struct {
	Filter            string
	QoS               byte
	NoLocal           bool
	RetainAsPublished bool
	RetainHandling    byte
}

// Msg is the codec-neutral content of a packet: the fields the cross-codec
// test compares. Absent properties are zero; an empty User list is nil.
type Msg struct {
	Type     byte
	PacketID uint16 // PUBLISH (QoS > 0), SUBSCRIBE

	// CONNECT
	ProtocolVersion byte
	ClientID        string
	CleanStart      bool
	KeepAlive       uint16
	Username        string
	Password        string
	SessionExpiry   uint32
	ReceiveMaximum  uint16

	// PUBLISH
	QoS           byte
	Dup, Retain   bool
	Topic         string
	Payload       string
	PayloadFormat byte
	MessageExpiry uint32
	TopicAlias    uint16
	ContentType   string
	User          []UserProp

	// SUBSCRIBE
	Subs           []Sub
	SubscriptionID int
}

// The shared content.
const (
	clientID  = "mqttx-bench-client"
	keepAlive = 60
	username  = "user"
	password  = "pass"

	topic   = "sensors/room1/temp"
	payload = `{"t":21.5}`
)

var (
	subs311 = []Sub{
		{Filter: "a/b/c", QoS: 1},
		{Filter: "sensors/+/temp", QoS: 2},
		{Filter: "x/#", QoS: 0},
	}
	subs5 = []Sub{
		{Filter: "a/b/c", QoS: 1, NoLocal: true},
		{Filter: "sensors/+/temp", QoS: 2, RetainAsPublished: true},
		{Filter: "x/#", QoS: 0},
	}
)

// Packets returns the benchmark cases in table order. The slice and its
// contents are fresh on every call.
func Packets() []*Packet {
	connect311 := Msg{Type: typeConnect, ProtocolVersion: V311, ClientID: clientID,
		CleanStart: true, KeepAlive: keepAlive, Username: username, Password: password}
	connect5 := connect311
	connect5.ProtocolVersion = V5
	connect5.SessionExpiry = 3600
	connect5.ReceiveMaximum = 100

	publish311 := Msg{Type: typePublish, QoS: 1, PacketID: 7, Topic: topic, Payload: payload}
	publish5Int := publish311
	publish5Int.MessageExpiry = 60
	publish5Int.TopicAlias = 3
	publish5Int.PayloadFormat = 1
	publish5 := publish5Int
	publish5.ContentType = "application/json"
	publish5.User = []UserProp{{"source", "s1"}}

	subscribe311 := Msg{Type: typeSubscribe, PacketID: 9, Subs: subs311}
	subscribe5 := Msg{Type: typeSubscribe, PacketID: 9, Subs: subs5, SubscriptionID: 5}

	ps := []*Packet{
		{Name: "connect-v311", Version: V311, Want: connect311},
		{Name: "connect-v5", Version: V5, Want: connect5},
		{Name: "publish-v311", Version: V311, Want: publish311},
		{Name: "publish-v5-intprops", Version: V5, Want: publish5Int},
		{Name: "publish-v5-props", Version: V5, Want: publish5},
		{Name: "subscribe-v311", Version: V311, Want: subscribe311},
		{Name: "subscribe-v5", Version: V5, Want: subscribe5},
	}
	for _, p := range ps {
		p.Wire = wire(p.Version, &p.Want)
	}
	return ps
}

// wire builds the reference encoding of m, field by field as the MQTT
// specifications lay it out (3.1.1 §3, 5.0 §3). Properties are written in
// ascending identifier order. It is deliberately independent of every codec
// under test.
func wire(v byte, m *Msg) []byte {
	var body, props []byte
	switch m.Type {
	case typeConnect:
		body = str(body, "MQTT")
		body = append(body, v)
		flags := byte(0)
		if m.CleanStart {
			flags |= 0x02
		}
		if m.Password != "" {
			flags |= 0x40
		}
		if m.Username != "" {
			flags |= 0x80
		}
		body = append(body, flags)
		body = binary.BigEndian.AppendUint16(body, m.KeepAlive)
		if v == V5 {
			if m.SessionExpiry != 0 {
				props = append(props, 0x11)
				props = binary.BigEndian.AppendUint32(props, m.SessionExpiry)
			}
			if m.ReceiveMaximum != 0 {
				props = append(props, 0x21)
				props = binary.BigEndian.AppendUint16(props, m.ReceiveMaximum)
			}
			body = vbi(body, len(props))
			body = append(body, props...)
		}
		body = str(body, m.ClientID)
		if m.Username != "" {
			body = str(body, m.Username)
		}
		if m.Password != "" {
			body = str(body, m.Password)
		}
		return frame(typeConnect<<4, body)

	case typePublish:
		body = str(body, m.Topic)
		if m.QoS > 0 {
			body = binary.BigEndian.AppendUint16(body, m.PacketID)
		}
		if v == V5 {
			if m.PayloadFormat != 0 {
				props = append(props, 0x01, m.PayloadFormat)
			}
			if m.MessageExpiry != 0 {
				props = append(props, 0x02)
				props = binary.BigEndian.AppendUint32(props, m.MessageExpiry)
			}
			if m.ContentType != "" {
				props = str(append(props, 0x03), m.ContentType)
			}
			if m.TopicAlias != 0 {
				props = append(props, 0x23)
				props = binary.BigEndian.AppendUint16(props, m.TopicAlias)
			}
			for _, u := range m.User {
				props = str(str(append(props, 0x26), u.Key), u.Value)
			}
			body = vbi(body, len(props))
			body = append(body, props...)
		}
		body = append(body, m.Payload...)
		h := typePublish<<4 | m.QoS<<1
		if m.Dup {
			h |= 0x08
		}
		if m.Retain {
			h |= 0x01
		}
		return frame(h, body)

	case typeSubscribe:
		body = binary.BigEndian.AppendUint16(body, m.PacketID)
		if v == V5 {
			if m.SubscriptionID != 0 {
				props = vbi(append(props, 0x0B), m.SubscriptionID)
			}
			body = vbi(body, len(props))
			body = append(body, props...)
		}
		for _, s := range m.Subs {
			body = str(body, s.Filter)
			opts := s.QoS
			if v == V5 {
				if s.NoLocal {
					opts |= 0x04
				}
				if s.RetainAsPublished {
					opts |= 0x08
				}
				opts |= s.RetainHandling << 4
			}
			body = append(body, opts)
		}
		return frame(typeSubscribe<<4|0x02, body)
	}
	panic("codec: no reference encoding for packet type")
}

func frame(header byte, body []byte) []byte {
	b := vbi([]byte{header}, len(body))
	return append(b, body...)
}

func str(b []byte, s string) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(len(s)))
	return append(b, s...)
}

func vbi(b []byte, n int) []byte {
	for {
		d := byte(n % 128)
		n /= 128
		if n > 0 {
			d |= 0x80
		}
		b = append(b, d)
		if n == 0 {
			return b
		}
	}
}
