package packet

import (
	"bytes"
	"testing"

	"github.com/mqttx/mqttx/mqtt"
)

// TestConnackV3ReturnCodes: every MQTT 5 reason code a CONNACK may carry
// is sent to a 3.x client as the closest return code, and every return
// code decodes to the reason code of the same meaning.
func TestConnackV3ReturnCodes(t *testing.T) {
	for _, c := range reasonSets[TypeConnack] {
		code := mqtt.ReasonCode(c)
		want := code.ConnectReturnCode()
		for _, v := range []mqtt.Version{mqtt.V31, mqtt.V311} {
			b, err := (&Connack{ReasonCode: code}).Append(nil, v)
			if err != nil || !bytes.Equal(b, []byte{0x20, 0x02, 0x00, byte(want)}) {
				t.Errorf("MQTT %v CONNACK %v: % x, %v; want return code %d", v, code, b, err, want)
			}
		}
	}
	spot := map[mqtt.ReasonCode]byte{
		mqtt.Banned: 5, mqtt.BadAuthenticationMethod: 4, mqtt.QuotaExceeded: 3, mqtt.ServerBusy: 3,
		mqtt.UnsupportedProtocolVersion: 1, mqtt.ClientIdentifierNotValid: 2,
	}
	for code, rc := range spot {
		b, _ := (&Connack{ReasonCode: code}).Append(nil, mqtt.V311)
		if b[3] != rc {
			t.Errorf("CONNACK %v for 3.1.1: return code %d, want %d", code, b[3], rc)
		}
	}
	for rc := range 6 {
		p, _, err := Decode([]byte{0x20, 0x02, 0x00, byte(rc)}, mqtt.V311)
		if err != nil || p.(*Connack).ReasonCode != mqtt.ConnectReturnCode(rc).ReasonCode() {
			t.Errorf("return code %d: %v, %v", rc, p, err)
		}
	}
}
