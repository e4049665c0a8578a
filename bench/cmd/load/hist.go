package main

import (
	"fmt"
	"math/bits"
	"time"
)

// hist is a log-linear latency histogram of nanosecond values: 64
// sub-buckets per power of two, so a recorded value is known to within
// 1/64 (1.6%). Recording is a few instructions and allocates nothing; one
// histogram belongs to one goroutine, and histograms are merged at the end.
type hist struct {
	n      int64
	max    int64
	counts [64 * 64]int64
}

const histSub = 64 // sub-buckets per power of two

func histIndex(v int64) int {
	if v < histSub {
		if v < 0 {
			return 0
		}
		return int(v)
	}
	e := bits.Len64(uint64(v)) - 7 // v>>e is in [64, 128)
	i := (e+1)*histSub + int(v>>e) - histSub
	if i >= len(hist{}.counts) {
		return len(hist{}.counts) - 1
	}
	return i
}

// histValue is the middle of bucket i.
func histValue(i int) int64 {
	if i < histSub {
		return int64(i)
	}
	e := i/histSub - 1
	m := int64(i%histSub + histSub)
	return m<<e + (int64(1)<<e)/2
}

func (h *hist) record(v int64) {
	h.counts[histIndex(v)]++
	h.n++
	if v > h.max {
		h.max = v
	}
}

func (h *hist) merge(o *hist) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
	h.max = max(h.max, o.max)
}

// quantile is the value below which a fraction q of the recorded values
// lie; 0 when nothing was recorded.
func (h *hist) quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	target := int64(q*float64(h.n) + 0.5)
	target = max(1, min(target, h.n))
	var seen int64
	for i, c := range h.counts {
		seen += c
		if seen >= target {
			return time.Duration(min(histValue(i), h.max))
		}
	}
	return time.Duration(h.max)
}

// fmtDur prints a latency with three significant figures in a unit that
// suits it.
func fmtDur(d time.Duration) string {
	switch {
	case d <= 0:
		return "–"
	case d < time.Microsecond:
		return fmt.Sprintf("%d ns", d)
	case d < time.Millisecond:
		return fmt.Sprintf("%.3g µs", float64(d)/1e3)
	case d < time.Second:
		return fmt.Sprintf("%.3g ms", float64(d)/1e6)
	}
	return fmt.Sprintf("%.3g s", d.Seconds())
}
