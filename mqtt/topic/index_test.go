package topic

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/mqttx/mqttx/mqtt"
)

// describe renders a Result canonically: one line per client, then one
// per shared group, sorted.
func describe(r *Result) string {
	var lines []string
	for i := range r.Len() {
		d := r.At(i)
		ids := slices.Clone(d.IDs)
		slices.Sort(ids)
		lines = append(lines, fmt.Sprintf("%s q%d rap=%v ids=%v", d.Client, d.QoS, d.RetainAsPublished, ids))
	}
	var groups []string
	for i := range r.Groups() {
		g := r.Group(i)
		var ms []string
		for _, m := range g.Members {
			if m.Filter != g.Filter || m.Group != g.Group {
				ms = append(ms, "BAD:"+m.Group+":"+m.Filter)
			}
			ms = append(ms, fmt.Sprintf("%s/q%d/%d", m.Client, m.QoS, m.ID))
		}
		slices.Sort(ms)
		groups = append(groups, fmt.Sprintf("$share/%s/%s %v", g.Group, g.Filter, ms))
	}
	slices.Sort(lines)
	slices.Sort(groups)
	return strings.Join(append(lines, groups...), "\n")
}

type subKey struct{ client, group, filter string }

// bruteForce computes what Index.Match should report, from Match over
// every subscription.
func bruteForce(subs map[subKey]Subscription, name, publisher string) string {
	type acc struct {
		qos mqtt.QoS
		rap bool
		ids []uint32
	}
	clients := map[string]*acc{}
	groups := map[[2]string][]string{}
	for _, s := range subs {
		// No Local applies to ordinary subscriptions only (on a shared one
		// it is a protocol error the broker refuses before subscribing).
		if !Match(s.Filter, name) || (s.NoLocal && s.Group == "" && publisher != "" && s.Client == publisher) {
			continue
		}
		if s.Group != "" {
			k := [2]string{s.Group, s.Filter}
			groups[k] = append(groups[k], fmt.Sprintf("%s/q%d/%d", s.Client, s.QoS, s.ID))
			continue
		}
		a := clients[s.Client]
		if a == nil {
			a = &acc{qos: s.QoS, rap: s.RetainAsPublished}
			clients[s.Client] = a
		} else {
			a.qos = max(a.qos, s.QoS)
			a.rap = a.rap || s.RetainAsPublished
		}
		if s.ID != 0 {
			a.ids = append(a.ids, s.ID)
		}
	}
	var lines, gl []string
	for c, a := range clients {
		slices.Sort(a.ids)
		if a.ids == nil {
			a.ids = []uint32{}
		}
		lines = append(lines, fmt.Sprintf("%s q%d rap=%v ids=%v", c, a.qos, a.rap, a.ids))
	}
	for k, ms := range groups {
		slices.Sort(ms)
		gl = append(gl, fmt.Sprintf("$share/%s/%s %v", k[0], k[1], ms))
	}
	slices.Sort(lines)
	slices.Sort(gl)
	return strings.Join(append(lines, gl...), "\n")
}

