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

// TestValidateForVersions checks names and filters under each protocol
// level: the same verdicts, each reported with its own version's
// statement id, except for "$share/", which only MQTT 5 gives a meaning.
func TestValidateForVersions(t *testing.T) {
	v3 := []mqtt.Version{mqtt.V31, mqtt.V311}
	for _, c := range []struct {
		s        string
		v5, v311 string // the rule broken, "" for a valid name
	}{
		{"a/b", "", ""},
		{"$share/g/a", "", ""},
		{"", "MQTT-4.7.3-1", "MQTT-4.7.3-1"},
		{strings.Repeat("a", 65536), "MQTT-4.7.3-3", "MQTT-4.7.3-3"},
		{"a\x00", "MQTT-4.7.3-2", "MQTT-4.7.3-2"},
		{"+", "MQTT-4.7.0-1", "MQTT-4.7.1-1"},
		{"a/#", "MQTT-4.7.0-1", "MQTT-4.7.1-1"},
		{"a+b", "MQTT-4.7.0-1", "MQTT-4.7.1-1"},
		{"\xed\xa0\x80", "MQTT-1.5.4-1", "MQTT-1.5.3-1"},
		{"a/\xc0\x80", "MQTT-1.5.4-1", "MQTT-1.5.3-1"},
	} {
		checkErr(t, "ValidateNameFor(5.0, "+short(c.s)+")", ValidateNameFor(mqtt.V5, c.s), mqtt.TopicNameInvalid, c.v5)
		for _, v := range v3 {
			checkErr(t, "ValidateNameFor("+v.String()+", "+short(c.s)+")", ValidateNameFor(v, c.s), mqtt.TopicNameInvalid, c.v311)
		}
	}
	for _, c := range []struct {
		s        string
		v5, v311 string // the rule broken, "" for a valid filter
	}{
		{"a/+/#", "", ""},
		{"#", "", ""},
		{"", "MQTT-4.7.3-1", "MQTT-4.7.3-1"},
		{strings.Repeat("a", 65536), "MQTT-4.7.3-3", "MQTT-4.7.3-3"},
		{"a/\x00", "MQTT-4.7.3-2", "MQTT-4.7.3-2"},
		{"\xff/#", "MQTT-1.5.4-1", "MQTT-1.5.3-1"},
		{"a#", "MQTT-4.7.1-1", "MQTT-4.7.1-2"},
		{"#/a", "MQTT-4.7.1-1", "MQTT-4.7.1-2"},
		{"a+", "MQTT-4.7.1-2", "MQTT-4.7.1-3"},
		{"a/+b/c", "MQTT-4.7.1-2", "MQTT-4.7.1-3"},
		{"+#", "MQTT-4.7.1-2", "MQTT-4.7.1-3"},
		// Shared subscriptions exist in MQTT 5 only; before, "$share" is
		// an ordinary first level.
		{"$share/g/a/#", "", ""},
		{"$share/g", "MQTT-4.8.2-2", ""},
		{"$share/g/", "MQTT-4.8.2-2", ""},
		{"$share//a", "MQTT-4.8.2-1", ""},
		{"$share/", "MQTT-4.8.2-1", ""},
		{"$share/g+/a", "MQTT-4.8.2-2", "MQTT-4.7.1-3"},
		{"$share/#", "MQTT-4.8.2-2", ""},
		{"$share/#/a", "MQTT-4.8.2-2", "MQTT-4.7.1-2"},
		{"$share/g/a#", "MQTT-4.7.1-1", "MQTT-4.7.1-2"},
		{"$share/g/a/+b", "MQTT-4.7.1-2", "MQTT-4.7.1-3"},
		{"$share/g/\xed\xa0\x80", "MQTT-1.5.4-1", "MQTT-1.5.3-1"},
		{"$share/g\x00/a", "MQTT-4.7.3-2", "MQTT-4.7.3-2"},
	} {
		checkErr(t, "ValidateFilterFor(5.0, "+short(c.s)+")", ValidateFilterFor(mqtt.V5, c.s), mqtt.TopicFilterInvalid, c.v5)
		for _, v := range v3 {
			checkErr(t, "ValidateFilterFor("+v.String()+", "+short(c.s)+")", ValidateFilterFor(v, c.s), mqtt.TopicFilterInvalid, c.v311)
		}
	}
}

// TestValidateIsV5 checks that ValidateName and ValidateFilter give the
// very errors of the MQTT 5 variants.
func TestValidateIsV5(t *testing.T) {
	same := func(what string, a, b error) {
		t.Helper()
		ae, _ := a.(*mqtt.Error)
		be, _ := b.(*mqtt.Error)
		if (a == nil) != (b == nil) || (ae == nil) != (be == nil) || (ae != nil && *ae != *be) {
			t.Errorf("%s: got %v, want %v", what, a, b)
		}
	}
	inputs := []string{"$share/g/a#", "$share/g", "a/+", "a#", "+a", "a\x00", "\xff", "", "$share/g/a", "a/#"}
	for _, c := range stringCases {
		inputs = append(inputs, c.s)
	}
	for _, s := range inputs {
		same("ValidateName("+short(s)+")", ValidateName(s), ValidateNameFor(mqtt.V5, s))
		same("ValidateFilter("+short(s)+")", ValidateFilter(s), ValidateFilterFor(mqtt.V5, s))
	}
}
