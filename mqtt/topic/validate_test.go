package topic

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/mqttx/mqttx/mqtt"
)

// checkErr compares err with the wanted rule ("" for no error) and code.
func checkErr(t *testing.T, what string, err error, code mqtt.ReasonCode, rule string) {
	t.Helper()
	if rule == "" {
		if err != nil {
			t.Errorf("%s: got %v, want nil", what, err)
		}
		return
	}
	var e *mqtt.Error
	if !errors.As(err, &e) {
		t.Errorf("%s: got %v, want *mqtt.Error with rule %s", what, err, rule)
		return
	}
	if e.Code != code || e.Rule != rule || e.Reason == "" {
		t.Errorf("%s: got code %v rule %q reason %q, want code %v rule %q and a reason", what, e.Code, e.Rule, e.Reason, code, rule)
	}
}

var stringCases = []struct {
	s    string
	rule string // "" when valid as a filter and, without wildcards, as a name
}{
	{"a", ""},
	{"a/b/c", ""},
	{"/", ""},
	{"a//b", ""},
	{"/a/", ""},
	{"$SYS/broker", ""},
	{"ünïcödé/日本", ""},
	{"\xef\xbf\xbd", ""},     // U+FFFD itself is well-formed
	{"\xf0\x9f\x98\x80", ""}, // 4-byte sequence
	{strings.Repeat("a", 65535), ""},
	{"", "MQTT-4.7.3-1"},
	{strings.Repeat("a", 65536), "MQTT-4.7.3-3"},
	{"a\x00b", "MQTT-4.7.3-2"},
	{"\x00", "MQTT-4.7.3-2"},
	{"\xed\xa0\x80", "MQTT-1.5.4-1"},     // surrogate U+D800
	{"a/\xed\xbf\xbf", "MQTT-1.5.4-1"},   // surrogate U+DFFF
	{"\xc0\x80", "MQTT-1.5.4-1"},         // overlong U+0000
	{"\xff", "MQTT-1.5.4-1"},             // never valid
	{"a\xe6\x97", "MQTT-1.5.4-1"},        // truncated
	{"\xf4\x90\x80\x80", "MQTT-1.5.4-1"}, // above U+10FFFF
}

func TestValidateName(t *testing.T) {
	for _, c := range stringCases {
		checkErr(t, "ValidateName("+short(c.s)+")", ValidateName(c.s), mqtt.TopicNameInvalid, c.rule)
	}
	for _, c := range []struct{ s, rule string }{
		{"+", "MQTT-4.7.0-1"},
		{"a/+/b", "MQTT-4.7.0-1"},
		{"#", "MQTT-4.7.0-1"},
		{"a/#", "MQTT-4.7.0-1"},
		{"a+b", "MQTT-4.7.0-1"},
		{"$share/g/a", ""}, // just a name
	} {
		checkErr(t, "ValidateName("+c.s+")", ValidateName(c.s), mqtt.TopicNameInvalid, c.rule)
	}
}

func TestValidateFilter(t *testing.T) {
	for _, c := range stringCases {
		checkErr(t, "ValidateFilter("+short(c.s)+")", ValidateFilter(c.s), mqtt.TopicFilterInvalid, c.rule)
	}
	for _, c := range []struct{ s, rule string }{
		{"#", ""},
		{"a/#", ""},
		{"/#", ""},
		{"a//#", ""},
		{"+/#", ""},
		{"$SYS/#", ""},
		{"a#", "MQTT-4.7.1-1"},
		{"a/b#", "MQTT-4.7.1-1"},
		{"#/", "MQTT-4.7.1-1"},
		{"#/a", "MQTT-4.7.1-1"},
		{"a/#/b", "MQTT-4.7.1-1"},
		{"##", "MQTT-4.7.1-1"},
		{"a/#/#", "MQTT-4.7.1-1"},
		{"+", ""},
		{"+/+", ""},
		{"/+", ""},
		{"+/", ""},
		{"a/+/b", ""},
		{"+/+/#", ""},
		{"a+", "MQTT-4.7.1-2"},
		{"+a", "MQTT-4.7.1-2"},
		{"a/+b/c", "MQTT-4.7.1-2"},
		{"a/b+/c", "MQTT-4.7.1-2"},
		{"++", "MQTT-4.7.1-2"},
		{"+#", "MQTT-4.7.1-2"}, // both rules broken; the first found is reported
		{"$share", ""},         // no '/': an ordinary filter
		{"$shared/g/a", ""},
		{"$share/g/a", ""},
		{"$share/g/a/#", ""},
		{"$share/g/+", ""},
		{"$share/g/$SYS/#", ""},
		{"$share//a", "MQTT-4.8.2-1"},
		{"$share/", "MQTT-4.8.2-1"},
		{"$share/g", "MQTT-4.8.2-2"},
		{"$share/g/", "MQTT-4.8.2-2"},
		{"$share/g+/a", "MQTT-4.8.2-2"},
		{"$share/+/a", "MQTT-4.8.2-2"},
		{"$share/#/a", "MQTT-4.8.2-2"},
		{"$share/#", "MQTT-4.8.2-2"},
		{"$share/g/a#", "MQTT-4.7.1-1"},
		{"$share/g/a/+b", "MQTT-4.7.1-2"},
		{"$share/g\x00/a", "MQTT-4.7.3-2"},
		{"$share/g/\xed\xa0\x80", "MQTT-1.5.4-1"},
		{"$share/g/" + strings.Repeat("a", 65536-9), "MQTT-4.7.3-3"},
	} {
		checkErr(t, "ValidateFilter("+short(c.s)+")", ValidateFilter(c.s), mqtt.TopicFilterInvalid, c.rule)
	}
}

func TestErrorsIs(t *testing.T) {
	err := ValidateName("")
	if got := mqtt.CodeOf(err); got != mqtt.TopicNameInvalid {
		t.Errorf("CodeOf(ValidateName(\"\")): got %v, want %v", got, mqtt.TopicNameInvalid)
	}
	if !errors.Is(err, &mqtt.Error{Code: mqtt.TopicNameInvalid}) {
		t.Errorf("errors.Is(%v, TopicNameInvalid): got false, want true", err)
	}
}

// short names a test input in a message, abbreviating long ones.
func short(s string) string {
	if len(s) > 20 {
		return fmt.Sprintf("%q…(%d bytes)", s[:10], len(s))
	}
	return fmt.Sprintf("%q", s)
}
