package fuzz

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"maps"
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
// Filter i is subscribed (or unsubscribed) by some of the clients
// c0..c{k-1}, k = 1 + clients%64: by c{i%k} always and by c when
// (c*(i+1)+clients)%3 != 0, so clients share some filters and not others
// and a client's merged delivery differs from its neighbours'. Options
// (QoS, No Local, Retain As Published, Retain Handling, identifier) come
// from i and c, so subscriptions are replaced with other options and
// leaves grow past their flat size. The Index's Match of name must equal
// topic.Match over the subscriptions a map model holds, merged per client
// and grouped per shared group (members compared field by field), for a
// message from client c{clients%k} when the top bit of clients is set (its
// own No Local subscriptions take no part) or from the server otherwise.
// Then half of the subscriptions are unsubscribed (each exactly once) and
// Match is checked again; after the rest are, the Index is empty.
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
				if c != i%k && (c*(i+1)+int(clients))%3 == 0 {
					continue // client c does not take filter i
				}
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

		// Unsubscribe half (in an order derived from the input), match
		// again, then unsubscribe the rest.
		keys := make([]key, 0, len(model))
		for kk := range model {
			keys = append(keys, kk)
		}
		slices.SortFunc(keys, func(a, b key) int {
			return cmp.Or(strings.Compare(a.filter, b.filter), strings.Compare(a.group, b.group), strings.Compare(a.client, b.client))
		})
		for pass := range 2 {
			for j, kk := range keys {
				if (j+int(clients))%2 != pass {
					continue
				}
				if !x.Unsubscribe(kk.client, kk.group, kk.filter) {
					t.Fatalf("Unsubscribe(%q, %q, %q) found nothing", kk.client, kk.group, kk.filter)
				}
				if x.Unsubscribe(kk.client, kk.group, kk.filter) {
					t.Fatalf("Unsubscribe(%q, %q, %q) twice found it twice", kk.client, kk.group, kk.filter)
				}
				delete(model, kk)
			}
			if x.Len() != len(model) {
				t.Fatalf("Len() = %d after unsubscribing, want %d", x.Len(), len(model))
			}
			if pass == 0 {
				x.Match(name, publisher, &r)
				checkResult(t, &r, model2slice(model), name, publisher)
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
	wantGroups := map[[2]string][]topic.Subscription{} // (group, filter) -> members
	for _, s := range subs {
		if !topic.Match(s.Filter, name) {
			continue
		}
		if s.Group != "" {
			g := [2]string{s.Group, s.Filter}
			wantGroups[g] = append(wantGroups[g], s)
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
		for _, s := range g.Members {
			if s.Group != g.Group || s.Filter != g.Filter {
				t.Fatalf("Match(%q): group %q/%q holds member %+v", name, g.Group, g.Filter, s)
			}
		}
		got := slices.Clone(g.Members)
		byClient := func(a, b topic.Subscription) int { return strings.Compare(a.Client, b.Client) }
		slices.SortFunc(got, byClient)
		slices.SortFunc(members, byClient)
		if !slices.Equal(got, members) {
			t.Fatalf("Match(%q): group %q/%q members\n%+v\nwant\n%+v", name, g.Group, g.Filter, got, members)
		}
		delete(wantGroups, [2]string{g.Group, g.Filter})
	}
}

// FuzzTopicValidate: ValidateName, ValidateFilter and ParseShared agree
// with an independent reference of the topic rules (topicref_test.go) on
// every input, each input checked both as a name and as a filter: valid
// exactly when the reference finds no broken rule, and otherwise an
// *mqtt.Error of the right code (TopicNameInvalid or TopicFilterInvalid)
// naming one of the rules the reference finds broken; the same for
// "$share/" followed by each input. ParseShared reports
// "$share/" exactly by prefix and splits a valid shared filter into
// (group, inner) with "$share/"+group+"/"+inner == filter, as the
// reference does. On UTF-8 topic agrees with packet.ValidString. For a
// valid name: "#" matches it unless it starts with '$'; unless it starts
// with "$share/" it is a valid filter matching itself; and topic.Match
// agrees with a naive split-based matcher on the filter (or the inner
// filter of a valid shared one) and on filters built from the name to
// match it (a level replaced by '+', a prefix followed by '#').
func FuzzTopicValidate(f *testing.F) {
	f.Fuzz(func(t *testing.T, filter, name string) {
		nameErr := topic.ValidateName(name)
		filterErr := topic.ValidateFilter(filter)
		checkTopicErr(t, "ValidateName", name, nameErr, mqtt.TopicNameInvalid, refNameRules(name))
		checkTopicErr(t, "ValidateFilter", filter, filterErr, mqtt.TopicFilterInvalid, refFilterRules(filter))
		// Each input under the other rule set too.
		checkTopicErr(t, "ValidateName", filter, topic.ValidateName(filter), mqtt.TopicNameInvalid, refNameRules(filter))
		checkTopicErr(t, "ValidateFilter", name, topic.ValidateFilter(name), mqtt.TopicFilterInvalid, refFilterRules(name))
		inner := checkParseShared(t, filter)
		checkParseShared(t, name)
		// Each input as the rest of a shared filter, so that the shared
		// rules see inputs the fuzzer need not prefix with "$share/".
		for _, s := range []string{filter, name} {
			sh := "$share/" + s
			checkTopicErr(t, "ValidateFilter", sh, topic.ValidateFilter(sh), mqtt.TopicFilterInvalid, refFilterRules(sh))
			checkParseShared(t, sh)
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
		filters := append([]string{filter, inner}, refFiltersFor(name, 8)...)
		for _, fl := range filters {
			// Ordinary valid filters only: Match takes the inner filter of
			// a shared one.
			if strings.HasPrefix(fl, "$share/") || len(refStringRules(fl)) > 0 || len(refLevelRules(fl)) > 0 {
				continue
			}
			if got, want := topic.Match(fl, name), refMatch(fl, name); got != want {
				t.Fatalf("Match(%q, %q) = %v, reference says %v", fl, name, got, want)
			}
		}
	})
}

// checkTopicErr fails unless err, from fn(s), agrees with the reference:
// nil exactly when no rule is broken, otherwise a local *mqtt.Error with
// the given code, a reason, and a rule among those broken.
func checkTopicErr(t *testing.T, fn, s string, err error, code mqtt.ReasonCode, broken []string) {
	t.Helper()
	if (err == nil) != (len(broken) == 0) {
		if err == nil {
			t.Fatalf("%s(%q) = nil, but the reference finds %v broken", fn, s, broken)
		}
		t.Fatalf("%s(%q) = %v, but the reference finds it valid", fn, s, err)
	}
	if err == nil {
		return
	}
	var e *mqtt.Error
	if !errors.As(err, &e) {
		t.Fatalf("%s(%q): error %T %v is not an *mqtt.Error", fn, s, err, err)
	}
	if e.Code != code || e.Remote || e.Reason == "" {
		t.Fatalf("%s(%q): error %+v, want code %v, local, with a reason", fn, s, *e, code)
	}
	if !slices.Contains(broken, e.Rule) {
		t.Fatalf("%s(%q): error names rule %q, the reference finds %v broken", fn, s, e.Rule, broken)
	}
}

// checkParseShared checks ParseShared(s) against the reference and
// returns the inner filter of a valid shared filter ("" otherwise).
func checkParseShared(t *testing.T, s string) string {
	t.Helper()
	group, inner, ok, err := topic.ParseShared(s)
	if ok != strings.HasPrefix(s, "$share/") {
		t.Fatalf("ParseShared(%q): ok = %v", s, ok)
	}
	if !ok {
		if group != "" || inner != "" || err != nil {
			t.Fatalf("ParseShared(%q) of an ordinary filter = %q, %q, %v", s, group, inner, err)
		}
		return ""
	}
	checkTopicErr(t, "ParseShared", s, err, mqtt.TopicFilterInvalid, refFilterRules(s))
	if err != nil {
		if group != "" || inner != "" {
			t.Fatalf("ParseShared(%q) failed (%v) but returned %q, %q", s, err, group, inner)
		}
		return ""
	}
	wg, wi, _ := refShared(s)
	if group != wg || inner != wi || "$share/"+group+"/"+inner != s {
		t.Fatalf("ParseShared(%q) = %q, %q; want %q, %q", s, group, inner, wg, wi)
	}
	return inner
}

// FuzzTopicTree: a topic.Tree behaves like a map from names to values
// whose Match is topic.Match over the keys. names holds entries separated
// by NUL; entry i is Set(entry, i) when it is a valid name (others are
// skipped), or, when its first byte is 0xFF, Delete of the rest (valid or
// not). Set and Delete report what the map model says, Get and Len agree
// with it (invalid and deleted names are absent). Tree.Match, for filter
// (the inner one of a valid shared filter) and for filters built from the
// stored names, yields every stored name topic.Match accepts, once, with
// its value, and nothing else; a walk whose fn returns false after j
// calls (j from the input) makes exactly j calls. After everything is
// deleted the tree is empty and matches nothing.
func FuzzTopicTree(f *testing.F) {
	f.Fuzz(func(t *testing.T, names, filter string) {
		tr := topic.NewTree[int]()
		model := map[string]int{}
		var probes []string // every name mentioned, for Get
		for i, raw := range strings.Split(names, "\x00") {
			del := strings.HasPrefix(raw, "\xff")
			if del {
				raw = raw[1:]
			}
			probes = append(probes, raw)
			_, had := model[raw]
			if del {
				if got := tr.Delete(raw); got != had {
					t.Fatalf("Delete(%q) = %v, want %v", raw, got, had)
				}
				delete(model, raw)
				continue
			}
			if topic.ValidateName(raw) != nil {
				continue
			}
			if got := tr.Set(raw, i); got != had {
				t.Fatalf("Set(%q) = %v, want %v", raw, got, had)
			}
			model[raw] = i
		}
		checkTree(t, tr, model, probes)

		filters := []string{filter, "#", "+", "+/#", "+/+"}
		if g, inner, ok, err := topic.ParseShared(filter); ok && err == nil && g != "" {
			filters = append(filters, inner)
		}
		built := 0
		for _, p := range probes {
			if _, ok := model[p]; ok && built < 3 {
				filters = append(filters, refFiltersFor(p, 4)...)
				built++
			}
		}
		for _, fl := range filters {
			if strings.HasPrefix(fl, "$share/") || topic.ValidateFilter(fl) != nil {
				continue
			}
			checkTreeMatch(t, tr, model, fl, len(names)+len(filter))
		}

		for n := range model {
			if !tr.Delete(n) {
				t.Fatalf("Delete(%q) of a stored name = false", n)
			}
			if tr.Delete(n) {
				t.Fatalf("Delete(%q) twice = true twice", n)
			}
			delete(model, n)
		}
		checkTree(t, tr, model, probes)
		for _, fl := range filters[:2] {
			if topic.ValidateFilter(fl) == nil && !strings.HasPrefix(fl, "$share/") {
				tr.Match(fl, func(n string, v int) bool {
					t.Errorf("empty tree: Match(%q) yields %q=%d", fl, n, v)
					return true
				})
			}
		}
	})
}

// checkTree checks Len and Get against the model, for the stored names
// and every other name in probes.
func checkTree(t *testing.T, tr *topic.Tree[int], model map[string]int, probes []string) {
	t.Helper()
	if tr.Len() != len(model) {
		t.Fatalf("Len() = %d, want %d", tr.Len(), len(model))
	}
	for _, p := range probes {
		want, wok := model[p]
		if got, ok := tr.Get(p); ok != wok || got != want {
			t.Fatalf("Get(%q) = %d, %v; want %d, %v", p, got, ok, want, wok)
		}
	}
}

// checkTreeMatch compares tr.Match(filter) with topic.Match over the
// model, then checks that a walk stopped after j calls (1 <= j <= the
// number of matches, j from seed) makes exactly j.
func checkTreeMatch(t *testing.T, tr *topic.Tree[int], model map[string]int, filter string, seed int) {
	t.Helper()
	want := map[string]int{}
	for n, v := range model {
		if topic.Match(filter, n) {
			want[n] = v
		}
	}
	got := map[string]int{}
	var dups []string
	tr.Match(filter, func(n string, v int) bool {
		if _, dup := got[n]; dup {
			dups = append(dups, n)
		}
		got[n] = v
		return true
	})
	if len(dups) > 0 {
		t.Fatalf("Match(%q) yields %q more than once", filter, dups)
	}
	if !maps.Equal(got, want) {
		t.Fatalf("Match(%q) yields\n%v\ntopic.Match over the stored names gives\n%v", filter, got, want)
	}
	if len(want) == 0 {
		return
	}
	j := 1 + seed%len(want)
	calls := 0
	tr.Match(filter, func(n string, v int) bool {
		calls++
		if w, ok := want[n]; !ok || w != v {
			t.Errorf("Match(%q) stopped early yields %q=%d, not a match", filter, n, v)
		}
		return calls < j
	})
	if calls != j {
		t.Fatalf("Match(%q): fn returned false on call %d, but the walk made %d calls", filter, j, calls)
	}
}
