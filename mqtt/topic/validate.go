package topic

import (
	"unicode/utf8"

	"github.com/mqttx/mqttx/mqtt"
)

// maxLen is the longest topic name or filter, in bytes: the length prefix of
// a UTF-8 string on the wire is two bytes.
const maxLen = 65535

// The topic rules are the same in MQTT 3.1.1 and 5.0, but several of their
// statement ids are not: the same id can even name different statements
// (MQTT-4.7.1-1 is the '#' rule in 5.0 and the no-wildcards-in-names rule
// in 3.1.1). Each check below names both, through rule. MQTT 3.1 has no
// numbered statements and reports the 3.1.1 ids.

// rule returns the statement id v numbers a rule with: v5 for MQTT 5.0,
// v3 for MQTT 3.1.1 and 3.1 (and any other level).
func rule(v mqtt.Version, v5, v3 string) string {
	if v == mqtt.V5 {
		return v5
	}
	return v3
}

// ValidateName reports whether name may be used as the topic of a PUBLISH,
// under the MQTT 5.0 rules and statement ids; it is ValidateNameFor with
// mqtt.V5. The error is an *mqtt.Error with code mqtt.TopicNameInvalid, the
// broken statement in Rule and a short Reason.
func ValidateName(name string) error {
	return ValidateNameFor(mqtt.V5, name)
}

// ValidateNameFor is [ValidateName] for a client speaking protocol level v:
// the rules are the same in every version, and the error's Rule is the
// statement id of v's specification (MQTT 3.1 uses the 3.1.1 ids; a level
// other than mqtt.V5 is treated as 3.1.1).
func ValidateNameFor(v mqtt.Version, name string) error {
	return checkString(v, name, mqtt.TopicNameInvalid, true)
}

// ValidateFilter reports whether filter may be used in a SUBSCRIBE or
// UNSUBSCRIBE, under the MQTT 5.0 rules and statement ids; it is
// ValidateFilterFor with mqtt.V5. A filter starting with "$share/" is
// checked as a shared subscription (see [ParseShared]). The error is an
// *mqtt.Error with code mqtt.TopicFilterInvalid.
//
// MQTT 3.1 and 3.1.1 have no shared subscriptions: check their filters
// with [ValidateFilterFor], which treats "$share/..." as an ordinary filter.
func ValidateFilter(filter string) error {
	return ValidateFilterFor(mqtt.V5, filter)
}

// ValidateFilterFor is [ValidateFilter] for a client speaking protocol
// level v, and its error's Rule is the statement id of v's specification.
//
// On mqtt.V5 a filter starting with "$share/" is a shared subscription and
// must satisfy [ParseShared]. On MQTT 3.1 and 3.1.1 (and any level other
// than mqtt.V5) "$share/" means nothing: such a filter is checked like any
// other, so "$share/g" is valid and "$share/g/a#" breaks the '#' rule. A
// broker must then subscribe it as the ordinary filter it is, without
// calling ParseShared.
func ValidateFilterFor(v mqtt.Version, filter string) error {
	if v == mqtt.V5 {
		if _, _, ok, err := ParseShared(filter); ok {
			return err
		}
	}
	if err := checkString(v, filter, mqtt.TopicFilterInvalid, false); err != nil {
		return err
	}
	return checkWildcards(v, filter)
}

// checkString applies the rules every topic name and filter shares:
// non-empty, bounded length, well-formed UTF-8 without U+0000. With name
// set it also refuses the wildcard characters. Rules are numbered as v
// numbers them.
func checkString(v mqtt.Version, s string, code mqtt.ReasonCode, name bool) error {
	if s == "" {
		return invalid(code, "MQTT-4.7.3-1", "empty") // [MQTT-4.7.3-1] in 3.1.1 and 5.0
	}
	if len(s) > maxLen {
		return invalid(code, "MQTT-4.7.3-3", "longer than 65535 bytes") // [MQTT-4.7.3-3] in 3.1.1 and 5.0
	}
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == 0:
				// [MQTT-4.7.3-2] in 3.1.1 and 5.0 (the general string rule
				// is [MQTT-1.5.4-2], 3.1.1: [MQTT-1.5.3-2]).
				return invalid(code, "MQTT-4.7.3-2", "contains U+0000")
			case name && (c == '+' || c == '#'):
				// [MQTT-4.7.0-1] (MQTT 3.1.1: [MQTT-4.7.1-1])
				return invalid(code, rule(v, "MQTT-4.7.0-1", "MQTT-4.7.1-1"), "wildcard in topic name")
			}
			i++
			continue
		}
		// utf8.DecodeRuneInString reports surrogate halves, overlong forms
		// and truncated sequences as a one-byte RuneError.
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			// [MQTT-1.5.4-1] (MQTT 3.1.1: [MQTT-1.5.3-1])
			return invalid(code, rule(v, "MQTT-1.5.4-1", "MQTT-1.5.3-1"), "not well-formed UTF-8")
		}
		i += n
	}
	return nil
}

// checkWildcards checks where '#' and '+' stand in a filter whose string
// rules already hold. Rules are numbered as v numbers them.
func checkWildcards(v mqtt.Version, f string) error {
	for i := 0; i < len(f); i++ {
		switch f[i] {
		case '#':
			// [MQTT-4.7.1-1] (MQTT 3.1.1: [MQTT-4.7.1-2]): a whole level, and the last one.
			if i > 0 && f[i-1] != '/' {
				return invalid(mqtt.TopicFilterInvalid, rule(v, "MQTT-4.7.1-1", "MQTT-4.7.1-2"), "'#' does not fill its level")
			}
			if i != len(f)-1 {
				return invalid(mqtt.TopicFilterInvalid, rule(v, "MQTT-4.7.1-1", "MQTT-4.7.1-2"), "'#' is not the last character")
			}
		case '+':
			// [MQTT-4.7.1-2] (MQTT 3.1.1: [MQTT-4.7.1-3]): a whole level.
			if (i > 0 && f[i-1] != '/') || (i+1 < len(f) && f[i+1] != '/') {
				return invalid(mqtt.TopicFilterInvalid, rule(v, "MQTT-4.7.1-2", "MQTT-4.7.1-3"), "'+' does not fill its level")
			}
		}
	}
	return nil
}

func invalid(code mqtt.ReasonCode, rule, reason string) *mqtt.Error {
	return &mqtt.Error{Code: code, Rule: rule, Reason: reason}
}
