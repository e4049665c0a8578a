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
	counters sync.Map // group + "\x00" + filter → *atomic.Uint64
}

// Pick implements SharedStrategy.
func (r *RoundRobin) Pick(group, filter string, members []topic.Subscription, _ *Message) int {
	key := group + "\x00" + filter
	v, ok := r.counters.Load(key)
	if !ok {
		v, _ = r.counters.LoadOrStore(key, new(atomic.Uint64))
	}
	return int((v.(*atomic.Uint64).Add(1) - 1) % uint64(len(members)))
}