func TestIndexMerge(t *testing.T) {
	x := NewIndex()
	for _, s := range []Subscription{
		{Client: "c1", Filter: "a/b", QoS: 0, ID: 1, NoLocal: true},
		{Client: "c1", Filter: "a/+", QoS: 2, ID: 2, NoLocal: true, RetainAsPublished: true},
		{Client: "c1", Filter: "a/#", QoS: 1},
		{Client: "c1", Filter: "#", QoS: 0, ID: 4, NoLocal: true},
		{Client: "c2", Filter: "a/b", QoS: 1, NoLocal: true},
		{Client: "c2", Filter: "+/b", QoS: 0, ID: 7, NoLocal: true},
		{Client: "c3", Filter: "x", QoS: 2},
		{Client: "c1", Group: "g", Filter: "a/b", QoS: 1, ID: 9},
		{Client: "c4", Group: "g", Filter: "a/b", QoS: 2},
		{Client: "c4", Group: "h", Filter: "a/+", QoS: 0},
		{Client: "c5", Group: "g", Filter: "a/#", QoS: 0},
		{Client: "c6", Filter: "$SYS/#", QoS: 0},
	} {
		if x.Subscribe(s) {
			t.Fatalf("Subscribe(%+v): got existed, want new", s)
		}
	}
	if got, want := x.Len(), 12; got != want {
		t.Errorf("Len: got %d, want %d", got, want)
	}
	for _, c := range []struct{ name, want string }{
		{"a/b", strings.Join([]string{
			"c1 q2 rap=true ids=[1 2 4]",
			"c2 q1 rap=false ids=[7]",
			"$share/g/a/# [c5/q0/0]",
			"$share/g/a/b [c1/q1/9 c4/q2/0]",
			"$share/h/a/+ [c4/q0/0]",
		}, "\n")},
		{"a", strings.Join([]string{
			"c1 q1 rap=false ids=[4]",
			"$share/g/a/# [c5/q0/0]",
		}, "\n")},
		{"x", "c1 q0 rap=false ids=[4]\nc3 q2 rap=false ids=[]"},
		{"$SYS/uptime", "c6 q0 rap=false ids=[]"},
		{"b/c", "c1 q0 rap=false ids=[4]"},
	} {
		var r Result
		x.Match(c.name, "", &r)
		if got := describe(&r); got != c.want {
			t.Errorf("Match(%q):\ngot\n%s\nwant\n%s", c.name, got, c.want)
		}
	}
	// Published by c1: its No Local subscriptions (a/b, a/+, #) take no part,
	// so c1 gets one copy through a/# alone, at that subscription's QoS and
	// without the others' identifiers. Shared subscriptions still match.
	for _, c := range []struct{ publisher, name, want string }{
		{"c1", "a/b", strings.Join([]string{
			"c1 q1 rap=false ids=[]",
			"c2 q1 rap=false ids=[7]",
			"$share/g/a/# [c5/q0/0]",
			"$share/g/a/b [c1/q1/9 c4/q2/0]",
			"$share/h/a/+ [c4/q0/0]",
		}, "\n")},
		{"c1", "x", "c3 q2 rap=false ids=[]"},
		{"c2", "a/b", strings.Join([]string{
			"c1 q2 rap=true ids=[1 2 4]",
			"$share/g/a/# [c5/q0/0]",
			"$share/g/a/b [c1/q1/9 c4/q2/0]",
			"$share/h/a/+ [c4/q0/0]",
		}, "\n")},
		{"c3", "x", "c1 q0 rap=false ids=[4]\nc3 q2 rap=false ids=[]"}, // c3's own subscription has no No Local
	} {
		var r Result
		x.Match(c.name, c.publisher, &r)
		if got := describe(&r); got != c.want {
			t.Errorf("Match(%q) from %s:\ngot\n%s\nwant\n%s", c.name, c.publisher, got, c.want)
		}
	}
}

func TestIndexReplace(t *testing.T) {
	x := NewIndex()
	x.Subscribe(Subscription{Client: "c", Filter: "a", QoS: 0, ID: 1})
	if !x.Subscribe(Subscription{Client: "c", Filter: "a", QoS: 2, ID: 3, RetainAsPublished: true}) {
		t.Errorf("second Subscribe: got new, want existed")
	}
	x.Subscribe(Subscription{Client: "c", Group: "g", Filter: "a", QoS: 0})
	if !x.Subscribe(Subscription{Client: "c", Group: "g", Filter: "a", QoS: 1}) {
		t.Errorf("second shared Subscribe: got new, want existed")
	}
	if got := x.Len(); got != 2 {
		t.Errorf("Len: got %d, want 2", got)
	}
	var r Result
	x.Match("a", "", &r)
	want := "c q2 rap=true ids=[3]\n$share/g/a [c/q1/0]"
	if got := describe(&r); got != want {
		t.Errorf("Match:\ngot\n%s\nwant\n%s", got, want)
	}
	for _, c := range []struct {
		client, group, filter string
		want                  bool
	}{
		{"c", "", "b", false},
		{"c", "", "a/b", false},
		{"d", "", "a", false},
		{"c", "h", "a", false},
		{"d", "g", "a", false},
		{"c", "", "a", true},
		{"c", "", "a", false},
		{"c", "g", "a", true},
		{"c", "g", "a", false},
	} {
		if got := x.Unsubscribe(c.client, c.group, c.filter); got != c.want {
			t.Errorf("Unsubscribe(%q, %q, %q): got %v, want %v", c.client, c.group, c.filter, got, c.want)
		}
	}
	checkEmpty(t, x)
}

