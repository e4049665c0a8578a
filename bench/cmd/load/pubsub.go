package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/mqttx/mqttx/mqtt"
	"github.com/mqttx/mqttx/mqtt/packet"
)

// pubsubSpec is a message-moving scenario: pubs publishers, subs
// subscribers, msgs measured messages per publisher.
type pubsubSpec struct {
	pubs, subs int
	msgs       int
	qos        mqtt.QoS
	window     int // QoS 1: PUBACKs a publisher may wait for at once
	pubTopic   func(i int) string
	subFilter  func(i int) string
	// perSub is how many publishers each subscriber hears; every
	// publisher is heard by subs*perSub/pubs subscribers.
	perSub int
}

// sink is a subscriber: it counts what it receives, checks the order of
// each publisher's sequence numbers, records publish→delivery latency and,
// at QoS 1, acknowledges, flushing its PUBACKs whenever it has no more
// input at hand.
type sink struct {
	c    *client
	got  [2]atomic.Int64 // by phase
	last atomic.Int64    // time of the last measured delivery

	// Owned by loop until it returns.
	next     []uint32 // next sequence number expected, by publisher
	misorder int64    // measured deliveries older than one already seen
	foreign  int64    // PUBLISHes without the harness's stamp
	h        hist
	scratch  []byte
}

func (s *sink) loop() {
	for {
		p, err := s.c.r.ReadPacket()
		if err != nil {
			return
		}
		pub, ok := p.(*packet.Publish)
		if !ok {
			continue
		}
		t := now()
		if pub.QoS == mqtt.QoS1 {
			s.scratch, _ = (&packet.Puback{PacketID: pub.PacketID}).Append(s.scratch[:0], mqtt.V311)
			s.c.bw.Write(s.scratch)
		}
		if len(pub.Payload) < stampLen {
			s.foreign++
		} else if ts, seq, src, phase := unstamp(pub.Payload); phase == phaseMeasure {
			s.h.record(t - ts)
			if int(src) < len(s.next) {
				if seq < s.next[src] {
					s.misorder++
				} else {
					s.next[src] = seq + 1
				}
			}
			s.last.Store(t)
			s.got[phaseMeasure].Add(1)
		} else {
			s.got[phaseWarm].Add(1)
		}
		if s.c.bw.Buffered() > 0 && s.c.r.Buffered() == 0 && s.c.br.Buffered() == 0 {
			if s.c.bw.Flush() != nil {
				return
			}
		}
	}
}

// publisher publishes from a template as fast as the connection takes it
// (QoS 0), or keeping at most window PUBLISHes unacknowledged (QoS 1).
type publisher struct {
	c   *client
	tpl *template
	src uint16
	qos mqtt.QoS

	// QoS 1.
	sem       chan struct{} // one token per unacknowledged PUBLISH
	sent      []atomic.Int64
	nextID    uint16
	measuring atomic.Bool
	acked     atomic.Int64 // measured PUBACKs
	lastAck   atomic.Int64
	bogus     atomic.Int64 // PUBACKs for nothing outstanding
	h         hist         // publish→PUBACK, owned by ackLoop
}

// publish sends n messages of the phase, and at QoS 1 waits for all of
// them to be acknowledged. It returns how many it wrote.
func (p *publisher) publish(ctx context.Context, n int, phase byte) (int, error) {
	bw := p.c.bw
	for seq := range n {
		if p.qos == mqtt.QoS1 {
			select {
			case p.sem <- struct{}{}:
			default:
				// Window full: send what is buffered and wait.
				if err := bw.Flush(); err != nil {
					return seq, err
				}
				select {
				case p.sem <- struct{}{}:
				case <-ctx.Done():
					return seq, ctx.Err()
				}
			}
			if p.nextID++; p.nextID == 0 {
				p.nextID = 1
			}
			p.tpl.setID(p.nextID)
			t := now()
			p.sent[p.nextID].Store(t)
			p.tpl.set(t, uint32(seq), p.src, phase)
		} else {
			p.tpl.set(now(), uint32(seq), p.src, phase)
		}
		if _, err := bw.Write(p.tpl.b); err != nil {
			return seq, err
		}
	}
	if err := bw.Flush(); err != nil {
		return n, err
	}
	if p.qos == mqtt.QoS1 {
		// Holding every token means every PUBLISH was acknowledged.
		for i := range cap(p.sem) {
			select {
			case p.sem <- struct{}{}:
			case <-ctx.Done():
				for range i {
					<-p.sem
				}
				return n, ctx.Err()
			}
		}
		for range cap(p.sem) {
			<-p.sem
		}
	}
	return n, nil
}

