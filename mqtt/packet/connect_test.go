package packet

import (
	"bytes"
	"testing"

	"github.com/mqttx/mqttx/mqtt"
)

func TestConnectEncodesForItsOwnVersion(t *testing.T) {
	c := &Connect{Version: mqtt.V31, ClientID: "c"}
	for _, v := range []mqtt.Version{0, mqtt.V31} {
		b, err := c.Append(nil, v)
		if err != nil || !bytes.Equal(b[2:10], []byte{0, 6, 'M', 'Q', 'I', 's', 'd', 'p'}) || b[10] != 3 {
			t.Errorf("Append(%v) of a 3.1 CONNECT: % x, %v", v, b, err)
		}
		if c.Len(v) != len(b) {
			t.Errorf("Len(%v) = %d, want %d", v, c.Len(v), len(b))
		}
	}
	// Asking for another version is a mistake, not a silent conversion.
	for _, v := range []mqtt.Version{mqtt.V311, mqtt.V5} {
		b, err := c.Append(nil, v)
		checkErr(t, "3.1 CONNECT appended as "+v.String(), err, mqtt.ProtocolError, "")
		if len(b) != 0 {
			t.Errorf("Append(%v) wrote % x on failure", v, b)
		}
	}
}

func TestConnectFlags(t *testing.T) {
	tests := []struct {
		c     Connect
		flags byte
	}{
		{Connect{}, 0x00},
		{Connect{CleanStart: true}, 0x02},
		{Connect{Will: &Will{Topic: "w"}}, 0x04},
		{Connect{Will: &Will{Topic: "w", QoS: 1}}, 0x0c},
		{Connect{Will: &Will{Topic: "w", QoS: 2, Retain: true}}, 0x34},
		{Connect{Username: "u"}, 0x80},
		{Connect{UsernameFlag: true}, 0x80}, // an empty user name, sent
		{Connect{Username: "u", Password: []byte("p")}, 0xc0},
		{Connect{UsernameFlag: true, PasswordFlag: true}, 0xc0}, // empty user name and password
	}
	for _, tc := range tests {
		tc.c.Version = mqtt.V311
		b, err := tc.c.Append(nil, 0)
		if err != nil {
			t.Errorf("%+v: %v", tc.c, err)
			continue
		}
		if b[9] != tc.flags {
			t.Errorf("%+v: flags %#02x, want %#02x", tc.c, b[9], tc.flags)
		}
		p, _, err := Decode(b, 0)
		if err != nil || !samePacket(p, &tc.c) {
			t.Errorf("%+v: decodes to %v, %v", tc.c, p, err)
		}
	}
}

// TestConnectWillReuse: a Decoder that decodes a CONNECT with a will and
// then one without must not keep the old will.
func TestConnectWillReuse(t *testing.T) {
	var d Decoder
	with, _ := (&Connect{Version: mqtt.V5, ClientID: "a", Will: &Will{Topic: "w", Payload: []byte("x"), Properties: Properties{ContentType: "c"}}}).Append(nil, 0)
	without, _ := (&Connect{Version: mqtt.V5, ClientID: "b", Username: "u"}).Append(nil, 0)
	if _, _, err := d.Decode(with); err != nil {
		t.Fatal(err)
	}
	p, _, err := d.Decode(without)
	if err != nil {
		t.Fatal(err)
	}
	if c := p.(*Connect); c.Will != nil || c.ClientID != "b" || c.Username != "u" {
		t.Errorf("second CONNECT decoded as %s", show(c))
	}
	p, _, err = d.Decode(with)
	if err != nil || !samePacket(p, &Connect{Version: mqtt.V5, ClientID: "a", Will: &Will{Topic: "w", Payload: []byte("x"), Properties: Properties{ContentType: "c"}}}) {
		t.Errorf("third CONNECT: %s, %v", show(p), err)
	}
}

// TestConnectV31Payload: MQTT 3.1 has no rule against a password without
// a user name beyond 3.1.1's, and shares 3.1.1's flag layout.
func TestConnectV31(t *testing.T) {
	c := &Connect{Version: mqtt.V31, ClientID: "client-of-3.1", KeepAlive: 5, Username: "u", Password: []byte("p"),
		Will: &Will{Topic: "t", Payload: []byte("gone"), QoS: 1}}
	b, err := c.Append(nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	p, _, err := Decode(b, 0)
	if err != nil || !samePacket(p, c) {
		t.Errorf("3.1 CONNECT: %s, %v", show(p), err)
	}
}
