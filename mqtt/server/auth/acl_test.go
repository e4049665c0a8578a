package auth

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mqttx/mqttx/mqtt/server"
)

const testACL = `# anonymous clients
topic read public/#
topic read $SYS/broker/uptime

user alice
topic readwrite home/alice/#
topic deny home/alice/secret/#
topic write alerts
topic read sensors/+/temp

user bob
topic home/bob/#

# every client
pattern readwrite clients/%c/#
pattern read users/%u/inbox
pattern deny clients/%c/locked
`

func TestACLAllowed(t *testing.T) {
	a, err := NewACL(strings.NewReader(testACL), "acl")
	if err != nil {
		t.Fatal(err)
	}
	const (
		pub  = server.AccessPublish
		sub  = server.AccessSubscribe
		recv = server.AccessReceive
	)
	for _, tc := range []struct {
		user, id string
		acc      server.Access
		name     string
		want     bool
	}{
		// anonymous: the lines before the first user line
		{"", "anon", recv, "public/news", true},
		{"", "anon", pub, "public/news", false},
		{"", "anon", sub, "public/#", true},
		{"", "anon", sub, "#", false},
		{"", "anon", recv, "$SYS/broker/uptime", true},
		{"", "anon", recv, "home/alice/x", false},
		// alice: readwrite, deny wins, write only, read only
		{"alice", "a1", pub, "home/alice/lamp", true},
		{"alice", "a1", recv, "home/alice/lamp", true},
		{"alice", "a1", sub, "home/alice/+", true},
		{"alice", "a1", pub, "home/alice/secret/key", false},
		{"alice", "a1", recv, "home/alice/secret/key", false},
		{"alice", "a1", sub, "home/alice/secret/#", false},
		{"alice", "a1", pub, "alerts", true},
		{"alice", "a1", recv, "alerts", false},
		{"alice", "a1", sub, "alerts", false},
		{"alice", "a1", recv, "sensors/k/temp", true},
		{"alice", "a1", sub, "sensors/+/temp", true},
		{"alice", "a1", sub, "sensors/#", false}, // wider than the entry
		{"alice", "a1", pub, "sensors/k/temp", false},
		{"alice", "a1", recv, "public/news", false}, // anonymous lines are not hers
		{"alice", "a1", sub, "$share/g/home/alice/lamp", true},
		{"alice", "a1", sub, "$share/g/home/alice/secret/x", false},
		// bob: no access word means readwrite
		{"bob", "b1", pub, "home/bob/door", true},
		{"bob", "b1", recv, "home/bob/door", true},
		{"bob", "b1", pub, "home/alice/lamp", false},
		// patterns, for everyone
		{"bob", "b1", pub, "clients/b1/state", true},
		{"bob", "b1", pub, "clients/b2/state", false},
		{"", "anon", pub, "clients/anon/state", true},
		{"bob", "b1", pub, "clients/b1/locked", false},
		{"bob", "b1", recv, "users/bob/inbox", true},
		{"bob", "b1", recv, "users/alice/inbox", false},
		{"", "anon", recv, "users//inbox", false}, // %u needs a user name
		// a wildcard smuggled in through an identity does not widen a pattern
		{"bob", "+", pub, "clients/b1/state", false},
		{"bob", "#", sub, "clients/#", false},
		{"a+", "x", recv, "users/a+/inbox", false},
		// unknown users get nothing
		{"mallory", "m", recv, "public/news", false},
	} {
		if got := a.Allowed(tc.user, tc.id, tc.acc, tc.name); got != tc.want {
			t.Errorf("user %q client %q %v %q: %v, want %v", tc.user, tc.id, tc.acc, tc.name, got, tc.want)
		}
	}
}

func TestCovers(t *testing.T) {
	for _, tc := range []struct {
		t, f string
		want bool
	}{
		{"#", "a/b", true},
		{"#", "#", true},
		{"#", "$SYS/x", false},
		{"+/x", "$SYS/x", false},
		{"$SYS/#", "$SYS/broker/+", true},
		{"a/#", "a", true},
		{"a/#", "a/#", true},
		{"a/#", "a/b/c", true},
		{"a/+", "a/#", false},
		{"a/+", "a/+", true},
		{"a/+", "a/b", true},
		{"a/+", "a/b/c", false},
		{"a/b", "a/+", false},
		{"a/b", "a/b", true},
		{"a/b", "a", false},
		{"a", "a/b", false},
		{"+/+", "a/b", true},
		{"a/+/c", "a/+/c", true},
		{"a/+/c", "a/+/d", false},
	} {
		if got := covers(tc.t, tc.f); got != tc.want {
			t.Errorf("covers(%q, %q) = %v, want %v", tc.t, tc.f, got, tc.want)
		}
	}
}

func TestCheckACLReportsEveryLine(t *testing.T) {
	file := "topic read a/#\nuser\nfoo bar\ntopic sometimes x\ntopic read a/#/b\ntopic read\npattern write\n"
	err := CheckACL(strings.NewReader(file), "acl")
	var lines []int
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var le *LineError
		if !errors.As(e, &le) {
			t.Fatalf("%v is not a LineError", e)
		}
		lines = append(lines, le.Line)
	}
	if !equalInts(lines, []int{2, 3, 4, 5, 6, 7}) {
		t.Errorf("errors on lines %v, want 2-7:\n%v", lines, err)
	}
}

func TestACLReload(t *testing.T) {
	path := filepath.Join(t.TempDir(), "acl")
	os.WriteFile(path, []byte("topic read a\n"), 0o600)
	a, err := LoadACL(path)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(path, []byte("topic read b\nbogus\n"), 0o600)
	if a.Reload() == nil {
		t.Fatal("broken file reloaded")
	}
	if !a.Allowed("", "c", server.AccessReceive, "a") {
		t.Fatal("failed reload dropped the rules in force")
	}
	os.WriteFile(path, []byte("topic read b\n"), 0o600)
	if err := a.Reload(); err != nil {
		t.Fatal(err)
	}
	if a.Allowed("", "c", server.AccessReceive, "a") || !a.Allowed("", "c", server.AccessReceive, "b") {
		t.Error("reload did not replace the rules")
	}
}
