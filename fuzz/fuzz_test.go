package fuzz

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/mqttx/mqttx/mqtt"
	"github.com/mqttx/mqttx/mqtt/packet"
	"github.com/mqttx/mqttx/mqtt/topic"
)

// maxPacket is the MaxPacketSize of every Decoder and Reader here.
const maxPacket = 64 << 10

// minRead mirrors packet.Reader's smallest read: a Reader may hold that
// much buffer whatever its limit.
const minRead = 512

// versionOf maps a fuzz byte to a protocol version: 3, 4 and 5 stand for
// themselves, any other byte for one of 0 (before CONNECT), 3, 4, 5.
func versionOf(b byte) mqtt.Version {
	switch b {
	case 3, 4, 5:
		return mqtt.Version(b)
	}
	return [4]mqtt.Version{0, mqtt.V31, mqtt.V311, mqtt.V5}[b&3]
}

// encodeVersion is the version to encode p for after a decoder of version
// v decoded it (a CONNECT is always encoded for its own version).
func encodeVersion(p packet.Packet, v mqtt.Version) mqtt.Version {
	if c, ok := p.(*packet.Connect); ok {
		return c.Version
	}
	return v
}

// checkDecodeErr fails unless err is one a decoder may return: a short
// input, or a locally raised *mqtt.Error whose code is a defined MQTT 5
// error code.
func checkDecodeErr(t *testing.T, err error, input []byte) {
	t.Helper()
	if err == io.ErrUnexpectedEOF {
		return
	}
	var e *mqtt.Error
	if !errors.As(err, &e) {
		t.Fatalf("decode %x: error %T %v is neither io.ErrUnexpectedEOF nor *mqtt.Error", input, err, err)
	}
	if !e.Code.Defined() || !e.Code.IsError() {
		t.Fatalf("decode %x: error %v carries reason code 0x%02x, not a defined error code", input, err, byte(e.Code))
	}
	if e.Remote {
		t.Fatalf("decode %x: error %v claims to come from the peer", input, err)
	}
}

// FuzzDecode: decoding a stream never panics, fails only with
// io.ErrUnexpectedEOF or an *mqtt.Error of a defined error code, agrees
// with a fresh decoder packet by packet (no state leaks from one packet to
// the next), and a Reader's buffer stays within the packet size limit and
// grows only with the bytes that actually arrived.
func FuzzDecode(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte, version byte) {
		v := versionOf(version)
		d := packet.Decoder{Version: v, MaxPacketSize: maxPacket}
		rest := data
		for len(rest) > 0 {
			before := d.Version
			p, n, err := d.Decode(rest)
			if err != nil {
				if p != nil {
					t.Fatalf("decode %x: error %v with a packet %T", rest, err, p)
				}
				checkDecodeErr(t, err, rest)
				break
			}
			if n < 2 || n > len(rest) || n > maxPacket {
				t.Fatalf("decode %x: used %d bytes of %d (limit %d)", rest, n, len(rest), maxPacket)
			}
			if before == 0 && d.Version == 0 {
				t.Fatalf("decode %x: a %v left the Decoder's version unset", rest[:n], p.Type())
			}
			ev := encodeVersion(p, d.Version)
			if got, want := len(packet.AppendIllegal(nil, p, ev)), p.Len(ev); got != want {
				t.Fatalf("decode %x: %v Len(%v) = %d, AppendIllegal wrote %d bytes", rest[:n], p.Type(), ev, want, got)
			}
			q, m, err := packet.Decode(rest[:n], before)
			if err != nil || m != n {
				t.Fatalf("decode %x: a reused Decoder accepted %d bytes, a fresh one says %d, %v", rest[:n], n, m, err)
			}
			if !equalPackets(p, q) {
				t.Fatalf("decode %x: a reused Decoder gives\n%s\na fresh one\n%s", rest[:n], dump(p), dump(q))
			}
			rest = rest[n:]
		}

		// The same stream through a Reader that watches its reads.
		mr := &meterReader{r: bytes.NewReader(data)}
		r := packet.NewReader(mr)
		r.Version, r.MaxPacketSize = v, maxPacket
		for i := 0; ; i++ {
			p, err := r.ReadPacket()
			if mr.err != "" {
				t.Fatal(mr.err)
			}
			if err != nil {
				if err != io.EOF {
					checkDecodeErr(t, err, data)
				}
				break
			}
			if p == nil {
				t.Fatalf("ReadPacket %d: nil packet and nil error", i)
			}
			if r.Buffered() < 0 || r.Buffered() > len(data) {
				t.Fatalf("ReadPacket %d: Buffered() = %d with %d bytes of input", i, r.Buffered(), len(data))
			}
		}
	})
}

