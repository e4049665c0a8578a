package topic

import (
	"math/bits"
	"strings"

	"github.com/mqttx/mqttx/mqtt"
)

// Result receives the subscriptions [Index.Match] finds. Reuse one Result
// across calls (one per goroutine): its buffers grow to the largest match
// seen and are then reused, so matching allocates nothing. The zero value
// is ready to use.
//
// Ordinary subscriptions are merged per client into a [Delivery], since a
// client gets one copy of a message however many of its subscriptions
// match. Shared subscriptions are listed apart, one [SharedMatch] per
// matching (group, filter) pair, for the caller to pick a member.
type Result struct {
	ds      []delivery
	ids     []uint32
	pending []pendingID
	groups  []SharedMatch
	gs      []*group // the groups behind groups, for the match cache

	name      string
	publisher string // the sending client, whose No Local subscriptions are skipped
	pubHash   uint64
	lv        []level // levels of name
	dollar    bool    // name starts with '$'

	// Clients are found in ds by a linear scan while there are at most
	// linearMax of them, then through an open-addressing table of ds
	// indexes plus one (0 is empty).
	hashing bool
	table   []int32 // probed by the clients' hashes (entry.h)
	// While scanning, bit h%64 is set for every client hash h in ds: a
	// client whose bit is clear is new without a scan, which is most of
	// them.
	seen uint64
}

// Delivery is what one client gets: the merge of its matching ordinary
// subscriptions.
type Delivery struct {
	Client string
	// QoS is the highest QoS granted among the client's matching
	// subscriptions.
	QoS mqtt.QoS
	// RetainAsPublished is true when any matching subscription has it: a
	// single copy goes to the client, and it keeps the RETAIN flag as
	// published when any of its subscriptions asks for that.
	RetainAsPublished bool
	// IDs holds the non-zero subscription identifiers of all the client's
	// matching subscriptions, in no particular order (one per
	// subscription, so a value repeats when two subscriptions share it).
	// It aliases the Result's buffer and is valid until the next Match.
	IDs []uint32
}

// SharedMatch is a shared subscription group whose filter matched.
type SharedMatch struct {
	Group  string
	Filter string // the inner filter, without "$share/{group}/"
	// Members are every subscription of the group on Filter; the caller
	// picks one. The slice belongs to the Index and must not be modified;
	// it stays valid (unchanged) after the Index changes.
	Members []Subscription
}

type delivery struct {
	client   string
	h        uint64 // the client's hash (entry.h)
	e        *entry // the client's first matching entry, for the match cache
	qos      mqtt.QoS
	rap      bool
	start, n int32 // the client's IDs are ids[start:start+n]
	fill     int32
}

type pendingID struct {
	d  int32 // index in ds
	id uint32
}

type level struct {
	start, end int32
	hashed     bool
	h          uint64
}

const linearMax = 16

// Len returns the number of clients with matching ordinary subscriptions.
func (r *Result) Len() int { return len(r.ds) }

// At returns the i-th client's delivery, 0 <= i < Len().
func (r *Result) At(i int) Delivery {
	d := &r.ds[i]
	var ids []uint32
	if d.n > 0 {
		ids = r.ids[d.start : d.start+d.n : d.start+d.n]
	}
	return Delivery{Client: d.client, QoS: d.qos, RetainAsPublished: d.rap, IDs: ids}
}

// Groups returns the number of matching shared (group, filter) pairs.
func (r *Result) Groups() int { return len(r.groups) }

// Group returns the i-th matching shared group, 0 <= i < Groups().
func (r *Result) Group(i int) SharedMatch { return r.groups[i] }

// clear empties r.
func (r *Result) clear() {
	r.ds = r.ds[:0]
	r.ids = r.ids[:0]
	r.pending = r.pending[:0]
	if len(r.groups) > 0 {
		clear(r.groups) // drop references to index data
		r.groups = r.groups[:0]
		clear(r.gs)
		r.gs = r.gs[:0]
	}
	r.hashing = false
	r.seen = 0
}

