package codec

import (
	"bytes"
	"io"
	"testing"
)

// A codec is one MQTT packet library under comparison, wrapped so that the
// benchmarks and the cross-codec test can drive every library the same way.
type codec interface {
	// Name is the benchmark sub-name and table column of the codec.
	Name() string
	// Supports reports whether the codec speaks protocol level v.
	Supports(v byte) bool
	// Encode builds the codec's own typed value for p.Want and encodes it.
	// A codec with no encoder of its own (a second decode path of another
	// codec) returns nil, nil.
	Encode(p *Packet) ([]byte, error)
	// Decode decodes wire, which holds one packet of protocol level
	// p.Version, and returns its content.
	Decode(p *Packet, wire []byte) (Msg, error)
	// BenchDecode returns the benchmark decoding p.Wire into the codec's
	// typed value, or nil.
	BenchDecode(p *Packet) func(*testing.B)
	// BenchEncode returns the benchmark encoding the codec's typed value
	// for p into a reused buffer, or nil.
	BenchEncode(p *Packet) func(*testing.B)
}

// codecs is the column order of the tables: mqttx first, then the peers.
var codecs = []codec{
	mqttxDecoder{},
	mqttxReader{},
	mqttxFresh{},
	paho5{},
	paho3{},
	mochi{},
}

// Codecs returns the codec names in table order.
func Codecs() []string {
	names := make([]string, len(codecs))
	for i, c := range codecs {
		names[i] = c.Name()
	}
	return names
}

// The two operations measured.
const (
	OpDecode = "Decode"
	OpEncode = "Encode"
)

// Bench is one benchmark: operation Op on packet Packet with codec Codec.
// Its go test name is Benchmark<Op>/<Packet>/<Codec>.
type Bench struct {
	Op     string
	Packet string
	Codec  string
	F      func(*testing.B)
}

// Benchmarks returns every (operation, packet, codec) benchmark, in table
// order, skipping codecs that do not speak a packet's protocol version.
func Benchmarks() []Bench {
	var bs []Bench
	for _, op := range []string{OpDecode, OpEncode} {
		bs = append(bs, benchmarks(op)...)
	}
	return bs
}

func benchmarks(op string) []Bench {
	var bs []Bench
	for _, p := range Packets() {
		for _, c := range codecs {
			if !c.Supports(p.Version) {
				continue
			}
			var f func(*testing.B)
			if op == OpDecode {
				f = c.BenchDecode(p)
			} else {
				f = c.BenchEncode(p)
			}
			if f != nil {
				bs = append(bs, Bench{Op: op, Packet: p.Name, Codec: c.Name(), F: f})
			}
		}
	}
	return bs
}

// benchReadPacket measures a codec that reads one packet from an
// io.Reader, over a bytes.Reader reset to the wire bytes each iteration.
func benchReadPacket[T any](p *Packet, read func(io.Reader) (T, error)) func(*testing.B) {
	return func(b *testing.B) {
		var r bytes.Reader
		var v T
		var err error
		b.SetBytes(int64(len(p.Wire)))
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			r.Reset(p.Wire)
			if v, err = read(&r); err != nil {
				b.Fatal(err)
			}
		}
		sink = v
	}
}

// benchWriteTo measures a codec that writes a typed packet to an
// io.Writer, into a reused bytes.Buffer.
func benchWriteTo(p *Packet, write func(io.Writer) error) func(*testing.B) {
	return func(b *testing.B) {
		var buf bytes.Buffer
		buf.Grow(256)
		b.SetBytes(int64(len(p.Wire)))
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			buf.Reset()
			if err := write(&buf); err != nil {
				b.Fatal(err)
			}
		}
	}
}
