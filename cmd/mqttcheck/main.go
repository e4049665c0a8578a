// Command mqttcheck checks an MQTT broker against the MQTT 5.0 and 3.1.1
// specifications, statement by statement, with the conformance suite of
// package conformance:
//
//	mqttcheck --broker tcp://127.0.0.1:1883
//	mqttcheck --broker wss://broker.example:443/mqtt --ca-file ca.pem --version 5
//	mqttcheck --broker tcp://host:1883 --profile broker.yaml --format json --out report.json
//	mqttcheck --broker tcp://host:1883 --baseline docs/conformance/mosquitto.json
//	mqttcheck --list
//	mqttcheck --coverage docs/conformance/coverage.md
//
// It first discovers what the broker offers (maximum QoS, retained messages,
// wildcard, shared subscriptions, subscription identifiers, topic aliases,
// limits, session expiry) and skips, with the reason, checks of features
// the broker does not offer. The exit status is 1 when a check fails (or,
// with --baseline, when the results differ from the baseline in any way),
// 2 on a usage or setup error.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/mqttx/mqttx/conformance"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

type options struct {
	cfg      conformance.Config
	profile  string
	versions string
	labels   string
	focus    string
	formats  string
	out      string
	baseline string
	update   bool
	list     bool
	coverage string
	verbose  bool
	noColor  bool

	image     string
	imagePort string
	imageCmd  string
}

func parse(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("mqttcheck", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.cfg.Broker, "broker", "", "broker URL: tcp://, mqtt://, ssl://, tls://, mqtts://, ws:// or wss:// host:port")
	fs.StringVar(&o.cfg.WebSocket, "websocket", "", "a ws:// or wss:// URL of the same broker, for the WebSocket checks")
	username := fs.String("username", "", "user name sent on every CONNECT (overrides the profile)")
	password := fs.String("password", "", "password sent on every CONNECT (overrides the profile)")
	fs.StringVar(&o.cfg.CAFile, "ca-file", "", "PEM certificate authorities for ssl://, tls://, wss://")
	fs.BoolVar(&o.cfg.Insecure, "insecure", false, "do not verify the broker's certificate")
	fs.StringVar(&o.profile, "profile", "", "broker profile file (YAML)")
	fs.StringVar(&o.versions, "version", "3.1.1,5", "protocol versions to check: 3.1.1, 5, or both")
	fs.StringVar(&o.labels, "labels", "", "Ginkgo label filter; statement ids may be written v5/MQTT-3.3.1-4 (e.g. 'retain && !v3.1.1')")
	fs.StringVar(&o.focus, "focus", "", "run only checks whose name matches this regular expression")
	fs.StringVar(&o.formats, "format", "text", "report formats, comma separated: text, json, junit, markdown")
	fs.StringVar(&o.out, "out", "", "report file; with several formats, the base name (extension added per format); stdout when empty")
	fs.StringVar(&o.baseline, "baseline", "", "JSON results to compare with: exit 1 on any difference (a new failure or a new pass)")
	fs.BoolVar(&o.update, "update-baseline", false, "with --baseline: write the results there instead of comparing")
	fs.BoolVar(&o.list, "list", false, "list every check with the version-qualified statements it covers, and exit")
	fs.StringVar(&o.coverage, "coverage", "", "write the coverage matrix (Markdown) to this file, and exit")
	fs.BoolVar(&o.verbose, "v", false, "show every check as it runs")
	fs.BoolVar(&o.noColor, "no-color", false, "no colours on the console")
	fs.StringVar(&o.image, "image", "", "start this broker container image (Docker, with testcontainers), check it, then remove it; instead of --broker")
	fs.StringVar(&o.imagePort, "image-port", "1883/tcp", "with --image: the container port the broker serves MQTT on")
	fs.StringVar(&o.imageCmd, "image-cmd", "", "with --image: the container's command, words separated by spaces (default: the image's own)")
	fs.DurationVar(&o.cfg.Silence, "silence", 0, "how long to watch for something that must not arrive (default 400ms)")
	fs.DurationVar(&o.cfg.Wait, "wait", 0, "bound of every wait for something that must arrive (default 5s)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %v", fs.Args())
	}
	if o.profile != "" {
		p, err := conformance.LoadProfile(o.profile)
		if err != nil {
			return nil, err
		}
		o.cfg.Profile = p
	}
	if *username != "" {
		o.cfg.Profile.Username = *username
	}
	if *password != "" {
		o.cfg.Profile.Password = *password
	}
	return o, nil
}

