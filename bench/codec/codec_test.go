package codec

import (
	"bytes"
	"flag"
	"reflect"
	"slices"
	"testing"
)

func BenchmarkDecode(b *testing.B) { run(b, OpDecode) }
func BenchmarkEncode(b *testing.B) { run(b, OpEncode) }

// run runs the benchmarks of op as sub-benchmarks <packet>/<codec> of b.
func run(b *testing.B, op string) {
	for _, bm := range benchmarks(op) {
		b.Run(bm.Packet+"/"+bm.Codec, bm.F)
	}
}

// reordered lists the encodings that legitimately differ from the reference
// bytes: same properties, different order (the specifications fix no order
// for properties). Key: codec name + " " + packet name.
var reordered = map[string]string{
	"paho.golang connect-v5": "writes Receive Maximum (0x21) before Session Expiry Interval (0x11)",
}

// TestReferenceWire pins the hand-built reference encodings to literal
// bytes, so that a mistake in the builder cannot hide behind a codec that
// makes the same mistake.
func TestReferenceWire(t *testing.T) {
	want := map[string]string{
		"connect-v311": "\x10\x2a\x00\x04MQTT\x04\xc2\x00\x3c\x00\x12mqttx-bench-client\x00\x04user\x00\x04pass",
		"connect-v5": "\x10\x33\x00\x04MQTT\x05\xc2\x00\x3c" +
			"\x08\x11\x00\x00\x0e\x10\x21\x00\x64" +
			"\x00\x12mqttx-bench-client\x00\x04user\x00\x04pass",
		"publish-v311": "\x32\x20\x00\x12sensors/room1/temp\x00\x07{\"t\":21.5}",
		"publish-v5-intprops": "\x32\x2b\x00\x12sensors/room1/temp\x00\x07" +
			"\x0a\x01\x01\x02\x00\x00\x00\x3c\x23\x00\x03" +
			"{\"t\":21.5}",
		"publish-v5-props": "\x32\x4b\x00\x12sensors/room1/temp\x00\x07" +
			"\x2a\x01\x01\x02\x00\x00\x00\x3c\x03\x00\x10application/json\x23\x00\x03" +
			"\x26\x00\x06source\x00\x02s1" +
			"{\"t\":21.5}",
		"subscribe-v311": "\x82\x21\x00\x09\x00\x05a/b/c\x01\x00\x0esensors/+/temp\x02\x00\x03x/#\x00",
		"subscribe-v5": "\x82\x24\x00\x09\x02\x0b\x05" +
			"\x00\x05a/b/c\x05\x00\x0esensors/+/temp\x0a\x00\x03x/#\x00",
	}
	ps := Packets()
	if len(ps) != len(want) {
		t.Fatalf("%d packets, %d reference encodings", len(ps), len(want))
	}
	for _, p := range ps {
		if w, ok := want[p.Name]; !ok {
			t.Errorf("%s: no literal reference", p.Name)
		} else if string(p.Wire) != w {
			t.Errorf("%s:\n got % x\nwant % x", p.Name, p.Wire, w)
		}
	}
}

// TestCrossCodec checks that the benchmarks compare like with like. For
// every packet: every codec decodes the reference bytes to the same content;
// every codec's own encoding decodes, with every codec, to that content; and
// every encoding equals the reference bytes, or is a documented permutation
// of its properties.
func TestCrossCodec(t *testing.T) {
	for _, p := range Packets() {
		t.Run(p.Name, func(t *testing.T) {
			var speakers []codec
			for _, c := range codecs {
				if c.Supports(p.Version) {
					speakers = append(speakers, c)
				}
			}
			if len(speakers) < 3 {
				t.Errorf("only %d codecs speak %s", len(speakers), p.Name)
			}
			encodings := map[string][]byte{"reference": p.Wire}
			for _, enc := range speakers {
				got, err := enc.Encode(p)
				if err != nil {
					t.Errorf("%s: encode: %v", enc.Name(), err)
					continue
				}
				if got == nil {
					continue // a second decode path, no encoder of its own
				}
				encodings[enc.Name()] = got
				why, known := reordered[enc.Name()+" "+p.Name]
				switch {
				case bytes.Equal(got, p.Wire):
					if known {
						t.Errorf("%s: encoding now equals the reference; drop the reordered entry", enc.Name())
					}
				case known && len(got) == len(p.Wire) && sameBytes(got, p.Wire):
					t.Logf("%s: encoding differs from the reference in property order only: %s", enc.Name(), why)
				default:
					t.Errorf("%s: encoding differs from the reference:\n got % x\nwant % x", enc.Name(), got, p.Wire)
				}
			}
			for from, b := range encodings {
				for _, dec := range speakers {
					got, err := dec.Decode(p, b)
					if err != nil {
						t.Errorf("%s decoding the %s encoding: %v", dec.Name(), from, err)
						continue
					}
					if !reflect.DeepEqual(got, p.Want) {
						t.Errorf("%s decoding the %s encoding:\n got %+v\nwant %+v", dec.Name(), from, got, p.Want)
					}
				}
			}
		})
	}
}

// sameBytes reports whether a and b hold the same multiset of bytes: a weak
// but cheap check that a documented reordering did not also change content
// (the decode comparison above is the strong one).
func sameBytes(a, b []byte) bool {
	x, y := slices.Clone(a), slices.Clone(b)
	slices.Sort(x)
	slices.Sort(y)
	return bytes.Equal(x, y)
}

// TestBenchmarks runs every benchmark function for one iteration, so that
// a broken benchmark fails go test and not only go test -bench.
func TestBenchmarks(t *testing.T) {
	old := flag.Lookup("test.benchtime").Value.String()
	if err := flag.Set("test.benchtime", "1x"); err != nil {
		t.Fatal(err)
	}
	defer flag.Set("test.benchtime", old)
	bs := Benchmarks()
	if len(bs) == 0 {
		t.Fatal("no benchmarks")
	}
	for _, bm := range bs {
		if r := testing.Benchmark(bm.F); r.N != 1 {
			t.Errorf("%s/%s/%s: benchmark failed (N = %d)", bm.Op, bm.Packet, bm.Codec, r.N)
		}
	}
}
