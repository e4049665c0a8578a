package server

import (
	"sync"
	"sync/atomic"

	"github.com/mqttx/mqttx/mqtt/topic"
)

// SharedStrategy picks which member of a shared subscription group gets a
// message [MQTT-4.8.2-2]. members are the group's subscriptions on filter
// whose clients are connected (all of them when none is); Pick returns an
// index into members. It is called concurrently.
type SharedStrategy interface {
	Pick(group, filter string, members []topic.Subscription, m *Message) int
}

// RoundRobin gives each (group, filter) pair's messages to its members in
// turn. Its zero value is ready to use.
type RoundRobin struct {
	mu       sync.RWMutex
	counters map[[2]string]*atomic.Uint64 // by group and filter
}

// Pick implements SharedStrategy.
func (r *RoundRobin) Pick(group, filter string, members []topic.Subscription, _ *Message) int {
	key := [2]string{group, filter}
	r.mu.RLock()
	n := r.counters[key]
	r.mu.RUnlock()
	if n == nil {
		r.mu.Lock()
		if n = r.counters[key]; n == nil {
			if r.counters == nil {
				r.counters = make(map[[2]string]*atomic.Uint64)
			}
			n = new(atomic.Uint64)
			r.counters[key] = n
		}
		r.mu.Unlock()
	}
	return int((n.Add(1) - 1) % uint64(len(members)))
}
