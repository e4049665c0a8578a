package auth

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/mqttx/mqttx/mqtt/server"
	"github.com/mqttx/mqttx/mqtt/topic"
)

// ACL is a [server.Authorizer] over an access control list in Mosquitto's
// acl_file format:
//
//	# comment
//	topic [read|write|readwrite|deny] <topic>     (before any user line: anonymous clients)
//	user <username>
//	topic [read|write|readwrite|deny] <topic>     (this user)
//	pattern [read|write|readwrite|deny] <topic>   (every client; %c is the client id, %u the user name)
//
// The access defaults to readwrite. Topics may hold wildcards. A client
// may publish (wills included) to a topic name that one of its "write"
// entries matches, receive a message (live or retained) whose topic one
// of its "read" entries matches, and subscribe to a filter that one of its
// "read" entries covers entirely (a filter wider than every read entry is
// refused). A "deny" entry matching the topic, or covering the filter,
// refuses whatever the other entries allow. A shared subscription is
// judged by its filter without "$share/{group}/". A pattern whose %c or
// %u would insert '+' or '#' (from a client identifier or user name
// holding them) is skipped for that client, as is a %u pattern for a
// client without a user name. Anything not allowed is denied.
type ACL struct {
	rules ruleFile[aclRules]
}

type aclRules struct {
	anon     []aclEntry
	users    map[string][]aclEntry
	patterns []aclEntry
}

type aclEntry struct {
	access access
	topic  string
}

type access byte

const (
	accessRead access = 1 << iota
	accessWrite
	accessDeny
)

// LoadACL reads the ACL file at path.
func LoadACL(path string) (*ACL, error) {
	a := newACL()
	if err := a.rules.load(path); err != nil {
		return nil, err
	}
	return a, nil
}

// NewACL returns an authorizer for the ACL file read from r; name is used
// in error messages. Reload has no file to read.
func NewACL(r io.Reader, name string) (*ACL, error) {
	a := newACL()
	if err := a.rules.read(r, name); err != nil {
		return nil, err
	}
	return a, nil
}

func newACL() *ACL { return &ACL{rules: ruleFile[aclRules]{what: "ACL", parse: parseACL}} }

// Reload reads the ACL file again and, when it is valid, replaces the
// rules atomically; on an error the rules loaded before stay in force.
func (a *ACL) Reload() error { return a.rules.reload() }

// CheckACL reads an ACL file and reports every problem in it, each as a
// *LineError joined with errors.Join.
func CheckACL(r io.Reader, name string) error {
	_, err := parseACL(r, name)
	return err
}

func parseACL(r io.Reader, name string) (aclRules, error) {
	rules := aclRules{users: make(map[string][]aclEntry)}
	var errs []error
	user, inUser := "", false
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 64<<10)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(strings.TrimRight(sc.Text(), "\r"))
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fail := func(format string, a ...any) {
			errs = append(errs, &LineError{File: name, Line: n, Msg: fmt.Sprintf(format, a...)})
		}
		keyword, rest, _ := strings.Cut(line, " ")
		rest = strings.TrimLeft(rest, " \t")
		switch keyword {
		case "user":
			if rest == "" {
				fail("user without a name")
				continue
			}
			user, inUser = rest, true
		case "topic", "pattern":
			e, err := parseEntry(rest)
			if err != nil {
				fail("%s: %v", keyword, err)
				continue
			}
			switch {
			case keyword == "pattern":
				rules.patterns = append(rules.patterns, e)
			case inUser:
				rules.users[user] = append(rules.users[user], e)
			default:
				rules.anon = append(rules.anon, e)
			}
		default:
			fail("unknown keyword %q (want user, topic or pattern)", keyword)
		}
	}
	if err := sc.Err(); err != nil {
		errs = append(errs, fmt.Errorf("%s: %w", name, err))
	}
	if len(errs) > 0 {
		return aclRules{}, errors.Join(errs...)
	}
	return rules, nil
}

