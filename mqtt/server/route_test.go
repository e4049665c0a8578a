package server_test

import (
	"bytes"
	"slices"
	"testing"
	"time"

	"github.com/mqttx/mqttx/mqtt"
	"github.com/mqttx/mqttx/mqtt/packet"
	"github.com/mqttx/mqttx/mqtt/server"
)

var versions = []mqtt.Version{mqtt.V31, mqtt.V311, mqtt.V5}

func TestRouteQoS0AllVersions(t *testing.T) {
	for _, v := range versions {
		t.Run(v.String(), func(t *testing.T) {
			addr := start(t, &server.Server{})
			sub := open(t, addr, v, "sub")
			ack := sub.subscribe(1, packet.Subscription{Filter: "a/+/c", QoS: 0})
			if !slices.Equal(ack.ReasonCodes, []mqtt.ReasonCode{mqtt.GrantedQoS0}) {
				t.Fatalf("SUBACK %v", ack.ReasonCodes)
			}
			pub := open(t, addr, v, "pub")
			pub.send(&packet.Publish{Topic: "a/b/c", Payload: []byte("hello")})
			pub.send(&packet.Publish{Topic: "a/b/d", Payload: []byte("not matched")})
			pub.send(&packet.Publish{Topic: "a/x/c", Payload: []byte("second")})
			for _, want := range []string{"hello", "second"} {
				got := expect[*packet.Publish](sub)
				if string(got.Payload) != want || got.QoS != 0 || got.Retain {
					t.Fatalf("got %+v, want payload %q at QoS 0", got, want)
				}
			}
			sub.silent(50 * time.Millisecond)
		})
	}
}

func TestRouteAcrossVersions(t *testing.T) {
	addr := start(t, &server.Server{})
	sub3 := open(t, addr, mqtt.V311, "sub3")
	sub3.subscribe(1, packet.Subscription{Filter: "x/#", QoS: 1})
	sub5 := open(t, addr, mqtt.V5, "sub5")
	sub5.subscribe(1, packet.Subscription{Filter: "x/#", QoS: 1})
	pub := open(t, addr, mqtt.V5, "pub")
	p := &packet.Publish{Topic: "x/y", QoS: 1, PacketID: 9, Payload: []byte("p")}
	p.Properties.ContentType = "text/plain"
	p.Properties.User = []packet.UserProperty{{Key: "k", Value: "v"}}
	p.Properties.ResponseTopic = "reply/here"
	p.Properties.CorrelationData = []byte{1, 2}
	pub.send(p)
	if ack := expect[*packet.Puback](pub); ack.PacketID != 9 || ack.ReasonCode != mqtt.Success {
		t.Fatalf("PUBACK %+v", ack)
	}
	g5 := expect[*packet.Publish](sub5)
	if g5.Properties.ContentType != "text/plain" || !slices.Equal(g5.Properties.User, p.Properties.User) ||
		g5.Properties.ResponseTopic != "reply/here" || !bytes.Equal(g5.Properties.CorrelationData, []byte{1, 2}) {
		t.Fatalf("v5 subscriber lost properties: %+v", g5.Properties)
	}
	if g5.QoS != 1 || g5.PacketID == 0 {
		t.Fatalf("v5 got %+v", g5)
	}
	sub5.send(&packet.Puback{PacketID: g5.PacketID})
	g3 := expect[*packet.Publish](sub3)
	if string(g3.Payload) != "p" || g3.QoS != 1 {
		t.Fatalf("v3 got %+v", g3)
	}
	sub3.send(&packet.Puback{PacketID: g3.PacketID})
}
