package packet

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/mqttx/mqttx/mqtt"
)

// A body the remaining length cannot express must fail, never be framed
// with a truncated length that a receiver would split into packets.
func TestAppendBodyTooLongForRemainingLength(t *testing.T) {
	big := make([]byte, MaxVarint)
	p := &Publish{Topic: "a", Payload: big}
	b, err := p.Append(nil, mqtt.V311)
	checkErr(t, "PUBLISH of 2^28 bytes", err, mqtt.PacketTooLarge, "")
	if len(b) != 0 {
		t.Errorf("Append wrote %d bytes on failure", len(b))
	}
	if err := Write(io.Discard, p, mqtt.V311); mqtt.CodeOf(err) != mqtt.PacketTooLarge {
		t.Errorf("Write: %v, want packet too large", err)
	}
	mustPanic(t, "AppendIllegal", func() { AppendIllegal(nil, p, mqtt.V311) })
	mustPanic(t, "AppendRaw", func() { AppendRaw(nil, 0x30, append(big, 0)) })
	// The largest body that fits is framed with a 4-byte remaining length.
	p.Payload = big[:MaxVarint-2-1]
	b, err = p.Append(nil, mqtt.V311)
	if err != nil || len(b) != 1+4+MaxVarint || !bytes.Equal(b[1:5], []byte{0xff, 0xff, 0xff, 0x7f}) {
		t.Errorf("largest PUBLISH: %d bytes, header % x, %v", len(b), b[:5], err)
	}
}

func mustPanic(t *testing.T, name string, f func()) {
	t.Helper()
	defer func() {
		if recover() == nil {
			t.Errorf("%s did not panic", name)
		}
	}()
	f()
}

// Properties holds defined properties only: Set of an undefined
// identifier changes nothing, so Len and Append stay in step.
func TestPropertiesSetUndefined(t *testing.T) {
	for _, id := range []PropertyID{0x00, 0x05, 0x2B, 0x41, 0x7f, 0xff} {
		p := &Publish{Topic: "a"}
		p.Properties.Set(id)
		if p.Properties.Has(id) || !p.Properties.Empty() {
			t.Errorf("Set(%#x) marked a property", byte(id))
		}
		b, err := p.Append(nil, mqtt.V5)
		if err != nil || len(b) != p.Len(mqtt.V5) || !bytes.Equal(b, []byte{0x30, 0x04, 0, 1, 'a', 0}) {
			t.Errorf("Set(%#x): % x (Len %d), %v", byte(id), b, p.Len(mqtt.V5), err)
		}
	}
	// Properties.Append writes the block a packet carries.
	var props Properties
	props.ReasonString = "r"
	if got := props.Append(nil); !bytes.Equal(got, []byte{4, 0x1f, 0, 1, 'r'}) {
		t.Errorf("Properties.Append = % x", got)
	}
}

// MQTT 3.1 allows DUP on a retried PUBREL, SUBSCRIBE or UNSUBSCRIBE.
func TestV31RetryDup(t *testing.T) {
	for _, in := range [][]byte{
		{0x6a, 0x02, 0x00, 0x01},
		{0x8a, 0x06, 0x00, 0x01, 0x00, 0x01, 'a', 0x01},
		{0xaa, 0x05, 0x00, 0x01, 0x00, 0x01, 'a'},
	} {
		if _, _, err := Decode(in, mqtt.V31); err != nil {
			t.Errorf("MQTT 3.1 % x: %v", in, err)
		}
		_, _, err := Decode(in, mqtt.V311)
		checkErr(t, "MQTT 3.1.1 with DUP", err, mqtt.MalformedPacket, map[byte]string{0x6a: "MQTT-3.6.1-1", 0x8a: "MQTT-3.8.1-1", 0xaa: "MQTT-3.10.1-1"}[in[0]])
	}
}

// MQTT 3.1 CONNACK has no Session Present: the byte is written as 0 and
// ignored on reading.
func TestV31ConnackUnusedByte(t *testing.T) {
	b, err := (&Connack{SessionPresent: true}).Append(nil, mqtt.V31)
	if err != nil || !bytes.Equal(b, []byte{0x20, 2, 0, 0}) {
		t.Errorf("3.1 CONNACK: % x, %v", b, err)
	}
	p, _, err := Decode([]byte{0x20, 2, 0xff, 0}, mqtt.V31)
	if err != nil || p.(*Connack).SessionPresent {
		t.Errorf("3.1 CONNACK with byte 1 = 0xff: %+v, %v", p, err)
	}
	_, _, err = Decode([]byte{0x20, 2, 0x02, 0}, mqtt.V311)
	checkErr(t, "3.1.1 CONNACK reserved bit", err, mqtt.MalformedPacket, "")
}

// stuckReader returns no bytes and no error, forever.
type stuckReader struct{}

func (stuckReader) Read([]byte) (int, error) { return 0, nil }

func TestReaderNoProgress(t *testing.T) {
	_, err := NewReader(stuckReader{}).ReadPacket()
	if !errors.Is(err, io.ErrNoProgress) {
		t.Fatalf("got %v, want io.ErrNoProgress", err)
	}
}

// headerThenFail serves a fixed header and fails the test if the body is read.
type headerThenFail struct {
	t    *testing.T
	data []byte
}

func (h *headerThenFail) Read(p []byte) (int, error) {
	if len(h.data) == 0 {
		h.t.Fatal("the Reader read past the fixed header")
	}
	n := copy(p, h.data)
	h.data = h.data[n:]
	return n, nil
}

// A Reader that does not know the version yet rejects a non-CONNECT on its
// fixed header alone, without buffering a body the peer declared.
func TestReaderRejectsFirstPacketEarly(t *testing.T) {
	r := NewReader(&headerThenFail{t: t, data: []byte{0x30, 0xff, 0xff, 0x3f}}) // PUBLISH of 1 MiB - 1
	_, err := r.ReadPacket()
	checkErr(t, "PUBLISH before CONNECT", err, mqtt.ProtocolError, "MQTT-3.1.0-1")
	_, _, err = Decode([]byte{0x30, 0xff, 0xff, 0x3f}, 0)
	checkErr(t, "Decode PUBLISH before CONNECT", err, mqtt.ProtocolError, "MQTT-3.1.0-1")
}

// Errors returned to one caller are not shared with another.
func TestErrorsAreNotShared(t *testing.T) {
	inputs := [][]byte{
		{0xc0, 0x01, 0x00},                        // PINGREQ with a body
		{0x30, 0x80, 0x00},                        // non-minimal remaining length
		{0x30, 0x80, 0x80, 0x80, 0x80},            // remaining length of five bytes
		{0x30, 0x03, 0x00, 0x05, 'a'},             // topic runs past the body
		{0x30, 0x05, 0x00, 0x01, 'a', 0x80, 0x00}, // non-minimal property length
	}
	for _, in := range inputs {
		_, _, err1 := Decode(in, mqtt.V5)
		var e *mqtt.Error
		if !errors.As(err1, &e) {
			t.Fatalf("% x: %v", in, err1)
		}
		want := e.Reason
		e.Reason = "changed by a caller"
		_, _, err2 := Decode(in, mqtt.V5)
		if !errors.As(err2, &e) || e.Reason != want {
			t.Errorf("% x: second error reads %q, want %q", in, e.Reason, want)
		}
	}
}
