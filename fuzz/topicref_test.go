package fuzz

import (
	"slices"
	"strings"
	"unicode/utf8"
)

// A reference for the topic rules of MQTT 5.0 sections 4.7 and 4.8 (and
// 1.5.4 for UTF-8), written the slow, obvious way from the statements and
// independent of mqtt/topic: split on '/' and look at each level. The
// fuzz targets check ValidateName, ValidateFilter, ParseShared and Match
// against it.

// refMaxLen is the longest topic name or filter, in bytes [MQTT-4.7.3-3].
const refMaxLen = 65535

// refStringRules lists the rules every topic name and filter shares that
// s breaks: non-empty [MQTT-4.7.3-1], at most 65535 bytes [MQTT-4.7.3-3],
// no U+0000 [MQTT-4.7.3-2], well-formed UTF-8 [MQTT-1.5.4-1] (Go's
// utf8.ValidString refuses surrogate halves, overlong forms, truncated
// sequences and code points above U+10FFFF, as RFC 3629 does).
func refStringRules(s string) []string {
	var broken []string
	if s == "" {
		broken = append(broken, "MQTT-4.7.3-1")
	}
	if len(s) > refMaxLen {
		broken = append(broken, "MQTT-4.7.3-3")
	}
	if strings.IndexByte(s, 0) >= 0 {
		broken = append(broken, "MQTT-4.7.3-2")
	}
	if !utf8.ValidString(s) {
		broken = append(broken, "MQTT-1.5.4-1")
	}
	return broken
}

// refNameRules lists the rules topic name s breaks; none when it is valid.
func refNameRules(s string) []string {
	broken := refStringRules(s)
	if strings.ContainsAny(s, "+#") {
		broken = append(broken, "MQTT-4.7.0-1") // no wildcards in a name
	}
	return broken
}

// refLevelRules lists the wildcard rules the levels of an ordinary filter
// f break: '#' only as a whole level and the last one [MQTT-4.7.1-1], '+'
// only as a whole level [MQTT-4.7.1-2].
func refLevelRules(f string) []string {
	var broken []string
	levels := strings.Split(f, "/")
	for i, l := range levels {
		if strings.Contains(l, "#") && (l != "#" || i != len(levels)-1) {
			broken = append(broken, "MQTT-4.7.1-1")
		}
		if strings.Contains(l, "+") && l != "+" {
			broken = append(broken, "MQTT-4.7.1-2")
		}
	}
	return broken
}

// refShared splits a filter starting with "$share/" the way section 4.8.2
// reads: "$share/", a share name up to the next '/', that '/', the rest.
// slash reports whether the '/' after the share name is there.
func refShared(f string) (group, inner string, slash bool) {
	group, inner, slash = strings.Cut(strings.TrimPrefix(f, "$share/"), "/")
	return group, inner, slash
}

// refFilterRules lists the rules topic filter f breaks; none when it is
// valid. A filter starting with "$share/" is a shared subscription: a
// non-empty share name [MQTT-4.8.2-1] without '+' or '#' (it ends at the
// first '/'), followed by '/' and a non-empty valid filter [MQTT-4.8.2-2].
func refFilterRules(f string) []string {
	broken := refStringRules(f)
	if !strings.HasPrefix(f, "$share/") {
		return append(broken, refLevelRules(f)...)
	}
	group, inner, slash := refShared(f)
	if group == "" {
		broken = append(broken, "MQTT-4.8.2-1")
	}
	if strings.ContainsAny(group, "+#") || !slash || inner == "" {
		broken = append(broken, "MQTT-4.8.2-2")
	}
	if inner != "" {
		broken = append(broken, refLevelRules(inner)...)
	}
	return broken
}

// refMatch is the matching rule written the slow, obvious way, for a valid
// name and a valid ordinary filter: '+' is one whole level, '#' the rest
// of the levels including none, and a filter whose first level is a
// wildcard matches no name starting with '$' [MQTT-4.7.2-1].
func refMatch(filter, name string) bool {
	if name[0] == '$' && (filter[0] == '+' || filter[0] == '#') {
		return false
	}
	fl, nl := strings.Split(filter, "/"), strings.Split(name, "/")
	for i, f := range fl {
		if f == "#" {
			return true // matches the parent level too: "a/#" matches "a"
		}
		if i >= len(nl) || (f != "+" && f != nl[i]) {
			return false
		}
	}
	return len(fl) == len(nl)
}

// refFiltersFor returns filters built from the valid name so that they
// match it by construction (unless the name starts with '$' and the
// filter with a wildcard): for each of the first few levels, the name with
// that level replaced by '+', and the levels before it followed by '#';
// also the name followed by "/#" and "#" alone. Random filters seldom
// match random names; these do, and mostly differ from it by one level.
func refFiltersFor(name string, maxLevels int) []string {
	levels := strings.Split(name, "/")
	out := []string{"#", name + "/#"}
	for i := range min(len(levels), maxLevels) {
		plus := slices.Clone(levels)
		plus[i] = "+"
		out = append(out, strings.Join(plus, "/"), strings.Join(append(slices.Clone(levels[:i]), "#"), "/"))
	}
	return out
}