// parseEntry parses "[read|write|readwrite|deny] <topic>". The access
// word may be left out; a topic holding a space then needs it.
func parseEntry(s string) (aclEntry, error) {
	e := aclEntry{access: accessRead | accessWrite, topic: s}
	word, rest, ok := strings.Cut(s, " ")
	if ok {
		switch word {
		case "read":
			e.access = accessRead
		case "write":
			e.access = accessWrite
		case "readwrite":
			e.access = accessRead | accessWrite
		case "deny":
			e.access = accessDeny
		default:
			return e, fmt.Errorf("unknown access %q (want read, write, readwrite or deny)", word)
		}
		e.topic = strings.TrimLeft(rest, " \t")
	} else if s == "read" || s == "write" || s == "readwrite" || s == "deny" {
		return e, errors.New("no topic")
	}
	if e.topic == "" {
		return e, errors.New("no topic")
	}
	if err := topic.ValidateFilter(e.topic); err != nil {
		return e, fmt.Errorf("topic %q: %v", e.topic, err)
	}
	return e, nil
}

// Authorize implements [server.Authorizer].
func (a *ACL) Authorize(c *server.Client, acc server.Access, name string) bool {
	return a.Allowed(c.Username(), c.ID(), acc, name)
}

// Allowed reports whether a client with this user name ("" for none) and
// client identifier may have access acc to name (a topic name, or a
// filter for AccessSubscribe).
func (a *ACL) Allowed(username, clientID string, acc server.Access, name string) bool {
	rules := a.rules.get()
	if rules == nil {
		return false
	}
	if acc == server.AccessSubscribe {
		if _, inner, shared, err := topic.ParseShared(name); err == nil && shared {
			name = inner
		}
	}
	need := accessRead
	if acc == server.AccessPublish {
		need = accessWrite
	}
	entries := rules.anon
	if username != "" {
		entries = rules.users[username]
	}
	allowed := false
	check := func(e aclEntry, t string) bool { // false: denied, stop
		if e.access&accessDeny != 0 {
			if applies(acc, t, name) {
				return false
			}
			return true
		}
		if !allowed && e.access&need != 0 && applies(acc, t, name) {
			allowed = true
		}
		return true
	}
	for _, e := range entries {
		if !check(e, e.topic) {
			return false
		}
	}
	for _, e := range rules.patterns {
		t, ok := substitute(e.topic, username, clientID)
		if ok && !check(e, t) {
			return false
		}
	}
	return allowed
}

// applies reports whether the entry topic t governs name: for a
// subscription, t covers every topic the filter name matches; otherwise t
// matches the topic name.
func applies(acc server.Access, t, name string) bool {
	if acc == server.AccessSubscribe {
		return covers(t, name)
	}
	return topic.Match(t, name)
}

// covers reports whether every topic name that filter f matches is also
// matched by filter t.
func covers(t, f string) bool {
	for first := true; ; first = false {
		tl, trest, tmore := strings.Cut(t, "/")
		fl, frest, fmore := strings.Cut(f, "/")
		if first && (tl == "#" || tl == "+") && strings.HasPrefix(fl, "$") {
			return false // f matches '$' names, which a leading wildcard does not
		}
		switch {
		case tl == "#":
			return true
		case fl == "#":
			return false // f reaches deeper than t allows
		case tl == "+":
			// '+' covers any one level, a '+' in f included.
		case tl != fl || fl == "+":
			return false
		}
		switch {
		case !tmore && !fmore:
			return true
		case !fmore:
			return trest == "#" // "x/#" also matches "x"
		case !tmore:
			return false
		}
		t, f = trest, frest
	}
}

// substitute replaces %c and %u in a pattern. It fails when the value is
// missing or holds a wildcard.
func substitute(t, username, clientID string) (string, bool) {
	if !strings.Contains(t, "%") {
		return t, true
	}
	if strings.Contains(t, "%u") {
		if username == "" || strings.ContainsAny(username, "+#") {
			return "", false
		}
		t = strings.ReplaceAll(t, "%u", username)
	}
	if strings.Contains(t, "%c") {
		if clientID == "" || strings.ContainsAny(clientID, "+#") {
			return "", false
		}
		t = strings.ReplaceAll(t, "%c", clientID)
	}
	return t, true
}
