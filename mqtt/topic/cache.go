package topic

import (
	"encoding/binary"
	"slices"
	"sync/atomic"

	"github.com/mqttx/mqttx/mqtt"
)

// The match cache remembers the results of recent matches, so that a topic
// published again and again costs a copy of its result rather than a walk
// of the trie and a merge of every matching subscription.
//
// It is a fixed array of slots, cacheWays per set, the set chosen by a
// hash of the topic name and the publisher. A slot holds one result as
// pointers to the Index's own immutable entries and groups, plus the merged options
// and the subscription identifiers; every field is a separate atomic
// word, so a reader never sees a torn pointer, and a sequence number
// (odd while a writer fills the slot) tells it whether the words it read
// belong together, as in a seqlock. A slot is tagged with the Index
// generation it was computed at; every Subscribe and Unsubscribe bumps the
// generation after its last change, so a result cached before a change is
// never used after the change has returned.
//
// Readers fill slots too, after a miss, so nothing is allocated and no
// lock taken. A key is let in on its second miss within a short time: the
// first leaves a tag of its hash in two places of seen, where keys seldom
// collide in both, so topics seen once do not evict ones seen often, and
// such a miss costs one atomic store. Results with more clients, identifiers or groups than a
// slot holds are not cached.
//
// The cache is made by the Subscribe that takes the Index to cacheMinSubs
// subscriptions: below that a walk is cheap, and a small Index does not
// pay for the slots' memory (about 120 KB).

const (
	cacheSets     = 64 // sets of cacheWays slots
	cacheWays     = 4
	cacheSeen     = 1024 // tags of keys that missed once
	cacheKeyBytes = 64   // most bytes of name and publisher together that a slot keys on
	cacheDs       = 16   // most clients in a cached result
	cacheIDs      = 32   // most subscription identifiers in a cached result
	cacheGroups   = 4    // most shared groups in a cached result
)

// cacheMinSubs is the number of subscriptions at which an Index makes its
// match cache; tests lower it.
var cacheMinSubs int64 = 1024

type matchCache struct {
	seed  uint64
	seen  [cacheSeen]atomic.Uint32            // tags of recent misses: a second miss lets a key in
	hints [cacheSets][cacheWays]atomic.Uint64 // each slot's key hash, so a miss reads one cache line, not every slot
	slots [cacheSets][cacheWays]cacheSlot
}

type cacheSlot struct {
	seq  atomic.Uint64 // even when stable, odd while a writer fills the slot
	gen  atomic.Uint64 // the Index generation the result was computed at
	hash atomic.Uint64 // the key's hash
	size atomic.Uint64 // key size (cacheKey.size) | clients<<16 | ids<<24 | groups<<32
	key  [cacheKeyBytes / 8]atomic.Uint64
	ds   [cacheDs]atomic.Pointer[entry] // one entry of each client, for its name and hash
	dm   [cacheDs]atomic.Uint32         // each client's QoS | RetainAsPublished<<2 | number of IDs<<3
	ids  [cacheIDs]atomic.Uint32        // the clients' IDs, client by client
	gs   [cacheGroups]atomic.Pointer[group]
}

// cacheKey is the topic name and the publisher packed into words.
type cacheKey struct {
	n    int    // words used in w
	size uint64 // len(name) | len(publisher)<<8
	h    uint64
	w    [cacheKeyBytes / 8]uint64
}

func newMatchCache(seed uint64) *matchCache {
	c := new(matchCache)
	c.seed = seed
	return c
}

// key packs name and publisher into k, reporting false when they are too
// long to cache.
func (c *matchCache) key(k *cacheKey, name, publisher string) bool {
	n := len(name) + len(publisher)
	if n > cacheKeyBytes {
		return false
	}
	var b [cacheKeyBytes]byte
	copy(b[:], name)
	copy(b[len(name):], publisher)
	k.n = (n + 7) / 8
	k.size = uint64(len(name)) | uint64(len(publisher))<<8
	h := c.seed ^ k.size
	for i := range k.n {
		w := binary.LittleEndian.Uint64(b[8*i:])
		k.w[i] = w
		w *= 0x9e3779b97f4a7c15
		h = (h ^ w ^ w>>31) * 0xff51afd7ed558ccd
		h ^= h >> 29
	}
	// The murmur3 finalizer: every bit of h depends on every input bit.
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	k.h = h ^ h>>33
	return true
}