// meterReader serves bytes and checks the size of every buffer a Reader
// offers it: at most the packet limit (plus one minimal read), and at most
// twice what has arrived so far (plus one minimal read), so that a peer
// that declares a large packet and sends little makes it allocate little.
type meterReader struct {
	r         io.Reader
	delivered int
	err       string
}

func (m *meterReader) Read(p []byte) (int, error) {
	if m.err == "" {
		if len(p) > maxPacket+minRead {
			m.err = fmt.Sprintf("Reader offered a %d-byte buffer, limit %d", len(p), maxPacket)
		} else if len(p) > max(2*m.delivered, m.delivered+minRead) {
			m.err = fmt.Sprintf("Reader offered a %d-byte buffer after only %d bytes arrived", len(p), m.delivered)
		}
	}
	n, err := m.r.Read(p)
	m.delivered += n
	return n, err
}

// FuzzRoundTrip: decode→encode→decode is a fixed point. A packet the
// decoder accepted encodes without error, to Len bytes; decoding that gives
// the same packet; encoding again gives the same bytes. The properties on
// the wire, read by an independent reference scanner (propscan_test.go),
// are the same in the input and in the encoding: nothing was dropped,
// invented or changed on the way through the codec.
func FuzzRoundTrip(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte, version byte) {
		v := versionOf(version)
		d := packet.Decoder{Version: v, MaxPacketSize: maxPacket}
		p0, n, err := d.Decode(data)
		if err != nil {
			return
		}
		p := packet.Clone(p0)
		ev := encodeVersion(p, d.Version)
		e1, err := p.Append(nil, ev)
		if err != nil {
			t.Fatalf("decode %x (v%d) accepted\n%s\nbut Append(%v) fails: %v", data[:n], v, dump(p), ev, err)
		}
		if len(e1) != p.Len(ev) {
			t.Fatalf("%v: Len(%v) = %d, Append wrote %d bytes", p.Type(), ev, p.Len(ev), len(e1))
		}
		if err := samePropertiesOnWire(data[:n], e1, p, ev); err != nil {
			t.Fatalf("decode %x (v%d) then encode %x: %v", data[:n], v, e1, err)
		}
		q, m, err := packet.Decode(e1, v)
		if err != nil {
			t.Fatalf("decode %x accepted, its encoding %x is rejected: %v", data[:n], e1, err)
		}
		if m != len(e1) {
			t.Fatalf("encoding %x: decode used %d of %d bytes", e1, m, len(e1))
		}
		if !equalPackets(p, q) {
			t.Fatalf("decode %x gives\n%s\nits encoding %x decodes to\n%s", data[:n], dump(p), e1, dump(q))
		}
		e2, err := q.Append(nil, ev)
		if err != nil {
			t.Fatalf("re-encoding %x: %v", e1, err)
		}
		if !bytes.Equal(e1, e2) {
			t.Fatalf("decode %x: first encoding %x, second %x", data[:n], e1, e2)
		}
	})
}

// step is one result of reading a stream: a packet (cloned) or an error.
type step struct {
	p   packet.Packet
	err string
}

func (s step) String() string {
	if s.p == nil {
		return "error " + s.err
	}
	return s.p.Type().String() + " " + dump(s.p)
}

