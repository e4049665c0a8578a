package topic

import (
	"hash/maphash"
	"math/bits"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/mqttx/mqttx/mqtt"
)

// Subscription is one subscription held by an [Index]. Its key is
// (Client, Group, Filter).
type Subscription struct {
	Client            string   // subscriber identity (client identifier)
	Filter            string   // the filter as matched; for a shared subscription the inner filter, without "$share/{group}/"
	Group             string   // share group name; "" for an ordinary subscription
	QoS               mqtt.QoS // maximum QoS granted
	NoLocal           bool
	RetainAsPublished bool
	RetainHandling    byte
	ID                uint32 // subscription identifier, 0 for none
}

// Index holds the subscriptions of a broker and finds those matching a
// topic name. The zero value is an empty Index ready to use, as is the one
// [NewIndex] returns. An Index must not be copied after first use.
//
// The Index does not list a client's subscriptions: the session keeps its
// own list and calls Unsubscribe for each when it ends (see the package
// documentation).
//
// Concurrency rules:
//
//   - Match and Len take no lock and never wait; any number of goroutines
//     may call them while writers run.
//   - Subscribe and Unsubscribe are serialized by Index.mu, the only lock
//     here. Nothing is called while holding it, so it sits at the bottom of
//     any lock order: callers may hold their own locks when calling in, and
//     no callback runs under it.
//   - Everything a reader can reach is immutable once published, except
//     the two atomic pointers of each trie node (its children and its
//     subscriptions). A writer builds a changed copy and publishes it with
//     one atomic store, so a reader sees each subscription wholly before
//     or wholly after a change, never half of it. One Match may see some
//     changes that run concurrently with it and not others.
//   - A node unlinked by Unsubscribe is never written again; a reader still
//     standing on it finishes against the state it had.
//   - Once it holds cacheMinSubs subscriptions, an Index keeps a bounded
//     cache of recent match results (about 120 KB; see cache.go), which
//     readers fill and read without locks. Every Subscribe, and every
//     Unsubscribe that removes something, bumps the generation counter gen
//     after its last change, which makes every cached result stale, so a
//     Match that starts after a change has returned sees the change.
//     Stale results keep the entries and groups they point to alive until
//     their slot is reused.
//   - seed and hf are set once, by the first Subscribe (or NewIndex),
//     before any node is published. A reader uses them only after it has
//     loaded a node from root.next: that atomic load orders it after their
//     writes, and a reader that finds root.next nil matches nothing and
//     needs no hash. So a zero Index needs no other synchronization.
type Index struct {
	root  node
	seed  maphash.Seed               // hashes level strings in the children tables; see init
	hf    hashFn                     // maphash.String with seed; see init
	count atomic.Int64               // number of subscriptions
	gen   atomic.Uint64              // bumped after every change, for the match cache
	cache atomic.Pointer[matchCache] // nil until the Index is large enough; see cache.go

	mu       sync.Mutex          // serializes writers; guards the fields below
	strs     map[string]interned // interned level strings
	strsPeak int                 // largest len(strs) since the map was last rebuilt
	nodes    int                 // trie nodes below the root
	path     []*node             // scratch for Unsubscribe
}

// node is one level of the trie. level is its key among its parent's
// literal children ("+" or "#" for the wildcard children).
type node struct {
	level string
	next  atomic.Pointer[branch] // children; nil when there are none
	subs  atomic.Pointer[leaf]   // subscriptions whose filter ends here; nil when none
}

func (n *node) key() string { return n.level }

// branch is the immutable set of a node's children.
type branch struct {
	plus *node // the '+' child
	hash *node // the '#' child; it has subscriptions only, never children
	kids table[*node]
}

func (b *branch) empty() bool { return b.plus == nil && b.hash == nil && b.kids.n == 0 }

// leaf is the immutable set of subscriptions ending at a node. Ordinary
// subscriptions are one entry per client: a slice while there are few,
// a table in x once there are more than leafFlatMax, so that a filter with
// a million subscribers costs O(log n) per change rather than a copy of
// the whole list.
type leaf struct {
	subs []entry
	x    *leafExtra // nil when there are no shared subscriptions and no table
}

