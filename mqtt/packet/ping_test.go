package packet

import (
	"testing"

	"github.com/mqttx/mqttx/mqtt"
)

func TestPing(t *testing.T) {
	for _, v := range []mqtt.Version{mqtt.V31, mqtt.V311, mqtt.V5} {
		for _, p := range []Packet{&Pingreq{}, &Pingresp{}} {
			b, err := p.Append(nil, v)
			if err != nil || len(b) != 2 || b[1] != 0 || p.Len(v) != 2 {
				t.Errorf("%v MQTT %v: % x, %v", p.Type(), v, b, err)
			}
			for n := 1; n <= 3; n++ {
				in := AppendRaw(nil, b[0], make([]byte, n))
				_, _, err := Decode(in, v)
				checkErr(t, p.Type().String()+" with a body", err, mqtt.MalformedPacket, "")
			}
		}
	}
}
