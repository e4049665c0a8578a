package topic_test

import (
	"fmt"
	"slices"

	"github.com/mqttx/mqttx/mqtt"
	"github.com/mqttx/mqttx/mqtt/topic"
)

func ExampleMatch() {
	fmt.Println(topic.Match("sport/+/player1", "sport/tennis/player1"))
	fmt.Println(topic.Match("sport/#", "sport"))
	fmt.Println(topic.Match("+/monitor", "$SYS/monitor"))
	fmt.Println(topic.Match("$SYS/#", "$SYS/monitor"))
	// Output:
	// true
	// true
	// false
	// true
}

func ExampleParseShared() {
	group, inner, ok, err := topic.ParseShared("$share/workers/jobs/#")
	fmt.Println(group, inner, ok, err)
	_, _, ok, err = topic.ParseShared("$share/workers")
	fmt.Println(ok, err)
	_, _, ok, err = topic.ParseShared("jobs/#")
	fmt.Println(ok, err)
	// Output:
	// workers jobs/# true <nil>
	// true mqtt: topic filter invalid: no '/' after share name [MQTT-4.8.2-2]
	// false <nil>
}

func ExampleIndex() {
	x := topic.NewIndex()
	x.Subscribe(topic.Subscription{Client: "dash", Filter: "site/+/temp", QoS: mqtt.QoS1, ID: 1})
	x.Subscribe(topic.Subscription{Client: "dash", Filter: "site/#", QoS: mqtt.QoS0, ID: 2})
	x.Subscribe(topic.Subscription{Client: "w1", Group: "workers", Filter: "site/#"})
	x.Subscribe(topic.Subscription{Client: "w2", Group: "workers", Filter: "site/#"})

	var r topic.Result // reuse across calls
	x.Match("site/7/temp", "", &r)
	for i := range r.Len() {
		d := r.At(i)
		fmt.Println(d.Client, d.QoS, len(d.IDs), "identifiers")
	}
	for i := range r.Groups() {
		g := r.Group(i)
		fmt.Println(g.Group, g.Filter, len(g.Members), "members")
	}
	// Output:
	// dash QoS 1 2 identifiers
	// workers site/# 2 members
}

func ExampleTree() {
	retained := topic.NewTree[string]()
	retained.Set("site/1/temp", "21.5")
	retained.Set("site/2/temp", "19.0")
	retained.Set("site/2/hum", "40")
	retained.Set("$SYS/uptime", "3600")

	n := 0
	retained.Match("+/+/temp", func(name, v string) bool {
		n++
		return true
	})
	fmt.Println(n, "retained temperatures")
	v, _ := retained.Get("site/2/hum")
	fmt.Println(v)
	// Output:
	// 2 retained temperatures
	// 40
}

func ExampleValidateFilterFor() {
	// "$share/" makes a shared subscription in MQTT 5 only.
	fmt.Println(topic.ValidateFilterFor(mqtt.V5, "$share/g"))
	fmt.Println(topic.ValidateFilterFor(mqtt.V311, "$share/g"))
	// The same rule has a different statement id in each version.
	fmt.Println(topic.ValidateFilterFor(mqtt.V5, "a/b#"))
	fmt.Println(topic.ValidateFilterFor(mqtt.V311, "a/b#"))
	// Output:
	// mqtt: topic filter invalid: no '/' after share name [MQTT-4.8.2-2]
	// <nil>
	// mqtt: topic filter invalid: '#' does not fill its level [MQTT-4.7.1-1]
	// mqtt: topic filter invalid: '#' does not fill its level [MQTT-4.7.1-2]
}

func ExampleTree_AppendMatch() {
	retained := topic.NewTree[string]()
	retained.Set("site/1/temp", "21.5")
	retained.Set("site/2/temp", "19.0")
	retained.Set("site/2/hum", "40")

	// Copy the matches out under the tree's lock, then do the slow work
	// (sending to the subscriber) with no lock held.
	var buf []string
	buf = retained.AppendMatch(buf[:0], "site/+/temp")
	slices.Sort(buf)
	for _, v := range buf {
		fmt.Println("send", v)
	}
	// Output:
	// send 19.0
	// send 21.5
}
