package main

import (
	"context"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mqttx/mqttx/mqtt"
)

// runConnRate opens cfg.conns connections from cfg.connWorkers concurrent
// dialers, each TCP connect + CONNECT → CONNACK, then DISCONNECT and close.
// Latency is from the start of the dial to the CONNACK.
func runConnRate(ctx context.Context, e *env) result {
	cfg := e.cfg
	cycle := func(id string, h *hist) error {
		t := now()
		c, err := connect(ctx, e.b.addr, id, false, cfg.opTimeout)
		if err != nil {
			return err
		}
		if h != nil {
			h.record(now() - t)
		}
		c.disconnect()
		return nil
	}
	// Warm-up: a few cycles, one at a time.
	for i := range min(100, cfg.conns/10) {
		if err := cycle(fmt.Sprintf("load-w%d", i), nil); err != nil {
			return failed(fmt.Errorf("warm-up: %w", err))
		}
	}

	var next, failures atomic.Int64
	var firstErr atomic.Value
	hists := make([]hist, cfg.connWorkers)
	before, cpu0 := e.b.stat(), selfCPU()
	start := time.Now()
	var wg sync.WaitGroup
	for w := range hists {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := next.Add(1) - 1
				if i >= int64(cfg.conns) {
					return
				}
				if err := cycle(fmt.Sprintf("load-c%d", i), &hists[w]); err != nil {
					failures.Add(1)
					firstErr.CompareAndSwap(nil, err)
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	after, cpu1 := e.b.stat(), selfCPU()

	var h hist
	for i := range hists {
		h.merge(&hists[i])
	}
	var r result
	if h.n > 0 {
		r.primary = float64(h.n) / elapsed.Seconds()
	}
	r.set("connected", count(h.n))
	r.set("failed", count(failures.Load()))
	r.set("p50", fmtDur(h.quantile(.50)))
	r.set("p99", fmtDur(h.quantile(.99)))
	cpu := after.cpu - before.cpu
	r.set("broker CPU", fmtCPU(cpu))
	if h.n > 0 {
		r.set("CPU/conn", fmtDur(cpu/time.Duration(h.n)))
	}
	r.set("client CPU", fmtCPU(cpu1-cpu0))
	if ctx.Err() != nil {
		r.notes = append(r.notes, fmt.Sprintf("stalled: scenario timeout (%v) reached", cfg.timeout))
	}
	if err, ok := firstErr.Load().(error); ok {
		r.notes = append(r.notes, "first failure: "+err.Error())
	}
	return r
}

// runIdle measures the broker's resident memory before and after
// cfg.idle clients connect (and, with sub, subscribe each to a filter of
// its own) and then sit idle.
func runIdle(ctx context.Context, e *env, sub bool) result {
	cfg := e.cfg
	time.Sleep(cfg.settle)
	before := e.b.stat()

	conns := make([]net.Conn, cfg.idle)
	var next, failures atomic.Int64
	var firstErr atomic.Value
	start := time.Now()
	var wg sync.WaitGroup
	for range cfg.connWorkers {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := next.Add(1) - 1
				if i >= int64(len(conns)) {
					return
				}
				c, err := connect(ctx, e.b.addr, fmt.Sprintf("load-i%d", i), false, cfg.opTimeout)
				if err == nil && sub {
					if err = c.subscribe(fmt.Sprintf("load/idle/%d", i), mqtt.QoS0, cfg.opTimeout); err != nil {
						c.conn.Close()
					}
				}
				if err != nil {
					failures.Add(1)
					firstErr.CompareAndSwap(nil, err)
					continue
				}
				conns[i] = c.conn
			}
		})
	}
	wg.Wait()
	connectTime := time.Since(start)
	// Stop the broker before closing the clients, so the TIME_WAIT
	// sockets are the broker's and the client ports are free at once.
	defer func() {
		e.b.stop()
		for _, c := range conns {
			if c != nil {
				c.Close()
			}
		}
	}()
	var n int64
	for _, c := range conns {
		if c != nil {
			n++
		}
	}
	var after procStat
	for range 2 {
		time.Sleep(cfg.settle)
		after = e.b.stat()
	}
	var r result
	if n > 0 {
		r.primary = float64(after.rssKiB-before.rssKiB) / float64(n)
	}
	r.set("clients", count(n))
	r.set("failed", count(failures.Load()))
	r.set("RSS before", fmtKiB(before.rssKiB))
	r.set("RSS after", fmtKiB(after.rssKiB))
	if n > 0 {
		r.set("bytes/conn", count(int64(r.primary*1024)))
	}
	r.set("connect time", fmtDur(connectTime))
	if ctx.Err() != nil {
		r.notes = append(r.notes, fmt.Sprintf("stalled: scenario timeout (%v) reached", cfg.timeout))
	}
	if err, ok := firstErr.Load().(error); ok {
		r.notes = append(r.notes, "first failure: "+err.Error())
	}
	return r
}
