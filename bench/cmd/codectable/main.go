// Command codectable runs the codec comparison benchmarks of package
// github.com/mqttx/mqttx/bench/codec with testing.Benchmark and prints the
// results as Markdown tables: one row per packet, ns/op and allocs/op per
// codec, and the ratio of each peer's ns/op to mqttx's.
//
// Usage (from the bench module):
//
//	go run ./cmd/codectable [-benchtime 1s] [-count 5]
//
// Each benchmark runs -count times, in interleaved rounds (every benchmark
// once per round) so that slow drift of the machine spreads over all codecs;
// the tables give the median of the runs.
//
// On a shared machine other processes distort the figures. On Linux the
// command therefore reads /proc/stat around every run and discards a run
// during which other processes used more than -quiet of a core; it then
// waits for the machine to be quiet and runs it again. -quiet 0 disables
// this.
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mqttx/mqttx/bench/codec"
)

// baseline is the codec the ratios are relative to.
const baseline = "mqttx"

type result struct {
	ns, allocs []float64
}

func main() {
	testing.Init()
	benchtime := flag.Duration("benchtime", time.Second, "run each benchmark for about this long")
	count := flag.Int("count", 5, "run each benchmark this many times and report the median")
	run := flag.String("run", "", "only run benchmarks whose Op/packet/codec name contains this")
	quiet := flag.Float64("quiet", 0.15, "discard a run during which other processes used more than this many cores (0: keep all)")
	flag.Parse()
	rev := mqttxRevision() // now: the binary was built from this source
	if err := flag.Set("test.benchtime", benchtime.String()); err != nil {
		fatal(err)
	}

	var bs []codec.Bench
	for _, b := range codec.Benchmarks() {
		if strings.Contains(name(b), *run) {
			bs = append(bs, b)
		}
	}
	res := make(map[string]*result, len(bs))
	start := time.Now()
	for round := 1; round <= *count; round++ {
		for _, b := range bs {
			r := measure(b, *quiet)
			x := res[name(b)]
			if x == nil {
				x = new(result)
				res[name(b)] = x
			}
			x.ns = append(x.ns, float64(r.T.Nanoseconds())/float64(r.N))
			x.allocs = append(x.allocs, float64(r.MemAllocs)/float64(r.N))
			fmt.Fprintf(os.Stderr, "round %d/%d %-50s %10.1f ns/op %6d B/op %4d allocs/op\n",
				round, *count, name(b), x.ns[len(x.ns)-1], r.AllocedBytesPerOp(), r.AllocsPerOp())
		}
	}

	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	header(w, rev, *benchtime, *count, *quiet, time.Since(start))
	for _, op := range []string{codec.OpDecode, codec.OpEncode} {
		table(w, op, bs, res)
	}
}

func name(b codec.Bench) string { return b.Op + "/" + b.Packet + "/" + b.Codec }

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "codectable:", err)
	os.Exit(1)
}

// header describes the machine and the versions measured.
func header(w io.Writer, rev string, benchtime time.Duration, count int, quiet float64, took time.Duration) {
	fmt.Fprintf(w, "- Machine: %s, %d cores (GOMAXPROCS %d), %s/%s, %s.\n",
		cpuModel(), runtime.NumCPU(), runtime.GOMAXPROCS(0), runtime.GOOS, runtime.GOARCH, runtime.Version())
	if bi, ok := debug.ReadBuildInfo(); ok {
		var vs []string
		for _, d := range bi.Deps {
			switch d.Path {
			case "github.com/eclipse/paho.golang", "github.com/eclipse/paho.mqtt.golang", "github.com/mochi-mqtt/server/v2":
				vs = append(vs, d.Path+" "+d.Version)
			}
		}
		slices.Sort(vs)
		fmt.Fprintf(w, "- Peers: %s.\n", strings.Join(vs, ", "))
	}
	if rev != "" {
		fmt.Fprintf(w, "- mqttx: %s.\n", rev)
	}
	fmt.Fprintf(w, "- Median of %d runs of -benchtime %s each (run took %s).",
		count, benchtime, took.Round(time.Second))
	if quiet > 0 && foreignSupported() {
		fmt.Fprintf(w, " Runs during which other processes used more than %.2f of a core were discarded and repeated.", quiet)
	}
	fmt.Fprintln(w)
}

// measure runs b once with testing.Benchmark. With quiet > 0 it repeats
// the run until other processes used at most quiet cores during it,
// waiting for the machine to calm down in between.
func measure(b codec.Bench, quiet float64) testing.BenchmarkResult {
	for attempt := 1; ; attempt++ {
		if quiet > 0 && attempt > 1 {
			waitQuiet(quiet)
		}
		f0, ok := foreignStart()
		r := testing.Benchmark(b.F)
		if r.N == 0 {
			fatal(fmt.Errorf("%s failed", name(b)))
		}
		if quiet <= 0 || !ok {
			return r
		}
		busy := f0.cores()
		if busy <= quiet {
			return r
		}
		fmt.Fprintf(os.Stderr, "discarded %s: other processes used %.2f cores\n", name(b), busy)
	}
}

