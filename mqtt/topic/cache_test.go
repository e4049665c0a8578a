package topic

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/mqttx/mqttx/mqtt"
)

// withCache makes every Index created during the test get its match cache
// on its first subscription.
func withCache(t *testing.T) {
	t.Helper()
	old := cacheMinSubs
	cacheMinSubs = 0
	t.Cleanup(func() { cacheMinSubs = old })
}

// cached reports whether x's cache holds a current result for name and
// publisher, and if so whether it equals what a walk finds.
func cached(t *testing.T, x *Index, name, publisher string) bool {
	t.Helper()
	c := x.cache.Load()
	if c == nil {
		t.Fatal("no match cache")
	}
	var k cacheKey
	if !c.key(&k, name, publisher) {
		return false
	}
	var r, w Result
	if !c.get(&k, x.gen.Load(), &r) {
		return false
	}
	x.match(name, publisher, &w)
	if got, want := describe(&r), describe(&w); got != want {
		t.Fatalf("cached result for %q from %q:\n%s\nwant\n%s", name, publisher, got, want)
	}
	return true
}

// TestIndexCached runs the Index tests with the match cache on from the
// first subscription.
func TestIndexCached(t *testing.T) {
	withCache(t)
	for name, f := range map[string]func(*testing.T){
		"Merge":            TestIndexMerge,
		"Replace":          TestIndexReplace,
		"BruteForce":       TestIndexBruteForce,
		"BusyFilter":       TestIndexBusyFilter,
		"MembersImmutable": TestIndexMembersImmutable,
		"MatchAllocs":      TestIndexMatchAllocs,
		"Concurrent":       TestIndexConcurrent,
		"Zero":             TestIndexZero,
		"ZeroConcurrent":   TestIndexZeroConcurrent,
	} {
		t.Run(name, f)
	}
}

// TestMatchCacheFills checks that a topic is cached on its second match
// and then served from the cache, and that results too large for a slot,
// and names too long for its key, are matched correctly without it.
func TestMatchCacheFills(t *testing.T) {
	withCache(t)
	x := NewIndex()
	for i := range 20 {
		x.Subscribe(Subscription{Client: fmt.Sprint("c", i), Filter: "big/#"})
		x.Subscribe(Subscription{Client: fmt.Sprint("c", i), Filter: fmt.Sprint("small/", i), ID: 3})
	}
	long := "small/" + strings.Repeat("x", cacheKeyBytes)
	x.Subscribe(Subscription{Client: "l", Filter: long})
	var r Result
	for i := range 3 {
		x.Match("small/1", "", &r)
		if got, want := describe(&r), "c1 q0 rap=false ids=[3]"; got != want {
			t.Fatalf("Match(small/1) #%d: got %q, want %q", i, got, want)
		}
		if got, want := cached(t, x, "small/1", ""), i > 0; got != want {
			t.Errorf("after match #%d: cached %v, want %v", i, got, want)
		}
	}
	for range 3 {
		x.Match("big/x", "", &r)
		x.Match(long, "", &r)
	}
	if r.Len() != 1 || r.At(0).Client != "l" {
		t.Errorf("Match(long name): got %s, want l", describe(&r))
	}
	if cached(t, x, "big/x", "") || cached(t, x, long, "") {
		t.Errorf("a result of 20 clients or a %d-byte name is cached", len(long))
	}
	x.Match("big/x", "", &r)
	if r.Len() != 20 {
		t.Errorf("Match(big/x): got %d clients, want 20", r.Len())
	}
}

