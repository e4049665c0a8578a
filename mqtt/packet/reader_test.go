package packet

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/mqttx/mqttx/mqtt"
)

// headerOnly delivers hdr and fails the test if the Reader asks for more.
type headerOnly struct {
	t    *testing.T
	hdr  []byte
	done bool
}

func (r *headerOnly) Read(p []byte) (int, error) {
	if r.done {
		r.t.Errorf("Reader read past the fixed header of a packet it must refuse")
		return 0, errors.New("read past the header")
	}
	r.done = true
	return copy(p, r.hdr), nil
}

func TestReaderRefusesLargePacketBeforeBody(t *testing.T) {
	tests := []struct {
		name  string
		limit int
		hdr   []byte
	}{
		{"limit 100, 200 declared", 100, []byte{0x30, 0xc8, 0x01}},
		{"limit 100, 101 bytes in all", 100, AppendVarint([]byte{0x30}, 99)},
		{"default limit, 268435455 declared", 0, []byte{0x30, 0xff, 0xff, 0xff, 0x7f}},
		{"default limit, 1 MiB declared", 0, AppendVarint([]byte{0x30}, DefaultMaxPacketSize)},
	}
	for _, tc := range tests {
		r := NewReader(&headerOnly{t: t, hdr: tc.hdr})
		r.Version = mqtt.V311
		r.MaxPacketSize = tc.limit
		p, err := r.ReadPacket()
		if p != nil {
			t.Errorf("%s: got a packet", tc.name)
		}
		checkErr(t, tc.name, err, mqtt.PacketTooLarge, "")
		if !errors.Is(err, mqtt.ErrPacketTooLarge) {
			t.Errorf("%s: errors.Is(err, ErrPacketTooLarge) is false", tc.name)
		}
	}
	// The header arriving one byte at a time changes nothing.
	r := NewReader(&oneByte{b: []byte{0x30, 0xff, 0xff, 0xff, 0x7f}})
	r.Version = mqtt.V311
	_, err := r.ReadPacket()
	checkErr(t, "one byte at a time", err, mqtt.PacketTooLarge, "")
}

func TestReaderLimitBoundary(t *testing.T) {
	p := &Publish{Topic: "t", Payload: make([]byte, 95)}
	b, _ := p.Append(nil, mqtt.V311) // 100 bytes
	r := NewReader(bytes.NewReader(b))
	r.Version, r.MaxPacketSize = mqtt.V311, 100
	if _, err := r.ReadPacket(); err != nil {
		t.Errorf("packet of exactly MaxPacketSize: %v", err)
	}
	r = NewReader(bytes.NewReader(b))
	r.Version, r.MaxPacketSize = mqtt.V311, 99
	_, err := r.ReadPacket()
	checkErr(t, "limit 99", err, mqtt.PacketTooLarge, "")
}

// TestReaderHugeDeclaredSmallAllocation: a peer declaring a large packet
// and sending little makes the Reader allocate little, even with the limit
// raised to the protocol maximum.
func TestReaderHugeDeclaredSmallAllocation(t *testing.T) {
	hdr := []byte{0x30, 0xff, 0xff, 0xff, 0x7f}
	in := append(hdr, make([]byte, 1000)...)
	for _, limit := range []int{0, MaxVarint + 5} {
		var err error
		n := allocBytes(func() {
			r := NewReader(bytes.NewReader(in))
			r.Version, r.MaxPacketSize = mqtt.V311, limit
			_, err = r.ReadPacket()
		})
		want := io.ErrUnexpectedEOF
		if limit == 0 {
			checkErr(t, "default limit", err, mqtt.PacketTooLarge, "")
		} else if err != want {
			t.Errorf("limit %d: err = %v, want %v", limit, err, want)
		}
		if n > 64<<10 {
			t.Errorf("limit %d: 268435455 bytes declared, 1000 sent: %d bytes allocated, want < 64 KiB", limit, n)
		}
	}
	// The same through the Decoder, which never allocates for a body.
	d := Decoder{Version: mqtt.V311, MaxPacketSize: MaxVarint + 5}
	var err error
	if n := allocBytes(func() { _, _, err = d.Decode(in) }); n > 1<<10 || err != io.ErrUnexpectedEOF {
		t.Errorf("Decoder: %d bytes allocated, err %v", n, err)
	}
}

// chunks delivers its data n bytes per Read.
type chunks struct {
	b []byte
	n int
}

func (r *chunks) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	n := min(r.n, len(p), len(r.b))
	copy(p, r.b[:n])
	r.b = r.b[n:]
	return n, nil
}

