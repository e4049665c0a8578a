package topic

import (
	"strings"
	"sync"
)

// Tree maps topic names to values (a broker's retained messages) and finds
// the names a filter matches by walking only the branches the filter can
// reach. It is safe for concurrent use; readers share a read lock, so
// long matches belong outside it (see [Tree.AppendMatch]). The zero value
// is an empty Tree ready to use.
type Tree[V any] struct {
	mu   sync.RWMutex
	root tnode[V]
	n    int
}

type tnode[V any] struct {
	kids map[string]*tnode[V] // nil when there are none
	name string               // the full topic name, when has
	v    V
	has  bool
}

// NewTree returns an empty Tree.
func NewTree[V any]() *Tree[V] { return &Tree[V]{} }

// Len returns the number of names stored.
func (t *Tree[V]) Len() int {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.n
}

// Set stores v under name, reporting whether it replaced a value.
func (t *Tree[V]) Set(name string, v V) (replaced bool) {
	_, replaced = t.Swap(name, v)
	return replaced
}

// Swap stores v under name and returns the value it replaced, if any.
func (t *Tree[V]) Swap(name string, v V) (previous V, replaced bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := &t.root
	for rest := name; ; {
		i := strings.IndexByte(rest, '/')
		lvl := rest
		if i >= 0 {
			lvl = rest[:i]
		}
		c := n.kids[lvl]
		if c == nil {
			if n.kids == nil {
				n.kids = make(map[string]*tnode[V], 1)
			}
			c = &tnode[V]{}
			n.kids[strings.Clone(lvl)] = c
		}
		n = c
		if i < 0 {
			break
		}
		rest = rest[i+1:]
	}
	previous, replaced = n.v, n.has
	if !replaced {
		t.n++
	}
	n.name, n.v, n.has = name, v, true
	return previous, replaced
}

// Get returns the value stored under name.
func (t *Tree[V]) Get(name string) (V, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	n := t.find(name)
	if n == nil || !n.has {
		var zero V
		return zero, false
	}
	return n.v, true
}

// Delete removes name, reporting whether it was stored. Nodes left empty
// are removed.
func (t *Tree[V]) Delete(name string) (existed bool) {
	_, existed = t.LoadAndDelete(name)
	return existed
}

// LoadAndDelete removes name and returns the value it held, if any.
func (t *Tree[V]) LoadAndDelete(name string) (value V, loaded bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	var nbuf [16]*tnode[V]
	var lbuf [16]string
	path, levels := nbuf[:0], lbuf[:0]
	n := &t.root
	for rest := name; ; {
		i := strings.IndexByte(rest, '/')
		lvl := rest
		if i >= 0 {
			lvl = rest[:i]
		}
		path, levels = append(path, n), append(levels, lvl)
		if n = n.kids[lvl]; n == nil {
			return value, false
		}
		if i < 0 {
			break
		}
		rest = rest[i+1:]
	}
	if !n.has {
		return value, false
	}
	value = n.v
	var zero V
	n.name, n.v, n.has = "", zero, false
	t.n--
	// path[i] is the parent of the node reached by levels[i]; prune
	// upwards while nodes are empty.
	for i := len(path) - 1; i >= 0; i-- {
		if n.has || len(n.kids) > 0 {
			break
		}
		p := path[i]
		delete(p.kids, levels[i])
		if len(p.kids) == 0 {
			p.kids = nil
		}
		n = p
	}
	return value, true
}

// find returns the node for name, or nil.
func (t *Tree[V]) find(name string) *tnode[V] {
	n := &t.root
	for rest := name; ; {
		i := strings.IndexByte(rest, '/')
		lvl := rest
		if i >= 0 {
			lvl = rest[:i]
		}
		if n = n.kids[lvl]; n == nil {
			return nil
		}
		if i < 0 {
			return n
		}
		rest = rest[i+1:]
	}
}

// Match calls fn for every stored name the filter matches (with the rules
// of [Match], including the one for names starting with '$'), in no
// particular order, until fn returns false. The filter must be valid and
// not a "$share/" one.
//
// fn runs under the tree's read lock: it must not call any method of t,
// and it must be quick. While fn runs, Set and Delete wait, and once one
// of them waits every new reader (Get, Len, Match) waits behind it, so a
// slow fn stalls the whole tree. A broker must not send to a client, write
// to a network connection, block on a queue or do any other slow work in
// fn: it collects the values with [Tree.AppendMatch] and works on them
// after the lock is released.
func (t *Tree[V]) Match(filter string, fn func(name string, v V) bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	t.match(&t.root, filter, true, fn)
}

// AppendMatch appends to dst the values of every stored name the filter
// matches (with the rules of [Tree.Match]), in no particular order, and
// returns the extended slice. It holds the read lock only while copying
// the values out, so the caller processes them with no lock held: this is
// how a broker sends the retained messages matching a new subscription
// without stalling writers. Reuse dst (dst[:0]) across calls to avoid
// allocating.
//
// The values are copies taken at one instant; a later Set or Delete does
// not change them (though a value that is a pointer still points to shared
// data).
func (t *Tree[V]) AppendMatch(dst []V, filter string) []V {
	t.mu.RLock()
	defer t.mu.RUnlock()
	t.match(&t.root, filter, true, func(_ string, v V) bool {
		dst = append(dst, v)
		return true
	})
	return dst
}

// match visits n's descendants that match filter, n standing for the
// levels before it; root is true at the top. It reports false once fn has.
func (t *Tree[V]) match(n *tnode[V], filter string, root bool, fn func(string, V) bool) bool {
	i := strings.IndexByte(filter, '/')
	lvl, rest := filter, ""
	if i >= 0 {
		lvl, rest = filter[:i], filter[i+1:]
	}
	switch lvl {
	case "#":
		// '#' matches n itself ("a/#" matches "a") and everything below.
		if n.has && !fn(n.name, n.v) {
			return false
		}
		for k, c := range n.kids {
			if root && strings.HasPrefix(k, "$") { // [MQTT-4.7.2-1]
				continue
			}
			if !t.all(c, fn) {
				return false
			}
		}
	case "+":
		for k, c := range n.kids {
			if root && strings.HasPrefix(k, "$") { // [MQTT-4.7.2-1]
				continue
			}
			if !t.step(c, rest, i < 0, fn) {
				return false
			}
		}
	default:
		if c := n.kids[lvl]; c != nil {
			return t.step(c, rest, i < 0, fn)
		}
	}
	return true
}

func (t *Tree[V]) step(c *tnode[V], rest string, last bool, fn func(string, V) bool) bool {
	if !last {
		return t.match(c, rest, false, fn)
	}
	return !c.has || fn(c.name, c.v)
}

// all visits n and everything below it.
func (t *Tree[V]) all(n *tnode[V], fn func(string, V) bool) bool {
	if n.has && !fn(n.name, n.v) {
		return false
	}
	for _, c := range n.kids {
		if !t.all(c, fn) {
			return false
		}
	}
	return true
}

// nodeCount returns the number of nodes below the root (for tests).
func (t *Tree[V]) nodeCount() int {
	t.mu.RLock()
	defer t.mu.RUnlock()
	var count func(n *tnode[V]) int
	count = func(n *tnode[V]) int {
		c := len(n.kids)
		for _, k := range n.kids {
			c += count(k)
		}
		return c
	}
	return count(&t.root)
}