type leafExtra struct {
	big    table[*entry] // ordinary subscriptions, when subs is not used
	groups []group       // shared subscriptions, one per group name
}

type group struct {
	name    string
	members []Subscription // Filter is the same string in every member
}

const (
	leafFlatMax = 32 // most entries a leaf keeps in its slice
	leafFlatMin = 16 // a table shrinking to this many goes back to a slice
)

// entry is an ordinary subscription as a leaf stores it; the filter is
// implied by the node and the group is empty.
type entry struct {
	client string
	h      uint64 // the client's hash under the index's seed, for Result's dedupe
	id     uint32
	qos    mqtt.QoS
	flags  uint8 // flagNoLocal | flagRAP | RetainHandling<<2
}

func (e *entry) key() string { return e.client }

const (
	flagNoLocal = 1 << 0
	flagRAP     = 1 << 1
)

type interned struct {
	s    string
	refs int32
}

// NewIndex returns an empty Index. It is the same as new(Index), except
// that the hash seed is chosen now rather than on the first Subscribe.
func NewIndex() *Index {
	x := new(Index)
	x.init()
	return x
}

// init sets up the hashing and the interning map of an Index that has
// none yet (a zero Index). Writers only, with x.mu held (or before x is
// shared). It must run before the first node is published: readers rely
// on that order (see the concurrency rules on [Index]).
func (x *Index) init() {
	if x.hf != nil {
		return
	}
	x.seed = maphash.MakeSeed()
	seed := x.seed
	x.hf = func(s string) uint64 { return maphash.String(seed, s) }
	x.strs = make(map[string]interned)
}

// Len returns the number of subscriptions.
func (x *Index) Len() int { return int(x.count.Load()) }

// Subscribe adds s, or replaces the options of the subscription with the
// same (Client, Group, Filter), in which case it reports true.
//
// s.Filter must be valid (see [ValidateFilter]) and, for a shared
// subscription, be the inner filter with the group in s.Group. Subscribe
// does not check it; an invalid filter is stored but may match
// nothing.
func (x *Index) Subscribe(s Subscription) (existed bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.init() // a zero Index gets its seed before its first node
	n := &x.root
	for f := s.Filter; ; {
		i := strings.IndexByte(f, '/')
		if i < 0 {
			n = x.child(n, f)
			break
		}
		n = x.child(n, f[:i])
		f = f[i+1:]
	}
	existed = x.addSub(n, s)
	if !existed {
		x.count.Add(1)
	}
	// After the last change: a cached result from before it is stale.
	x.gen.Add(1)
	if x.cache.Load() == nil && x.count.Load() >= cacheMinSubs {
		x.cache.Store(newMatchCache(x.hf("\x00match cache")))
	}
	return existed
}

// Unsubscribe removes the subscription with key (client, group, filter),
// reporting whether there was one. Nodes left without subscriptions or
// children are unlinked so their memory can be reclaimed.
func (x *Index) Unsubscribe(client, group, filter string) (existed bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	// An Index that has never had a subscription has no nodes: the walk
	// below stops at the root without hashing, so it needs no init.
	path := append(x.path[:0], &x.root)
	defer func() {
		clear(path)
		x.path = path[:0]
	}()
	n := &x.root
	for f := filter; ; {
		i := strings.IndexByte(f, '/')
		lvl := f
		if i >= 0 {
			lvl = f[:i]
		}
		if n = x.lookup(n, lvl); n == nil {
			return false
		}
		path = append(path, n)
		if i < 0 {
			break
		}
		f = f[i+1:]
	}
	if !x.delSub(n, client, group) {
		return false
	}
	x.count.Add(-1)
	x.prune(path)
	x.gen.Add(1) // after the last change, as in Subscribe
	return true
}

// lookup returns n's child for level, or nil. Writers only.
func (x *Index) lookup(n *node, level string) *node {
	b := n.next.Load()
	if b == nil {
		return nil
	}
	switch level {
	case "+":
		return b.plus
	case "#":
		return b.hash
	}
	return b.find(level, x.seed, nil)
}

