package packet

import (
	"testing"

	"github.com/mqttx/mqttx/mqtt"
)

func TestDisconnectAndAuthForms(t *testing.T) {
	for _, ty := range []Type{TypeDisconnect, TypeAuth} {
		first := byte(ty) << 4
		for c := range 256 {
			// Reason code only: a legal form of DISCONNECT, not of AUTH,
			// which needs the Property Length after a reason code.
			p, _, err := Decode([]byte{first, 1, byte(c)}, mqtt.V5)
			if ty == TypeAuth {
				checkErr(t, "AUTH reason-code-only", err, mqtt.MalformedPacket, "")
				p, _, err = Decode([]byte{first, 2, byte(c), 0}, mqtt.V5)
				if ValidReason(ty, mqtt.ReasonCode(c)) != (err == nil) {
					t.Errorf("%v reason %#02x with empty properties: %v, %v", ty, c, p, err)
				}
				if err == nil && c != 0 {
					if b, _ := p.Append(nil, mqtt.V5); string(b) != string([]byte{first, 2, byte(c), 0}) {
						t.Errorf("%v reason %#02x re-encodes as % x", ty, c, b)
					}
				}
				continue
			}
			if ValidReason(ty, mqtt.ReasonCode(c)) != (err == nil) {
				t.Errorf("%v reason %#02x: %v, %v", ty, c, p, err)
			}
			if err == nil && c != 0 {
				if b, _ := p.Append(nil, mqtt.V5); string(b) != string([]byte{first, 1, byte(c)}) {
					t.Errorf("%v reason %#02x re-encodes as % x", ty, c, b)
				}
			}
		}
	}
	// DISCONNECT below MQTT 5 has no body at all.
	for _, v := range []mqtt.Version{mqtt.V31, mqtt.V311} {
		b, err := (&Disconnect{ReasonCode: mqtt.ServerShuttingDown}).Append(nil, v)
		if err != nil || string(b) != "\xe0\x00" {
			t.Errorf("MQTT %v DISCONNECT: % x, %v", v, b, err)
		}
		_, err = (&Auth{}).Append(nil, v)
		checkErr(t, "AUTH for "+v.String(), err, mqtt.ProtocolError, "")
	}
}