func (p *publisher) ackLoop() {
	for {
		pk, err := p.c.r.ReadPacket()
		if err != nil {
			return
		}
		a, ok := pk.(*packet.Puback)
		if !ok {
			continue
		}
		t := now()
		at := p.sent[a.PacketID].Swap(0)
		if at == 0 {
			p.bogus.Add(1)
			continue
		}
		if p.measuring.Load() {
			p.h.record(t - at)
			p.acked.Add(1)
			p.lastAck.Store(t)
		}
		<-p.sem
	}
}

// clientSet closes every client it holds when the scenario ends or its
// context does, whichever comes first.
type clientSet struct {
	mu      sync.Mutex
	clients []*client
	closed  bool
}

func (cs *clientSet) add(c *client) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if cs.closed {
		c.conn.Close()
		return
	}
	cs.clients = append(cs.clients, c)
}

func (cs *clientSet) closeAll() {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	cs.closed = true
	for _, c := range cs.clients {
		c.conn.Close()
	}
	cs.clients = nil
}

// waitCount waits until get reaches want; it gives up when the count has
// not moved for idle, or when ctx ends, and then reports false.
func waitCount(ctx context.Context, get func() int64, want int64, idle time.Duration) bool {
	last, lastMove := get(), time.Now()
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for {
		n := get()
		if n >= want {
			return true
		}
		if n != last {
			last, lastMove = n, time.Now()
		} else if time.Since(lastMove) > idle {
			return false
		}
		select {
		case <-ctx.Done():
			return false
		case <-tick.C:
		}
	}
}

func selfCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func runPubSub(ctx context.Context, e *env, sp pubsubSpec) result {
	cfg := e.cfg
	var cs clientSet
	stop := context.AfterFunc(ctx, cs.closeAll)
	var wg sync.WaitGroup
	finish := func() {
		stop()
		cs.closeAll()
		wg.Wait()
	}
	defer finish()

	sinks := make([]*sink, sp.subs)
	for i := range sinks {
		c, err := connect(ctx, e.b.addr, fmt.Sprintf("load-s%d", i), true, cfg.opTimeout)
		if err != nil {
			return failed(err)
		}
		cs.add(c)
		if err := c.subscribe(sp.subFilter(i), sp.qos, cfg.opTimeout); err != nil {
			return failed(err)
		}
		s := &sink{c: c, next: make([]uint32, sp.pubs)}
		sinks[i] = s
		wg.Go(s.loop)
	}
	pubs := make([]*publisher, sp.pubs)
	for i := range pubs {
		c, err := connect(ctx, e.b.addr, fmt.Sprintf("load-p%d", i), true, cfg.opTimeout)
		if err != nil {
			return failed(err)
		}
		cs.add(c)
		tpl, err := newTemplate(sp.pubTopic(i), sp.qos, cfg.payload)
		if err != nil {
			return failed(err)
		}
		p := &publisher{c: c, tpl: tpl, src: uint16(i), qos: sp.qos}
		if sp.qos == mqtt.QoS1 {
			p.sem = make(chan struct{}, sp.window)
			p.sent = make([]atomic.Int64, 1<<16)
			wg.Go(p.ackLoop)
		}
		pubs[i] = p
	}
	received := func(phase int) int64 {
		var n int64
		for _, s := range sinks {
			n += s.got[phase].Load()
		}
		return n
	}
	publishAll := func(n int, phase byte) (int64, error) {
		var sent atomic.Int64
		errs := make([]error, len(pubs))
		var pw sync.WaitGroup
		for i, p := range pubs {
			pw.Go(func() {
				k, err := p.publish(ctx, n, phase)
				sent.Add(int64(k))
				errs[i] = err
			})
		}
		pw.Wait()
		return sent.Load(), errors.Join(errs...)
	}
	fanout := int64(sp.subs * sp.perSub / sp.pubs) // subscribers per publisher

	if w := cfg.warmup; w > 0 {
		sent, err := publishAll(w, phaseWarm)
		if err != nil {
			return failed(fmt.Errorf("warm-up: %w", err))
		}
		waitCount(ctx, func() int64 { return received(phaseWarm) }, sent*fanout, cfg.drain)
	}
	for _, p := range pubs {
		p.measuring.Store(true)
	}

	before, cpu0 := e.b.stat(), selfCPU()
	t0 := now()
	sent, sendErr := publishAll(sp.msgs, phaseMeasure)
	want := sent * fanout
	complete := waitCount(ctx, func() int64 { return received(phaseMeasure) }, want, cfg.drain)
	after, cpu1 := e.b.stat(), selfCPU()
	timedOut := ctx.Err() != nil
	finish()

	var r result
	var lat, ack hist
	var last, lastAck, misorder, foreign, acked, bogus int64
	got := received(phaseMeasure)
	for _, s := range sinks {
		lat.merge(&s.h)
		last = max(last, s.last.Load())
		misorder += s.misorder
		foreign += s.foreign
	}
	for _, p := range pubs {
		ack.merge(&p.h)
		lastAck = max(lastAck, p.lastAck.Load())
		acked += p.acked.Load()
		bogus += p.bogus.Load()
	}
	if sp.qos == mqtt.QoS1 {
		if lastAck > t0 {
			r.primary = float64(acked) / time.Duration(lastAck-t0).Seconds()
		}
		r.set("acked", count(acked))
		r.set("ack p50", fmtDur(ack.quantile(.50)))
		r.set("ack p99", fmtDur(ack.quantile(.99)))
	} else if last > t0 {
		r.primary = float64(got) / time.Duration(last-t0).Seconds()
	}
	r.set("sent", count(sent))
	r.set("delivered", count(got))
	r.set("loss", lossCell(want, got))
	r.set("p50", fmtDur(lat.quantile(.50)))
	r.set("p99", fmtDur(lat.quantile(.99)))
	cpu := after.cpu - before.cpu
	r.set("broker CPU", fmtCPU(cpu))
	if got > 0 {
		r.set("CPU/msg", fmtDur(cpu/time.Duration(got)))
	}
	r.set("peak RSS", fmtKiB(after.hwmKiB))
	r.set("client CPU", fmtCPU(cpu1-cpu0))
	var notes []string
	if misorder > 0 {
		notes = append(notes, fmt.Sprintf("%d out of order or duplicated", misorder))
	}
	if foreign > 0 {
		notes = append(notes, fmt.Sprintf("%d unstamped PUBLISHes", foreign))
	}
	if bogus > 0 {
		notes = append(notes, fmt.Sprintf("%d unexpected PUBACKs", bogus))
	}
	switch {
	case timedOut:
		notes = append(notes, fmt.Sprintf("stalled: scenario timeout (%v) reached", cfg.timeout))
	case sendErr != nil:
		notes = append(notes, fmt.Sprintf("publish failed: %v", sendErr))
	case !complete:
		notes = append(notes, fmt.Sprintf("gave up after %v without a delivery", cfg.drain))
	}
	r.notes = notes
	return r
}
