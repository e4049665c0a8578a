package conformance

import (
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/mqttx/mqttx/mqtt"
	"github.com/onsi/ginkgo/v2/types"
)

// Result states of a check run.
const (
	Passed  = "passed"
	Failed  = "failed"
	Skipped = "skipped"
)

// Results is the outcome of a run in the form mqttcheck writes as JSON and
// compares with a committed baseline.
type Results struct {
	Broker       string         `json:"broker"`
	Capabilities *Capabilities  `json:"capabilities,omitempty"`
	Duration     string         `json:"duration"`
	Counts       map[string]int `json:"counts"`
	Checks       []CheckResult  `json:"checks"`
}

// CheckResult is the outcome of one check for one protocol version.
type CheckResult struct {
	Key        string   `json:"key"` // "v5/area/name"
	Version    string   `json:"version"`
	Area       string   `json:"area"`
	Name       string   `json:"name"`
	Statements []string `json:"statements"` // version-qualified
	State      string   `json:"state"`
	// Message is the failure (statement, sent, expected, got) or the
	// reason for a skip.
	Message  string `json:"message,omitempty"`
	Duration string `json:"duration,omitempty"`
}

// BuildResults turns a Ginkgo report of the suite into Results. Specs not
// run because a label filter left them out are not listed.
func BuildResults(r *types.Report) *Results {
	byKey := map[string]*Check{}
	vers := map[string]mqtt.Version{}
	for _, c := range registry {
		for _, v := range c.Versions() {
			byKey[c.Key(v)] = c
			vers[c.Key(v)] = v
		}
	}
	res := &Results{Duration: r.RunTime.Round(time.Millisecond).String(), Counts: map[string]int{}}
	if caps := Discovered(); caps != nil {
		res.Capabilities = caps
		res.Broker = caps.Broker
	}
	for _, s := range r.SpecReports {
		if s.LeafNodeType != types.NodeTypeIt {
			if s.State.Is(types.SpecStateFailureStates) {
				// A failing BeforeSuite: every check is moot.
				res.Checks = append(res.Checks, CheckResult{Key: "suite/" + s.LeafNodeType.String(), State: Failed, Message: s.Failure.Message})
				res.Counts[Failed]++
			}
			continue
		}
		if len(s.ContainerHierarchyTexts) < 2 {
			continue
		}
		key := s.ContainerHierarchyTexts[0] + "/" + s.ContainerHierarchyTexts[1] + "/" + s.LeafNodeText
		c := byKey[key]
		if c == nil {
			continue
		}
		cr := CheckResult{Key: key, Version: VersionName(vers[key]), Area: c.Area, Name: c.Name, Statements: c.Qualified(vers[key])}
		switch {
		case s.State == types.SpecStatePassed:
			cr.State = Passed
		case s.State == types.SpecStateSkipped:
			cr.State = Skipped
			cr.Message = s.Failure.Message
		case s.State == types.SpecStatePending:
			continue
		case s.State.Is(types.SpecStateFailureStates):
			cr.State = Failed
			cr.Message = s.Failure.Message
		default:
			// Filtered out by label or focus.
			continue
		}
		if cr.State == Skipped && cr.Message == "" {
			// Skipped by a filter, not by the check: not part of the run.
			continue
		}
		cr.Duration = s.RunTime.Round(time.Millisecond).String()
		res.Checks = append(res.Checks, cr)
		res.Counts[cr.State]++
	}
	sort.Slice(res.Checks, func(i, j int) bool { return res.Checks[i].Key < res.Checks[j].Key })
	return res
}

// WriteJSON writes the results as JSON.
func (r *Results) WriteJSON(path string) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	return writeOut(path, append(b, '\n'))
}

// ReadResults reads results written by WriteJSON.
func ReadResults(path string) (*Results, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var r Results
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &r, nil
}

func writeOut(path string, b []byte) error {
	if path == "" || path == "-" {
		_, err := os.Stdout.Write(b)
		return err
	}
	return os.WriteFile(path, b, 0o644)
}

// Text is the console report: counts, then each failure with its message
// and each skip with its reason.
func (r *Results) Text() string {
	var b strings.Builder
	fmt.Fprintf(&b, "mqttcheck: %s: %d passed, %d failed, %d skipped (%s)\n", r.Broker, r.Counts[Passed], r.Counts[Failed], r.Counts[Skipped], r.Duration)
	for _, state := range []string{Failed, Skipped} {
		for _, c := range r.Checks {
			if c.State != state {
				continue
			}
			fmt.Fprintf(&b, "\n%s %s [%s]\n", strings.ToUpper(state), c.Key, strings.Join(c.Statements, " "))
			for _, l := range strings.Split(strings.TrimSpace(c.Message), "\n") {
				fmt.Fprintf(&b, "    %s\n", l)
			}
		}
	}
	return b.String()
}

