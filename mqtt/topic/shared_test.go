package topic

import (
	"testing"

	"github.com/mqttx/mqttx/mqtt"
)

func TestParseShared(t *testing.T) {
	for _, c := range []struct {
		in           string
		group, inner string
		ok           bool
		rule         string
	}{
		{"a/b", "", "", false, ""},
		{"$share", "", "", false, ""},
		{"$SHARE/g/a", "", "", false, ""}, // the prefix is case-sensitive
		{"$share/g/a", "g", "a", true, ""},
		{"$share/g/a/#", "g", "a/#", true, ""},
		{"$share/group-1/+/b", "group-1", "+/b", true, ""},
		{"$share/g/#", "g", "#", true, ""},
		{"$share/g//", "g", "/", true, ""},
		{"$share/g/$share/h/a", "g", "$share/h/a", true, ""},
		{"$share//a", "", "", true, "MQTT-4.8.2-1"},
		{"$share/", "", "", true, "MQTT-4.8.2-1"},
		{"$share/g", "", "", true, "MQTT-4.8.2-2"},
		{"$share/g/", "", "", true, "MQTT-4.8.2-2"},
		{"$share/g+/a", "", "", true, "MQTT-4.8.2-2"},
		{"$share/g#/a", "", "", true, "MQTT-4.8.2-2"},
		{"$share/g/a+", "", "", true, "MQTT-4.7.1-2"},
		{"$share/g/#/a", "", "", true, "MQTT-4.7.1-1"},
		{"$share/g\x00/a", "", "", true, "MQTT-4.7.3-2"},
	} {
		group, inner, ok, err := ParseShared(c.in)
		if group != c.group || inner != c.inner || ok != c.ok {
			t.Errorf("ParseShared(%q): got %q, %q, %v, want %q, %q, %v", c.in, group, inner, ok, c.group, c.inner, c.ok)
		}
		checkErr(t, "ParseShared("+c.in+")", err, mqtt.TopicFilterInvalid, c.rule)
	}
}