func checkEmpty(t *testing.T, x *Index) {
	t.Helper()
	if got := x.Len(); got != 0 {
		t.Errorf("Len after removing all: got %d, want 0", got)
	}
	if got := x.nodeCount(); got != 0 {
		t.Errorf("nodes after removing all: got %d, want 0", got)
	}
	if got := len(x.strs); got != 0 {
		t.Errorf("interned strings after removing all: got %d, want 0", got)
	}
	if x.root.next.Load() != nil || x.root.subs.Load() != nil {
		t.Errorf("root after removing all: got children or subscriptions, want none")
	}
}

var levels = []string{"a", "b", "c", "", "$x", "d0", "d1", "d2", "d3", "d4", "d5", "d6", "d7", "d8", "d9", "e"}

func randomFilter(rng *rand.Rand) string {
	n := 1 + rng.IntN(4)
	parts := make([]string, n)
	for i := range parts {
		switch p := rng.IntN(10); {
		case p < 2:
			parts[i] = "+"
		case p < 3 && i == n-1:
			parts[i] = "#"
		default:
			parts[i] = levels[rng.IntN(len(levels))]
		}
	}
	return strings.Join(parts, "/")
}

func randomName(rng *rand.Rand) string {
	for {
		n := 1 + rng.IntN(4)
		parts := make([]string, n)
		for i := range parts {
			parts[i] = levels[rng.IntN(len(levels))]
		}
		if s := strings.Join(parts, "/"); s != "" {
			return s
		}
	}
}

// TestIndexBruteForce checks Index.Match against Match applied to every
// subscription, through random subscribes and unsubscribes, then that
// removing everything frees every node.
func TestIndexBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	x := NewIndex()
	subs := map[subKey]Subscription{}
	var r Result
	check := func(step int) {
		t.Helper()
		if got := x.Len(); got != len(subs) {
			t.Fatalf("step %d: Len: got %d, want %d", step, got, len(subs))
		}
		for range 30 {
			name := randomName(rng)
			publisher := "" // a message from the server, or from one of the clients
			if rng.IntN(3) > 0 {
				publisher = fmt.Sprintf("c%d", rng.IntN(40))
			}
			x.Match(name, publisher, &r)
			if got, want := describe(&r), bruteForce(subs, name, publisher); got != want {
				t.Fatalf("step %d: Match(%q, publisher %q):\ngot\n%s\nwant\n%s", step, name, publisher, got, want)
			}
		}
	}
	var keys []subKey
	for step := range 4000 {
		if len(keys) > 0 && rng.IntN(3) == 0 {
			i := rng.IntN(len(keys))
			k := keys[i]
			keys[i] = keys[len(keys)-1]
			keys = keys[:len(keys)-1]
			if !x.Unsubscribe(k.client, k.group, k.filter) {
				t.Fatalf("step %d: Unsubscribe(%v): got false, want true", step, k)
			}
			delete(subs, k)
		} else {
			s := randomSubscription(rng, 40, 3)
			k := subKey{s.Client, s.Group, s.Filter}
			_, had := subs[k]
			if got := x.Subscribe(s); got != had {
				t.Fatalf("step %d: Subscribe(%+v): got existed %v, want %v", step, s, got, had)
			}
			if !had {
				keys = append(keys, k)
			}
			subs[k] = s
		}
		if step%100 == 0 {
			check(step)
		}
	}
	check(-1)
	for _, k := range keys {
		if !x.Unsubscribe(k.client, k.group, k.filter) {
			t.Fatalf("final Unsubscribe(%v): got false, want true", k)
		}
	}
	checkEmpty(t, x)
}