// get fills r, which must be empty, from a slot holding k's result at
// generation gen, reporting whether there was one.
func (c *matchCache) get(k *cacheKey, gen uint64, r *Result) bool {
	i := k.h & (cacheSets - 1)
	hints := &c.hints[i]
	for j := range hints {
		// A hint only points the way: the slot is checked in full.
		if hints[j].Load() == k.h && c.slots[i][j].read(k, gen, r) {
			return true
		}
	}
	return false
}

func (s *cacheSlot) read(k *cacheKey, gen uint64, r *Result) bool {
	q := s.seq.Load()
	if q&1 != 0 || s.hash.Load() != k.h || s.gen.Load() != gen {
		return false
	}
	size := s.size.Load()
	if size&0xffff != k.size {
		return false
	}
	for i := range k.n {
		if s.key[i].Load() != k.w[i] {
			return false
		}
	}
	nd, nids, ng := int(size>>16&0xff), int(size>>24&0xff), int(size>>32&0xff)
	ok := true
	var off int32
	r.ds = slices.Grow(r.ds, nd)
	for i := range nd {
		e := s.ds[i].Load()
		if e == nil { // a torn read: a writer is filling the slot
			ok = false
			break
		}
		m := s.dm[i].Load()
		n := int32(m >> 3)
		r.ds = r.ds[:i+1]
		d := &r.ds[i]
		d.client, d.h, d.e = e.client, e.h, e
		d.qos, d.rap, d.start, d.n = mqtt.QoS(m&3), m&4 != 0, off, n
		off += n
	}
	r.ids = slices.Grow(r.ids, nids)[:nids]
	for i := range r.ids {
		r.ids[i] = s.ids[i].Load()
	}
	for i := range ng {
		g := s.gs[i].Load()
		if g == nil {
			ok = false
			break
		}
		r.groups = append(r.groups, SharedMatch{Group: g.name, Filter: g.members[0].Filter, Members: g.members})
	}
	if !ok || off != int32(nids) || s.seq.Load() != q {
		r.clear()
		return false
	}
	return true
}

// put stores r, just computed for k at generation gen, when k has missed
// twice in a row and r fits in a slot.
func (c *matchCache) put(k *cacheKey, gen uint64, r *Result) {
	if len(r.ds) > cacheDs || len(r.ids) > cacheIDs || len(r.gs) > cacheGroups {
		return
	}
	// The tag goes to two places, so that two keys alternating in one do
	// not keep each other out.
	tag := uint32(k.h >> 32)
	s1, s2 := &c.seen[k.h>>8&(cacheSeen-1)], &c.seen[k.h>>20&(cacheSeen-1)]
	if s1.Load() != tag && s2.Load() != tag {
		s1.Store(tag)
		s2.Store(tag)
		return
	}
	// Replace a stale (or empty) slot if there is one; otherwise the key
	// picks one.
	set := &c.slots[k.h&(cacheSets-1)]
	j := k.h >> 40 & (cacheWays - 1)
	for i := range set {
		if set[i].gen.Load() != gen {
			j = uint64(i)
			break
		}
	}
	s := &set[j]
	q := s.seq.Load()
	if q&1 != 0 || !s.seq.CompareAndSwap(q, q+1) {
		return // another goroutine is filling it
	}
	hint := &c.hints[k.h&(cacheSets-1)][j]
	hint.Store(0)
	s.gen.Store(gen)
	s.hash.Store(k.h)
	s.size.Store(k.size | uint64(len(r.ds))<<16 | uint64(len(r.ids))<<24 | uint64(len(r.gs))<<32)
	for i := range k.n {
		s.key[i].Store(k.w[i])
	}
	for i := range r.ds {
		d := &r.ds[i]
		m := uint32(d.qos) | uint32(d.n)<<3
		if d.rap {
			m |= 4
		}
		s.ds[i].Store(d.e)
		s.dm[i].Store(m)
	}
	for i, id := range r.ids {
		s.ids[i].Store(id)
	}
	for i, g := range r.gs {
		s.gs[i].Store(g)
	}
	hint.Store(k.h) // while the slot is still ours: no other writer can interleave
	s.seq.Store(q + 2)
}