// find returns the literal child for level, or nil. The level's hash is
// computed only when the children are hashed, and cached in lv if set.
func (b *branch) find(level string, seed maphash.Seed, lv *level) *node {
	if b.kids.flat() {
		for _, s := range b.kids.e {
			if s.v.level == level {
				return s.v
			}
		}
		return nil
	}
	var h uint64
	if lv == nil {
		h = maphash.String(seed, level)
	} else {
		if !lv.hashed {
			lv.h, lv.hashed = maphash.String(seed, level), true
		}
		h = lv.h
	}
	return findHashed(&b.kids, level, h)
}

// child returns n's child for level, adding it when missing. Writers only.
func (x *Index) child(n *node, level string) *node {
	if c := x.lookup(n, level); c != nil {
		return c
	}
	var nb branch
	if b := n.next.Load(); b != nil {
		nb = *b
	}
	c := new(node)
	switch level {
	case "+":
		c.level, nb.plus = "+", c
	case "#":
		c.level, nb.hash = "#", c
	default:
		c.level = x.intern(level)
		nb.kids, _ = nb.kids.put(c, x.hf)
	}
	x.nodes++
	n.next.Store(newBranch(nb))
	return c
}

// prune unlinks the empty nodes at the end of path (root first), deepest
// first, stopping at the first node still in use. Writers only.
func (x *Index) prune(path []*node) {
	for i := len(path) - 1; i > 0; i-- {
		c := path[i]
		if c.subs.Load() != nil || c.next.Load() != nil {
			return
		}
		p := path[i-1]
		b := *p.next.Load()
		switch c {
		case b.plus:
			b.plus = nil
		case b.hash:
			b.hash = nil
		default:
			b.kids, _ = b.kids.del(c.level, x.hf)
			x.release(c.level)
		}
		x.nodes--
		if b.empty() {
			p.next.Store(nil)
		} else {
			p.next.Store(newBranch(b))
		}
	}
}

// addSub stores s in n's leaf, reporting whether it replaced one.
func (x *Index) addSub(n *node, s Subscription) (existed bool) {
	var l leaf
	if old := n.subs.Load(); old != nil {
		l = *old
	}
	var ex leafExtra
	if l.x != nil {
		ex = *l.x
	}
	if s.Group == "" {
		e := entry{client: s.Client, h: x.hf(s.Client), id: s.ID, qos: s.QoS, flags: s.RetainHandling << 2}
		if s.NoLocal {
			e.flags |= flagNoLocal
		}
		if s.RetainAsPublished {
			e.flags |= flagRAP
		}
		switch i := findEntry(l.subs, s.Client); {
		case ex.big.n > 0:
			ex.big, existed = ex.big.put(&e, x.hf)
		case i >= 0:
			l.subs = clone(l.subs, 0)
			l.subs[i] = e
			existed = true
		case len(l.subs) < leafFlatMax:
			l.subs = clone(l.subs, 1)
			l.subs[len(l.subs)-1] = e
		default: // move the slice into a table
			for i := range l.subs {
				c := l.subs[i]
				ex.big, _ = ex.big.put(&c, x.hf)
			}
			ex.big, _ = ex.big.put(&e, x.hf)
			l.subs = nil
		}
	} else {
		if len(ex.groups) > 0 {
			s.Filter = ex.groups[0].members[0].Filter // one copy of the filter per leaf
		}
		gi := findGroup(ex.groups, s.Group)
		if gi < 0 {
			ex.groups = clone(ex.groups, 1)
			ex.groups[len(ex.groups)-1] = group{name: s.Group, members: []Subscription{s}}
		} else {
			g := ex.groups[gi]
			if mi := findMember(g.members, s.Client); mi >= 0 {
				g.members = clone(g.members, 0)
				g.members[mi] = s
				existed = true
			} else {
				g.members = clone(g.members, 1)
				g.members[len(g.members)-1] = s
			}
			ex.groups = clone(ex.groups, 0)
			ex.groups[gi] = g
		}
	}
	n.subs.Store(l.with(ex))
	return existed
}

