package topic

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func treeMatches(t *Tree[int], filter string) []string {
	var got []string
	t.Match(filter, func(name string, v int) bool {
		got = append(got, fmt.Sprintf("%s=%d", name, v))
		return true
	})
	slices.Sort(got)
	return got
}

func TestTreeBasic(t *testing.T) {
	tr := NewTree[int]()
	for i, n := range []string{"a", "a/b", "a/b/c", "a//b", "/a", "$SYS/up", "$SYS", "b/$x"} {
		if tr.Set(n, i) {
			t.Errorf("Set(%q): got replaced, want new", n)
		}
	}
	if !tr.Set("a", 10) {
		t.Errorf("Set(a) again: got new, want replaced")
	}
	if got := tr.Len(); got != 8 {
		t.Errorf("Len: got %d, want 8", got)
	}
	if v, ok := tr.Get("a/b"); !ok || v != 1 {
		t.Errorf("Get(a/b): got %d %v, want 1 true", v, ok)
	}
	for _, n := range []string{"a/b/c/d", "x", "a/", ""} {
		if v, ok := tr.Get(n); ok {
			t.Errorf("Get(%q): got %d true, want false", n, v)
		}
	}
	for _, c := range []struct {
		filter string
		want   string
	}{
		{"#", "/a=4 a//b=3 a/b/c=2 a/b=1 a=10 b/$x=7"},
		{"a/#", "a//b=3 a/b/c=2 a/b=1 a=10"},
		{"a/+", "a/b=1"},
		{"+", "a=10"},
		{"+/+", "/a=4 a/b=1 b/$x=7"},
		{"a/+/b", "a//b=3"},
		{"$SYS/#", "$SYS/up=5 $SYS=6"},
		{"+/up", ""},
		{"$SYS/+", "$SYS/up=5"},
		{"a/b/c/#", "a/b/c=2"},
		{"a/b/c/d", ""},
		{"nothing/#", ""},
	} {
		if got := strings.Join(treeMatches(tr, c.filter), " "); got != c.want {
			t.Errorf("Match(%q): got %q, want %q", c.filter, got, c.want)
		}
	}
	// Stopping early.
	calls := 0
	tr.Match("#", func(string, int) bool { calls++; return false })
	if calls != 1 {
		t.Errorf("Match with fn returning false: got %d calls, want 1", calls)
	}
}

func TestTreeBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	tr := NewTree[int]()
	want := map[string]int{}
	check := func() {
		t.Helper()
		if got := tr.Len(); got != len(want) {
			t.Fatalf("Len: got %d, want %d", got, len(want))
		}
		for range 40 {
			f := randomFilter(rng)
			var exp []string
			for n, v := range want {
				if Match(f, n) {
					exp = append(exp, fmt.Sprintf("%s=%d", n, v))
				}
			}
			slices.Sort(exp)
			if got := treeMatches(tr, f); !slices.Equal(got, exp) {
				t.Fatalf("Match(%q): got %v, want %v", f, got, exp)
			}
		}
	}
	for step := range 3000 {
		n := randomName(rng)
		if rng.IntN(3) == 0 {
			_, had := want[n]
			if got := tr.Delete(n); got != had {
				t.Fatalf("Delete(%q): got %v, want %v", n, got, had)
			}
			delete(want, n)
		} else {
			_, had := want[n]
			if got := tr.Set(n, step); got != had {
				t.Fatalf("Set(%q): got %v, want %v", n, got, had)
			}
			want[n] = step
		}
		if step%100 == 0 {
			check()
		}
	}
	check()
	for n := range want {
		if !tr.Delete(n) {
			t.Fatalf("Delete(%q): got false, want true", n)
		}
	}
	if got := tr.Len(); got != 0 {
		t.Errorf("Len after deleting all: got %d, want 0", got)
	}
	if got := tr.nodeCount(); got != 0 {
		t.Errorf("nodes after deleting all: got %d, want 0", got)
	}
}

func TestTreeDeletePrunes(t *testing.T) {
	tr := NewTree[string]()
	tr.Set("a/b/c/d", "x")
	tr.Set("a/b", "y")
	if got := tr.nodeCount(); got != 4 {
		t.Errorf("nodes: got %d, want 4", got)
	}
	tr.Delete("a/b/c/d")
	if got := tr.nodeCount(); got != 2 {
		t.Errorf("nodes after Delete(a/b/c/d): got %d, want 2", got)
	}
	if tr.Delete("a") {
		t.Errorf("Delete(a): got true for an intermediate node, want false")
	}
	tr.Delete("a/b")
	if got := tr.nodeCount(); got != 0 {
		t.Errorf("nodes after Delete(a/b): got %d, want 0", got)
	}
}

func BenchmarkTreeMatch(b *testing.B) {
	tr := NewTree[int]()
	const sites, devs = 1000, 100
	for s := range sites {
		for d := range devs {
			tr.Set(fmt.Sprintf("site/%d/dev/%d/temp", s, d), s*devs+d)
		}
	}
	filters := []string{"site/17/dev/+/temp", "site/42/#", "site/+/dev/7/temp", "site/3/dev/3/temp", "none/#"}
	for _, f := range filters {
		b.Run(strings.NewReplacer("/", "_", "+", "plus", "#", "hash").Replace(f), func(b *testing.B) {
			n := 0
			for b.Loop() {
				tr.Match(f, func(string, int) bool { n++; return true })
			}
			b.ReportMetric(float64(n)/float64(b.N), "matches/op")
		})
	}
}

