// Command load runs the same load scenarios against several MQTT brokers
// in one run and prints a markdown table per scenario.
//
//	cd bench && go run ./cmd/load [-brokers mqttx,mosquitto,mochi] [-scenarios fanin,...] [-quick] [-out file.md]
//
// Each broker runs as a process of its own, started afresh for every
// scenario: Mosquitto from its installed binary with a generated
// configuration, mochi-mqtt and mqttx embedded in this program and run
// through the hidden subcommands serve-mochi and serve-mqttx. The load
// clients are raw sockets in this process, speaking MQTT 3.1.1 through the
// mqttx codec, identical for every broker. See bench/README.md for the
// scenarios and what each column means.
package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"slices"
	"strings"
	"time"

	"github.com/mqttx/mqttx/mqtt"
)

func main() {
	if len(os.Args) > 1 && strings.HasPrefix(os.Args[1], "serve-") {
		os.Exit(serveMain(os.Args[1:]))
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

type config struct {
	brokers   []string
	scenarios []string
	quick     bool
	out       string
	count     int

	payload                int
	fanInPubs, fanInMsgs   int
	fanOutSubs, fanOutMsgs int
	qos1Pubs, qos1Msgs     int
	conns, connWorkers     int
	idle                   int
	warmup                 int
	drain, timeout, settle time.Duration
	opTimeout              time.Duration

	mosquitto          string
	mochiWritesPending int
}

// env is what a scenario runs against.
type env struct {
	cfg *config
	b   *brokerProc
}

// result is one broker's row in a scenario's table.
type result struct {
	primary float64 // the figure ratios are taken of; 0 when there is none
	cells   map[string]string
	notes   []string
	status  string // set when the scenario could not run at all
}

func (r *result) set(k, v string) {
	if r.cells == nil {
		r.cells = map[string]string{}
	}
	r.cells[k] = v
}

func failed(err error) result { return result{status: err.Error()} }

type scenario struct {
	name        string
	title       func(*config) string
	about       func(*config) string
	primary     string // header of the primary column
	unit        string // printed after the primary figure on progress lines
	lowerBetter bool
	cols        []string
	run         func(context.Context, *env) result
	// queue is the most messages one subscriber can be sent in the
	// scenario, warm-up included: what a broker must be able to hold for
	// one client to lose nothing.
	queue func(*config) int
}

var pubsubCols = []string{"sent", "delivered", "loss", "p50", "p99", "broker CPU", "CPU/msg", "peak RSS", "client CPU"}
var qos1Cols = []string{"sent", "acked", "delivered", "loss", "ack p50", "ack p99", "p50", "p99", "broker CPU", "CPU/msg", "peak RSS", "client CPU"}

func qos1Scenario(window int) scenario {
	return scenario{
		name: fmt.Sprintf("qos1-w%d", window),
		title: func(c *config) string {
			return fmt.Sprintf("QoS 1, %d in flight: %d publishers → %d subscribers, one each", window, c.qos1Pubs, c.qos1Pubs)
		},
		about: func(c *config) string {
			return fmt.Sprintf("Publisher i publishes %d QoS 1 messages of %d bytes to `load/q1/<i>`, keeping at most %d without PUBACK; "+
				"subscriber i holds `load/q1/<i>` at QoS 1 and acknowledges every delivery. "+
				"Throughput is PUBACKs received per second. `ack p50/p99`: publish → PUBACK at the publisher; `p50/p99`: publish → delivery at the subscriber.",
				c.qos1Msgs, c.payload, window)
		},
		primary: "acked/s", unit: "acked/s",
		cols: qos1Cols,
		run: func(ctx context.Context, e *env) result {
			return runPubSub(ctx, e, pubsubSpec{
				pubs: e.cfg.qos1Pubs, subs: e.cfg.qos1Pubs, msgs: e.cfg.qos1Msgs, qos: mqtt.QoS1, window: window, perSub: 1,
				pubTopic:  func(i int) string { return fmt.Sprintf("load/q1/%d", i) },
				subFilter: func(i int) string { return fmt.Sprintf("load/q1/%d", i) },
			})
		},
	}
}

var allScenarios = []scenario{
	{
		name: "fanin",
		title: func(c *config) string {
			return fmt.Sprintf("QoS 0 fan-in: %d publishers → 1 subscriber", c.fanInPubs)
		},
		about: func(c *config) string {
			return fmt.Sprintf("Publisher i sends %d QoS 0 messages of %d bytes to `load/in/<i>` as fast as its connection takes them; "+
				"one subscriber holds `load/in/+`. Throughput is deliveries per second at the subscriber; latency is publish → delivery.",
				c.fanInMsgs, c.payload)
		},
		primary: "delivered/s", unit: "msgs/s",
		cols: pubsubCols,
		run: func(ctx context.Context, e *env) result {
			return runPubSub(ctx, e, pubsubSpec{
				pubs: e.cfg.fanInPubs, subs: 1, msgs: e.cfg.fanInMsgs, qos: mqtt.QoS0, perSub: e.cfg.fanInPubs,
				pubTopic:  func(i int) string { return fmt.Sprintf("load/in/%d", i) },
				subFilter: func(int) string { return "load/in/+" },
			})
		},
		queue: func(c *config) int { return c.fanInPubs * (c.fanInMsgs + c.warmup) },
	},
	{
		name: "fanout",
		title: func(c *config) string {
			return fmt.Sprintf("QoS 0 fan-out: 1 publisher → %d subscribers", c.fanOutSubs)
		},
		about: func(c *config) string {
			return fmt.Sprintf("One publisher sends %d QoS 0 messages of %d bytes to `load/out` as fast as its connection takes them; "+
				"%d subscribers hold `load/out`. Throughput is deliveries per second summed over the subscribers; latency is publish → delivery.",
				c.fanOutMsgs, c.payload, c.fanOutSubs)
		},
		primary: "delivered/s", unit: "msgs/s",
		cols: pubsubCols,
		run: func(ctx context.Context, e *env) result {
			return runPubSub(ctx, e, pubsubSpec{
				pubs: 1, subs: e.cfg.fanOutSubs, msgs: e.cfg.fanOutMsgs, qos: mqtt.QoS0, perSub: 1,
				pubTopic:  func(int) string { return "load/out" },
				subFilter: func(int) string { return "load/out" },
			})
		},
	},
	qos1Scenario(1),
	qos1Scenario(16),
	{
		name: "connrate",
		title: func(c *config) string {
			return fmt.Sprintf("Connection rate: %d clients, %d at a time", c.conns, c.connWorkers)
		},
		about: func(c *config) string {
			return fmt.Sprintf("%d dialers open %d connections in all: TCP connect, CONNECT (clean session, keep alive 0), CONNACK, DISCONNECT, close. "+
				"Throughput is completed cycles per second; latency is dial start → CONNACK.", c.connWorkers, c.conns)
		},
		primary: "conns/s", unit: "conns/s",
		cols: []string{"connected", "failed", "p50", "p99", "broker CPU", "CPU/conn", "client CPU"},
		run:  runConnRate,
	},
	{
		name:  "idle",
		title: func(c *config) string { return fmt.Sprintf("Memory: %d idle connections", c.idle) },
		about: func(c *config) string {
			return fmt.Sprintf("VmRSS of the broker after a settle of %v, then after %d clients connect (keep alive 0) and sit idle "+
				"(read twice, %v apart, the second kept). The figure is (after − before) / connections; lower is better.",
				c.settle, c.idle, c.settle)
		},
		primary: "KiB/conn", unit: "KiB/conn", lowerBetter: true,
		cols: []string{"clients", "failed", "RSS before", "RSS after", "bytes/conn", "connect time"},
		run:  func(ctx context.Context, e *env) result { return runIdle(ctx, e, false) },
	},
	{
		name: "idle-sub",
		title: func(c *config) string {
			return fmt.Sprintf("Memory: %d idle connections, one subscription each", c.idle)
		},
		about: func(c *config) string {
			return "As above, but each client also subscribes to a filter of its own (`load/idle/<i>`, QoS 0) before it goes idle."
		},
		primary: "KiB/conn", unit: "KiB/conn", lowerBetter: true,
		cols: []string{"clients", "failed", "RSS before", "RSS after", "bytes/conn", "connect time"},
		run:  func(ctx context.Context, e *env) result { return runIdle(ctx, e, true) },
	},
}

func scenarioNames() []string {
	var s []string
	for _, sc := range allScenarios {
		s = append(s, sc.name)
	}
	return s
}

// defaultBrokers lists the brokers this binary can run, in report order.
func defaultBrokers(mosquitto string) []string {
	var bs []string
	if _, ok := servers["mqttx"]; ok {
		bs = append(bs, "mqttx")
	}
	if mosquitto != "" {
		bs = append(bs, "mosquitto")
	}
	return append(bs, "mochi")
}

func findMosquitto() string {
	if p, err := exec.LookPath("mosquitto"); err == nil {
		return p
	}
	if _, err := os.Stat("/usr/sbin/mosquitto"); err == nil {
		return "/usr/sbin/mosquitto"
	}
	return ""
}

func parseFlags(args []string, stderr io.Writer) (*config, error) {
	cfg := &config{opTimeout: 5 * time.Second}
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	fs.SetOutput(stderr)
	brokers := fs.String("brokers", "", "comma-separated brokers to run: mqttx, mosquitto, mochi (default: all available)")
	scens := fs.String("scenarios", "", "comma-separated scenarios: "+strings.Join(scenarioNames(), ", ")+" (default: all)")
	fs.BoolVar(&cfg.quick, "quick", false, "small counts and short waits, for a smoke test (flags given explicitly still win)")
	fs.StringVar(&cfg.out, "out", "", "also write the report to this file")
	fs.IntVar(&cfg.count, "count", 1, "runs of each scenario against each broker, interleaved; the table shows the median run")
	fs.IntVar(&cfg.payload, "payload", 64, "payload bytes per message (at least 15)")
	fs.IntVar(&cfg.fanInPubs, "fanin-pubs", 10, "fan-in publishers")
	fs.IntVar(&cfg.fanInMsgs, "fanin-msgs", 100_000, "fan-in messages per publisher")
	fs.IntVar(&cfg.fanOutSubs, "fanout-subs", 100, "fan-out subscribers")
	fs.IntVar(&cfg.fanOutMsgs, "fanout-msgs", 20_000, "fan-out messages published (each delivered to every subscriber)")
	fs.IntVar(&cfg.qos1Pubs, "qos1-pubs", 4, "QoS 1 publishers (and as many subscribers)")
	fs.IntVar(&cfg.qos1Msgs, "qos1-msgs", 20_000, "QoS 1 messages per publisher")
	fs.IntVar(&cfg.conns, "conns", 5000, "connection-rate connections")
	fs.IntVar(&cfg.connWorkers, "conn-workers", 50, "concurrent dialers (connection rate and idle scenarios)")
	fs.IntVar(&cfg.idle, "idle", 10_000, "idle connections in the memory scenarios")
	fs.IntVar(&cfg.warmup, "warmup", 1000, "unmeasured messages per publisher before each measured run")
	fs.DurationVar(&cfg.drain, "drain", 2*time.Second, "after publishing, stop waiting for deliveries once none has arrived for this long")
	fs.DurationVar(&cfg.timeout, "timeout", 60*time.Second, "limit for one scenario against one broker; a broker that needs longer is reported as stalled")
	fs.DurationVar(&cfg.settle, "settle", 2*time.Second, "pause before each memory reading")
	fs.StringVar(&cfg.mosquitto, "mosquitto", findMosquitto(), "mosquitto binary")
	fs.IntVar(&cfg.mochiWritesPending, "mochi-writes-pending", -1, "mochi's per-client queue of outgoing packets, past which it drops messages: "+
		"0 keeps mochi's default (8192); -1 raises it in the fan-in scenario only, where the default drops, to the scenario's message count")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if cfg.quick {
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		quick := map[string]string{
			"fanin-msgs": "5000", "fanout-subs": "20", "fanout-msgs": "1000", "qos1-msgs": "1000",
			"conns": "500", "idle": "1000", "warmup": "100", "drain": "1s", "timeout": "15s", "settle": "300ms",
		}
		for k, v := range quick {
			if !set[k] {
				fs.Set(k, v)
			}
		}
	}
	if cfg.count < 1 {
		return nil, errors.New("-count must be at least 1")
	}
	if cfg.payload < stampLen {
		return nil, fmt.Errorf("-payload must be at least %d", stampLen)
	}
	if *brokers == "" {
		cfg.brokers = defaultBrokers(cfg.mosquitto)
	} else {
		cfg.brokers = strings.Split(*brokers, ",")
	}
	for _, b := range cfg.brokers {
		if _, ok := servers[b]; !ok && b != "mosquitto" {
			return nil, fmt.Errorf("unknown broker %q (this binary has: mosquitto and %s)", b, strings.Join(slices.Sorted(maps.Keys(servers)), ", "))
		}
	}
	if *scens == "" {
		cfg.scenarios = scenarioNames()
	} else {
		cfg.scenarios = strings.Split(*scens, ",")
		for _, s := range cfg.scenarios {
			if !slices.Contains(scenarioNames(), s) {
				return nil, fmt.Errorf("unknown scenario %q (have: %s)", s, strings.Join(scenarioNames(), ", "))
			}
		}
	}
	return cfg, nil
}

func run(args []string, stdout, stderr io.Writer) int {
	cfg, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "load:", err)
		return 2
	}
	if lim, err := raiseNofile(1 << 18); err != nil || lim < uint64(cfg.idle)+1000 {
		fmt.Fprintf(stderr, "load: open-file limit %d (%v): the idle scenarios may fail\n", lim, err)
	}
	rep := runAll(context.Background(), cfg, stderr)
	text := rep.markdown()
	fmt.Fprint(stdout, text)
	if cfg.out != "" {
		if err := os.WriteFile(cfg.out, []byte(text), 0o644); err != nil {
			fmt.Fprintln(stderr, "load:", err)
			return 1
		}
	}
	return 0
}