// TestMatchCacheInvalidation checks that every kind of change is seen by
// the next Match of a topic whose result is cached.
func TestMatchCacheInvalidation(t *testing.T) {
	withCache(t)
	x := NewIndex()
	x.Subscribe(Subscription{Client: "a", Filter: "t/1", QoS: 1, ID: 1})
	x.Subscribe(Subscription{Client: "b", Filter: "t/+", NoLocal: true})
	var r Result
	steps := []struct {
		name   string
		change func()
		want   string
	}{
		{"start", func() {}, "a q1 rap=false ids=[1]\nb q0 rap=false ids=[]"},
		{"new client", func() { x.Subscribe(Subscription{Client: "c", Filter: "#", QoS: 2}) },
			"a q1 rap=false ids=[1]\nb q0 rap=false ids=[]\nc q2 rap=false ids=[]"},
		{"new options", func() { x.Subscribe(Subscription{Client: "a", Filter: "t/1", QoS: 0, ID: 5, RetainAsPublished: true}) },
			"a q0 rap=true ids=[5]\nb q0 rap=false ids=[]\nc q2 rap=false ids=[]"},
		{"second subscription", func() { x.Subscribe(Subscription{Client: "a", Filter: "+/1", QoS: 2, ID: 6}) },
			"a q2 rap=true ids=[5 6]\nb q0 rap=false ids=[]\nc q2 rap=false ids=[]"},
		{"shared group", func() { x.Subscribe(Subscription{Client: "d", Group: "g", Filter: "t/1"}) },
			"a q2 rap=true ids=[5 6]\nb q0 rap=false ids=[]\nc q2 rap=false ids=[]\n$share/g/t/1 [d/q0/0]"},
		{"shared member", func() { x.Subscribe(Subscription{Client: "e", Group: "g", Filter: "t/1", ID: 2}) },
			"a q2 rap=true ids=[5 6]\nb q0 rap=false ids=[]\nc q2 rap=false ids=[]\n$share/g/t/1 [d/q0/0 e/q0/2]"},
		{"member leaves", func() { x.Unsubscribe("d", "g", "t/1") },
			"a q2 rap=true ids=[5 6]\nb q0 rap=false ids=[]\nc q2 rap=false ids=[]\n$share/g/t/1 [e/q0/2]"},
		{"client leaves", func() { x.Unsubscribe("c", "", "#") },
			"a q2 rap=true ids=[5 6]\nb q0 rap=false ids=[]\n$share/g/t/1 [e/q0/2]"},
		{"one of two", func() { x.Unsubscribe("a", "", "t/1") },
			"a q2 rap=false ids=[6]\nb q0 rap=false ids=[]\n$share/g/t/1 [e/q0/2]"},
		{"no-op unsubscribe", func() { x.Unsubscribe("zz", "", "t/1") },
			"a q2 rap=false ids=[6]\nb q0 rap=false ids=[]\n$share/g/t/1 [e/q0/2]"},
	}
	for _, s := range steps {
		s.change()
		for i := range 3 {
			x.Match("t/1", "", &r)
			if got := describe(&r); got != s.want {
				t.Fatalf("%s, match #%d:\ngot\n%s\nwant\n%s", s.name, i, got, s.want)
			}
		}
		if !cached(t, x, "t/1", "") {
			t.Errorf("%s: t/1 not cached after three matches", s.name)
		}
		// The publisher is part of the key: b's No Local subscription
		// leaves it out of its own message, cached or not.
		for range 3 {
			x.Match("t/1", "b", &r)
			if got := describe(&r); strings.Contains(got, "b q") {
				t.Fatalf("%s: Match(t/1) from b lists b:\n%s", s.name, got)
			}
		}
	}
}

// TestMatchCacheKeyBoundary checks that the split between name and
// publisher is part of the key.
func TestMatchCacheKeyBoundary(t *testing.T) {
	withCache(t)
	x := NewIndex()
	x.Subscribe(Subscription{Client: "c1", Filter: "ab", NoLocal: true})
	x.Subscribe(Subscription{Client: "1", Filter: "abc", NoLocal: true})
	x.Subscribe(Subscription{Client: "x", Filter: "#"})
	var r Result
	for range 3 {
		x.Match("ab", "c1", &r)
		if got, want := describe(&r), "x q0 rap=false ids=[]"; got != want {
			t.Fatalf("Match(ab) from c1: got %q, want %q", got, want)
		}
		x.Match("abc", "1", &r)
		if got, want := describe(&r), "x q0 rap=false ids=[]"; got != want {
			t.Fatalf("Match(abc) from 1: got %q, want %q", got, want)
		}
		x.Match("ab", "c", &r)
		if got, want := describe(&r), "c1 q0 rap=false ids=[]\nx q0 rap=false ids=[]"; got != want {
			t.Fatalf("Match(ab) from c: got %q, want %q", got, want)
		}
	}
}