// readAll reads r to its first error.
func readAll(r *packet.Reader, release func(i int) bool) []step {
	var steps []step
	for i := 0; ; i++ {
		p, err := r.ReadPacket()
		if err != nil {
			return append(steps, step{err: err.Error()})
		}
		steps = append(steps, step{p: packet.Clone(p)})
		if release != nil && release(i) {
			r.Release()
		}
	}
}

// chunkReader returns data in pieces whose sizes come from sizes in turn:
// 1 + the low 7 bits; a set high bit makes the last piece arrive together
// with io.EOF.
type chunkReader struct {
	data  []byte
	sizes []byte
	i     int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	s := byte(0)
	if len(c.sizes) > 0 {
		s = c.sizes[c.i%len(c.sizes)]
		c.i++
	}
	n := min(int(s&0x7f)+1, len(p), len(c.data))
	copy(p, c.data[:n])
	c.data = c.data[n:]
	if len(c.data) == 0 && s&0x80 != 0 {
		return n, io.EOF
	}
	return n, nil
}

// FuzzSplit: a stream reads the same however it arrives. The sequence of
// packets and the final error from a Reader fed in chunks (sizes from
// chunks; Release called between packets when the chunk byte says so)
// equals that of a Reader given everything at once, and that of a
// Decoder walking the whole slice.
func FuzzSplit(f *testing.F) {
	f.Fuzz(func(t *testing.T, data, chunks []byte, version byte) {
		v := versionOf(version)
		whole := packet.NewReader(bytes.NewReader(data))
		whole.Version, whole.MaxPacketSize = v, maxPacket
		want := readAll(whole, nil)

		split := packet.NewReader(&chunkReader{data: data, sizes: chunks})
		split.Version, split.MaxPacketSize = v, maxPacket
		got := readAll(split, func(i int) bool {
			return len(chunks) > 0 && chunks[i%len(chunks)]&0x40 != 0
		})
		if d := diffSteps(want, got); d != "" {
			t.Fatalf("stream %x read whole vs in chunks %x: %s", data, chunks, d)
		}

		// The slice Decoder: io.EOF at a clean end, like the Reader.
		var dec []step
		d := packet.Decoder{Version: v, MaxPacketSize: maxPacket}
		for rest := data; ; {
			if len(rest) == 0 {
				dec = append(dec, step{err: io.EOF.Error()})
				break
			}
			p, n, err := d.Decode(rest)
			if err != nil {
				dec = append(dec, step{err: err.Error()})
				break
			}
			dec = append(dec, step{p: packet.Clone(p)})
			rest = rest[n:]
		}
		if d := diffSteps(want, dec); d != "" {
			t.Fatalf("stream %x read by a Reader vs a Decoder: %s", data, d)
		}
	})
}

func diffSteps(a, b []step) string {
	for i := range max(len(a), len(b)) {
		if i >= len(a) || i >= len(b) {
			return fmt.Sprintf("%d results vs %d", len(a), len(b))
		}
		x, y := a[i], b[i]
		if x.err != y.err || (x.p == nil) != (y.p == nil) || (x.p != nil && !equalPackets(x.p, y.p)) {
			return fmt.Sprintf("result %d: %v vs %v", i, x, y)
		}
	}
	return ""
}

