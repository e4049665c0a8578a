package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/mqttx/mqttx/conformance"
	"github.com/mqttx/mqttx/mqtt/server"
)

// suiteStarted is set by the one test that runs the suite: Ginkgo runs it
// once per process, so only that test may, and the others check they did
// not.
var suiteStarted atomic.Bool

// noSuiteRun fails t when the suite ran although no test meant to run it.
func noSuiteRun(t *testing.T) {
	t.Helper()
	if !suiteStarted.Load() && conformance.LastReport() != nil {
		t.Error("the suite ran (RunSpecs was called)")
	}
}

func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(args, &out, &errb)
	return code, out.String(), errb.String()
}

// TestList checks --list: one check run per line, its key and then its
// version-qualified statement ids, and no suite run.
func TestList(t *testing.T) {
	code, out, stderr := runCLI(t, "--list")
	if code != 0 {
		t.Fatalf("--list: exit %d, stderr %q", code, stderr)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if want := conformance.ListLines(); len(lines) != len(want) {
		t.Errorf("--list printed %d lines, want one per check run: %d", len(lines), len(want))
	}
	perVersion := map[string]int{}
	for _, l := range lines {
		f := strings.Split(l, "\t")
		if len(f) < 2 {
			t.Errorf("line %q: want key<TAB>statements", l)
			continue
		}
		v, _, _ := strings.Cut(f[0], "/")
		if v != "v5" && v != "v3.1.1" {
			t.Errorf("line %q: key %q is not version-qualified", l, f[0])
			continue
		}
		ids := strings.Fields(f[1])
		if len(ids) == 0 {
			t.Errorf("line %q names no statement", l)
		}
		for _, id := range ids {
			if !strings.HasPrefix(id, v+"/MQTT-") {
				t.Errorf("line %q: statement %q, want %s/MQTT-…", l, id, v)
			}
		}
		perVersion[v]++
	}
	if perVersion["v5"] == 0 || perVersion["v3.1.1"] == 0 {
		t.Errorf("checks per version: %v, want both v5 and v3.1.1", perVersion)
	}
	noSuiteRun(t)
}

// TestCoverage checks --coverage writes the matrix, without a suite run.
func TestCoverage(t *testing.T) {
	path := filepath.Join(t.TempDir(), "coverage.md")
	code, _, stderr := runCLI(t, "--coverage", path)
	if code != 0 {
		t.Fatalf("--coverage: exit %d, stderr %q", code, stderr)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := conformance.Matrix()
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != conformance.MatrixMarkdown(rows) {
		t.Errorf("%s differs from MatrixMarkdown", path)
	}
	noSuiteRun(t)
}

// TestUsageErrors checks that usage errors exit 2 with a message naming the
// problem, before any suite run.
func TestUsageErrors(t *testing.T) {
	const broker = "tcp://127.0.0.1:1"
	for _, c := range []struct {
		name string
		args []string
		want string
	}{
		{"no broker", nil, "--broker or --image is required"},
		{"broker and image", []string{"--broker", broker, "--image", "x"}, "give --broker or --image, not both"},
		{"bad version", []string{"--broker", broker, "--version", "4.0"}, `--version "4.0": want 3.1.1, 5 or both`},
		{"no version", []string{"--broker", broker, "--version", ","}, "--version selects no protocol version"},
		{"unknown format", []string{"--broker", broker, "--format", "text,xml"}, `--format "xml": want text, json, junit or markdown`},
		{"junit without out", []string{"--broker", broker, "--format", "junit"}, "--format junit needs --out"},
		{"bad label filter", []string{"--broker", broker, "--labels", "connect &&"}, "label filter"},
		{"bad focus", []string{"--broker", broker, "--focus", "("}, "focus"},
		{"bad broker URL", []string{"--broker", "gopher://127.0.0.1:1"}, "mqttcheck:"},
		{"unknown flag", []string{"--nope"}, "flag provided but not defined: -nope"},
		{"extra argument", []string{"--broker", broker, "extra"}, "unexpected arguments"},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, out, stderr := runCLI(t, c.args...)
			if code != 2 {
				t.Errorf("exit %d, want 2 (stdout %q, stderr %q)", code, out, stderr)
			}
			if !strings.Contains(stderr, c.want) {
				t.Errorf("stderr %q, want it to say %q", stderr, c.want)
			}
			if out != "" {
				t.Errorf("stdout %q, want nothing", out)
			}
		})
	}
	noSuiteRun(t)
}

// TestRunInProcess is the one suite run of this test binary: the connect
// checks of MQTT 5 against an in-process mqttx broker, reported as JSON.
func TestRunInProcess(t *testing.T) {
	if f := flag.Lookup("test.count"); f != nil && f.Value.String() != "1" {
		t.Skip("Ginkgo runs the suite once per process: go test -count must be 1")
	}
	if !suiteStarted.CompareAndSwap(false, true) {
		t.Fatal("the suite may run only once per process")
	}
	srv := &server.Server{}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	defer func() {
		if err := srv.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		if err := <-done; !errors.Is(err, server.ErrServerClosed) {
			t.Errorf("Serve returned %v, want ErrServerClosed", err)
		}
	}()

	report := filepath.Join(t.TempDir(), "report.json")
	code, out, stderr := runCLI(t, "--broker", "tcp://"+ln.Addr().String(), "--version", "5", "--labels", "connect",
		"--no-color", "--format", "json", "--out", report)
	if code != 0 {
		t.Errorf("exit %d, want 0\nstdout:\n%s\nstderr:\n%s", code, out, stderr)
	}
	b, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	var res conformance.Results
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatalf("%s: %v", report, err)
	}
	if res.Capabilities == nil {
		t.Error("the report has no discovered capabilities")
	}
	passed := 0
	for _, c := range res.Checks {
		if c.Version != "v5" || c.Area != "connect" {
			t.Errorf("%s ran, outside --version 5 --labels connect", c.Key)
		}
		switch c.State {
		case conformance.Passed:
			passed++
			if !strings.HasPrefix(c.Key, "v5/connect/") || len(c.Statements) == 0 || !strings.HasPrefix(c.Statements[0], "v5/MQTT-") {
				t.Errorf("passed check %+v: want a v5/connect/ key and v5/MQTT- statements", c)
			}
		case conformance.Failed:
			t.Errorf("%s failed: %s", c.Key, c.Message)
		}
	}
	if passed == 0 || res.Counts[conformance.Passed] != passed {
		t.Errorf("%d passed checks, counts %v: want some, counted", passed, res.Counts)
	}
	t.Logf("%d checks: %v in %s", len(res.Checks), res.Counts, res.Duration)
}
