package conformance

import (
	"context"
	"net"
	"net/url"
	"time"

	"github.com/eclipse/paho.golang/paho"
	paho3 "github.com/eclipse/paho.mqtt.golang"
)

// Paho5 is the MQTT 5 driver: a paho.golang client on a connection from
// the suite's dialer, whose received PUBLISH packets arrive on Msgs.
type Paho5 struct {
	*paho.Client
	t    *T
	ID   string
	Msgs chan *paho.Publish
	// Disc receives a DISCONNECT from the broker.
	Disc chan *paho.Disconnect
}

// Paho5 connects a paho.golang client with cp (the client identifier,
// credentials and keep alive are filled in when empty) and requires a
// successful CONNACK. configure, when not nil, adjusts the client
// configuration.
func (t *T) Paho5(cp *paho.Connect, configure func(*paho.ClientConfig)) (*Paho5, *paho.Connack) {
	t.Helper()
	if cp == nil {
		cp = &paho.Connect{CleanStart: true}
	}
	if cp.ClientID == "" {
		cp.ClientID = t.ClientID()
	}
	if p := t.env.cfg.Profile; p.Username != "" && cp.Username == "" {
		cp.Username, cp.UsernameFlag = p.Username, true
		if p.Password != "" {
			cp.Password, cp.PasswordFlag = []byte(p.Password), true
		}
	}
	if cp.KeepAlive == 0 && !t.env.dialer.ws {
		// Not over WebSocket: paho.golang writes a packet in several
		// Writes, each a WebSocket message there, and its pinger writes
		// from its own goroutine, so a PINGREQ could land inside another
		// packet. Without a keep alive there is no pinger.
		cp.KeepAlive = 30
	}
	nc, err := t.env.dialer.dial(t.Wait())
	if err != nil {
		t.Fatalf("dial %s: %v", t.env.dialer, err)
	}
	c := &Paho5{t: t, ID: cp.ClientID, Msgs: make(chan *paho.Publish, 1024), Disc: make(chan *paho.Disconnect, 1)}
	cfg := paho.ClientConfig{
		Conn: nc,
		OnPublishReceived: []func(paho.PublishReceived) (bool, error){func(pr paho.PublishReceived) (bool, error) {
			t.logf("paho5 %s ← PUBLISH qos=%d retain=%t topic=%q payload=%s", c.ID, pr.Packet.QoS, pr.Packet.Retain, pr.Packet.Topic, quote(pr.Packet.Payload))
			c.Msgs <- pr.Packet
			return true, nil
		}},
		OnServerDisconnect: func(d *paho.Disconnect) {
			t.logf("paho5 %s ← DISCONNECT code=0x%02X", c.ID, d.ReasonCode)
			select {
			case c.Disc <- d:
			default:
			}
		},
		OnClientError: func(err error) { t.logf("paho5 %s: client error %v", c.ID, err) },
	}
	if configure != nil {
		configure(&cfg)
	}
	c.Client = paho.NewClient(cfg)
	ctx, cancel := context.WithTimeout(context.Background(), t.Wait())
	defer cancel()
	t.logf("paho5 %s → CONNECT clean=%t", c.ID, cp.CleanStart)
	ack, err := c.Connect(ctx, cp)
	if ack != nil {
		t.logf("paho5 %s ← CONNACK code=0x%02X sessionPresent=%t", c.ID, ack.ReasonCode, ack.SessionPresent)
	}
	if err != nil {
		nc.Close()
		t.Fatalf("expected paho.golang client %s to connect; got %v", c.ID, err)
	}
	t.Cleanup(c.Stop)
	return c, ack
}

// Stop disconnects normally (nothing is sent when the connection is gone)
// and waits for the client's goroutines.
func (c *Paho5) Stop() {
	done := make(chan struct{})
	go func() {
		c.Disconnect(&paho.Disconnect{ReasonCode: 0})
		<-c.Done()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(c.t.Wait()):
	}
}

// Sub subscribes (with Subscription Identifier id when non-zero) and
// returns the SUBACK reason codes.
func (c *Paho5) Sub(id int, subs ...paho.SubscribeOptions) []byte {
	c.t.Helper()
	s := &paho.Subscribe{Subscriptions: subs}
	if id != 0 {
		s.Properties = &paho.SubscribeProperties{SubscriptionIdentifier: &id}
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.t.Wait())
	defer cancel()
	c.t.logf("paho5 %s → SUBSCRIBE %+v id=%d", c.ID, subs, id)
	ack, err := c.Subscribe(ctx, s)
	if err != nil && ack == nil {
		c.t.Fatalf("expected a SUBACK for %s; got %v", c.ID, err)
	}
	c.t.logf("paho5 %s ← SUBACK %v", c.ID, ack.Reasons)
	return ack.Reasons
}

// Pub publishes and returns the broker's response (nil for QoS 0).
func (c *Paho5) Pub(p *paho.Publish) *paho.PublishResponse {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), c.t.Wait())
	defer cancel()
	c.t.logf("paho5 %s → PUBLISH qos=%d retain=%t topic=%q payload=%s", c.ID, p.QoS, p.Retain, p.Topic, quote(p.Payload))
	r, err := c.Publish(ctx, p)
	if err != nil && r == nil {
		c.t.Fatalf("expected paho.golang publish to %q to complete; got %v", p.Topic, err)
	}
	return r
}

