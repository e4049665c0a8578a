package packet

import (
	"github.com/mqttx/mqttx/mqtt"
)

// Connect is the CONNECT packet, the first packet a client sends.
type Connect struct {
	// Version is the protocol level; it also decides the protocol name
	// ("MQIsdp" for 3.1, "MQTT" otherwise).
	Version    mqtt.Version
	CleanStart bool // Clean Session in 3.x, Clean Start in 5.0
	KeepAlive  uint16
	Properties Properties // MQTT 5 only
	ClientID   string
	Will       *Will // nil when the Will Flag is 0

	UsernameFlag bool // set by decoding; on encode a non-empty Username sets it too
	Username     string
	PasswordFlag bool // set by decoding; on encode a non-empty Password sets it too
	Password     []byte
}

// Will is the will message of a CONNECT.
type Will struct {
	QoS        mqtt.QoS
	Retain     bool
	Properties Properties // MQTT 5 only
	Topic      string
	Payload    []byte
}

func (*Connect) Type() Type      { return TypeConnect }
func (*Connect) flags() byte     { return 0 }
func (c *Connect) hasUser() bool { return c.UsernameFlag || c.Username != "" }
func (c *Connect) hasPass() bool { return c.PasswordFlag || len(c.Password) > 0 }

// Append validates c and appends its wire form for c.Version. A CONNECT
// declares its own version: v must be zero or c.Version.
func (c *Connect) Append(b []byte, v mqtt.Version) ([]byte, error) {
	if v != 0 && v != c.Version {
		return b, mqtt.Protocol("", "CONNECT of MQTT "+c.Version.String()+" cannot be sent as MQTT "+v.String())
	}
	return appendPacket(c, b, c.Version)
}

// Len is the encoded size of c (for c.Version).
func (c *Connect) Len(_ mqtt.Version) int { return packetLen(c, c.Version) }

func (c *Connect) bodyLen(_ mqtt.Version) int {
	v := c.Version
	n := 2 + len(v.ProtocolName()) + 1 + 1 + 2 + 2 + len(c.ClientID)
	if v == mqtt.V5 {
		n += propsLen(&c.Properties)
	}
	if w := c.Will; w != nil {
		if v == mqtt.V5 {
			n += propsLen(&w.Properties)
		}
		n += 2 + len(w.Topic) + 2 + len(w.Payload)
	}
	if c.hasUser() {
		n += 2 + len(c.Username)
	}
	if c.hasPass() {
		n += 2 + len(c.Password)
	}
	return n
}

func (c *Connect) connectFlags() byte {
	f := boolBit(c.CleanStart, 0x02) | boolBit(c.hasUser(), 0x80) | boolBit(c.hasPass(), 0x40)
	if w := c.Will; w != nil {
		f |= 0x04 | byte(w.QoS&3)<<3 | boolBit(w.Retain, 0x20)
	}
	return f
}

func (c *Connect) appendBody(b []byte, _ mqtt.Version) []byte {
	v := c.Version
	b = AppendString(b, v.ProtocolName())
	b = append(b, byte(v), c.connectFlags())
	b = AppendUint16(b, c.KeepAlive)
	if v == mqtt.V5 {
		b = c.Properties.appendTo(b)
	}
	b = AppendString(b, c.ClientID)
	if w := c.Will; w != nil {
		if v == mqtt.V5 {
			b = w.Properties.appendTo(b)
		}
		b = AppendString(b, w.Topic)
		b = AppendBinary(b, w.Payload)
	}
	if c.hasUser() {
		b = AppendString(b, c.Username)
	}
	if c.hasPass() {
		b = AppendBinary(b, c.Password)
	}
	return b
}

func (c *Connect) validate(_ mqtt.Version) error { return c.check(c.Version, 0) }

// knownValid marks the strings of a Connect that decoding has already
// found valid, so that check skips them.
type knownValid uint8

const (
	validID knownValid = 1 << iota
	validUser
)