// TestIndexBusyFilter covers a filter with enough subscribers for its leaf
// to become a table, and a result with enough clients to use its hash
// table.
func TestIndexBusyFilter(t *testing.T) {
	x := NewIndex()
	subs := map[subKey]Subscription{}
	const n = 300
	add := func(s Subscription) {
		x.Subscribe(s)
		subs[subKey{s.Client, s.Group, s.Filter}] = s
	}
	for i := range n {
		add(Subscription{Client: fmt.Sprint("c", i), Filter: "busy/+", QoS: mqtt.QoS(i % 3), ID: uint32(i + 1)})
		if i%2 == 0 {
			add(Subscription{Client: fmt.Sprint("c", i), Filter: "busy/#", QoS: mqtt.QoS(2 - i%3), ID: uint32(1000 + i)})
		}
		if i%5 == 0 {
			add(Subscription{Client: fmt.Sprint("c", i), Group: "g", Filter: "busy/x"})
		}
	}
	var r Result
	check := func() {
		t.Helper()
		x.Match("busy/x", "", &r)
		if got, want := describe(&r), bruteForce(subs, "busy/x", ""); got != want {
			t.Fatalf("Match(busy/x) with %d subscriptions:\ngot\n%s\nwant\n%s", len(subs), got, want)
		}
	}
	check()
	for i := range n {
		if i%3 != 0 {
			x.Unsubscribe(fmt.Sprint("c", i), "", "busy/+")
			delete(subs, subKey{fmt.Sprint("c", i), "", "busy/+"})
		}
		if i%50 == 0 {
			check()
		}
	}
	check()
	for k := range subs {
		x.Unsubscribe(k.client, k.group, k.filter)
	}
	checkEmpty(t, x)
}

// TestIndexMembersImmutable checks that a SharedMatch handed out stays
// unchanged when the group changes afterwards.
func TestIndexMembersImmutable(t *testing.T) {
	x := NewIndex()
	x.Subscribe(Subscription{Client: "a", Group: "g", Filter: "t", QoS: 1})
	var r Result
	x.Match("t", "", &r)
	before := r.Group(0).Members
	x.Subscribe(Subscription{Client: "a", Group: "g", Filter: "t", QoS: 2})
	x.Subscribe(Subscription{Client: "b", Group: "g", Filter: "t"})
	x.Unsubscribe("a", "g", "t")
	if len(before) != 1 || before[0].Client != "a" || before[0].QoS != 1 {
		t.Errorf("old Members: got %+v, want [a QoS 1]", before)
	}
}

func TestIndexMatchAllocs(t *testing.T) {
	x := NewIndex()
	for i := range 2000 {
		c := fmt.Sprint("c", i%400)
		x.Subscribe(Subscription{Client: c, Filter: fmt.Sprintf("s/%d/d/%d", i%20, i%50), ID: uint32(i%7 + 1)})
		x.Subscribe(Subscription{Client: c, Filter: fmt.Sprintf("s/%d/#", i%20), QoS: 1})
		x.Subscribe(Subscription{Client: c, Group: "g", Filter: fmt.Sprintf("s/+/d/%d", i%50)})
	}
	x.Subscribe(Subscription{Client: "all", Filter: "#"})
	names := []string{"s/1/d/1", "s/3/d/3", "s/19/d/49", "s/7", "x/y", "$SYS/a", "s/1/d/1/extra/levels/here"}
	var r Result
	for _, n := range names {
		x.Match(n, "", &r)
	}
	x.Match("s/1/d/1", "", &r)
	if r.Len() < 20 {
		t.Fatalf("Match(s/1/d/1): got %d clients, want at least 20 (to use the client table)", r.Len())
	}
	got := testing.AllocsPerRun(50, func() {
		for _, n := range names {
			x.Match(n, "", &r)
		}
	})
	if got != 0 {
		t.Errorf("allocations per run of %d matches: got %v, want 0", len(names), got)
	}
}