// FuzzTopicIndex: an Index answers like brute force. filters holds topic
// filters separated by NUL (which no valid filter contains); one whose
// first byte is 0xFF (never valid UTF-8) is an unsubscribe of the rest.
// Each filter is subscribed by clients c0..c{k-1}, k = 1 + clients%64,
// with options derived from its position, so clients share filters,
// subscriptions are replaced and leaves grow past their flat size. The
// Index's Match of name must equal topic.Match over the subscriptions a
// map model holds, merged per client and grouped per shared group, for a
// message from client c{clients%k} when the top bit of clients is set (its
// own No Local subscriptions take no part) or from the server otherwise;
// after everything is unsubscribed the Index is empty.
func FuzzTopicIndex(f *testing.F) {
	f.Fuzz(func(t *testing.T, filters, name string, clients byte) {
		if topic.ValidateName(name) != nil {
			return
		}
		k := 1 + int(clients%64)
		type key struct{ client, group, filter string }
		model := map[key]topic.Subscription{}
		x := topic.NewIndex()
		for i, raw := range strings.Split(filters, "\x00") {
			unsub := strings.HasPrefix(raw, "\xff")
			if unsub {
				raw = raw[1:]
			}
			if topic.ValidateFilter(raw) != nil {
				continue
			}
			group, filter, shared, _ := topic.ParseShared(raw)
			if !shared {
				filter = raw
			}
			for c := range k {
				client := "c" + strconv.Itoa(c)
				kk := key{client, group, filter}
				if unsub {
					_, had := model[kk]
					if got := x.Unsubscribe(client, group, filter); got != had {
						t.Fatalf("Unsubscribe(%q, %q, %q) = %v, want %v", client, group, filter, got, had)
					}
					delete(model, kk)
					continue
				}
				s := topic.Subscription{
					Client: client, Filter: filter, Group: group,
					QoS:               mqtt.QoS((i + c) % 3),
					NoLocal:           (i+c)%2 == 1 && !shared,
					RetainAsPublished: (i*3+c)%4 == 0,
					RetainHandling:    byte((i + 2*c) % 3),
					ID:                uint32((i*7 + c) % 5), // 0 is none
				}
				_, had := model[kk]
				if got := x.Subscribe(s); got != had {
					t.Fatalf("Subscribe(%+v) = %v, want %v", s, got, had)
				}
				model[kk] = s
			}
		}
		if x.Len() != len(model) {
			t.Fatalf("Len() = %d, want %d", x.Len(), len(model))
		}

		publisher := ""
		if clients&0x80 != 0 {
			publisher = "c" + strconv.Itoa(int(clients)%k)
		}
		var r topic.Result
		x.Match(name, publisher, &r)
		checkResult(t, &r, model2slice(model), name, publisher)

		for kk := range model {
			if !x.Unsubscribe(kk.client, kk.group, kk.filter) {
				t.Fatalf("Unsubscribe(%q, %q, %q) found nothing", kk.client, kk.group, kk.filter)
			}
		}
		if x.Len() != 0 {
			t.Fatalf("Len() = %d after unsubscribing everything", x.Len())
		}
		x.Match(name, publisher, &r)
		if r.Len() != 0 || r.Groups() != 0 {
			t.Fatalf("empty Index matched %q: %d clients, %d groups", name, r.Len(), r.Groups())
		}
	})
}

func model2slice[K comparable](m map[K]topic.Subscription) []topic.Subscription {
	s := make([]topic.Subscription, 0, len(m))
	for _, v := range m {
		s = append(s, v)
	}
	return s
}

