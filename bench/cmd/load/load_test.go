package main

import (
	"context"
	"io"
	"net"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mqttx/mqttx/mqtt"
	"github.com/mqttx/mqttx/mqtt/packet"
)

func TestMain(m *testing.M) {
	// The harness starts the Go brokers by running its own executable
	// with serve-<name>; under go test that executable is this test
	// binary, which takes the same path.
	if os.Getenv(childEnv) == "1" {
		os.Exit(serveMain(os.Args[1:]))
	}
	os.Exit(m.Run())
}

func tinyConfig(t *testing.T) *config {
	t.Helper()
	cfg, err := parseFlags(strings.Fields(
		"-quick -fanin-pubs 3 -fanin-msgs 300 -fanout-subs 5 -fanout-msgs 200 -qos1-pubs 2 -qos1-msgs 200 "+
			"-conns 100 -conn-workers 10 -idle 100 -warmup 20 -drain 3s -settle 20ms -timeout 20s"), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

// TestHarness runs every scenario, scaled down, against mochi and
// Mosquitto and checks that the harness counts what it sent and what
// arrived: neither broker may lose a message at this size.
func TestHarness(t *testing.T) {
	if testing.Short() {
		t.Skip("starts broker processes")
	}
	cfg := tinyConfig(t)
	if _, err := raiseNofile(4096); err != nil {
		t.Log("raising the open-file limit:", err)
	}
	want := map[string]map[string]string{
		"fanin":    {"sent": "900", "delivered": "900", "loss": "0"},
		"fanout":   {"sent": "200", "delivered": "1,000", "loss": "0"},
		"qos1-w1":  {"sent": "400", "acked": "400", "delivered": "400", "loss": "0"},
		"qos1-w16": {"sent": "400", "acked": "400", "delivered": "400", "loss": "0"},
		"connrate": {"connected": "100", "failed": "0"},
		"idle":     {"clients": "100", "failed": "0"},
		"idle-sub": {"clients": "100", "failed": "0"},
	}
	for _, broker := range []string{"mochi", "mosquitto"} {
		t.Run(broker, func(t *testing.T) {
			if broker == "mosquitto" && cfg.mosquitto == "" {
				t.Skip("mosquitto is not installed (no mosquitto in PATH or /usr/sbin): skipping its half of the test")
			}
			t.Parallel()
			for _, sc := range allScenarios {
				r := runOne(context.Background(), cfg, sc, broker)
				if r.status != "" {
					t.Errorf("%s: %s", sc.name, r.status)
					continue
				}
				for k, v := range want[sc.name] {
					if got := r.cells[k]; got != v {
						t.Errorf("%s: %s = %q, want %q", sc.name, k, got, v)
					}
				}
				if sc.lowerBetter {
					// Memory can shrink between two readings; a figure is enough.
					if r.cells["RSS after"] == "" {
						t.Errorf("%s: no RSS reading", sc.name)
					}
				} else if r.primary <= 0 {
					t.Errorf("%s: %s = %v, want > 0", sc.name, sc.primary, r.primary)
				}
				if len(r.notes) > 0 {
					t.Errorf("%s: notes %q", sc.name, r.notes)
				}
			}
		})
	}
}

func init() { servers["blackhole"] = serveBlackhole }

// serveBlackhole is a broken broker for TestStall: it accepts CONNECT and
// SUBSCRIBE and then swallows everything, forwarding and acknowledging
// nothing.
func serveBlackhole(ctx context.Context, ln net.Listener, _ serveOptions) error {
	context.AfterFunc(ctx, func() { ln.Close() })
	for {
		nc, err := ln.Accept()
		if err != nil {
			return nil
		}
		go func() {
			defer nc.Close()
			r := packet.NewReader(nc)
			for {
				p, err := r.ReadPacket()
				if err != nil {
					return
				}
				switch p := p.(type) {
				case *packet.Connect:
					packet.Write(nc, &packet.Connack{}, mqtt.V311)
				case *packet.Subscribe:
					packet.Write(nc, &packet.Suback{PacketID: p.PacketID, ReasonCodes: []mqtt.ReasonCode{0}}, mqtt.V311)
				}
			}
		}()
	}
}

// TestStall checks that a broker that stops delivering is reported as
// such within the scenario's limits rather than hanging the harness.
func TestStall(t *testing.T) {
	if testing.Short() {
		t.Skip("starts broker processes")
	}
	cfg := tinyConfig(t)
	cfg.timeout = time.Second
	cfg.drain = 300 * time.Millisecond
	cfg.warmup = 0
	for _, name := range []string{"fanin", "qos1-w16"} {
		i := slices.IndexFunc(allScenarios, func(s scenario) bool { return s.name == name })
		start := time.Now()
		r := runOne(context.Background(), cfg, allScenarios[i], "blackhole")
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("%s took %v", name, d)
		}
		if r.status != "" {
			t.Fatalf("%s: %s", name, r.status)
		}
		if r.cells["delivered"] != "0" {
			t.Errorf("%s: delivered %q, want 0", name, r.cells["delivered"])
		}
		wantNote := map[string]string{"fanin": "without a delivery", "qos1-w16": "stalled"}[name]
		if !strings.Contains(strings.Join(r.notes, "; "), wantNote) {
			t.Errorf("%s: notes %q, want one saying %q", name, r.notes, wantNote)
		}
		t.Logf("%s: loss %s, notes %q", name, r.cells["loss"], r.notes)
	}
}

func TestHist(t *testing.T) {
	var h hist
	for v := int64(1); v <= 100_000; v++ {
		h.record(v * 1000) // 1 µs … 100 ms, uniform
	}
	for _, c := range []struct {
		q    float64
		want time.Duration
	}{{.5, 50 * time.Millisecond}, {.99, 99 * time.Millisecond}, {1, 100 * time.Millisecond}} {
		got := h.quantile(c.q)
		if diff := float64(got-c.want) / float64(c.want); diff < -0.02 || diff > 0.02 {
			t.Errorf("quantile(%v) = %v, want %v ± 2%%", c.q, got, c.want)
		}
	}
	for v := range int64(1 << 20) {
		if i := histIndex(v); histValue(i) > v+v/64+1 || histValue(i) < v-v/64-1 {
			t.Fatalf("value %d: bucket %d holds %d", v, i, histValue(i))
		}
	}
}

func TestCount(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -4200: "-4,200"} {
		if got := count(n); got != want {
			t.Errorf("count(%d) = %q, want %q", n, got, want)
		}
	}
}
