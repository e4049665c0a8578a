package conformance

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/mqttx/mqttx/mqtt"
	"github.com/onsi/ginkgo/v2"
)

// Check is one conformance check. It declares the statements it proves for
// each protocol version (a check runs once for each version it has
// statements for), its area, and the broker capabilities it needs; a
// broker without one of them gets the check skipped with the reason.
type Check struct {
	// Area groups checks in reports: connect, publish, qos, retain …
	Area string
	// Name says what is checked, in one line; unique within the area.
	Name string
	// V5 and V311 are the statement ids ("MQTT-3.3.1-4") the check proves
	// under MQTT 5.0 and MQTT 3.1.1: each of them has an assertion in Run
	// that fails on a broker breaking it.
	V5, V311 []string
	// Needs lists the capabilities the check depends on.
	Needs []Capability
	// Run is the body; t.V is the version of this run.
	Run func(t *T)
}

var registry []*Check

// Checks returns every registered check, in registration order.
func Checks() []*Check { return registry }

// check registers c with the suite: one Ginkgo spec per protocol version,
// labelled with the version, the version-qualified statement ids (in label
// form, see StatementLabel), the area and the capabilities needed.
func check(c Check) bool {
	if c.Area == "" || c.Name == "" || c.Run == nil || len(c.V5)+len(c.V311) == 0 {
		panic(fmt.Sprintf("conformance: incomplete check %q/%q", c.Area, c.Name))
	}
	for _, r := range registry {
		if r.Area == c.Area && r.Name == c.Name {
			panic(fmt.Sprintf("conformance: two checks named %q in area %q", c.Name, c.Area))
		}
	}
	cp := &c
	registry = append(registry, cp)
	for _, v := range cp.Versions() {
		ginkgo.Describe(VersionName(v), func() {
			ginkgo.Describe(cp.Area, func() {
				ginkgo.It(cp.Name, ginkgo.Label(cp.Labels(v)...), func() { runCheck(cp, v) })
			})
		})
	}
	return true
}

// Versions are the protocol versions c runs for.
func (c *Check) Versions() []mqtt.Version {
	var vs []mqtt.Version
	if len(c.V5) > 0 {
		vs = append(vs, mqtt.V5)
	}
	if len(c.V311) > 0 {
		vs = append(vs, mqtt.V311)
	}
	return vs
}

// Statements are the statement ids c proves under v.
func (c *Check) Statements(v mqtt.Version) []string {
	if v == mqtt.V5 {
		return c.V5
	}
	return c.V311
}

// Qualified are the version-qualified statement ids ("v5/MQTT-3.3.1-4").
func (c *Check) Qualified(v mqtt.Version) []string {
	ids := c.Statements(v)
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = VersionName(v) + "/" + id
	}
	return out
}

// Key identifies one run of a check: "v5/area/name".
func (c *Check) Key(v mqtt.Version) string { return VersionName(v) + "/" + c.Area + "/" + c.Name }

// Labels are the Ginkgo labels of c's run for v.
func (c *Check) Labels(v mqtt.Version) []string {
	ls := []string{VersionName(v), c.Area}
	for _, q := range c.Qualified(v) {
		ls = append(ls, StatementLabel(q))
	}
	for _, n := range c.Needs {
		ls = append(ls, "needs-"+string(n))
	}
	return ls
}

// VersionName is the version as reports and labels write it: "v5",
// "v3.1.1".
func VersionName(v mqtt.Version) string {
	if v == mqtt.V5 {
		return "v5"
	}
	return "v" + v.String()
}

// StatementLabel turns a version-qualified statement id into the form a
// Ginkgo label may take: labels cannot contain '/', so "v5/MQTT-3.3.1-4"
// is the label "v5_MQTT-3.3.1-4". Reports and --list keep the slash form.
func StatementLabel(qualified string) string { return strings.Replace(qualified, "/", "_", 1) }

var qualifiedRE = regexp.MustCompile(`\b(v5|v3\.1\.1)/(MQTT-[0-9][0-9.]*-[0-9]+)`)

// LabelFilter rewrites a label filter written with version-qualified
// statement ids in their slash form into Ginkgo's label form.
func LabelFilter(expr string) string { return qualifiedRE.ReplaceAllString(expr, "${1}_${2}") }

// current is the environment of the run, set by the suite's BeforeSuite.
var current *env

func runCheck(c *Check, v mqtt.Version) {
	e := current
	if e == nil {
		ginkgo.Fail("conformance: the suite was not configured (Configure) or discovery failed")
	}
	vc := e.caps.V[VersionName(v)]
	if vc == nil || !vc.Supported {
		why := "not probed"
		if vc != nil {
			why = vc.Refusal
		}
		ginkgo.Skip(fmt.Sprintf("broker does not accept MQTT %s connections: %s", v, why))
	}
	for _, n := range c.Needs {
		if ok, why := e.caps.Has(n, v); !ok {
			ginkgo.Skip(why)
		}
	}
	t := newT(e, c, v)
	defer t.runCleanups()
	c.Run(t)
}

// Coverage maps each version-qualified statement id to the keys of the
// checks that prove it.
func Coverage() map[string][]string {
	m := map[string][]string{}
	for _, c := range registry {
		for _, v := range c.Versions() {
			for _, q := range c.Qualified(v) {
				m[q] = append(m[q], c.Key(v))
			}
		}
	}
	for _, ks := range m {
		sort.Strings(ks)
	}
	return m
}

// ListLines are the lines of `mqttcheck --list`: one per check run, with
// its version-qualified statements, area and needs.
func ListLines() []string {
	var out []string
	for _, c := range registry {
		for _, v := range c.Versions() {
			line := fmt.Sprintf("%s\t%s", c.Key(v), strings.Join(c.Qualified(v), " "))
			if len(c.Needs) > 0 {
				ns := make([]string, len(c.Needs))
				for i, n := range c.Needs {
					ns[i] = string(n)
				}
				line += "\tneeds " + strings.Join(ns, ",")
			}
			out = append(out, line)
		}
	}
	slices.Sort(out)
	return out
}