// delSub removes a subscription from n's leaf, reporting whether it was
// there.
func (x *Index) delSub(n *node, client, grp string) bool {
	old := n.subs.Load()
	if old == nil {
		return false
	}
	l := *old
	var ex leafExtra
	if l.x != nil {
		ex = *l.x
	}
	if grp == "" {
		if ex.big.n > 0 {
			var ok bool
			if ex.big, ok = ex.big.del(client, x.hf); !ok {
				return false
			}
			if ex.big.n <= leafFlatMin {
				l.subs = make([]entry, 0, ex.big.n)
				ex.big.each(func(e *entry) bool { l.subs = append(l.subs, *e); return true })
				ex.big = table[*entry]{}
			}
		} else {
			i := findEntry(l.subs, client)
			if i < 0 {
				return false
			}
			l.subs = removeAt(l.subs, i)
		}
	} else {
		gi := findGroup(ex.groups, grp)
		if gi < 0 {
			return false
		}
		g := ex.groups[gi]
		mi := findMember(g.members, client)
		if mi < 0 {
			return false
		}
		if g.members = removeAt(g.members, mi); g.members == nil {
			ex.groups = removeAt(ex.groups, gi)
		} else {
			ex.groups = clone(ex.groups, 0)
			ex.groups[gi] = g
		}
	}
	n.subs.Store(l.with(ex))
	return true
}

// with returns a new leaf made of l's slice and ex, or nil when both are
// empty.
func (l leaf) with(ex leafExtra) *leaf {
	if ex.big.n == 0 && len(ex.groups) == 0 {
		l.x = nil
	} else {
		l.x = &ex
	}
	switch len(l.subs) {
	case 0:
		if l.x == nil {
			return nil
		}
	case 1: // most filters have one subscriber: one allocation, one cache miss
		p := new(struct {
			l leaf
			a [1]entry
		})
		p.a[0] = l.subs[0]
		p.l = leaf{subs: p.a[:1:1], x: l.x}
		return &p.l
	}
	return &l
}

// newBranch returns a heap copy of b. A few literal children are stored
// in the same allocation, which saves a reader a cache miss per node.
func newBranch(b branch) *branch {
	if !b.kids.flat() || len(b.kids.e) == 0 || len(b.kids.e) > 2 {
		p := new(branch)
		*p = b
		return p
	}
	if len(b.kids.e) == 1 {
		p := new(struct {
			b branch
			a [1]slot[*node]
		})
		return fillBranch(&p.b, b, p.a[:])
	}
	p := new(struct {
		b branch
		a [2]slot[*node]
	})
	return fillBranch(&p.b, b, p.a[:])
}

// fillBranch sets *dst to b with its children's slots copied into a.
func fillBranch(dst *branch, b branch, a []slot[*node]) *branch {
	copy(a, b.kids.e)
	*dst = b
	dst.kids.e = a
	return dst
}

func findEntry(s []entry, client string) int {
	for i := range s {
		if s[i].client == client {
			return i
		}
	}
	return -1
}

func findGroup(gs []group, name string) int {
	for i := range gs {
		if gs[i].name == name {
			return i
		}
	}
	return -1
}

func findMember(ms []Subscription, client string) int {
	for i := range ms {
		if ms[i].Client == client {
			return i
		}
	}
	return -1
}

// intern returns the index's copy of a level string, so that a level
// repeated under many parents (like "temp" in "site/{n}/dev/{m}/temp") is
// stored once. Each call counts a reference that release drops.
func (x *Index) intern(s string) string {
	if v, ok := x.strs[s]; ok {
		v.refs++
		x.strs[s] = v
		return v.s
	}
	c := strings.Clone(s)
	x.strs[c] = interned{s: c, refs: 1}
	x.strsPeak = max(x.strsPeak, len(x.strs))
	return c
}

