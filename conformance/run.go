package conformance

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"regexp"
	"strings"
	"sync/atomic"
	"time"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/formatter"
	"github.com/onsi/ginkgo/v2/reporters"
	"github.com/onsi/ginkgo/v2/types"
	"github.com/onsi/gomega"
)

// RunOptions selects the checks a Run runs and says how it shows its
// progress.
type RunOptions struct {
	// LabelFilter is a Ginkgo label filter over the checks' labels: the
	// version ("v5", "v3.1.1"), the area, "needs-<capability>" and the
	// statement ids, which may be written in their slash form
	// ("v5/MQTT-3.3.1-4"; see LabelFilter). Empty selects every check.
	LabelFilter string
	// Focus are regular expressions; when there are any, only the checks
	// whose full name ("v5 connect <name>") matches one of them run.
	Focus []string
	// Verbose shows every check as it runs.
	Verbose bool
	// NoColor leaves the colours out of the progress output.
	NoColor bool
	// Progress receives the console output of the run (Ginkgo's
	// reporter); os.Stdout when nil. With Verbose, what checks write to
	// the GinkgoWriter is streamed to os.Stdout whatever Progress is.
	Progress io.Writer
	// Timeout bounds the whole run; 2 hours when zero.
	Timeout time.Duration
}

// RunResult is the outcome of a Run.
type RunResult struct {
	// Results are the outcomes of the checks run, as the reports give
	// them.
	Results *Results
	// Passed, Failed and Skipped count Results.Checks by state.
	Passed, Failed, Skipped int
	// SuiteFailed is Ginkgo's verdict on the run: a check or a suite node
	// (discovery) failed, or the run was interrupted or timed out.
	SuiteFailed bool

	report types.Report
}

// OK reports whether the run succeeded: no check failed and Ginkgo found
// nothing wrong with the run.
func (r *RunResult) OK() bool { return !r.SuiteFailed && r.Failed == 0 }

// JSON is Results as JSON, as Results.WriteJSON writes it (indented,
// newline-terminated).
func (r *RunResult) JSON() ([]byte, error) {
	b, err := json.MarshalIndent(r.Results, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// WriteJUnit writes the JUnit XML report of the run to path.
func (r *RunResult) WriteJUnit(path string) error {
	return reporters.GenerateJUnitReport(r.report, path)
}

// ErrAlreadyRun is the error of a Run in a process where the suite has
// already run: Ginkgo runs a suite at most once per process.
var ErrAlreadyRun = errors.New("conformance: the suite has already run in this process (Ginkgo runs it once per process)")

var runStarted atomic.Bool

// Run configures the suite with cfg (see Configure) and runs the checks
// opts selects, outside `go test`, writing the progress to opts.Progress.
//
// Run runs the suite with Ginkgo's RunSpecs, which may be called only once
// per process: a second Run, or a Run after the suite already ran (as
// TestConformance runs it), returns ErrAlreadyRun without running
// anything. A Run that returns an error before the suite started (an
// invalid filter or configuration) does not use up that one run. In a test
// binary, Run refuses the go test flags Ginkgo refuses (-count other than
// 1, -parallel) with an error rather than letting Ginkgo end the process.
//
// The error is for a run that could not happen or produced no report;
// failing checks are not errors but are counted in the RunResult.
func Run(cfg Config, opts RunOptions) (*RunResult, error) {
	filter := LabelFilter(opts.LabelFilter)
	if filter != "" {
		if _, err := types.ParseLabelFilter(filter); err != nil {
			return nil, fmt.Errorf("label filter %q: %s", filter, oneLine(err))
		}
	}
	if len(opts.Focus) > 0 {
		if _, err := regexp.Compile(strings.Join(opts.Focus, "|")); err != nil {
			return nil, fmt.Errorf("focus: %w", err)
		}
	}
	if err := goTestFlagsError(); err != nil {
		return nil, err
	}
	if lastReport != nil || !runStarted.CompareAndSwap(false, true) {
		return nil, ErrAlreadyRun
	}
	if err := Configure(cfg); err != nil {
		runStarted.Store(false)
		return nil, err
	}

	suite, rep := ginkgo.GinkgoConfiguration()
	suite.LabelFilter = filter
	suite.FocusStrings = opts.Focus
	suite.RandomizeAllSpecs = false
	suite.Timeout = opts.Timeout
	if suite.Timeout <= 0 {
		suite.Timeout = 2 * time.Hour
	}
	rep.NoColor = opts.NoColor
	rep.Verbose = opts.Verbose
	rep.Succinct = false
	rep.SilenceSkips = true

	if opts.Progress != nil {
		out := formatter.ColorableStdOut
		formatter.ColorableStdOut = opts.Progress
		defer func() { formatter.ColorableStdOut = out }()
	}
	gomega.RegisterFailHandler(ginkgo.Fail)
	var t failT
	ginkgo.RunSpecs(&t, "mqttcheck", suite, rep)

	report := LastReport()
	if report == nil {
		return nil, errors.New("the suite produced no report")
	}
	res := BuildResults(report)
	return &RunResult{
		Results:     res,
		Passed:      res.Counts[Passed],
		Failed:      res.Counts[Failed],
		Skipped:     res.Counts[Skipped],
		SuiteFailed: t.failed,
		report:      *report,
	}, nil
}

// goTestFlagsError is Ginkgo's objection to the `go test` flags of the
// process (in a test binary), which RunSpecs would report by ending the
// process.
func goTestFlagsError() error {
	var err error
	flag.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "test.count":
			if f.Value.String() != "1" {
				err = errors.New("Ginkgo runs the suite once per process: go test -count must be 1")
			}
		case "test.parallel":
			err = errors.New("Ginkgo does not support go test -parallel")
		}
	})
	return err
}

// failT is the GinkgoTestingT of a run outside `go test`.
type failT struct{ failed bool }

func (t *failT) Fail() { t.failed = true }

// oneLine is the gist of Ginkgo's multi-line, colour-marked error text.
func oneLine(err error) string {
	var ge types.GinkgoError
	if errors.As(err, &ge) {
		ls := strings.Split(strings.TrimSpace(ge.Message), "\n")
		return ls[len(ls)-1]
	}
	return strings.Join(strings.Fields(err.Error()), " ")
}
