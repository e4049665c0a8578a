package mqtt

import "strconv"

// Version is an MQTT protocol level as carried in the CONNECT packet.
type Version byte

// The protocol levels mqttx speaks.
const (
	V31  Version = 3 // MQTT 3.1, protocol name "MQIsdp"
	V311 Version = 4 // MQTT 3.1.1, protocol name "MQTT"
	V5   Version = 5 // MQTT 5.0, protocol name "MQTT"
)

// Valid reports whether v is a protocol level mqttx speaks.
func (v Version) Valid() bool { return v == V31 || v == V311 || v == V5 }

// ProtocolName is the protocol name a CONNECT of this level carries.
func (v Version) ProtocolName() string {
	if v == V31 {
		return "MQIsdp"
	}
	return "MQTT"
}

func (v Version) String() string {
	switch v {
	case V31:
		return "3.1"
	case V311:
		return "3.1.1"
	case V5:
		return "5.0"
	}
	return "Version(" + strconv.Itoa(int(v)) + ")"
}

// QoS is the quality of service of a message or subscription.
type QoS byte

// The three delivery guarantees.
const (
	QoS0 QoS = 0 // at most once
	QoS1 QoS = 1 // at least once
	QoS2 QoS = 2 // exactly once
)

// Valid reports whether q is 0, 1 or 2.
func (q QoS) Valid() bool { return q <= QoS2 }

func (q QoS) String() string {
	switch q {
	case QoS0:
		return "QoS 0"
	case QoS1:
		return "QoS 1"
	case QoS2:
		return "QoS 2"
	}
	return "QoS(" + strconv.Itoa(int(q)) + ")"
}