func (x *Index) release(s string) {
	v := x.strs[s]
	if v.refs--; v.refs > 0 {
		x.strs[s] = v
		return
	}
	delete(x.strs, s)
	// Go maps keep their size after deletes: rebuild once most entries
	// are gone so the memory returns.
	if x.strsPeak >= 1024 && len(x.strs) < x.strsPeak/4 {
		m := make(map[string]interned, len(x.strs))
		for k, v := range x.strs {
			m[k] = v
		}
		x.strs, x.strsPeak = m, len(m)
	}
}

// nodeCount returns the number of trie nodes below the root (for tests).
func (x *Index) nodeCount() int {
	x.mu.Lock()
	defer x.mu.Unlock()
	return x.nodes
}

// Match finds the subscriptions matching the topic name, which must be a
// valid name (see [ValidateName]), for a message sent by the client
// publisher ("" when the message does not come from a client). It resets
// r and fills it: ordinary subscriptions merged per client, shared ones
// per group. The publisher's own subscriptions with No Local are left out,
// so they neither deliver the message nor raise its QoS or add their
// identifiers [MQTT-3.8.3-3]. It takes no lock and allocates nothing once
// r's buffers have grown.
func (x *Index) Match(name, publisher string, r *Result) {
	var k cacheKey
	c := x.cache.Load()
	if c == nil || name == "" || !c.key(&k, name, publisher) {
		x.match(name, publisher, r)
		return
	}
	// The generation is read before the walk: a result computed while a
	// change runs is tagged with the generation before it, which the
	// change's end makes stale.
	gen := x.gen.Load()
	r.clear()
	if c.get(&k, gen, r) {
		return
	}
	x.match(name, publisher, r)
	c.put(&k, gen, r)
}

// match is Match without the cache.
func (x *Index) match(name, publisher string, r *Result) {
	r.reset(name)
	r.publisher, r.pubHash = publisher, 0
	// Load the root's children before touching x.hf: an Index with none
	// matches nothing, and one with some has its hash set up (a zero
	// Index gets it on the first Subscribe, before the first node).
	if len(r.lv) > 0 && x.root.next.Load() != nil {
		if publisher != "" {
			r.pubHash = x.hf(publisher)
		}
		x.walk(r, &x.root, 0)
	}
	r.finish()
}

// walk follows n's children that match level i of the name.
func (x *Index) walk(r *Result, n *node, i int) {
	b := n.next.Load()
	if b == nil {
		return
	}
	// Wildcards in the first level do not match names starting with '$'.
	if i > 0 || !r.dollar { // [MQTT-4.7.2-1]
		if b.hash != nil {
			r.collect(b.hash.subs.Load())
		}
		if b.plus != nil {
			x.step(r, b.plus, i)
		}
	}
	if b.kids.n == 0 {
		return
	}
	lv := &r.lv[i]
	c := b.find(r.name[lv.start:lv.end], x.seed, lv)
	if c != nil {
		x.step(r, c, i)
	}
}

// step continues at c, which matched level i of the name.
func (x *Index) step(r *Result, c *node, i int) {
	if i+1 < len(r.lv) {
		x.walk(r, c, i+1)
		return
	}
	r.collect(c.subs.Load())
	// "a/#" also matches "a".
	if b := c.next.Load(); b != nil && b.hash != nil {
		r.collect(b.hash.subs.Load())
	}
}

// findHashed is table.get for a hashed table of nodes, written out so the
// key comparison is a direct field access on the hot path.
func findHashed(t *table[*node], k string, h uint64) *node {
	bitmap, e := t.bitmap, t.e
	for shift := uint(0); ; shift += tBits {
		if shift >= tMaxShift {
			for _, s := range e {
				if s.v.level == k {
					return s.v
				}
			}
			return nil
		}
		bit := uint32(1) << (h >> shift & tMask)
		if bitmap&bit == 0 {
			return nil
		}
		s := &e[bits.OnesCount32(bitmap&(bit-1))]
		if s.t == nil {
			if s.v.level == k {
				return s.v
			}
			return nil
		}
		bitmap, e = s.t.bitmap, s.t.e
	}
}