// checkResult compares r with brute force over subs, for a message sent
// by publisher ("" for none).
func checkResult(t *testing.T, r *topic.Result, subs []topic.Subscription, name, publisher string) {
	t.Helper()
	type merged struct {
		qos      mqtt.QoS
		rap      bool
		ids      []uint32
		matching int
	}
	want := map[string]*merged{}
	wantGroups := map[[2]string][]string{} // (group, filter) -> member clients
	for _, s := range subs {
		if !topic.Match(s.Filter, name) {
			continue
		}
		if s.Group != "" {
			g := [2]string{s.Group, s.Filter}
			wantGroups[g] = append(wantGroups[g], s.Client)
			continue
		}
		if s.NoLocal && s.Client == publisher {
			continue // the publisher's No Local subscriptions take no part
		}
		m := want[s.Client]
		if m == nil {
			m = &merged{}
			want[s.Client] = m
		}
		m.qos = max(m.qos, s.QoS)
		m.rap = m.rap || s.RetainAsPublished
		if s.ID != 0 {
			m.ids = append(m.ids, s.ID)
		}
	}
	if r.Len() != len(want) {
		t.Fatalf("Match(%q): %d clients, brute force %d", name, r.Len(), len(want))
	}
	seen := map[string]bool{}
	for i := range r.Len() {
		d := r.At(i)
		m := want[d.Client]
		if m == nil || seen[d.Client] {
			t.Fatalf("Match(%q): unexpected or repeated client %q", name, d.Client)
		}
		seen[d.Client] = true
		ids := slices.Clone(d.IDs)
		slices.Sort(ids)
		slices.Sort(m.ids)
		if d.QoS != m.qos || d.RetainAsPublished != m.rap || !slices.Equal(ids, m.ids) {
			t.Fatalf("Match(%q) from %q: client %q gets QoS %v RAP %v IDs %v; want QoS %v RAP %v IDs %v",
				name, publisher, d.Client, d.QoS, d.RetainAsPublished, ids, m.qos, m.rap, m.ids)
		}
	}
	if r.Groups() != len(wantGroups) {
		t.Fatalf("Match(%q): %d shared groups, brute force %d (%v)", name, r.Groups(), len(wantGroups), wantGroups)
	}
	for i := range r.Groups() {
		g := r.Group(i)
		members, ok := wantGroups[[2]string{g.Group, g.Filter}]
		if !ok {
			t.Fatalf("Match(%q): unexpected group %q filter %q", name, g.Group, g.Filter)
		}
		var got []string
		for _, s := range g.Members {
			if s.Group != g.Group || s.Filter != g.Filter {
				t.Fatalf("Match(%q): group %q/%q holds member %+v", name, g.Group, g.Filter, s)
			}
			got = append(got, s.Client)
		}
		slices.Sort(got)
		slices.Sort(members)
		if !slices.Equal(got, members) {
			t.Fatalf("Match(%q): group %q/%q members %v, want %v", name, g.Group, g.Filter, got, members)
		}
		delete(wantGroups, [2]string{g.Group, g.Filter})
	}
}

// FuzzTopicValidate: validation never panics; topic.Match agrees with a
// naive reference matcher on every valid (filter, name); "#" matches every
// valid name not starting with '$'; a valid name is a valid filter that
// matches itself; and topic's UTF-8 rules agree with packet.ValidString.
func FuzzTopicValidate(f *testing.F) {
	f.Fuzz(func(t *testing.T, filter, name string) {
		nameErr := topic.ValidateName(name)
		filterErr := topic.ValidateFilter(filter)
		for _, err := range []error{nameErr, filterErr} {
			var e *mqtt.Error
			if err != nil && (!errors.As(err, &e) || (e.Code != mqtt.TopicNameInvalid && e.Code != mqtt.TopicFilterInvalid)) {
				t.Fatalf("validation error %v is not a topic *mqtt.Error", err)
			}
		}
		for _, s := range []string{name, filter} {
			if s != "" && !strings.ContainsAny(s, "+#") {
				if got, want := topic.ValidateName(s) == nil, packet.ValidString(s); got != want {
					t.Fatalf("%q: ValidateName ok = %v, packet.ValidString = %v", s, got, want)
				}
			}
		}
		if nameErr != nil {
			return
		}
		if got, want := topic.Match("#", name), name[0] != '$'; got != want {
			t.Fatalf("Match(\"#\", %q) = %v, want %v", name, got, want)
		}
		if !strings.HasPrefix(name, "$share/") {
			if err := topic.ValidateFilter(name); err != nil {
				t.Fatalf("valid name %q is not a valid filter: %v", name, err)
			}
			if !topic.Match(name, name) {
				t.Fatalf("Match(%q, %q) = false", name, name)
			}
		}
		if filterErr != nil || strings.HasPrefix(filter, "$share/") {
			return
		}
		if got, want := topic.Match(filter, name), refMatch(filter, name); got != want {
			t.Fatalf("Match(%q, %q) = %v, reference says %v", filter, name, got, want)
		}
	})
}

// refMatch is the matching rule written the slow, obvious way.
func refMatch(filter, name string) bool {
	if name[0] == '$' && (filter[0] == '+' || filter[0] == '#') {
		return false
	}
	fl, nl := strings.Split(filter, "/"), strings.Split(name, "/")
	for i, f := range fl {
		if f == "#" {
			return true // matches the parent level too: "a/#" matches "a"
		}
		if i >= len(nl) || (f != "+" && f != nl[i]) {
			return false
		}
	}
	return len(fl) == len(nl)
}
