package packet

import (
	"bytes"
	"testing"

	"github.com/mqttx/mqttx/mqtt"
)

func TestPublishFlags(t *testing.T) {
	for _, dup := range []bool{false, true} {
		for qos := mqtt.QoS0; qos <= mqtt.QoS2; qos++ {
			for _, retain := range []bool{false, true} {
				if dup && qos == 0 {
					continue
				}
				p := &Publish{Dup: dup, QoS: qos, Retain: retain, Topic: "t"}
				if qos > 0 {
					p.PacketID = 1
				}
				for _, v := range []mqtt.Version{mqtt.V31, mqtt.V311, mqtt.V5} {
					b, err := p.Append(nil, v)
					want := byte(0x30) | byte(qos)<<1
					if dup {
						want |= 0x08
					}
					if retain {
						want |= 0x01
					}
					if err != nil || b[0] != want {
						t.Errorf("%+v MQTT %v: first byte %#02x, %v; want %#02x", p, v, b[0], err, want)
					}
					q, _, err := Decode(b, v)
					if err != nil || !samePacket(p, q) {
						t.Errorf("%+v MQTT %v: decodes to %v, %v", p, v, q, err)
					}
				}
			}
		}
	}
}

// TestPublishPayloadAliases documents that the payload of a decoded
// PUBLISH is the input's bytes, not a copy, and that a zero-length payload
// is allowed.
func TestPublishPayloadAliases(t *testing.T) {
	b, _ := (&Publish{Topic: "t", Payload: []byte("abc")}).Append(nil, mqtt.V311)
	p, _, err := Decode(b, mqtt.V311)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)-1] = 'X'
	if got := string(p.(*Publish).Payload); got != "abX" {
		t.Errorf("payload %q, want it to alias the input (abX)", got)
	}
	// The payload cannot grow into the next packet's bytes.
	pl := p.(*Publish).Payload
	if cap(pl) != len(pl) {
		t.Errorf("payload capacity %d reaches past the packet (len %d)", cap(pl), len(pl))
	}
}

func TestPublishTopicAlias(t *testing.T) {
	// A topic together with an alias sets up the alias; the topic alone
	// then uses it.
	for _, p := range []*Publish{
		{Topic: "long/topic/name", Properties: Properties{TopicAlias: 1}},
		{Properties: Properties{TopicAlias: 1}},
		{Properties: Properties{TopicAlias: 0xffff}},
	} {
		b, err := p.Append(nil, mqtt.V5)
		if err != nil {
			t.Errorf("%+v: %v", p, err)
			continue
		}
		q, _, err := Decode(b, mqtt.V5)
		if err != nil || !samePacket(p, q) {
			t.Errorf("%+v: %v, %v", p, q, err)
		}
	}
	// Below MQTT 5 there are no properties: the alias is dropped and the
	// empty topic refused.
	_, err := (&Publish{Properties: Properties{TopicAlias: 1}}).Append(nil, mqtt.V311)
	checkErr(t, "alias without topic in 3.1.1", err, mqtt.TopicNameInvalid, "MQTT-4.7.3-1")
}

func TestPublishLargeTopic(t *testing.T) {
	topic := string(bytes.Repeat([]byte("a"), 0xffff))
	b, err := (&Publish{Topic: topic}).Append(nil, mqtt.V311)
	if err != nil {
		t.Fatal(err)
	}
	p, _, err := Decode(b, mqtt.V311)
	if err != nil || p.(*Publish).Topic != topic {
		t.Errorf("65535-byte topic: %v", err)
	}
	_, err = (&Publish{Topic: topic + "a"}).Append(nil, mqtt.V311)
	checkErr(t, "65536-byte topic", err, mqtt.TopicNameInvalid, "MQTT-4.7.3-3")
}