// TestMatchCacheTorn checks that a reader gives up on a slot that a
// writer is filling, and on one whose words do not belong together,
// leaving the Result empty.
func TestMatchCacheTorn(t *testing.T) {
	withCache(t)
	x := NewIndex()
	x.Subscribe(Subscription{Client: "a", Filter: "t", ID: 1})
	x.Subscribe(Subscription{Client: "b", Group: "g", Filter: "t"})
	var r Result
	for range 2 {
		x.Match("t", "", &r)
	}
	c := x.cache.Load()
	var k cacheKey
	c.key(&k, "t", "")
	gen := x.gen.Load()
	var s *cacheSlot
	for i := range c.slots[k.h&(cacheSets-1)] {
		if p := &c.slots[k.h&(cacheSets-1)][i]; p.hash.Load() == k.h {
			s = p
		}
	}
	if s == nil || !c.get(&k, gen, &r) {
		t.Fatal("t is not cached")
	}
	for _, tc := range []struct {
		name          string
		break_, mend_ func()
	}{
		{"being filled", func() { s.seq.Add(1) }, func() { s.seq.Add(1) }},
		{"client missing", func() { s.ds[0].Store(nil) }, func() { s.ds[0].Store(r.ds[0].e) }},
		{"group missing", func() { s.gs[0].Store(nil) }, func() { s.gs[0].Store(r.gs[0]) }},
		{"IDs disagree", func() { s.dm[0].Store(2 << 3) }, func() { s.dm[0].Store(1 << 3) }},
	} {
		r.clear()
		x.match("t", "", &r)
		tc.break_()
		var got Result
		if c.get(&k, gen, &got) {
			t.Errorf("%s: read succeeded", tc.name)
		}
		if got.Len() != 0 || got.Groups() != 0 || len(got.ids) != 0 {
			t.Errorf("%s: the failed read left %d clients, %d groups, %d IDs", tc.name, got.Len(), got.Groups(), len(got.ids))
		}
		tc.mend_()
		if !c.get(&k, gen, &got) {
			t.Errorf("%s: mended slot not read", tc.name)
		}
	}
}

// TestMatchCacheBruteForce checks Match against Match applied to every
// subscription, with a few names matched over and over (so that they are
// served from the cache) while subscriptions come and go.
func TestMatchCacheBruteForce(t *testing.T) {
	withCache(t)
	rng := rand.New(rand.NewPCG(11, 12))
	x := NewIndex()
	subs := map[subKey]Subscription{}
	var keys []subKey
	names := make([]string, 12)
	for i := range names {
		names[i] = randomName(rng)
	}
	var r Result
	hits := 0
	for step := range 3000 {
		switch {
		case len(keys) > 0 && rng.IntN(3) == 0:
			i := rng.IntN(len(keys))
			k := keys[i]
			keys[i] = keys[len(keys)-1]
			keys = keys[:len(keys)-1]
			x.Unsubscribe(k.client, k.group, k.filter)
			delete(subs, k)
		case rng.IntN(2) == 0:
			s := randomSubscription(rng, 10, 2)
			k := subKey{s.Client, s.Group, s.Filter}
			if _, had := subs[k]; !had {
				keys = append(keys, k)
			}
			x.Subscribe(s)
			subs[k] = s
		}
		for range 4 {
			name := names[rng.IntN(len(names))]
			publisher := ""
			if rng.IntN(4) == 0 {
				publisher = fmt.Sprintf("c%d", rng.IntN(10))
			}
			if cached(t, x, name, publisher) {
				hits++
			}
			x.Match(name, publisher, &r)
			if got, want := describe(&r), bruteForce(subs, name, publisher); got != want {
				t.Fatalf("step %d: Match(%q, %q):\ngot\n%s\nwant\n%s", step, name, publisher, got, want)
			}
		}
	}
	if hits < 1000 {
		t.Errorf("%d matches served from the cache, want at least 1000", hits)
	}
	t.Logf("%d of %d matches served from the cache", hits, 3000*4)
}