// runAll runs every scenario against every broker, brokers in turn within
// each scenario.
func runAll(ctx context.Context, cfg *config, progress io.Writer) *report {
	rep := &report{cfg: cfg, start: time.Now()}
	for _, sc := range allScenarios {
		if !slices.Contains(cfg.scenarios, sc.name) {
			continue
		}
		sr := scenarioResult{sc: sc, results: map[string]result{}}
		runs := map[string][]result{}
		for range cfg.count {
			for _, name := range cfg.brokers {
				t := time.Now()
				r := runOne(ctx, cfg, sc, name)
				runs[name] = append(runs[name], r)
				msg := r.status
				if msg == "" {
					msg = fmt.Sprintf("%s %s", fmtFloat(r.primary), sc.unit)
					if len(r.notes) > 0 {
						msg += " (" + strings.Join(r.notes, "; ") + ")"
					}
				}
				fmt.Fprintf(progress, "%-9s %-9s %s [%v]\n", sc.name, name, msg, time.Since(t).Round(10*time.Millisecond))
			}
		}
		for name, rs := range runs {
			sr.results[name] = median(rs)
		}
		rep.scenarios = append(rep.scenarios, sr)
	}
	rep.elapsed = time.Since(rep.start)
	return rep
}

// median picks the run with the median primary figure among those that
// completed, and notes the spread and any failed runs.
func median(rs []result) result {
	if len(rs) == 1 {
		return rs[0]
	}
	var ok []result
	var failures []string
	for _, r := range rs {
		if r.status == "" {
			ok = append(ok, r)
		} else {
			failures = append(failures, r.status)
		}
	}
	if len(ok) == 0 {
		return rs[0]
	}
	slices.SortStableFunc(ok, func(a, b result) int { return cmp.Compare(a.primary, b.primary) })
	m := ok[(len(ok)-1)/2]
	m.notes = append(slices.Clip(m.notes), fmt.Sprintf("median of %d runs, range %s–%s", len(ok), fmtFloat(ok[0].primary), fmtFloat(ok[len(ok)-1].primary)))
	if len(failures) > 0 {
		m.notes = append(m.notes, fmt.Sprintf("%d runs failed: %s", len(failures), strings.Join(failures, "; ")))
	}
	return m
}

func runOne(ctx context.Context, cfg *config, sc scenario, name string) result {
	queue := 0
	if sc.queue != nil {
		queue = sc.queue(cfg)
	}
	b, err := startBroker(cfg, name, queue)
	if err != nil {
		return failed(fmt.Errorf("start: %w", err))
	}
	defer b.stop()
	ctx, cancel := context.WithTimeout(ctx, cfg.timeout)
	defer cancel()
	r := sc.run(ctx, &env{cfg: cfg, b: b})
	if dead, how := b.exited(); dead {
		r.notes = append(r.notes, "broker exited: "+how)
	}
	return r
}
