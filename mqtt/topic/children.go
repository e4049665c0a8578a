package topic

import "math/bits"

// table is an immutable set of values keyed by a string, used for the
// literal children of a trie node and for the subscribers of a busy filter.
// A change builds a new table that shares every untouched part with the old
// one, so a writer can publish it with one atomic store while readers keep
// walking the old one; a change costs O(log n) copying instead of the
// O(n) a copied map or slice would.
//
// Small sets (at most flatMax values) are a plain slice scanned in order:
// for the one or two children most nodes have, comparing strings beats
// hashing. Larger sets are a hash array mapped trie: each table level
// consumes tBits bits of the key's 64-bit hash to pick one of 32 slots,
// present slots being packed by bitmap. Once the hash bits run out
// (shift >= tMaxShift) a table is an unordered list of colliding values.
type table[T keyed] struct {
	bitmap uint32 // which of the 32 slots are present, in a hashed table
	n      int32  // number of values in the whole set; kept at the root only
	e      []slot[T]
}

// slot holds a value or, when t is set, a deeper table.
type slot[T keyed] struct {
	v T
	t *table[T]
}

// keyed values know their key.
type keyed interface {
	comparable
	key() string
}

// hashFn hashes keys; every change to one set must use the same function,
// and readers must hash with it too.
type hashFn func(string) uint64

const (
	flatMax   = 8
	tBits     = 5
	tMask     = 1<<tBits - 1
	tMaxShift = 60
)

// flat reports whether the root t is stored as a plain slice.
func (t *table[T]) flat() bool { return t.n <= flatMax }

// get finds the value with key k; h is that key's hash (unused when the set
// is flat).
func (t *table[T]) get(k string, h uint64) (v T, ok bool) {
	if t.flat() {
		for _, s := range t.e {
			if s.v.key() == k {
				return s.v, true
			}
		}
		return v, false
	}
	bitmap, e := t.bitmap, t.e
	for shift := uint(0); ; shift += tBits {
		if shift >= tMaxShift {
			for _, s := range e {
				if s.v.key() == k {
					return s.v, true
				}
			}
			return v, false
		}
		bit := uint32(1) << (h >> shift & tMask)
		if bitmap&bit == 0 {
			return v, false
		}
		s := e[bits.OnesCount32(bitmap&(bit-1))]
		if s.t == nil {
			if s.v.key() == k {
				return s.v, true
			}
			return v, false
		}
		bitmap, e = s.t.bitmap, s.t.e
	}
}

// put returns the set with v added, or with v replacing the value of the
// same key (replaced then reports true). t is not modified.
func (t table[T]) put(v T, hf hashFn) (table[T], bool) {
	k := v.key()
	if t.flat() {
		for i, s := range t.e {
			if s.v.key() == k {
				e := clone(t.e, 0)
				e[i].v = v
				return table[T]{n: t.n, e: e}, true
			}
		}
		if t.n < flatMax {
			e := clone(t.e, 1)
			e[len(t.e)].v = v
			return table[T]{n: t.n + 1, e: e}, false
		}
		// Grow into a hashed table.
		var nt table[T]
		for _, s := range t.e {
			nt, _ = nt.hput(s.v, hf(s.v.key()), 0, hf)
		}
		nt, _ = nt.hput(v, hf(k), 0, hf)
		nt.n = t.n + 1
		return nt, false
	}
	nt, replaced := t.hput(v, hf(k), 0, hf)
	nt.n = t.n
	if !replaced {
		nt.n++
	}
	return nt, replaced
}

// del returns the set without the value of key k; ok reports whether it
// was there (t is returned unchanged when not).
func (t table[T]) del(k string, hf hashFn) (table[T], bool) {
	if t.flat() {
		for i, s := range t.e {
			if s.v.key() == k {
				return table[T]{n: t.n - 1, e: removeAt(t.e, i)}, true
			}
		}
		return t, false
	}
	nt, ok := t.hdel(k, hf(k), 0)
	if !ok {
		return t, false
	}
	nt.n = t.n - 1
	if nt.n == flatMax { // shrink back to a slice
		e := make([]slot[T], 0, flatMax)
		nt.each(func(v T) bool { e = append(e, slot[T]{v: v}); return true })
		return table[T]{n: nt.n, e: e}, true
	}
	return nt, true
}

// each calls fn for every value until fn returns false; it reports whether
// every call returned true.
func (t *table[T]) each(fn func(T) bool) bool {
	for i := range t.e {
		s := &t.e[i]
		if s.t != nil {
			if !s.t.each(fn) {
				return false
			}
		} else if !fn(s.v) {
			return false
		}
	}
	return true
}