func TestReaderLargePacketInChunks(t *testing.T) {
	payload := make([]byte, 300_000)
	for i := range payload {
		payload[i] = byte(i * 7)
	}
	big := &Publish{QoS: mqtt.QoS1, PacketID: 9, Topic: "big/one", Payload: payload, Properties: Properties{ContentType: "bin"}}
	small := &Publish{Topic: "after", Payload: []byte("x")}
	var stream []byte
	stream, _ = big.Append(stream, mqtt.V5)
	stream, _ = small.Append(stream, mqtt.V5)
	stream, _ = big.Append(stream, mqtt.V5)
	for _, n := range []int{1000, 4093, 65536} {
		r := NewReader(&chunks{b: stream, n: n})
		r.Version, r.MaxPacketSize = mqtt.V5, 1<<20
		for i, want := range []Packet{big, small, big} {
			p, err := r.ReadPacket()
			if err != nil || !samePacket(p, want) {
				t.Fatalf("chunks of %d, packet %d: err %v, equal %v", n, i, err, err == nil && samePacket(p, want))
			}
		}
		if _, err := r.ReadPacket(); err != io.EOF {
			t.Errorf("chunks of %d: after the stream: %v", n, err)
		}
	}
}

// TestReaderClone: a packet the Reader returned is overwritten by the
// next read; its Clone is not.
func TestReaderClone(t *testing.T) {
	first := &Publish{QoS: mqtt.QoS1, PacketID: 1, Topic: "a", Payload: []byte("first payload"),
		Properties: Properties{CorrelationData: []byte("c1"), User: []UserProperty{{"k", "v1"}}, SubscriptionIDs: []uint32{1}}}
	second := &Publish{QoS: mqtt.QoS1, PacketID: 2, Topic: "b", Payload: []byte("SECOND PAYLOAD"),
		Properties: Properties{CorrelationData: []byte("c2"), User: []UserProperty{{"k", "v2"}}, SubscriptionIDs: []uint32{2}}}
	var stream []byte
	stream, _ = first.Append(stream, mqtt.V5)
	stream, _ = second.Append(stream, mqtt.V5)
	// A reader that hands over both packets in one Read, so both sit in
	// the same buffer, and one that hands them over a byte at a time, so
	// the buffer is compacted and grown between them.
	for _, in := range []io.Reader{bytes.NewReader(stream), &oneByte{b: stream}} {
		r := NewReader(in)
		r.Version = mqtt.V5
		p1, err := r.ReadPacket()
		if err != nil {
			t.Fatal(err)
		}
		kept := Clone(p1)
		if !samePacket(kept, first) {
			t.Fatalf("clone %s, want %s", show(kept), show(first))
		}
		p2, err := r.ReadPacket()
		if err != nil || !samePacket(p2, second) {
			t.Fatalf("second packet: %v, %v", p2, err)
		}
		if !samePacket(kept, first) {
			t.Errorf("clone changed by the next ReadPacket: %s", show(kept))
		}
		if p1 != p2 {
			t.Errorf("Reader returned a new value; want its reused one")
		}
	}
}

func TestReaderBufferedResetRelease(t *testing.T) {
	var stream []byte
	stream, _ = (&Pingreq{}).Append(stream, mqtt.V311)
	stream, _ = (&Publish{Topic: "t", Payload: []byte("abc")}).Append(stream, mqtt.V311)
	r := NewReader(bytes.NewReader(stream))
	r.Version = mqtt.V311
	if _, err := r.ReadPacket(); err != nil {
		t.Fatal(err)
	}
	if got := r.Buffered(); got != len(stream)-2 {
		t.Errorf("Buffered = %d, want %d", got, len(stream)-2)
	}
	r.Release() // bytes remain: the buffer is kept
	p, err := r.ReadPacket()
	if err != nil || p.(*Publish).Topic != "t" {
		t.Fatalf("after Release: %v, %v", p, err)
	}
	if r.Buffered() != 0 {
		t.Errorf("Buffered = %d, want 0", r.Buffered())
	}
	r.Release()
	if r.buf != nil {
		t.Errorf("Release kept a buffer with nothing in it")
	}
	r.Reset(bytes.NewReader([]byte{0xd0, 0x00}))
	if p, err := r.ReadPacket(); err != nil || p.Type() != TypePingresp {
		t.Errorf("after Reset: %v, %v", p, err)
	}
	if _, err := r.ReadPacket(); err != io.EOF {
		t.Errorf("after Reset: %v, want io.EOF", err)
	}
}

func TestReaderVersionFromConnect(t *testing.T) {
	var stream []byte
	stream, _ = (&Connect{Version: mqtt.V5, ClientID: "c"}).Append(stream, 0)
	stream, _ = (&Auth{ReasonCode: mqtt.ReAuthenticate}).Append(stream, mqtt.V5)
	r := NewReader(bytes.NewReader(stream))
	if _, err := r.ReadPacket(); err != nil || r.Version != mqtt.V5 {
		t.Fatalf("CONNECT: %v, Version %v", err, r.Version)
	}
	if p, err := r.ReadPacket(); err != nil || p.Type() != TypeAuth {
		t.Errorf("AUTH after a v5 CONNECT: %v, %v", p, err)
	}
}

