package conformance_test

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/mqttx/mqttx/conformance"
)

// TestMain runs the tests, then, when one of them ran the suite
// (TestConformance), checks that Run refuses a second run with
// ErrAlreadyRun instead of letting Ginkgo end the process.
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 && conformance.LastReport() != nil {
		res, err := conformance.Run(conformance.Config{Broker: "tcp://127.0.0.1:1"}, conformance.RunOptions{})
		if !errors.Is(err, conformance.ErrAlreadyRun) || res != nil {
			fmt.Fprintf(os.Stderr, "Run after the suite ran: %v, %v; want ErrAlreadyRun\n", res, err)
			code = 1
		}
	}
	os.Exit(code)
}

// TestRunRejects checks that Run rejects an invalid filter, focus or
// configuration with an error, before running anything and without using
// up the process's one run.
func TestRunRejects(t *testing.T) {
	for _, c := range []struct {
		name string
		cfg  conformance.Config
		opts conformance.RunOptions
		want string
	}{
		{"label filter", conformance.Config{Broker: "tcp://127.0.0.1:1"}, conformance.RunOptions{LabelFilter: "connect &&"}, "label filter"},
		{"focus", conformance.Config{Broker: "tcp://127.0.0.1:1"}, conformance.RunOptions{Focus: []string{"a", "("}}, "focus"},
	} {
		t.Run(c.name, func(t *testing.T) {
			res, err := conformance.Run(c.cfg, c.opts)
			if err == nil || errors.Is(err, conformance.ErrAlreadyRun) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("Run: %v, want an error about the %s", err, c.want)
			}
			if res != nil {
				t.Errorf("Run returned a result with its error: %+v", res)
			}
		})
	}
	if conformance.LastReport() != nil {
		return // the suite already ran: Run answers ErrAlreadyRun before configuring
	}
	// A configuration error twice: the first did not use up the run.
	for range 2 {
		_, err := conformance.Run(conformance.Config{Broker: "gopher://127.0.0.1:1"}, conformance.RunOptions{})
		if err == nil || errors.Is(err, conformance.ErrAlreadyRun) || !strings.Contains(err.Error(), "gopher") {
			t.Errorf("Run with a gopher:// broker: %v, want the configuration error", err)
		}
	}
}
