package topic

import (
	"strings"

	"github.com/mqttx/mqttx/mqtt"
)

// sharePrefix starts every shared subscription filter.
const sharePrefix = "$share/"

// ParseShared splits a shared subscription filter "$share/{group}/{filter}"
// into its group name and inner filter.
//
// ok reports whether filter starts with "$share/"; when it does not, the
// other results are empty and the filter is an ordinary one. When it does,
// err is nil only if the whole filter is valid: a non-empty group without
// '/', '+' or '#', then '/', then a valid non-empty filter. err is an
// *mqtt.Error with code mqtt.TopicFilterInvalid; an invalid inner filter
// reports the rule the inner filter breaks.
//
// Shared subscriptions are an MQTT 5.0 feature: the statement ids are those
// of 5.0, and a broker calls ParseShared for MQTT 5 clients only (see
// [ValidateFilterFor]).
func ParseShared(filter string) (group, inner string, ok bool, err error) {
	if !strings.HasPrefix(filter, sharePrefix) {
		return "", "", false, nil
	}
	if err := checkString(mqtt.V5, filter, mqtt.TopicFilterInvalid, false); err != nil {
		return "", "", true, err
	}
	rest := filter[len(sharePrefix):]
	i := strings.IndexByte(rest, '/')
	if i < 0 {
		group = rest
	} else {
		group = rest[:i]
	}
	if group == "" {
		return "", "", true, invalid(mqtt.TopicFilterInvalid, "MQTT-4.8.2-1", "empty share name") // [MQTT-4.8.2-1]
	}
	// The group ends at the first '/', so only the wildcards can be in it.
	if strings.ContainsAny(group, "+#") {
		return "", "", true, invalid(mqtt.TopicFilterInvalid, "MQTT-4.8.2-2", "wildcard in share name") // [MQTT-4.8.2-2]
	}
	if i < 0 {
		return "", "", true, invalid(mqtt.TopicFilterInvalid, "MQTT-4.8.2-2", "no '/' after share name") // [MQTT-4.8.2-2]
	}
	inner = rest[i+1:]
	if inner == "" {
		return "", "", true, invalid(mqtt.TopicFilterInvalid, "MQTT-4.8.2-2", "no filter after share name") // [MQTT-4.8.2-2]
	}
	if err := checkWildcards(mqtt.V5, inner); err != nil {
		return "", "", true, err
	}
	return group, inner, true, nil
}
