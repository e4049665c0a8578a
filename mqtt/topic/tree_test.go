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
