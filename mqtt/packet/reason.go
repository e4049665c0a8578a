package packet

import (
	"strconv"

	"github.com/mqttx/mqttx/mqtt"
)

// reasonSets lists, per packet type, the MQTT 5 reason codes it may carry
// (sections 3.2.2.2, 3.4.2.1, 3.5.2.1, 3.6.2.1, 3.7.2.1, 3.9.3, 3.11.3,
// 3.14.2.1, 3.15.2.1).
var reasonSets = [16][]byte{
	TypeConnack:    {0x00, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8A, 0x8C, 0x90, 0x95, 0x97, 0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9F},
	TypePuback:     {0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99},
	TypePubrec:     {0x00, 0x10, 0x80, 0x83, 0x87, 0x90, 0x91, 0x97, 0x99},
	TypePubrel:     {0x00, 0x92},
	TypePubcomp:    {0x00, 0x92},
	TypeSuback:     {0x00, 0x01, 0x02, 0x80, 0x83, 0x87, 0x8F, 0x91, 0x97, 0x9E, 0xA1, 0xA2},
	TypeUnsuback:   {0x00, 0x11, 0x80, 0x83, 0x87, 0x8F, 0x91},
	TypeDisconnect: {0x00, 0x04, 0x80, 0x81, 0x82, 0x83, 0x87, 0x89, 0x8B, 0x8D, 0x8E, 0x8F, 0x90, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9A, 0x9B, 0x9C, 0x9D, 0x9E, 0x9F, 0xA0, 0xA1, 0xA2},
	TypeAuth:       {0x00, 0x18, 0x19},
}

// reasonMask is reasonSets as bit sets, for a branch-free check.
var reasonMask [16][4]uint64

// reasonRule is the statement that binds the sender to the packet's codes.
var reasonRule = [16]string{
	TypeConnack:    "MQTT-3.2.2-8",
	TypePuback:     "MQTT-3.4.2-1",
	TypePubrec:     "MQTT-3.5.2-1",
	TypePubrel:     "MQTT-3.6.2-1",
	TypePubcomp:    "MQTT-3.7.2-1",
	TypeSuback:     "MQTT-3.9.3-2",
	TypeUnsuback:   "MQTT-3.11.3-2",
	TypeDisconnect: "MQTT-3.14.2-1",
	TypeAuth:       "MQTT-3.15.2-1",
}

func init() {
	for t, set := range reasonSets {
		for _, c := range set {
			reasonMask[t][c>>6] |= 1 << (c & 63)
		}
	}
}

// ValidReason reports whether an MQTT 5 packet of type t may carry reason
// code c.
func ValidReason(t Type, c mqtt.ReasonCode) bool {
	return t < 16 && reasonMask[t][c>>6]&(1<<(c&63)) != 0
}

func checkReason(t Type, c mqtt.ReasonCode) error {
	if ValidReason(t, c) {
		return nil
	}
	return mqtt.Protocol(reasonRule[t], "reason code 0x"+strconv.FormatUint(uint64(c), 16)+" is not defined for "+t.String())
}

// ReasonName names reason code c as packet type t uses it, where its
// meaning depends on the packet (0x00 in DISCONNECT is "normal
// disconnection", in SUBACK "granted QoS 0").
func ReasonName(t Type, c mqtt.ReasonCode) string {
	if c == 0 {
		switch t {
		case TypeDisconnect:
			return "normal disconnection"
		case TypeSuback:
			return "granted QoS 0"
		}
	}
	return c.String()
}
