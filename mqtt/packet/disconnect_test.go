package packet

import (
	"testing"

	"github.com/mqttx/mqttx/mqtt"
)

func TestDisconnectAndAuthForms(t *testing.T) {
	for _, ty := range []Type{TypeDisconnect, TypeAuth} {
		first := byte(ty) << 4
		for c := range 256 {
			// Reason code only.
			p, _, err := Decode([]byte{first, 1, byte(c)}, mqtt.V5)
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
