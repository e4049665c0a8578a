package topic

import "strings"

// Match reports whether the topic filter matches the topic name.
//
// '+' matches exactly one level, '#' matches any number of trailing levels
// including none, so "a/#" matches "a". A name whose first character is
// '$' is never matched by a filter whose first level is a wildcard
// [MQTT-4.7.2-1]. Levels are compared byte for byte, without any
// normalization [MQTT-4.7.3-4].
//
// Match expects a valid name and filter (see [ValidateName],
// [ValidateFilter]); it does not understand "$share/": pass the inner
// filter that [ParseShared] returns. It does not allocate.
func Match(filter, name string) bool {
	if name != "" && name[0] == '$' && filter != "" && (filter[0] == '+' || filter[0] == '#') {
		return false // [MQTT-4.7.2-1]
	}
	f, n := filter, name
	for {
		fi := strings.IndexByte(f, '/')
		fl := f
		if fi >= 0 {
			fl = f[:fi]
		}
		if fl == "#" {
			return true
		}
		ni := strings.IndexByte(n, '/')
		nl := n
		if ni >= 0 {
			nl = n[:ni]
		}
		if fl != "+" && fl != nl {
			return false
		}
		switch {
		case fi < 0 && ni < 0:
			return true
		case fi < 0:
			return false // the name has more levels
		case ni < 0:
			return f[fi+1:] == "#" // only "#" matches the parent level
		}
		f, n = f[fi+1:], n[ni+1:]
	}
}