// check is validate for version v, skipping the checks that known says
// have passed; the checks run in the same order either way, so the first
// failure is the same.
func (c *Connect) check(v mqtt.Version, known knownValid) error {
	if !v.Valid() {
		return &mqtt.Error{Code: mqtt.UnsupportedProtocolVersion, Rule: rule(v, "MQTT-3.1.2-2", "MQTT-3.1.2-2"), Reason: "protocol level " + v.String()}
	}
	if known&validID == 0 {
		if err := checkString(v, "Client Identifier", c.ClientID); err != nil {
			return ruled(err, v, "MQTT-3.1.3-4", "MQTT-3.1.3-4")
		}
	}
	if w := c.Will; w != nil {
		if !w.QoS.Valid() {
			return mqtt.Malformed(rule(v, "MQTT-3.1.2-12", "MQTT-3.1.2-14"), "Will QoS of 3")
		}
		if err := checkString(v, "Will Topic", w.Topic); err != nil {
			return ruled(err, v, "MQTT-3.1.3-11", "MQTT-3.1.3-10")
		}
		if w.Topic == "" {
			return &mqtt.Error{Code: mqtt.TopicNameInvalid, Rule: "MQTT-4.7.3-1", Reason: "empty Will Topic"}
		}
		if hasWildcard(w.Topic) {
			return &mqtt.Error{Code: mqtt.TopicNameInvalid, Rule: rule(v, "MQTT-4.7.0-1", "MQTT-4.7.1-1"), Reason: "Will Topic holds a wildcard"}
		}
		if len(w.Payload) > 0xffff {
			return mqtt.Malformed("", "Will Payload longer than 65535 bytes")
		}
		if v == mqtt.V5 {
			if err := w.Properties.validate(0); err != nil {
				return err
			}
		}
	}
	if c.hasUser() && known&validUser == 0 {
		if err := checkString(v, "User Name", c.Username); err != nil {
			return ruled(err, v, "MQTT-3.1.3-12", "MQTT-3.1.3-11")
		}
	}
	if c.hasPass() {
		if len(c.Password) > 0xffff {
			return mqtt.Malformed("", "Password longer than 65535 bytes")
		}
		if v != mqtt.V5 && !c.hasUser() {
			return mqtt.Protocol("MQTT-3.1.2-22", "Password Flag set without User Name Flag")
		}
	}
	if v == mqtt.V5 {
		return c.Properties.validate(TypeConnect)
	}
	return nil
}