// TestMatchCacheAllocs checks that neither a hit nor a fill allocates.
func TestMatchCacheAllocs(t *testing.T) {
	withCache(t)
	x := NewIndex()
	for i := range 10 {
		x.Subscribe(Subscription{Client: fmt.Sprint("c", i), Filter: fmt.Sprintf("s/%d/+", i%3), ID: uint32(i)})
		x.Subscribe(Subscription{Client: fmt.Sprint("c", i), Group: "g", Filter: "s/#"})
	}
	var r Result
	names := []string{"s/0/x", "s/1/x", "s/2/x", "s/3/x"}
	for range 3 {
		for _, n := range names {
			x.Match(n, "", &r)
		}
	}
	if got := testing.AllocsPerRun(100, func() {
		for _, n := range names {
			x.Match(n, "", &r)
		}
	}); got != 0 {
		t.Errorf("cache hits: %v allocations, want 0", got)
	}
	// Each change makes the next two matches miss, then fill: the matches
	// add nothing to what the Subscribe allocates.
	i := 0
	flip := func() {
		x.Subscribe(Subscription{Client: "flip", Filter: "s/0/x", QoS: mqtt.QoS(i % 3)})
		i++
	}
	alone := testing.AllocsPerRun(100, flip)
	if got := testing.AllocsPerRun(100, func() {
		flip()
		for range 3 {
			x.Match("s/0/x", "", &r)
		}
	}); got != alone {
		t.Errorf("Subscribe and three matches: %v allocations, want %v (Subscribe's own)", got, alone)
	}
}

// TestMatchCacheConcurrent matches a few topics from several goroutines,
// so that they fill and read the same slots, while writers change the
// subscriptions (run it with -race). A reader must always see the
// subscriptions nobody changes, see a rewritten subscription with one
// consistent set of options, and see the writers' own changes once they
// have returned.
func TestMatchCacheConcurrent(t *testing.T) {
	withCache(t)
	x := NewIndex()
	topics := []string{"t/0", "t/1", "t/2", "t/3"}
	for i := range 6 {
		x.Subscribe(Subscription{Client: fmt.Sprint("s", i), Filter: "t/+", QoS: 1, ID: uint32(i + 1)})
	}
	x.Subscribe(Subscription{Client: "m", Group: "g", Filter: "t/#"})
	ops := 2000
	if testing.Short() {
		ops = 300
	}
	var done atomic.Bool
	var wg, rwg sync.WaitGroup
	for w := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var r Result
			me := fmt.Sprint("w", w)
			for i := range ops {
				topic := topics[i%len(topics)]
				q := mqtt.QoS(i % 3)
				x.Subscribe(Subscription{Client: me, Filter: topic, QoS: q, ID: 100 + uint32(q)})
				// Once Subscribe has returned, Match sees it.
				x.Match(topic, "", &r)
				seen := false
				for j := range r.Len() {
					if d := r.At(j); d.Client == me {
						seen = d.QoS == q && len(d.IDs) == 1 && d.IDs[0] == 100+uint32(q)
					}
				}
				if !seen {
					t.Errorf("%s: own subscription to %s with QoS %d not seen: %s", me, topic, q, describe(&r))
					return
				}
				x.Unsubscribe(me, "", topic)
				x.Match(topic, "", &r)
				for j := range r.Len() {
					if r.At(j).Client == me {
						t.Errorf("%s: unsubscribed from %s, still matched", me, topic)
						return
					}
				}
			}
		}()
	}
	for g := range 3 {
		rwg.Add(1)
		go func() {
			defer rwg.Done()
			var r Result
			for i := g; !done.Load(); i++ {
				x.Match(topics[i%len(topics)], "", &r)
				stable := 0
				for j := range r.Len() {
					d := r.At(j)
					switch {
					case strings.HasPrefix(d.Client, "s"):
						stable++
						if d.QoS != 1 || len(d.IDs) != 1 {
							t.Errorf("stable %s: got QoS %d IDs %v", d.Client, d.QoS, d.IDs)
							return
						}
					case strings.HasPrefix(d.Client, "w"):
						if len(d.IDs) != 1 || d.IDs[0] != 100+uint32(d.QoS) {
							t.Errorf("%s: got QoS %d IDs %v", d.Client, d.QoS, d.IDs)
							return
						}
					}
				}
				if stable != 6 || r.Groups() != 1 || r.Group(0).Members[0].Client != "m" {
					t.Errorf("got %s, want the 6 stable clients and group g", describe(&r))
					return
				}
			}
		}()
	}
	wg.Wait()
	done.Store(true)
	rwg.Wait()
}