// Markdown is the report as a Markdown matrix: counts, then one row per
// statement with the states of its checks, then every failure and skip.
func (r *Results) Markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# mqttcheck report: %s\n\n", r.Broker)
	fmt.Fprintf(&b, "%d passed, %d failed, %d skipped.\n\n", r.Counts[Passed], r.Counts[Failed], r.Counts[Skipped])
	if r.Capabilities != nil {
		b.WriteString("## Capabilities discovered\n\n```\n" + r.Capabilities.Summary() + "```\n\n")
	}
	type agg struct{ pass, fail, skip []string }
	stm := map[string]*agg{}
	var ids []string
	for _, c := range r.Checks {
		for _, s := range c.Statements {
			a := stm[s]
			if a == nil {
				a = &agg{}
				stm[s] = a
				ids = append(ids, s)
			}
			name := c.Area + "/" + c.Name
			switch c.State {
			case Passed:
				a.pass = append(a.pass, name)
			case Failed:
				a.fail = append(a.fail, name)
			case Skipped:
				a.skip = append(a.skip, name)
			}
		}
	}
	sort.Slice(ids, func(i, j int) bool { return statementLess(ids[i], ids[j]) })
	b.WriteString("## Statements\n\n| statement | result | failed checks | passed | skipped |\n|---|---|---|--:|--:|\n")
	for _, id := range ids {
		a := stm[id]
		state := "pass"
		switch {
		case len(a.fail) > 0:
			state = "**FAIL**"
		case len(a.pass) == 0:
			state = "skipped"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %d | %d |\n", id, state, mdEscape(strings.Join(a.fail, "<br>")), len(a.pass), len(a.skip))
	}
	for _, state := range []string{Failed, Skipped} {
		first := true
		for _, c := range r.Checks {
			if c.State != state {
				continue
			}
			if first {
				fmt.Fprintf(&b, "\n## %s checks\n", map[string]string{Failed: "Failed", Skipped: "Skipped"}[state])
				first = false
			}
			msg := c.Message
			if state == Failed {
				msg = firstLines(msg, 3)
			}
			fmt.Fprintf(&b, "\n- `%s` [%s]: %s\n", c.Key, strings.Join(c.Statements, " "), strings.ReplaceAll(strings.TrimSpace(msg), "\n", " / "))
		}
	}
	return b.String()
}

func firstLines(s string, n int) string {
	ls := strings.SplitN(s, "\n", n+1)
	if len(ls) > n {
		ls = ls[:n]
	}
	return strings.Join(ls, "\n")
}

// statementLess orders "v5/MQTT-3.3.1-4" ids by version, then numerically.
func statementLess(a, b string) bool {
	va, ia, _ := strings.Cut(a, "/")
	vb, ib, _ := strings.Cut(b, "/")
	if va != vb {
		return va > vb // v5 before v3.1.1
	}
	na, nb := idNumbers(ia), idNumbers(ib)
	for i := 0; i < len(na) && i < len(nb); i++ {
		if na[i] != nb[i] {
			return na[i] < nb[i]
		}
	}
	return len(na) < len(nb)
}

func idNumbers(id string) []int {
	var out []int
	for _, f := range strings.FieldsFunc(strings.TrimPrefix(id, "MQTT-"), func(r rune) bool { return r == '.' || r == '-' }) {
		n := 0
		fmt.Sscanf(f, "%d", &n)
		out = append(out, n)
	}
	return out
}

// Diff compares r with a baseline: every check whose state differs, and
// checks present in only one of them. Empty when they agree.
func (r *Results) Diff(base *Results) []string {
	want := map[string]string{}
	for _, c := range base.Checks {
		want[c.Key] = c.State
	}
	var out []string
	seen := map[string]bool{}
	for _, c := range r.Checks {
		seen[c.Key] = true
		w, ok := want[c.Key]
		switch {
		case !ok:
			out = append(out, fmt.Sprintf("%s: %s, not in the baseline", c.Key, c.State))
		case slices.Contains(strings.Split(w, "|"), c.State):
			// The baseline accepts this state ("passed|failed" marks a
			// check whose outcome depends on the broker's timing).
		case w != c.State:
			out = append(out, fmt.Sprintf("%s: %s, baseline says %s", c.Key, c.State, w))
		}
	}
	for _, c := range base.Checks {
		if !seen[c.Key] {
			out = append(out, fmt.Sprintf("%s: in the baseline (%s), not run", c.Key, c.State))
		}
	}
	sort.Strings(out)
	return out
}