// errReader fails with a non-EOF error after its data.
type errReader struct {
	b   []byte
	err error
}

func (r *errReader) Read(p []byte) (int, error) {
	n := copy(p, r.b)
	r.b = r.b[n:]
	if len(r.b) == 0 {
		return n, r.err
	}
	return n, nil
}

func TestReaderPassesStreamErrors(t *testing.T) {
	boom := errors.New("boom")
	b, _ := (&Publish{Topic: "t", Payload: []byte("abc")}).Append(nil, mqtt.V311)
	// The error after a whole packet is kept for the next call.
	r := NewReader(&errReader{b: b, err: boom})
	r.Version = mqtt.V311
	if _, err := r.ReadPacket(); err != nil {
		t.Errorf("whole packet with the error: %v", err)
	}
	// Inside a packet, the stream's own error is returned.
	r = NewReader(&errReader{b: b[:4], err: boom})
	r.Version = mqtt.V311
	if _, err := r.ReadPacket(); err != boom {
		t.Errorf("cut packet: %v, want boom", err)
	}
}

// smallPublishes are the packets whose decoding must not allocate once a
// Decoder or Reader is warm.
func smallPublishes() []golden {
	mk := func(name string, v mqtt.Version, p *Publish) golden {
		b, err := p.Append(nil, v)
		if err != nil {
			panic(err)
		}
		return golden{name, v, p, b}
	}
	return []golden{
		mk("v311", mqtt.V311, &Publish{QoS: mqtt.QoS1, PacketID: 7, Topic: "sensors/kitchen/temp", Payload: []byte("21.5")}),
		mk("v5 integer properties", mqtt.V5, &Publish{QoS: mqtt.QoS1, PacketID: 7, Topic: "sensors/kitchen/temp", Payload: []byte("21.5"),
			Properties: Properties{PayloadFormat: 1, MessageExpiry: 60, TopicAlias: 4, SubscriptionIDs: []uint32{1, 300}}}),
		mk("v5 user property and content type", mqtt.V5, &Publish{Topic: "sensors/kitchen/temp", Payload: []byte("21.5"),
			Properties: Properties{ContentType: "text/plain", User: []UserProperty{{"unit", "celsius"}}, CorrelationData: []byte{1, 2}}}),
	}
}

func TestDecodeZeroAlloc(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not meaningful under the race detector")
	}
	for _, g := range smallPublishes() {
		d := Decoder{Version: g.v}
		var err error
		allocs := testing.AllocsPerRun(100, func() {
			var p Packet
			p, _, err = d.Decode(g.b)
			if p == nil {
				panic("nil packet")
			}
		})
		if err != nil || allocs != 0 {
			t.Errorf("%s: Decoder: %v allocations per packet (err %v), want 0", g.name, allocs, err)
		}

		br := bytes.NewReader(g.b)
		r := NewReader(br)
		r.Version = g.v
		allocs = testing.AllocsPerRun(100, func() {
			br.Reset(g.b)
			r.Reset(br)
			_, err = r.ReadPacket()
		})
		if err != nil || allocs != 0 {
			t.Errorf("%s: Reader: %v allocations per packet (err %v), want 0", g.name, allocs, err)
		}

		// A stream of the same packet, read without Reset.
		stream := bytes.Repeat(g.b, 200)
		r = NewReader(bytes.NewReader(stream))
		r.Version = g.v
		allocs = testing.AllocsPerRun(100, func() { _, err = r.ReadPacket() })
		if err != nil || allocs != 0 {
			t.Errorf("%s: Reader over a stream: %v allocations per packet (err %v), want 0", g.name, allocs, err)
		}
	}
}

func TestEncodeZeroAlloc(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are not meaningful under the race detector")
	}
	buf := make([]byte, 0, 4096)
	for _, g := range goldens {
		var err error
		allocs := testing.AllocsPerRun(50, func() {
			buf, err = g.p.Append(buf[:0], g.v)
			_ = g.p.Len(g.v)
		})
		if err != nil || allocs != 0 {
			t.Errorf("%s: Append into a reused buffer: %v allocations (err %v), want 0", g.name, allocs, err)
		}
	}
	var w bytes.Buffer
	w.Grow(1024)
	p := smallPublishes()[2]
	allocs := testing.AllocsPerRun(50, func() {
		w.Reset()
		Write(&w, p.p, p.v)
	})
	if allocs != 0 {
		t.Errorf("Write: %v allocations, want 0", allocs)
	}
}