// reset empties r and splits name into its levels.
func (r *Result) reset(name string) {
	r.clear()
	r.name = name
	r.dollar = name != "" && name[0] == '$'
	r.lv = r.lv[:0]
	if name == "" {
		return
	}
	for start := 0; ; {
		i := strings.IndexByte(name[start:], '/')
		if i < 0 {
			r.lv = append(r.lv, level{start: int32(start), end: int32(len(name))})
			return
		}
		r.lv = append(r.lv, level{start: int32(start), end: int32(start + i)})
		start += i + 1
	}
}

// collect adds the subscriptions of l.
func (r *Result) collect(l *leaf) {
	if l == nil {
		return
	}
	for i := range l.subs {
		r.add(&l.subs[i])
	}
	if l.x == nil {
		return
	}
	if l.x.big.n > 0 {
		r.addTable(&l.x.big)
	}
	for i := range l.x.groups {
		g := &l.x.groups[i]
		r.groups = append(r.groups, SharedMatch{Group: g.name, Filter: g.members[0].Filter, Members: g.members})
		r.gs = append(r.gs, g)
	}
}

func (r *Result) addTable(t *table[*entry]) {
	for i := range t.e {
		if s := &t.e[i]; s.t != nil {
			r.addTable(s.t)
		} else {
			r.add(s.v)
		}
	}
}

// add merges one ordinary subscription into its client's delivery.
func (r *Result) add(e *entry) {
	if e.flags&flagNoLocal != 0 && e.h == r.pubHash && r.publisher != "" && e.client == r.publisher {
		return // [MQTT-3.8.3-3]
	}
	i, fresh := r.find(e.client, e.h)
	d := &r.ds[i]
	rap := e.flags&flagRAP != 0
	if fresh {
		d.e, d.qos, d.rap, d.n = e, e.qos, rap, 0
	} else {
		d.qos = max(d.qos, e.qos)
		d.rap = d.rap || rap
	}
	if e.id != 0 {
		r.pending = append(r.pending, pendingID{d: int32(i), id: e.id})
		d.n++
	}
}

// find returns the index in ds of client's delivery, appending a new one
// (fresh) when there is none.
//
// h is the client's hash, computed once when it subscribed: clients are
// told apart by it first and compared byte by byte only when it is equal.
func (r *Result) find(client string, h uint64) (i int, fresh bool) {
	if !r.hashing {
		if bit := uint64(1) << (h & 63); r.seen&bit == 0 {
			r.seen |= bit
		} else {
			for i := range r.ds {
				if r.ds[i].h == h && r.ds[i].client == client {
					return i, false
				}
			}
		}
		r.ds = append(r.ds, delivery{client: client, h: h})
		if len(r.ds) > linearMax {
			r.rehash(4 * linearMax)
		}
		return len(r.ds) - 1, true
	}
	if 2*(len(r.ds)+1) > len(r.table) {
		r.rehash(2 * len(r.table))
	}
	mask := uint64(len(r.table) - 1)
	for p := h & mask; ; p = (p + 1) & mask {
		v := r.table[p]
		if v == 0 {
			r.ds = append(r.ds, delivery{client: client, h: h})
			r.table[p] = int32(len(r.ds))
			return len(r.ds) - 1, true
		}
		if d := &r.ds[v-1]; d.h == h && d.client == client {
			return int(v - 1), false
		}
	}
}

// rehash (re)builds the client table with size slots (a power of two).
func (r *Result) rehash(size int) {
	size = 1 << bits.Len(uint(size-1))
	if cap(r.table) >= size {
		r.table = r.table[:size]
		clear(r.table)
	} else {
		r.table = make([]int32, size)
	}
	r.hashing = true
	mask := uint64(size - 1)
	for i := range r.ds {
		p := r.ds[i].h & mask
		for r.table[p] != 0 {
			p = (p + 1) & mask
		}
		r.table[p] = int32(i + 1)
	}
}

// finish lays the collected IDs out client by client.
func (r *Result) finish() {
	r.name = ""
	if len(r.pending) == 0 {
		return
	}
	var off int32
	for i := range r.ds {
		d := &r.ds[i]
		d.start, d.fill = off, 0
		off += d.n
	}
	if cap(r.ids) < int(off) {
		r.ids = make([]uint32, off, 2*off)
	}
	r.ids = r.ids[:off]
	for _, p := range r.pending {
		d := &r.ds[p.d]
		r.ids[d.start+d.fill] = p.id
		d.fill++
	}
}