// Next returns the next message received.
func (c *Paho5) Next(want string) *paho.Publish {
	c.t.Helper()
	select {
	case m := <-c.Msgs:
		return m
	case <-time.After(c.t.Wait()):
		c.t.Fatalf("expected %s to receive %s within %v; nothing arrived", c.ID, want, c.t.Wait())
		return nil
	}
}

// None fails if a message arrives within the silence window.
func (c *Paho5) None(why string) {
	c.t.Helper()
	select {
	case m := <-c.Msgs:
		c.t.Fatalf("expected %s; got PUBLISH topic=%q payload=%s retain=%t", why, m.Topic, quote(m.Payload), m.Retain)
	case <-time.After(c.t.Silence()):
	}
}

// Paho3 is the MQTT 3.1.1 driver: a paho.mqtt.golang client, always with
// protocol version 4 set explicitly (never its fallback to 3.1), whose
// received messages arrive on Msgs.
type Paho3 struct {
	paho3.Client
	t    *T
	ID   string
	Msgs chan paho3.Message
	Lost chan error
}

// Paho3 connects a paho.mqtt.golang client; configure adjusts the options
// (after the suite's defaults: a fresh client identifier, clean session,
// keep alive 30 s, no reconnection).
func (t *T) Paho3(configure func(*paho3.ClientOptions)) *Paho3 {
	t.Helper()
	c := &Paho3{t: t, Msgs: make(chan paho3.Message, 1024), Lost: make(chan error, 1)}
	o := paho3.NewClientOptions()
	o.AddBroker("tcp://" + t.env.dialer.url.Host)
	o.SetCustomOpenConnectionFn(func(*url.URL, paho3.ClientOptions) (net.Conn, error) {
		return t.env.dialer.dial(t.Wait())
	})
	o.SetProtocolVersion(4)
	o.SetClientID(t.ClientID())
	o.SetCleanSession(true)
	o.SetAutoReconnect(false)
	o.SetConnectRetry(false)
	o.SetKeepAlive(30 * time.Second)
	o.SetConnectTimeout(t.Wait())
	o.SetWriteTimeout(t.Wait())
	if p := t.env.cfg.Profile; p.Username != "" {
		o.SetUsername(p.Username)
		o.SetPassword(p.Password)
	}
	o.SetDefaultPublishHandler(func(_ paho3.Client, m paho3.Message) {
		t.logf("paho3 %s ← PUBLISH qos=%d retain=%t dup=%t topic=%q payload=%s", c.ID, m.Qos(), m.Retained(), m.Duplicate(), m.Topic(), quote(m.Payload()))
		c.Msgs <- m
	})
	o.SetConnectionLostHandler(func(_ paho3.Client, err error) {
		t.logf("paho3 %s: connection lost: %v", c.ID, err)
		select {
		case c.Lost <- err:
		default:
		}
	})
	if configure != nil {
		configure(o)
	}
	c.ID = o.ClientID
	c.Client = paho3.NewClient(o)
	t.logf("paho3 %s → CONNECT clean=%t", c.ID, o.CleanSession)
	tok := c.Connect()
	if !tok.WaitTimeout(t.Wait()) || tok.Error() != nil {
		t.Fatalf("expected paho.mqtt.golang client %s to connect with MQTT 3.1.1; got %v", c.ID, tok.Error())
	}
	t.Cleanup(func() { c.Disconnect(50) })
	return c
}

// Sub subscribes and returns the granted QoS (0x80 on failure).
func (c *Paho3) Sub(filter string, qos byte) byte {
	c.t.Helper()
	c.t.logf("paho3 %s → SUBSCRIBE %q qos=%d", c.ID, filter, qos)
	tok := c.Subscribe(filter, qos, nil)
	if !tok.WaitTimeout(c.t.Wait()) {
		c.t.Fatalf("expected a SUBACK for %q within %v", filter, c.t.Wait())
	}
	if tok.Error() != nil {
		c.t.Fatalf("expected SUBSCRIBE %q to complete; got %v", filter, tok.Error())
	}
	g := tok.(*paho3.SubscribeToken).Result()[filter]
	c.t.logf("paho3 %s ← SUBACK %d", c.ID, g)
	return g
}

// Pub publishes and waits for the QoS flow to complete.
func (c *Paho3) Pub(topic string, qos byte, retain bool, payload string) {
	c.t.Helper()
	c.t.logf("paho3 %s → PUBLISH qos=%d retain=%t topic=%q payload=%q", c.ID, qos, retain, topic, payload)
	tok := c.Publish(topic, qos, retain, payload)
	if !tok.WaitTimeout(c.t.Wait()) || tok.Error() != nil {
		c.t.Fatalf("expected publish to %q to complete within %v; got %v", topic, c.t.Wait(), tok.Error())
	}
}

// Next returns the next message received.
func (c *Paho3) Next(want string) paho3.Message {
	c.t.Helper()
	select {
	case m := <-c.Msgs:
		return m
	case <-time.After(c.t.Wait()):
		c.t.Fatalf("expected %s to receive %s within %v; nothing arrived", c.ID, want, c.t.Wait())
		return nil
	}
}

// None fails if a message arrives within the silence window.
func (c *Paho3) None(why string) {
	c.t.Helper()
	select {
	case m := <-c.Msgs:
		c.t.Fatalf("expected %s; got PUBLISH topic=%q payload=%s retain=%t", why, m.Topic(), quote(m.Payload()), m.Retained())
	case <-time.After(c.t.Silence()):
	}
}
