package topic

import "testing"

var matchCases = []struct {
	filter, name string
	want         bool
}{
	{"a", "a", true},
	{"a", "b", false},
	{"a", "a/b", false},
	{"a/b", "a", false},
	{"a/b", "a/b", true},
	{"a/+", "a/b", true},
	{"a/+", "a", false},
	{"a/+", "a/", true},
	{"a/+", "a/b/c", false},
	{"+", "a", true},
	{"+", "/a", false},
	{"+/+", "/a", true},
	{"/+", "/a", true},
	{"+/a", "/a", true},
	{"+/+", "a", false},
	{"+/+/+", "a//b", true},
	{"a/+/b", "a//b", true},
	{"a//b", "a//b", true},
	{"a//b", "a/b", false},
	{"a/b", "a//b", false},
	{"#", "a", true},
	{"#", "a/b/c", true},
	{"#", "/", true},
	{"a/#", "a", true},
	{"a/#", "a/", true},
	{"a/#", "a/b/c", true},
	{"a/#", "ab", false},
	{"a/#", "b/a", false},
	{"a/b/#", "a", false},
	{"/#", "/", true},
	{"/#", "a", false},
	{"+/#", "a", true},
	{"+/#", "a/b", true},
	{"+/b/#", "a/b", true},
	{"a/+/#", "a", false},
	{"a/+/#", "a/b", true},
	{"A", "a", false},
	{"é", "e\u0301", false}, // no normalization
	// Names starting with '$'.
	{"#", "$SYS", false},
	{"#", "$SYS/broker", false},
	{"+/broker", "$SYS/broker", false},
	{"+", "$SYS", false},
	{"+/#", "$SYS/a", false},
	{"$SYS/#", "$SYS/broker", true},
	{"$SYS/#", "$SYS", true},
	{"$SYS/+", "$SYS/broker", true},
	{"$SYS", "$SYS", true},
	{"a/#", "a/$b", true},
	{"a/+", "a/$b", true},
	{"#", "a$", true},
}

func TestMatch(t *testing.T) {
	for _, c := range matchCases {
		if got := Match(c.filter, c.name); got != c.want {
			t.Errorf("Match(%q, %q): got %v, want %v", c.filter, c.name, got, c.want)
		}
	}
}

func TestMatchAllocs(t *testing.T) {
	got := testing.AllocsPerRun(100, func() {
		for _, c := range matchCases {
			Match(c.filter, c.name)
		}
	})
	if got != 0 {
		t.Errorf("allocations per run: got %v, want 0", got)
	}
}

func BenchmarkMatch(b *testing.B) {
	for b.Loop() {
		Match("site/+/dev/+/temp", "site/12/dev/345/temp")
	}
}