// TestIndexConcurrent runs writers and lock-free readers together (run it
// with -race). Readers check that subscriptions nobody touches are always
// found whole, that a subscription being rewritten is seen with one
// consistent set of options, and that no client is listed twice.
func TestIndexConcurrent(t *testing.T) {
	x := NewIndex()
	const stable = 8
	for i := range stable {
		x.Subscribe(Subscription{Client: fmt.Sprint("s", i), Filter: "t/+/x", QoS: 1, ID: uint32(i + 1)})
		x.Subscribe(Subscription{Client: fmt.Sprint("s", i), Filter: "t/#", QoS: 0})
	}
	x.Subscribe(Subscription{Client: "m0", Group: "sg", Filter: "t/1/x"})
	want := x.Len()

	ops := 3000
	if testing.Short() {
		ops = 500
	}
	var done atomic.Bool
	var wg sync.WaitGroup
	churn := []string{"t/1/x", "t/+/x", "t/#", "+/1/x", "t/1/+", "t/2/x", "u/#", "#", "t/1/x/y"}
	for w := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 9))
			for i := range ops {
				c := fmt.Sprintf("w%d-%d", w, rng.IntN(30))
				f := churn[rng.IntN(len(churn))]
				switch rng.IntN(4) {
				case 0:
					x.Unsubscribe(c, "", f)
				case 1:
					x.Subscribe(Subscription{Client: c, Group: "sg", Filter: f})
					x.Unsubscribe(c, "sg", churn[rng.IntN(len(churn))])
				default:
					x.Subscribe(Subscription{Client: c, Filter: f, QoS: mqtt.QoS(rng.IntN(3)), ID: 7})
				}
				// Rewrite one subscription: QoS and ID always change together.
				q := mqtt.QoS(i % 3)
				x.Subscribe(Subscription{Client: fmt.Sprint("flip", w), Filter: "t/1/x", QoS: q, ID: 100 + uint32(q)})
			}
		}()
	}
	var rwg sync.WaitGroup
	var reads atomic.Int64
	for range 2 {
		rwg.Add(1)
		go func() {
			defer rwg.Done()
			var r Result
			for !done.Load() || reads.Load() == 0 {
				reads.Add(1)
				x.Match("t/1/x", "", &r)
				seen := map[string]bool{}
				found := 0
				for i := range r.Len() {
					d := r.At(i)
					if seen[d.Client] {
						t.Errorf("client %s listed twice", d.Client)
						return
					}
					seen[d.Client] = true
					switch {
					case strings.HasPrefix(d.Client, "s"):
						found++
						if d.QoS != 1 || len(d.IDs) != 1 {
							t.Errorf("stable %s: got QoS %d IDs %v, want QoS 1 and one ID", d.Client, d.QoS, d.IDs)
							return
						}
					case strings.HasPrefix(d.Client, "flip"):
						if len(d.IDs) != 1 || d.IDs[0] != 100+uint32(d.QoS) {
							t.Errorf("%s: got QoS %d IDs %v, want IDs [%d]", d.Client, d.QoS, d.IDs, 100+uint32(d.QoS))
							return
						}
					}
				}
				if found != stable {
					t.Errorf("stable subscribers: got %d, want %d", found, stable)
					return
				}
				hasM0 := false
				for i := range r.Groups() {
					g := r.Group(i)
					if g.Group == "sg" && g.Filter == "t/1/x" && slices.ContainsFunc(g.Members, func(s Subscription) bool { return s.Client == "m0" }) {
						hasM0 = true
					}
				}
				if !hasM0 {
					t.Errorf("shared member m0: not found")
					return
				}
			}
		}()
	}
	wg.Wait()
	done.Store(true)
	rwg.Wait()
	// Remove what the writers left: the stable subscriptions must remain.
	for w := range 2 {
		x.Unsubscribe(fmt.Sprint("flip", w), "", "t/1/x")
		for c := range 30 {
			for _, f := range churn {
				x.Unsubscribe(fmt.Sprintf("w%d-%d", w, c), "", f)
				x.Unsubscribe(fmt.Sprintf("w%d-%d", w, c), "sg", f)
			}
		}
	}
	if got := x.Len(); got != want {
		t.Errorf("Len after writers cleaned up: got %d, want %d", got, want)
	}
	t.Logf("%d concurrent matches", reads.Load())
}