// waitQuiet returns once other processes have used at most quiet cores
// during three consecutive seconds.
func waitQuiet(quiet float64) {
	calm := 0
	for calm < 3 {
		f, ok := foreignStart()
		time.Sleep(time.Second)
		if !ok {
			return
		}
		if f.cores() <= quiet {
			calm++
		} else {
			calm = 0
		}
	}
}

// foreign measures the CPU time that processes other than this one spend
// over an interval: all busy time from /proc/stat minus this process's
// rusage.
type foreign struct {
	wall time.Time
	busy time.Duration // busy time of all CPUs
	own  time.Duration // this process's user + system time
}

func foreignSupported() bool {
	_, ok := foreignStart()
	return ok
}

func foreignStart() (foreign, bool) {
	busy, ok := cpuBusy()
	return foreign{wall: time.Now(), busy: busy, own: ownCPU()}, ok
}

// cores is the average number of cores other processes kept busy since f
// was taken.
func (f foreign) cores() float64 {
	busy, _ := cpuBusy()
	wall := time.Since(f.wall)
	other := (busy - f.busy) - (ownCPU() - f.own)
	return max(0, other.Seconds()/wall.Seconds())
}

// cpuBusy is the non-idle time of all CPUs from the first line of
// /proc/stat (user nice system idle iowait irq softirq steal ...), in
// USER_HZ ticks of 10ms.
func cpuBusy() (time.Duration, bool) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, false
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	if len(f) < 9 || f[0] != "cpu" {
		return 0, false
	}
	var busy int64
	for i, s := range f[1:9] {
		if i == 3 || i == 4 { // idle, iowait
			continue
		}
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, false
		}
		busy += n
	}
	return time.Duration(busy) * 10 * time.Millisecond, true
}

func ownCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// mqttxRevision describes the mqttx source measured: the commit of the
// repository the bench module sits in, and whether mqtt/packet has
// uncommitted changes. It is empty when git or the repository is missing
// (the command must run from the bench module for the paths to resolve).
func mqttxRevision() string {
	out, err := exec.Command("git", "-C", "..", "log", "-1", "--format=%h %cI").Output()
	if err != nil || len(out) == 0 {
		return ""
	}
	rev := "commit " + strings.TrimSpace(string(out))
	st, err := exec.Command("git", "-C", "..", "status", "--porcelain", "--", "mqtt/packet").Output()
	if err == nil && len(bytes.TrimSpace(st)) > 0 {
		rev += ", with uncommitted changes in mqtt/packet"
	}
	return rev
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for line := range strings.Lines(string(b)) {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// table prints the Markdown table of operation op.
func table(w io.Writer, op string, bs []codec.Bench, res map[string]*result) {
	// Columns: the codecs with at least one benchmark of op, in codec order.
	var cols, packets []string
	has := map[string]bool{}
	for _, b := range bs {
		if b.Op != op {
			continue
		}
		has[b.Packet+"/"+b.Codec] = true
		if !slices.Contains(packets, b.Packet) {
			packets = append(packets, b.Packet)
		}
		has[b.Codec] = true
	}
	for _, c := range codec.Codecs() {
		if has[c] {
			cols = append(cols, c)
		}
	}
	if len(packets) == 0 {
		return
	}

	fmt.Fprintf(w, "\n### %s\n\n", op)
	size := map[string]int{}
	for _, p := range codec.Packets() {
		size[p.Name] = len(p.Wire)
	}
	head := []string{"packet", "bytes"}
	align := []string{":--", "--:"}
	for _, c := range cols {
		head = append(head, c+" ns/op", c+" allocs/op")
		align = append(align, "--:", "--:")
		if c != baseline && !strings.HasPrefix(c, baseline) {
			head = append(head, c+" ÷ "+baseline)
			align = append(align, "--:")
		}
	}
	fmt.Fprintf(w, "| %s |\n| %s |\n", strings.Join(head, " | "), strings.Join(align, " | "))
	for _, p := range packets {
		row := []string{p, fmt.Sprint(size[p])}
		var base float64
		if r := res[op+"/"+p+"/"+baseline]; r != nil {
			base = median(r.ns)
		}
		for _, c := range cols {
			r := res[op+"/"+p+"/"+c]
			ratio := c != baseline && !strings.HasPrefix(c, baseline)
			if r == nil {
				row = append(row, "–", "–")
				if ratio {
					row = append(row, "–")
				}
				continue
			}
			ns := median(r.ns)
			row = append(row, formatNs(ns), fmt.Sprintf("%.0f", median(r.allocs)))
			if ratio {
				if base > 0 {
					row = append(row, fmt.Sprintf("%.1f×", ns/base))
				} else {
					row = append(row, "–")
				}
			}
		}
		fmt.Fprintf(w, "| %s |\n", strings.Join(row, " | "))
	}
}

func formatNs(ns float64) string {
	if ns < 100 {
		return fmt.Sprintf("%.1f", ns)
	}
	return fmt.Sprintf("%.0f", ns)
}
