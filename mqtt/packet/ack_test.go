package packet

import (
	"bytes"
	"testing"

	"github.com/mqttx/mqttx/mqtt"
)

// TestAckShortForms: the four acknowledgements leave out a success reason
// code and empty properties on the wire, and accept every form on input.
func TestAckShortForms(t *testing.T) {
	makers := []func(id uint16, c mqtt.ReasonCode, p Properties) Packet{
		func(id uint16, c mqtt.ReasonCode, p Properties) Packet { return &Puback{id, c, p} },
		func(id uint16, c mqtt.ReasonCode, p Properties) Packet { return &Pubrec{id, c, p} },
		func(id uint16, c mqtt.ReasonCode, p Properties) Packet { return &Pubrel{id, c, p} },
		func(id uint16, c mqtt.ReasonCode, p Properties) Packet { return &Pubcomp{id, c, p} },
	}
	for _, mk := range makers {
		ty := mk(1, 0, Properties{}).Type()
		first := byte(ty)<<4 | requiredFlags[ty]
		failure := mqtt.ReasonCode(0x80)
		if ty == TypePubrel || ty == TypePubcomp {
			failure = mqtt.PacketIdentifierNotFound
		}
		tests := []struct {
			p    Packet
			wire []byte
		}{
			{mk(0x0102, 0, Properties{}), []byte{first, 2, 0x01, 0x02}},
			{mk(0x0102, failure, Properties{}), []byte{first, 3, 0x01, 0x02, byte(failure)}},
			{mk(0x0102, 0, Properties{ReasonString: "r"}), []byte{first, 8, 0x01, 0x02, 0x00, 4, 0x1f, 0, 1, 'r'}},
		}
		for _, tc := range tests {
			b, err := tc.p.Append(nil, mqtt.V5)
			if err != nil || !bytes.Equal(b, tc.wire) {
				t.Errorf("%v: % x, %v; want % x", ty, b, err, tc.wire)
			}
			// Below MQTT 5 only the identifier is sent.
			b, err = tc.p.Append(nil, mqtt.V311)
			if err != nil || !bytes.Equal(b, []byte{first, 2, 0x01, 0x02}) {
				t.Errorf("%v for 3.1.1: % x, %v", ty, b, err)
			}
		}
		// The long forms of a success with no properties decode to the
		// short one.
		for _, in := range [][]byte{{first, 3, 0, 1, 0}, {first, 4, 0, 1, 0, 0}} {
			p, _, err := Decode(in, mqtt.V5)
			if err != nil || !samePacket(p, mk(1, 0, Properties{})) {
				t.Errorf("%v % x: %v, %v", ty, in, p, err)
			}
		}
	}
}

func TestAckEveryReasonCode(t *testing.T) {
	for _, ty := range []Type{TypePuback, TypePubrec, TypePubrel, TypePubcomp} {
		for c := range 256 {
			b := pkt(byte(ty)<<4|requiredFlags[ty], u16(1), c)
			p, _, err := Decode(b, mqtt.V5)
			if ValidReason(ty, mqtt.ReasonCode(c)) {
				if err != nil {
					t.Errorf("%v reason %#02x: %v", ty, c, err)
				} else if q, _ := p.Append(nil, mqtt.V5); c != 0 && !bytes.Equal(q, b) {
					t.Errorf("%v reason %#02x re-encodes as % x", ty, c, q)
				}
			} else if mqtt.CodeOf(err) != mqtt.ProtocolError {
				t.Errorf("%v reason %#02x: %v, want a protocol error", ty, c, err)
			}
		}
	}
}
