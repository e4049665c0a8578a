package server_test

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strings"

	"github.com/mqttx/mqttx/mqtt"
	"github.com/mqttx/mqttx/mqtt/packet"
	"github.com/mqttx/mqttx/mqtt/server"
)

// passwords is an Authenticator: it accepts the users it knows, with
// their password.
type passwords map[string]string

func (p passwords) Authenticate(_ context.Context, _ *server.Client, c *packet.Connect, _ *packet.Connack) mqtt.ReasonCode {
	if want, ok := p[c.Username]; ok && c.PasswordFlag && string(c.Password) == want {
		return mqtt.Success
	}
	return mqtt.BadUserNameOrPassword
}

// ownTopics is an Authorizer: each user publishes and subscribes under
// users/<name>/ only.
type ownTopics struct{}

func (ownTopics) Authorize(c *server.Client, a server.Access, topic string) bool {
	return a == server.AccessReceive || strings.HasPrefix(topic, "users/"+c.Username()+"/")
}

// Embed a broker that checks user names and passwords, and try a good and
// a bad login with MQTT 5 clients written with the packet codec.
func Example() {
	srv := &server.Server{
		Hooks:  []server.Hook{passwords{"alice": "secret"}, ownTopics{}},
		Logger: slog.New(slog.DiscardHandler),
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	defer func() { srv.Close(); <-served }()

	for _, password := range []string{"secret", "guess"} {
		nc, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			panic(err)
		}
		connect := &packet.Connect{Version: mqtt.V5, CleanStart: true, ClientID: "app", Username: "alice", Password: []byte(password)}
		if err := packet.Write(nc, connect, mqtt.V5); err != nil {
			panic(err)
		}
		r := packet.NewReader(nc)
		r.Version = mqtt.V5
		p, err := r.ReadPacket()
		if err != nil {
			panic(err)
		}
		fmt.Printf("password %q: %v\n", password, p.(*packet.Connack).ReasonCode)
		nc.Close()
	}
	// Output:
	// password "secret": success
	// password "guess": bad user name or password
}

// exampleServe serves srv on a loopback port; stop closes it and waits
// for Serve to return.
func exampleServe(srv *server.Server) (addr string, stop func()) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	return ln.Addr().String(), func() { srv.Close(); <-served }
}

// exampleClient is a minimal MQTT 5 client on the packet codec.
type exampleClient struct {
	nc net.Conn
	r  *packet.Reader
}

func exampleConnect(addr, id string) *exampleClient {
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		panic(err)
	}
	c := &exampleClient{nc: nc, r: packet.NewReader(nc)}
	c.r.Version = mqtt.V5
	c.send(&packet.Connect{Version: mqtt.V5, CleanStart: true, ClientID: id})
	if ack := c.read().(*packet.Connack); ack.ReasonCode != mqtt.Success {
		panic(ack.ReasonCode)
	}
	return c
}

func (c *exampleClient) send(p packet.Packet) {
	if err := packet.Write(c.nc, p, mqtt.V5); err != nil {
		panic(err)
	}
}

func (c *exampleClient) read() packet.Packet {
	p, err := c.r.ReadPacket()
	if err != nil {
		panic(err)
	}
	return p
}

func (c *exampleClient) close() {
	c.send(&packet.Disconnect{})
	c.nc.Close()
}

// The server publishes a message of its own to a network client.
func ExampleServer_Publish() {
	srv := &server.Server{Logger: slog.New(slog.DiscardHandler)}
	addr, stop := exampleServe(srv)
	defer stop()

	c := exampleConnect(addr, "display")
	defer c.close()
	c.send(&packet.Subscribe{PacketID: 1, Subscriptions: []packet.Subscription{{Filter: "alerts/#", QoS: mqtt.QoS1}}})
	c.read() // SUBACK

	m := &server.Message{Topic: "alerts/fire", Payload: []byte("evacuate"), QoS: mqtt.QoS1}
	m.Properties.ContentType = "text/plain"
	if err := srv.Publish(m); err != nil {
		panic(err)
	}
	p := c.read().(*packet.Publish)
	fmt.Printf("%s %q %v %s\n", p.Topic, p.Payload, p.QoS, p.Properties.ContentType)
	c.send(&packet.Puback{PacketID: p.PacketID})
	// Output:
	// alerts/fire "evacuate" QoS 1 text/plain
}

// An in-process subscription sees the messages published to its filter;
// here one that the server itself publishes. No listener is needed.
func ExampleServer_Subscribe() {
	srv := &server.Server{Logger: slog.New(slog.DiscardHandler)}
	defer srv.Close()

	cancel, err := srv.Subscribe("sensors/+/temperature", func(m *server.Message) {
		fmt.Printf("%s: %s\n", m.Topic, m.Payload)
	})
	if err != nil {
		panic(err)
	}
	defer cancel()

	srv.Publish(&server.Message{Topic: "sensors/kitchen/temperature", Payload: []byte("21.5")})
	srv.Publish(&server.Message{Topic: "sensors/kitchen/humidity", Payload: []byte("40")})
	srv.Publish(&server.Message{Topic: "sensors/garage/temperature", Payload: []byte("9.0")})
	// Output:
	// sensors/kitchen/temperature: 21.5
	// sensors/garage/temperature: 9.0
}

// prefixer is a PublishHook: it refuses messages to drafts/ and moves
// every other message under site/.
type prefixer struct{}

func (prefixer) OnPublish(c *server.Client, m *server.Message) mqtt.ReasonCode {
	if strings.HasPrefix(m.Topic, "drafts/") {
		return mqtt.NotAuthorized
	}
	m.Topic = "site/" + m.Topic
	return mqtt.Success
}

// A PublishHook rewrites or refuses what clients publish; an MQTT 5
// publisher learns of a refusal in its PUBACK.
func ExamplePublishHook() {
	srv := &server.Server{Hooks: []server.Hook{prefixer{}}, Logger: slog.New(slog.DiscardHandler)}
	addr, stop := exampleServe(srv)
	defer stop()
	cancel, err := srv.Subscribe("#", func(m *server.Message) {
		fmt.Printf("routed %s %q\n", m.Topic, m.Payload)
	})
	if err != nil {
		panic(err)
	}
	defer cancel()

	c := exampleConnect(addr, "editor")
	defer c.close()
	for i, topic := range []string{"drafts/post", "news/post"} {
		c.send(&packet.Publish{Topic: topic, QoS: mqtt.QoS1, PacketID: uint16(i + 1), Payload: []byte("hello")})
		fmt.Printf("%s: %v\n", topic, c.read().(*packet.Puback).ReasonCode)
	}
	// Output:
	// drafts/post: not authorized
	// routed site/news/post "hello"
	// news/post: success
}