func (c *Connect) decode(d *Decoder, _ byte, body []byte, _ mqtt.Version) error {
	var name, b []byte
	var level mqtt.Version
	if len(body) > 7 && string(body[:6]) == "\x00\x04MQTT" {
		// The common case: "MQTT" at its fixed offset.
		name, level, b = body[2:6], mqtt.Version(body[6]), body[7:]
	} else {
		var ok bool
		if name, b, ok = field(body); !ok || len(b) < 1 {
			return fresh(errShortBody)
		}
		level, b = mqtt.Version(b[0]), b[1:]
	}
	switch {
	case string(name) == "MQTT" && (level == mqtt.V311 || level == mqtt.V5):
	case string(name) == "MQIsdp" && level == mqtt.V31:
	case string(name) != "MQTT" && string(name) != "MQIsdp":
		return &mqtt.Error{Code: mqtt.UnsupportedProtocolVersion, Rule: "MQTT-3.1.2-1", Reason: "protocol name " + quote(name)}
	default:
		return &mqtt.Error{Code: mqtt.UnsupportedProtocolVersion, Rule: "MQTT-3.1.2-2", Reason: "protocol level " + level.String() + " with name " + quote(name)}
	}
	v := level
	// Fields are set one by one: copying a whole Connect would copy its
	// Properties twice.
	c.Version = v
	c.Will = nil
	lastID, lastUser := c.ClientID, c.Username
	c.Username, c.Password = "", nil
	c.Properties.reset()
	if len(b) < 3 {
		c.KeepAlive = 0
		return fresh(errShortBody)
	}
	flags := b[0]
	c.KeepAlive = uint16(b[1])<<8 | uint16(b[2])
	b = b[3:]
	if flags&0x01 != 0 {
		return mqtt.Malformed(rule(v, "MQTT-3.1.2-3", "MQTT-3.1.2-3"), "reserved CONNECT flag is set")
	}
	c.CleanStart = flags&0x02 != 0
	willFlag := flags&0x04 != 0
	willQoS := mqtt.QoS(flags >> 3 & 3)
	willRetain := flags&0x20 != 0
	if !willFlag {
		if willQoS != 0 {
			return mqtt.Malformed(rule(v, "MQTT-3.1.2-11", "MQTT-3.1.2-13"), "Will QoS set without Will Flag")
		}
		if willRetain {
			return mqtt.Malformed(rule(v, "MQTT-3.1.2-13", "MQTT-3.1.2-15"), "Will Retain set without Will Flag")
		}
	}
	c.UsernameFlag = flags&0x80 != 0
	c.PasswordFlag = flags&0x40 != 0
	if v == mqtt.V5 {
		cur := cursor{b: b}
		c.Properties.decode(d, &cur, TypeConnect)
		if cur.err != nil {
			return cur.err
		}
		b = cur.b
	}
	// The payload fields come in this order [MQTT-3.1.3-1]; the client
	// identifier is always first [MQTT-3.1.3-3]. A field that runs past
	// the body ends the decoding at once: nothing after it can change the
	// error.
	var known knownValid
	id, b, ok := field(b)
	if !ok {
		return fresh(errShortBody)
	}
	var plain bool
	if c.ClientID, plain = d.strLastPlain(lastID, id); plain {
		known |= validID
	}
	if willFlag {
		lastTopic := ""
		if d.willVal != nil {
			lastTopic = d.willVal.Topic
		}
		w := d.newWill()
		w.QoS, w.Retain = willQoS, willRetain
		c.Will = w
		if v == mqtt.V5 {
			cur := cursor{b: b}
			w.Properties.decode(d, &cur, 0)
			if cur.err != nil {
				return cur.err
			}
			b = cur.b
		}
		topic, rest, ok := field(b)
		if !ok {
			return fresh(errShortBody)
		}
		w.Topic = d.strLast(lastTopic, topic)
		if w.Payload, b, ok = field(rest); !ok {
			return fresh(errShortBody)
		}
	}
	if c.UsernameFlag {
		user, rest, ok := field(b)
		if !ok {
			return fresh(errShortBody)
		}
		if c.Username, plain = d.strLastPlain(lastUser, user); plain {
			known |= validUser
		}
		b = rest
	}
	if c.PasswordFlag {
		if c.Password, b, ok = field(b); !ok {
			return fresh(errShortBody)
		}
	}
	if len(b) != 0 {
		return mqtt.Malformed(rule(v, "MQTT-3.1.3-1", "MQTT-3.1.3-1"), "bytes after the last CONNECT payload field")
	}
	return c.check(v, known)
}

// rule picks the statement id for MQTT 5 or for MQTT 3.x.
func rule(v mqtt.Version, v5, v3 string) string {
	if v == mqtt.V5 {
		return v5
	}
	return v3
}

// ruled sets the statement id of a string error to the field's own rule.
func ruled(err error, v mqtt.Version, v5, v3 string) error {
	if e, ok := err.(*mqtt.Error); ok {
		e.Rule = rule(v, v5, v3)
	}
	return err
}

func quote(b []byte) string {
	const max = 32
	if len(b) > max {
		b = b[:max]
	}
	s := []byte{'"'}
	for _, c := range b {
		if c < 0x20 || c >= 0x7f || c == '"' {
			s = append(s, '\\', 'x', "0123456789abcdef"[c>>4], "0123456789abcdef"[c&15])
		} else {
			s = append(s, c)
		}
	}
	return string(append(s, '"'))
}