// appendMatches returns what AppendMatch finds, sorted, after checking
// that it kept dst's contents.
func appendMatches(t *testing.T, tr *Tree[int], filter string) []int {
	t.Helper()
	got := tr.AppendMatch([]int{-1}, filter)
	if len(got) == 0 || got[0] != -1 {
		t.Fatalf("AppendMatch(%q): got %v, want dst's -1 kept first", filter, got)
	}
	got = got[1:]
	slices.Sort(got)
	return got
}

// TestTreeAppendMatch checks AppendMatch against Match and against Match
// (the function) over every stored name.
func TestTreeAppendMatch(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	tr := NewTree[int]()
	want := map[string]int{}
	for step := range 2000 {
		n := randomName(rng)
		if rng.IntN(4) == 0 {
			tr.Delete(n)
			delete(want, n)
		} else {
			tr.Set(n, step)
			want[n] = step
		}
		if step%50 != 0 {
			continue
		}
		for range 20 {
			f := randomFilter(rng)
			var brute, viaMatch []int
			for n, v := range want {
				if Match(f, n) {
					brute = append(brute, v)
				}
			}
			tr.Match(f, func(_ string, v int) bool { viaMatch = append(viaMatch, v); return true })
			slices.Sort(brute)
			slices.Sort(viaMatch)
			got := appendMatches(t, tr, f)
			if !slices.Equal(got, brute) {
				t.Fatalf("AppendMatch(%q): got %v, want %v (brute force)", f, got, brute)
			}
			if !slices.Equal(got, viaMatch) {
				t.Fatalf("AppendMatch(%q): got %v, want %v (Tree.Match)", f, got, viaMatch)
			}
		}
	}
	if got := appendMatches(t, NewTree[int](), "#"); len(got) != 0 {
		t.Errorf("AppendMatch on an empty tree: got %v, want none", got)
	}
	var zero Tree[int] // the zero value works
	zero.Set("a", 1)
	if got := zero.AppendMatch(nil, "+"); !slices.Equal(got, []int{1}) {
		t.Errorf("AppendMatch on a zero Tree: got %v, want [1]", got)
	}
}

func TestTreeAppendMatchAllocs(t *testing.T) {
	tr := NewTree[int]()
	for i := range 100 {
		tr.Set(fmt.Sprintf("s/%d/t", i), i)
	}
	dst := tr.AppendMatch(nil, "s/+/t")
	got := testing.AllocsPerRun(100, func() {
		dst = tr.AppendMatch(dst[:0], "s/+/t")
	})
	if got != 0 || len(dst) != 100 {
		t.Errorf("AppendMatch into a grown buffer: got %v allocations and %d values, want 0 and 100", got, len(dst))
	}
}

// TestTreeAppendMatchConcurrent runs AppendMatch beside writers (run it
// with -race): values are handed out whole and the lock is released, so
// writers keep going while the caller holds the results.
func TestTreeAppendMatchConcurrent(t *testing.T) {
	tr := NewTree[[2]int]()
	for i := range 50 {
		tr.Set(fmt.Sprintf("k/%d", i), [2]int{i, -i})
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 2000 {
			n := fmt.Sprintf("k/%d", i%70)
			if i%3 == 0 {
				tr.Delete(n)
			} else {
				tr.Set(n, [2]int{i, -i})
			}
		}
	}()
	var dst [][2]int
	for reading := true; reading; {
		select {
		case <-done:
			reading = false
		default:
		}
		dst = tr.AppendMatch(dst[:0], "k/+")
		for _, v := range dst {
			if v[0] != -v[1] {
				t.Fatalf("AppendMatch: got torn value %v", v)
			}
		}
		tr.Set("other", [2]int{}) // the caller holds no lock now
	}
}

func TestTreeSwapLoadAndDelete(t *testing.T) {
	tr := NewTree[string]()
	if old, ok := tr.Swap("a/b", "one"); ok || old != "" {
		t.Errorf("Swap new: got %q %v, want \"\" false", old, ok)
	}
	if old, ok := tr.Swap("a/b", "two"); !ok || old != "one" {
		t.Errorf("Swap again: got %q %v, want one true", old, ok)
	}
	if v, ok := tr.LoadAndDelete("a"); ok || v != "" {
		t.Errorf("LoadAndDelete(a): got %q %v, want \"\" false", v, ok)
	}
	if v, ok := tr.LoadAndDelete("a/b"); !ok || v != "two" {
		t.Errorf("LoadAndDelete(a/b): got %q %v, want two true", v, ok)
	}
	if v, ok := tr.LoadAndDelete("a/b"); ok || v != "" {
		t.Errorf("LoadAndDelete(a/b) again: got %q %v, want \"\" false", v, ok)
	}
	if n := tr.Len(); n != 0 {
		t.Errorf("Len: got %d, want 0", n)
	}
}