// TestIndexZero checks that a zero Index works without NewIndex: empty, it
// matches nothing and unsubscribes nothing; then it behaves like any
// other, with enough children and subscribers to use its hash tables.
func TestIndexZero(t *testing.T) {
	var x Index
	var r Result
	x.Match("a/b", "c1", &r)
	if r.Len() != 0 || r.Groups() != 0 || x.Len() != 0 {
		t.Errorf("zero Index: got %d clients, %d groups, Len %d, want none", r.Len(), r.Groups(), x.Len())
	}
	if x.Unsubscribe("c1", "", "a/b") || x.Unsubscribe("c1", "g", "a/b") {
		t.Errorf("Unsubscribe on a zero Index: got true, want false")
	}
	subs := map[subKey]Subscription{}
	for i := range 40 {
		for _, s := range []Subscription{
			{Client: fmt.Sprint("c", i), Filter: fmt.Sprint("l", i, "/b"), QoS: 1, ID: uint32(i + 1)}, // many root children
			{Client: fmt.Sprint("c", i), Filter: "+/b", NoLocal: i%2 == 0},                            // a busy leaf
			{Client: fmt.Sprint("c", i), Group: "g", Filter: "#"},
		} {
			if x.Subscribe(s) {
				t.Fatalf("Subscribe(%+v): got existed, want new", s)
			}
			subs[subKey{s.Client, s.Group, s.Filter}] = s
		}
	}
	if got := x.Len(); got != len(subs) {
		t.Errorf("Len: got %d, want %d", got, len(subs))
	}
	for _, name := range []string{"l7/b", "l39/b", "x/b", "l7", "$SYS/b"} {
		for _, pub := range []string{"", "c4", "c5"} {
			x.Match(name, pub, &r)
			if got, want := describe(&r), bruteForce(subs, name, pub); got != want {
				t.Errorf("Match(%q, %q):\ngot\n%s\nwant\n%s", name, pub, got, want)
			}
		}
	}
	for k := range subs {
		if !x.Unsubscribe(k.client, k.group, k.filter) {
			t.Errorf("Unsubscribe(%v): got false, want true", k)
		}
	}
	checkEmpty(t, &x)
}

// TestIndexZeroConcurrent matches against a zero Index while its first
// subscriptions arrive (run it with -race): readers must not see the hash
// set up half way.
func TestIndexZeroConcurrent(t *testing.T) {
	for range 20 {
		x := new(Index)
		var wg sync.WaitGroup
		var done atomic.Bool
		for w := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var r Result
				for !done.Load() {
					x.Match("a/b", fmt.Sprint("c", w), &r)
					for i := range r.Len() {
						if d := r.At(i); d.Client != "c0" && d.Client != "c1" {
							t.Errorf("Match: got client %q, want c0 or c1", d.Client)
						}
					}
				}
			}()
		}
		for i := range 12 { // past the flat size of the root's children
			x.Subscribe(Subscription{Client: "c0", Filter: fmt.Sprint("a", i, "/b")})
		}
		x.Subscribe(Subscription{Client: "c0", Filter: "a/b", NoLocal: true})
		x.Subscribe(Subscription{Client: "c1", Filter: "a/+"})
		done.Store(true)
		wg.Wait()
		var r Result
		x.Match("a/b", "c0", &r)
		if got, want := describe(&r), "c1 q0 rap=false ids=[]"; got != want {
			t.Errorf("Match(a/b) from c0: got %q, want %q", got, want)
		}
	}
}

// randomSubscription makes a subscription of one of clients clients, in
// one of groups share groups one time in five (without No Local, which a
// shared subscription may not have).
func randomSubscription(rng *rand.Rand, clients, groups int) Subscription {
	s := Subscription{
		Client:            fmt.Sprintf("c%d", rng.IntN(clients)),
		Filter:            randomFilter(rng),
		QoS:               mqtt.QoS(rng.IntN(3)),
		NoLocal:           rng.IntN(2) == 0,
		RetainAsPublished: rng.IntN(2) == 0,
		ID:                uint32(rng.IntN(3)),
	}
	if rng.IntN(5) == 0 {
		s.Group, s.NoLocal = fmt.Sprintf("g%d", rng.IntN(groups)), false
	}
	return s
}
