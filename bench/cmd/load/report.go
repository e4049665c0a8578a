package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"time"
)

type scenarioResult struct {
	sc      scenario
	results map[string]result // by broker
}

type report struct {
	cfg       *config
	start     time.Time
	elapsed   time.Duration
	scenarios []scenarioResult
}

func (rep *report) markdown() string {
	cfg := rep.cfg
	var b strings.Builder
	fmt.Fprintf(&b, "## Load: %s\n\n", strings.Join(cfg.brokers, ", "))
	fmt.Fprintf(&b, "- Machine: %s, %d CPUs (GOMAXPROCS %d), %s/%s, %s. Load clients and broker share the machine.\n",
		cpuModel(), runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.GOOS, runtime.GOARCH, runtime.Version())
	fmt.Fprintf(&b, "- Brokers: %s.\n", strings.Join(brokerVersions(cfg), "; "))
	mode := "full"
	if cfg.quick {
		mode = "quick"
	}
	fmt.Fprintf(&b, "- Run: %s, %s mode, %d run(s) per cell (median shown), %v; payload %d bytes, warm-up %d messages per publisher, drain %v, scenario timeout %v.\n",
		rep.start.UTC().Format(time.RFC3339), mode, cfg.count, rep.elapsed.Round(time.Second), cfg.payload, cfg.warmup, cfg.drain, cfg.timeout)
	b.WriteString("- Ratios divide a broker's figure by Mosquitto's (`vs mosquitto`) and by the best of the other brokers (`vs best other`). " +
		"Figures only compare within one run. CPU columns are user + system time of the broker process (and of the load clients) during the measured part.\n")
	for _, sr := range rep.scenarios {
		sr.markdown(&b, cfg)
	}
	return b.String()
}

func (sr scenarioResult) markdown(b *strings.Builder, cfg *config) {
	sc := sr.sc
	fmt.Fprintf(b, "\n### %s\n\n%s\n\n", sc.title(cfg), sc.about(cfg))
	head := []string{"broker", sc.primary}
	mosq, hasMosq := sr.results["mosquitto"]
	hasMosq = hasMosq && mosq.primary > 0
	if hasMosq {
		head = append(head, "vs mosquitto")
	}
	many := len(cfg.brokers) > 1
	if many {
		head = append(head, "vs best other")
	}
	head = append(head, sc.cols...)
	head = append(head, "notes")
	b.WriteString("| " + strings.Join(head, " | ") + " |\n|")
	for i := range head {
		if i == 0 || i == len(head)-1 {
			b.WriteString(" :-- |")
		} else {
			b.WriteString(" --: |")
		}
	}
	b.WriteString("\n")
	for _, name := range cfg.brokers {
		r := sr.results[name]
		row := []string{name}
		if r.status != "" {
			row = append(row, "–")
			if hasMosq {
				row = append(row, "–")
			}
			if many {
				row = append(row, "–")
			}
			for range sc.cols {
				row = append(row, "–")
			}
			row = append(row, "failed: "+r.status)
		} else {
			row = append(row, fmtFloat(r.primary))
			if hasMosq {
				row = append(row, ratio(r.primary, mosq.primary))
			}
			if many {
				var best float64
				for _, other := range cfg.brokers {
					o := sr.results[other]
					if other == name || o.status != "" || o.primary <= 0 {
						continue
					}
					if best == 0 || (sc.lowerBetter && o.primary < best) || (!sc.lowerBetter && o.primary > best) {
						best = o.primary
					}
				}
				row = append(row, ratio(r.primary, best))
			}
			for _, c := range sc.cols {
				v := r.cells[c]
				if v == "" {
					v = "–"
				}
				row = append(row, v)
			}
			row = append(row, strings.Join(r.notes, "; "))
		}
		for i := range row {
			row[i] = strings.ReplaceAll(strings.ReplaceAll(row[i], "|", `\|`), "\n", " ")
		}
		b.WriteString("| " + strings.Join(row, " | ") + " |\n")
	}
}

func ratio(a, b float64) string {
	if a <= 0 || b <= 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f×", a/b)
}

// fmtFloat prints large figures as grouped integers and small ones with
// three significant digits.
func fmtFloat(v float64) string {
	if v >= 1000 {
		return count(int64(v + 0.5))
	}
	if v <= 0 {
		return "–"
	}
	return strconv.FormatFloat(v, 'g', 3, 64)
}

// count groups the digits of n by thousands.
func count(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var out []byte
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	if neg {
		return "-" + string(out)
	}
	return string(out)
}

func lossCell(want, got int64) string {
	switch d := want - got; {
	case d == 0:
		return "0"
	case d < 0:
		return fmt.Sprintf("%s extra", count(-d))
	default:
		return fmt.Sprintf("%s (%.2f%%)", count(d), 100*float64(d)/float64(want))
	}
}

func fmtCPU(d time.Duration) string { return fmt.Sprintf("%.2f s", d.Seconds()) }

func fmtKiB(k int64) string {
	if k >= 10<<10 {
		return fmt.Sprintf("%.0f MiB", float64(k)/1024)
	}
	return fmt.Sprintf("%.1f MiB", float64(k)/1024)
}

func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}

func brokerVersions(cfg *config) []string {
	var vs []string
	for _, name := range cfg.brokers {
		switch name {
		case "mosquitto":
			out, _ := exec.Command(cfg.mosquitto, "-h").Output()
			line, _, _ := strings.Cut(string(out), "\n")
			vs = append(vs, fmt.Sprintf("%s (%s, configuration in bench/README.md)", strings.TrimSpace(line), cfg.mosquitto))
		case "mochi":
			v := "mochi-mqtt " + moduleVersion("github.com/mochi-mqtt/server/v2") + ", default options"
			switch n := cfg.mochiWritesPending; {
			case n < 0:
				v += " except MaximumClientWritesPending, raised in the fan-in scenario to its message count so that it cannot drop (with the default it drops QoS 0 there)"
			case n > 0:
				v += fmt.Sprintf(" except MaximumClientWritesPending %d", n)
			}
			vs = append(vs, v)
		case "mqttx":
			vs = append(vs, "mqttx "+mqttxCommit()+", zero-value server.Server")
		default:
			vs = append(vs, name)
		}
	}
	return vs
}

func moduleVersion(path string) string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "(unknown version)"
	}
	for _, d := range bi.Deps {
		if d.Path == path {
			return d.Version
		}
	}
	return "(unknown version)"
}

// mqttxCommit names the commit of the mqttx tree the harness was built
// from, when run from inside it.
func mqttxCommit() string {
	wd, _ := os.Getwd()
	out, err := exec.Command("git", "-C", filepath.Clean(wd), "log", "-1", "--format=%h %cI").Output()
	if err != nil {
		return "(working tree)"
	}
	return "commit " + strings.TrimSpace(string(out)) + " (plus any uncommitted changes)"
}