// hput is put on a hashed table at the given depth.
func (t table[T]) hput(v T, h uint64, shift uint, hf hashFn) (table[T], bool) {
	k := v.key()
	if shift >= tMaxShift {
		for i, s := range t.e {
			if s.v.key() == k {
				e := clone(t.e, 0)
				e[i].v = v
				return table[T]{e: e}, true
			}
		}
		e := clone(t.e, 1)
		e[len(t.e)].v = v
		return table[T]{e: e}, false
	}
	bit := uint32(1) << (h >> shift & tMask)
	pos := bits.OnesCount32(t.bitmap & (bit - 1))
	if t.bitmap&bit == 0 {
		e := make([]slot[T], len(t.e)+1)
		copy(e, t.e[:pos])
		e[pos].v = v
		copy(e[pos+1:], t.e[pos:])
		return table[T]{bitmap: t.bitmap | bit, e: e}, false
	}
	s := t.e[pos]
	e := clone(t.e, 0)
	var replaced bool
	switch {
	case s.t != nil:
		sub, r := s.t.hput(v, h, shift+tBits, hf)
		e[pos] = slot[T]{t: boxed(sub)}
		replaced = r
	case s.v.key() == k:
		e[pos] = slot[T]{v: v}
		replaced = true
	default: // two keys share this slot: push both one level down
		var sub table[T]
		sub, _ = sub.hput(s.v, hf(s.v.key()), shift+tBits, hf)
		sub, _ = sub.hput(v, h, shift+tBits, hf)
		e[pos] = slot[T]{t: boxed(sub)}
	}
	return table[T]{bitmap: t.bitmap, e: e}, replaced
}

// hdel is del on a hashed table at the given depth. A sub-table left with
// a single value is folded into its parent slot, so tables stay small.
func (t table[T]) hdel(k string, h uint64, shift uint) (table[T], bool) {
	if shift >= tMaxShift {
		for i, s := range t.e {
			if s.v.key() == k {
				return table[T]{e: removeAt(t.e, i)}, true
			}
		}
		return t, false
	}
	bit := uint32(1) << (h >> shift & tMask)
	if t.bitmap&bit == 0 {
		return t, false
	}
	pos := bits.OnesCount32(t.bitmap & (bit - 1))
	s := t.e[pos]
	if s.t == nil {
		if s.v.key() != k {
			return t, false
		}
		return table[T]{bitmap: t.bitmap &^ bit, e: removeAt(t.e, pos)}, true
	}
	sub, ok := s.t.hdel(k, h, shift+tBits)
	if !ok {
		return t, false
	}
	if len(sub.e) == 0 {
		return table[T]{bitmap: t.bitmap &^ bit, e: removeAt(t.e, pos)}, true
	}
	e := clone(t.e, 0)
	if len(sub.e) == 1 && sub.e[0].t == nil {
		e[pos] = sub.e[0]
	} else {
		e[pos] = slot[T]{t: boxed(sub)}
	}
	return table[T]{bitmap: t.bitmap, e: e}, true
}

// clone copies e into a new slice with room for extra more elements
// (len(e)+extra long).
func clone[S any](e []S, extra int) []S {
	c := make([]S, len(e)+extra)
	copy(c, e)
	return c
}

// removeAt returns a new slice without e[i]; nil when nothing is left.
func removeAt[S any](e []S, i int) []S {
	if len(e) == 1 {
		return nil
	}
	c := make([]S, len(e)-1)
	copy(c, e[:i])
	copy(c[i:], e[i+1:])
	return c
}

// boxed returns a heap copy of t whose slots share its allocation, so a
// reader going down a level takes one cache miss instead of two.
func boxed[T keyed](t table[T]) *table[T] {
	n := len(t.e)
	switch {
	case n <= 2:
		p := new(struct {
			t table[T]
			a [2]slot[T]
		})
		return fillTable(&p.t, t, p.a[:n:n])
	case n <= 4:
		p := new(struct {
			t table[T]
			a [4]slot[T]
		})
		return fillTable(&p.t, t, p.a[:n:n])
	case n <= 8:
		p := new(struct {
			t table[T]
			a [8]slot[T]
		})
		return fillTable(&p.t, t, p.a[:n:n])
	case n <= 16:
		p := new(struct {
			t table[T]
			a [16]slot[T]
		})
		return fillTable(&p.t, t, p.a[:n:n])
	}
	p := new(table[T])
	*p = t
	return p
}

// fillTable sets *dst to t with its slots copied into a.
func fillTable[T keyed](dst *table[T], t table[T], a []slot[T]) *table[T] {
	copy(a, t.e)
	*dst = t
	dst.e = a
	return dst
}
