package server

import (
	"sync/atomic"
	"time"

	"github.com/mqttx/mqttx/mqtt"
	"github.com/mqttx/mqttx/mqtt/packet"
)

// Message is an application message as the server routes it: from a
// client's PUBLISH, a will, a retained message or [Server.Publish].
//
// Once routed, a Message is shared by every subscriber that gets it and by
// the retained store, so it is read-only: hooks that receive one
// (OnDelivered, OnAcked) must not modify it. [PublishHook] is the one
// place where a message may be changed, before it is routed.
type Message struct {
	Topic   string
	Payload []byte
	QoS     mqtt.QoS
	Retain  bool
	// Properties are the MQTT 5 properties forwarded to subscribers:
	// Payload Format Indicator, Message Expiry Interval, Content Type,
	// Response Topic, Correlation Data and User Properties, passed through
	// untouched [MQTT-3.3.2-17] [MQTT-3.3.2-18]. Topic Alias and
	// Subscription Identifier are per connection and never kept here.
	Properties packet.Properties
	// Publisher is the client identifier of the sender; empty for a
	// message published by the server itself.
	Publisher string

	expires int64 // unix nanoseconds after which the message is dropped; 0 for never

	// enc caches the PUBLISH encodings shared by subscribers that get the
	// same bytes: index encKey(v5, qos, retain).
	enc [12]atomic.Pointer[encoded]
}

// encoded is a PUBLISH encoded once for many subscribers. A QoS 1 or 2
// encoding carries packet identifier 1, which the writer overwrites at
// idOff with the subscriber's own.
type encoded struct {
	b     []byte
	idOff int
}

func encKey(v5 bool, qos mqtt.QoS, retain bool) int {
	k := int(qos) * 2
	if retain {
		k++
	}
	if v5 {
		k += 6
	}
	return k
}

// setExpiry starts the Message Expiry Interval clock at now.
func (m *Message) setExpiry(now time.Time) {
	if m.Properties.Has(packet.PropMessageExpiry) {
		m.expires = now.Add(time.Duration(m.Properties.MessageExpiry) * time.Second).UnixNano()
	}
}

// remaining is what is left of the message's expiry interval at now, in
// whole seconds, and false when it has expired [MQTT-3.3.2-5].
func (m *Message) remaining(now time.Time) (uint32, bool) {
	if m.expires == 0 {
		return 0, true
	}
	left := m.expires - now.UnixNano()
	if left <= 0 {
		return 0, false
	}
	return uint32((left + int64(time.Second) - 1) / int64(time.Second)), true
}

// Expired reports whether the message's expiry interval has passed.
func (m *Message) Expired() bool {
	_, ok := m.remaining(time.Now())
	return !ok
}

// forwardable keeps only the properties a subscriber gets.
func forwardable(p *packet.Properties) packet.Properties {
	var out packet.Properties
	if p.Has(packet.PropPayloadFormat) {
		out.PayloadFormat = p.PayloadFormat
		out.Set(packet.PropPayloadFormat)
	}
	if p.Has(packet.PropMessageExpiry) {
		out.MessageExpiry = p.MessageExpiry
		out.Set(packet.PropMessageExpiry)
	}
	if p.Has(packet.PropContentType) {
		out.ContentType = p.ContentType
		out.Set(packet.PropContentType)
	}
	if p.Has(packet.PropResponseTopic) {
		out.ResponseTopic = p.ResponseTopic
		out.Set(packet.PropResponseTopic)
	}
	if p.Has(packet.PropCorrelationData) {
		out.CorrelationData = append([]byte(nil), p.CorrelationData...)
		out.Set(packet.PropCorrelationData)
	}
	if len(p.User) > 0 {
		out.User = append([]packet.UserProperty(nil), p.User...)
	}
	return out
}

// appendPublish encodes the message as one subscriber gets it: QoS qos,
// the RETAIN flag retain, packet identifier id (for QoS > 0), and for MQTT
// 5 the subscription identifiers ids and the remaining expiry. Encodings
// that many subscribers share are built once and copied.
func (m *Message) appendPublish(b []byte, v mqtt.Version, qos mqtt.QoS, retain, dup bool, id uint16, ids []uint32, now time.Time) ([]byte, error) {
	v5 := v == mqtt.V5
	if !v5 || (len(ids) == 0 && m.expires == 0) {
		k := encKey(v5, qos, retain)
		e := m.enc[k].Load()
		if e == nil {
			e = m.encode(v, qos, retain)
			if e == nil {
				return b, errUnencodable
			}
			m.enc[k].Store(e)
		}
		start := len(b)
		b = append(b, e.b...)
		if qos > 0 {
			b[start+e.idOff] = byte(id >> 8)
			b[start+e.idOff+1] = byte(id)
			if dup {
				b[start] |= 0x08
			}
		}
		return b, nil
	}
	return m.appendAliased(b, qos, retain, dup, id, ids, now, 0, true)
}

// appendAliased encodes the message for MQTT 5 with Topic Alias alias (0
// for none), and with the topic name only when withTopic is set.
func (m *Message) appendAliased(b []byte, qos mqtt.QoS, retain, dup bool, id uint16, ids []uint32, now time.Time, alias uint16, withTopic bool) ([]byte, error) {
	p := packet.Publish{Dup: dup, QoS: qos, Retain: retain, PacketID: id, Payload: m.Payload, Properties: m.Properties}
	if withTopic {
		p.Topic = m.Topic
	}
	p.Properties.TopicAlias = alias
	if m.expires != 0 {
		left, ok := m.remaining(now)
		if !ok {
			left = 1 // expired between the check and now: still one second
		}
		p.Properties.MessageExpiry = left // [MQTT-3.3.2-6]
		p.Properties.Set(packet.PropMessageExpiry)
	}
	p.Properties.SubscriptionIDs = ids // [MQTT-3.3.4-3]
	return p.Append(b, mqtt.V5)
}

func (m *Message) encode(v mqtt.Version, qos mqtt.QoS, retain bool) *encoded {
	p := packet.Publish{QoS: qos, Retain: retain, Topic: m.Topic, Payload: m.Payload}
	if qos > 0 {
		p.PacketID = 1
	}
	if v == mqtt.V5 {
		p.Properties = m.Properties
	}
	b, err := p.Append(nil, v)
	if err != nil {
		return nil
	}
	h, err := packet.ParseFixedHeader(b, v)
	if err != nil {
		return nil
	}
	return &encoded{b: b, idOff: h.Size + 2 + len(m.Topic)}
}
