package topic

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/mqttx/mqttx/mqtt"
)

// The benchmark population: topics "site/{s}/dev/{d}/temp" (10,000 sites,
// 100 devices each) and benchN subscriptions of mixed shapes, from 250,000
// clients. A published topic matches about nine clients and one shared
// group on average.
const (
	benchN     = 1_000_000
	benchSites = 10_000
	benchDevs  = 100
)

// benchSub returns the i-th subscription of the population.
func benchSub(i int, rng *rand.Rand) Subscription {
	s := strconv.Itoa(rng.IntN(benchSites))
	d := strconv.Itoa(rng.IntN(benchDevs))
	sub := Subscription{Client: "c" + strconv.Itoa(i%250_000), QoS: mqtt.QoS(i % 3), ID: uint32(i % 5)}
	switch p := i % 1000; {
	case i < 300: // every site, one device: 3 per topic
		sub.Filter = "site/+/dev/" + d + "/temp"
	case i < 302: // monitors: everything
		sub.Filter = "#"
	case i < 310:
		sub.Filter = "$SYS/#"
	case p < 20: // 2% site-wide per metric: 2 per topic
		sub.Filter = "site/" + s + "/dev/+/temp"
	case p < 30: // 1% whole site: 1 per topic
		sub.Filter = "site/" + s + "/#"
	case p < 80:
		sub.Filter = "site/" + s + "/dev/" + d + "/#"
	case p < 130:
		sub.Filter = "+/" + s + "/+/" + d + "/+"
	case p < 140: // shared, site-wide
		sub.Group, sub.Filter = "g"+strconv.Itoa(i%4), "site/"+s+"/dev/+/temp"
	case p < 190: // shared, one device
		sub.Group, sub.Filter = "g"+strconv.Itoa(i%2), "site/"+s+"/dev/"+d+"/temp"
	case p < 757:
		sub.Filter = "site/" + s + "/dev/" + d + "/temp"
	default:
		sub.Filter = "site/" + s + "/dev/" + d + "/hum"
	}
	return sub
}

func buildBenchIndex(n int) *Index {
	rng := rand.New(rand.NewPCG(1, 1))
	x := NewIndex()
	for i := range n {
		x.Subscribe(benchSub(i, rng))
	}
	return x
}

var bench struct {
	once sync.Once
	x    *Index
}

func benchIndex() *Index {
	bench.once.Do(func() { bench.x = buildBenchIndex(benchN) })
	return bench.x
}

func benchTopics(n int) []string {
	rng := rand.New(rand.NewPCG(2, 2))
	topics := make([]string, n)
	for i := range topics {
		topics[i] = fmt.Sprintf("site/%d/dev/%d/temp", rng.IntN(benchSites), rng.IntN(benchDevs))
	}
	return topics
}

// BenchmarkIndexMemory builds the population and reports the heap it
// holds per subscription, including the client identifier and filter
// strings the index keeps alive, and the build time per subscription.
func BenchmarkIndexMemory(b *testing.B) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	x := buildBenchIndex(benchN)
	elapsed := time.Since(start)
	runtime.GC()
	runtime.ReadMemStats(&after)
	n := float64(x.Len()) // a few random draws repeat a key
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/n, "B/sub")
	b.ReportMetric(float64(elapsed.Nanoseconds())/n, "ns/subscribe")
	b.ReportMetric(float64(x.nodeCount())/n, "nodes/sub")
	bench.once.Do(func() { bench.x = x }) // spare BenchmarkIndexMatch a build
}

func BenchmarkIndexMatch(b *testing.B) {
	for _, n := range []int{64, 4096, 65536} {
		b.Run(fmt.Sprintf("topics=%d", n), func(b *testing.B) { benchMatch(b, n) })
	}
}

// benchMatch publishes to n distinct topics in turn: few topics stay in
// the CPU caches, many measure the cost of memory accesses.
func benchMatch(b *testing.B, n int) {
	x := benchIndex()
	topics := benchTopics(n)
	runtime.GC()
	var r Result
	clients, groups := 0, 0
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		x.Match(topics[i%len(topics)], "", &r)
		clients += r.Len()
		groups += r.Groups()
		i++
	}
	b.ReportMetric(float64(clients)/float64(b.N), "clients/op")
	b.ReportMetric(float64(groups)/float64(b.N), "groups/op")
}

func BenchmarkIndexMatchParallel(b *testing.B) {
	x := benchIndex()
	topics := benchTopics(4096)
	runtime.GC()
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		var r Result
		i := rand.IntN(len(topics))
		for pb.Next() {
			x.Match(topics[i%len(topics)], "", &r)
			i++
		}
	})
}

// BenchmarkIndexChurn subscribes and unsubscribes on the full index, as
// clients come and go.
func BenchmarkIndexChurn(b *testing.B) {
	x := benchIndex()
	rng := rand.New(rand.NewPCG(3, 3))
	subs := make([]Subscription, 1024)
	for i := range subs {
		subs[i] = benchSub(i+7, rng)
		subs[i].Client = "churn" + strconv.Itoa(i)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		s := subs[i%len(subs)]
		x.Subscribe(s)
		x.Unsubscribe(s.Client, s.Group, s.Filter)
		i++
	}
}
