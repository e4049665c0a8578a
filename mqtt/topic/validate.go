package topic

import (
	"unicode/utf8"

	"github.com/mqttx/mqttx/mqtt"
)

// maxLen is the longest topic name or filter, in bytes: the length prefix of
// a UTF-8 string on the wire is two bytes.
const maxLen = 65535

// Rule identifiers use the MQTT 5.0 numbering. Where MQTT 3.1.1 numbers the
// same rule differently, the comment at the check gives both.

// ValidateName reports whether name may be used as the topic of a PUBLISH.
// The error is an *mqtt.Error with code mqtt.TopicNameInvalid, the broken
// statement in Rule and a short Reason.
func ValidateName(name string) error {
	return checkString(name, mqtt.TopicNameInvalid, true)
}

// ValidateFilter reports whether filter may be used in a SUBSCRIBE or
// UNSUBSCRIBE. A filter starting with "$share/" is checked as a shared
// subscription (see [ParseShared]). The error is an *mqtt.Error with code
// mqtt.TopicFilterInvalid.
//
// MQTT 3.1.1 has no shared subscriptions; a broker that wants "$share/..."
// to be an ordinary filter for such clients checks the string rules itself
// and should not call ValidateFilter for them.
func ValidateFilter(filter string) error {
	if _, _, ok, err := ParseShared(filter); ok {
		return err
	}
	if err := checkString(filter, mqtt.TopicFilterInvalid, false); err != nil {
		return err
	}
	return checkWildcards(filter)
}

// checkString applies the rules every topic name and filter shares:
// non-empty, bounded length, well-formed UTF-8 without U+0000. With name
// set it also refuses the wildcard characters.
func checkString(s string, code mqtt.ReasonCode, name bool) error {
	if s == "" {
		return invalid(code, "MQTT-4.7.3-1", "empty") // [MQTT-4.7.3-1]
	}
	if len(s) > maxLen {
		return invalid(code, "MQTT-4.7.3-3", "longer than 65535 bytes") // [MQTT-4.7.3-3]
	}
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == 0:
				return invalid(code, "MQTT-4.7.3-2", "contains U+0000") // [MQTT-4.7.3-2]
			case name && (c == '+' || c == '#'):
				// [MQTT-4.7.0-1] (MQTT 3.1.1: [MQTT-4.7.1-1])
				return invalid(code, "MQTT-4.7.0-1", "wildcard in topic name")
			}
			i++
			continue
		}
		// utf8.DecodeRuneInString reports surrogate halves, overlong forms
		// and truncated sequences as a one-byte RuneError.
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			return invalid(code, "MQTT-1.5.4-1", "not well-formed UTF-8") // [MQTT-1.5.4-1]
		}
		i += n
	}
	return nil
}

// checkWildcards checks where '#' and '+' stand in a filter whose string
// rules already hold.
func checkWildcards(f string) error {
	for i := 0; i < len(f); i++ {
		switch f[i] {
		case '#':
			// [MQTT-4.7.1-1] (MQTT 3.1.1: [MQTT-4.7.1-2]): a whole level, and the last one.
			if i > 0 && f[i-1] != '/' {
				return invalid(mqtt.TopicFilterInvalid, "MQTT-4.7.1-1", "'#' does not fill its level")
			}
			if i != len(f)-1 {
				return invalid(mqtt.TopicFilterInvalid, "MQTT-4.7.1-1", "'#' is not the last character")
			}
		case '+':
			// [MQTT-4.7.1-2] (MQTT 3.1.1: [MQTT-4.7.1-3]): a whole level.
			if (i > 0 && f[i-1] != '/') || (i+1 < len(f) && f[i+1] != '/') {
				return invalid(mqtt.TopicFilterInvalid, "MQTT-4.7.1-2", "'+' does not fill its level")
			}
		}
	}
	return nil
}

func invalid(code mqtt.ReasonCode, rule, reason string) *mqtt.Error {
	return &mqtt.Error{Code: code, Rule: rule, Reason: reason}
}