func run(args []string, stdout, stderr io.Writer) int {
	o, err := parse(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(stderr, "mqttcheck:", err)
		return 2
	}
	switch {
	case o.list:
		for _, l := range conformance.ListLines() {
			fmt.Fprintln(stdout, l)
		}
		return 0
	case o.coverage != "":
		rows, err := conformance.Matrix()
		if err != nil {
			fmt.Fprintln(stderr, "mqttcheck:", err)
			return 2
		}
		if err := os.WriteFile(o.coverage, []byte(conformance.MatrixMarkdown(rows)), 0o644); err != nil {
			fmt.Fprintln(stderr, "mqttcheck:", err)
			return 2
		}
		return 0
	}
	switch {
	case o.image != "" && o.cfg.Broker != "":
		fmt.Fprintln(stderr, "mqttcheck: give --broker or --image, not both")
		return 2
	case o.image == "" && o.cfg.Broker == "":
		fmt.Fprintln(stderr, "mqttcheck: --broker or --image is required (or --list, --coverage)")
		return 2
	}
	filter, err := labelFilter(o.versions, o.labels)
	if err != nil {
		fmt.Fprintln(stderr, "mqttcheck:", err)
		return 2
	}
	if err := checkFormats(o.formats, o.out); err != nil {
		fmt.Fprintln(stderr, "mqttcheck:", err)
		return 2
	}

	ro := conformance.RunOptions{
		LabelFilter: filter,
		Verbose:     o.verbose,
		NoColor:     o.noColor,
		Progress:    stdout,
	}
	if o.focus != "" {
		ro.Focus = []string{o.focus}
	}
	if o.image != "" {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		im, err := startImage(ctx, o.image, o.imagePort, strings.Fields(o.imageCmd), time.Minute, stderr)
		cancel()
		if err != nil {
			fmt.Fprintln(stderr, "mqttcheck:", err)
			return 2
		}
		defer func() {
			if err := im.stop(); err != nil {
				fmt.Fprintln(stderr, "mqttcheck: removing the container:", err)
			}
		}()
		o.cfg.Broker = im.broker
		fmt.Fprintf(stderr, "mqttcheck: %s serves on %s\n", o.image, im.broker)
	}
	res, err := conformance.Run(o.cfg, ro)
	if err != nil {
		fmt.Fprintln(stderr, "mqttcheck:", err)
		return 2
	}
	if err := writeReports(o, res, stdout); err != nil {
		fmt.Fprintln(stderr, "mqttcheck:", err)
		return 2
	}
	if o.baseline != "" {
		if o.update {
			if err := res.Results.WriteJSON(o.baseline); err != nil {
				fmt.Fprintln(stderr, "mqttcheck:", err)
				return 2
			}
			fmt.Fprintf(stderr, "mqttcheck: baseline %s written\n", o.baseline)
			return 0
		}
		base, err := conformance.ReadResults(o.baseline)
		if err != nil {
			fmt.Fprintln(stderr, "mqttcheck:", err)
			return 2
		}
		if diff := res.Results.Diff(base); len(diff) > 0 {
			fmt.Fprintf(stderr, "mqttcheck: %d differences from the baseline %s:\n", len(diff), o.baseline)
			for _, d := range diff {
				fmt.Fprintln(stderr, "  "+d)
			}
			return 1
		}
		fmt.Fprintf(stderr, "mqttcheck: results match the baseline %s (%d passed, %d failed, %d skipped)\n", o.baseline, res.Passed, res.Failed, res.Skipped)
		return 0
	}
	if !res.OK() {
		return 1
	}
	return 0
}

// labelFilter combines the version selection and the user's filter, with
// statement ids turned into their label form.
func labelFilter(versions, labels string) (string, error) {
	var vs []string
	for _, v := range strings.Split(versions, ",") {
		switch strings.TrimSpace(v) {
		case "5", "5.0", "v5":
			vs = append(vs, "v5")
		case "3.1.1", "v3.1.1", "4":
			vs = append(vs, "v3.1.1")
		case "":
		default:
			return "", fmt.Errorf("--version %q: want 3.1.1, 5 or both", v)
		}
	}
	if len(vs) == 0 {
		return "", errors.New("--version selects no protocol version")
	}
	f := "(" + strings.Join(vs, " || ") + ")"
	if labels != "" {
		f += " && (" + conformance.LabelFilter(labels) + ")"
	}
	return f, nil
}

// formatExt is the extension of each report format's file when --out is
// the base name of several.
var formatExt = map[string]string{"text": ".txt", "json": ".json", "junit": ".xml", "markdown": ".md"}

// checkFormats rejects, before the run, a --format the reports cannot
// write.
func checkFormats(formats, out string) error {
	for _, f := range strings.Split(formats, ",") {
		f = strings.TrimSpace(f)
		switch f {
		case "text", "json", "markdown", "md":
		case "junit":
			if out == "" {
				return errors.New("--format junit needs --out")
			}
		default:
			return fmt.Errorf("--format %q: want text, json, junit or markdown", f)
		}
	}
	return nil
}

func writeReports(o *options, res *conformance.RunResult, stdout io.Writer) error {
	formats := strings.Split(o.formats, ",")
	for _, f := range formats {
		f = strings.TrimSpace(f)
		path := o.out
		if len(formats) > 1 && o.out != "" {
			path = o.out + formatExt[f]
		}
		var err error
		switch f {
		case "text":
			err = writeTo(path, stdout, res.Results.Text())
		case "json":
			var b []byte
			if b, err = res.JSON(); err == nil {
				err = writeTo(path, stdout, string(b))
			}
		case "junit":
			if path == "" {
				return errors.New("--format junit needs --out")
			}
			err = res.WriteJUnit(path)
		case "markdown", "md":
			err = writeTo(path, stdout, res.Results.Markdown())
		default:
			return fmt.Errorf("--format %q: want text, json, junit or markdown", f)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func writeTo(path string, stdout io.Writer, s string) error {
	if path == "" || path == "-" {
		_, err := io.WriteString(stdout, s)
		return err
	}
	return os.WriteFile(path, []byte(s), 0o644)
}
