package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mqttx/mqttx/mqtt"
	"github.com/mqttx/mqttx/mqtt/packet"
	"github.com/mqttx/mqttx/mqtt/server/auth"
)

// clientFlags are the connection flags shared by pub and sub, named as
// mosquitto_pub and mosquitto_sub name them.
type clientFlags struct {
	url        string
	host       string
	port       int
	version    string
	id         string
	username   string
	password   string
	keepAlive  int
	cleanStart bool
	expiry     uint
	userProps  multiFlag
	caFile     string
	certFile   string
	keyFile    string
	insecure   bool
	tls        bool
	timeout    time.Duration
	authMethod string
}

type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(s string) error { *m = append(*m, s); return nil }

func (f *clientFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.url, "L", "", "broker URL: tcp://host:port or tls://host:port (instead of -h and -p)")
	fs.StringVar(&f.host, "h", "127.0.0.1", "broker host")
	fs.IntVar(&f.port, "p", 0, "broker port (1883, or 8883 with TLS)")
	fs.StringVar(&f.version, "V", "5", "protocol version: 3.1, 3.1.1 or 5")
	fs.StringVar(&f.id, "i", "", "client identifier (default: one made up, or assigned by an MQTT 5 broker)")
	fs.StringVar(&f.username, "u", "", "user name")
	fs.StringVar(&f.password, "P", "", "password")
	fs.IntVar(&f.keepAlive, "k", 60, "keep alive, seconds (0: none)")
	fs.BoolVar(&f.cleanStart, "c", true, "clean start (false keeps the session: -c=false)")
	fs.UintVar(&f.expiry, "x", 0, "MQTT 5 session expiry interval, seconds")
	fs.Var(&f.userProps, "D", "MQTT 5 user property key=value on the PUBLISH or SUBSCRIBE (repeatable)")
	fs.StringVar(&f.caFile, "cafile", "", "CA certificates (PEM) to verify the broker with; implies TLS")
	fs.StringVar(&f.certFile, "cert", "", "client certificate (PEM) for TLS")
	fs.StringVar(&f.keyFile, "key", "", "client key (PEM) for TLS")
	fs.BoolVar(&f.insecure, "insecure", false, "do not verify the broker's certificate")
	fs.BoolVar(&f.tls, "tls", false, "use TLS with the system's CA certificates")
	fs.DurationVar(&f.timeout, "timeout", 10*time.Second, "limit for connecting and for each acknowledgement")
	fs.StringVar(&f.authMethod, "auth-method", "", "MQTT 5 enhanced authentication: "+auth.SCRAMSHA256+" proves -u and -P without sending the password, and checks that the broker holds them")
}

func (f *clientFlags) userProperties() ([]packet.UserProperty, error) {
	var ups []packet.UserProperty
	for _, kv := range f.userProps {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return nil, fmt.Errorf("-D %q: want key=value", kv)
		}
		ups = append(ups, packet.UserProperty{Key: k, Value: v})
	}
	return ups, nil
}

// mqttClient is a minimal MQTT client on the codec: one connection, one
// reader goroutine, the acknowledgement flows of QoS 1 and 2 in both
// directions.
type mqttClient struct {
	nc      net.Conn
	v       mqtt.Version
	timeout time.Duration

	wmu sync.Mutex // serializes writes

	in     chan packet.Packet // packets from the broker, except the ones the reader answers itself
	errc   chan error         // the reader's end
	nextID uint16
}

// dialClient connects and completes the CONNECT/CONNACK exchange.
func dialClient(f *clientFlags, will *packet.Will) (*mqttClient, *packet.Connack, error) {
	v, err := parseVersion(f.version)
	if err != nil {
		return nil, nil, err
	}
	if v == 0 {
		v = mqtt.V5
	}
	scram, err := f.scramClient(v)
	if err != nil {
		return nil, nil, err
	}
	addr, useTLS, err := f.address()
	if err != nil {
		return nil, nil, err
	}
	d := net.Dialer{Timeout: f.timeout}
	var nc net.Conn
	if useTLS {
		cfg, err := f.tlsConfig(addr)
		if err != nil {
			return nil, nil, err
		}
		nc, err = tls.DialWithDialer(&d, "tcp", addr, cfg)
		if err != nil {
			return nil, nil, err
		}
	} else if nc, err = d.Dial("tcp", addr); err != nil {
		return nil, nil, err
	}
	id := f.id
	if id == "" && v != mqtt.V5 {
		id = "mqttx-" + strconv.FormatInt(time.Now().UnixNano()%1e9, 36) + strconv.Itoa(os.Getpid())
	}
	connect := &packet.Connect{
		Version: v, ClientID: id, CleanStart: f.cleanStart, KeepAlive: uint16(f.keepAlive),
		Username: f.username, Password: []byte(f.password), Will: will,
	}
	if f.password != "" {
		connect.PasswordFlag = true
	}
	if scram != nil {
		// The password is proven, never sent.
		connect.Password, connect.PasswordFlag = nil, false
		connect.Properties.AuthMethod = f.authMethod
		connect.Properties.AuthData = scram.First()
	}
	if v == mqtt.V5 && f.expiry > 0 {
		connect.Properties.SessionExpiry = uint32(f.expiry)
	}
	c := &mqttClient{nc: nc, v: v, timeout: f.timeout, in: make(chan packet.Packet, 64), errc: make(chan error, 1)}
	nc.SetDeadline(time.Now().Add(f.timeout))
	if err := packet.Write(nc, connect, v); err != nil {
		nc.Close()
		return nil, nil, err
	}
	r := packet.NewReader(nc)
	r.Version = v
	r.MaxPacketSize = 256 << 20
	var p packet.Packet
	for {
		if p, err = r.ReadPacket(); err != nil {
			nc.Close()
			return nil, nil, fmt.Errorf("waiting for CONNACK: %w", err)
		}
		a, ok := p.(*packet.Auth)
		if !ok || scram == nil {
			break
		}
		if err := c.continueAuth(scram, a, f.authMethod); err != nil {
			nc.Close()
			return nil, nil, err
		}
	}
	ack, ok := p.(*packet.Connack)
	if !ok {
		nc.Close()
		return nil, nil, fmt.Errorf("got %v, want CONNACK", p.Type())
	}
	ack = packet.Clone(ack).(*packet.Connack)
	if ack.ReasonCode.IsError() {
		nc.Close()
		msg := ack.ReasonCode.String()
		if ack.Properties.ReasonString != "" {
			msg += ": " + ack.Properties.ReasonString
		}
		return nil, ack, fmt.Errorf("connection refused: %s", msg)
	}
	if scram != nil {
		// The broker accepted: it must also prove that it holds the
		// user's credential, with its signature in the CONNACK.
		if ack.Properties.AuthMethod != f.authMethod {
			nc.Close()
			return nil, ack, fmt.Errorf("CONNACK with Authentication Method %q, want %q", ack.Properties.AuthMethod, f.authMethod)
		}
		if err := scram.Verify(ack.Properties.AuthData); err != nil {
			nc.Close()
			return nil, ack, fmt.Errorf("the broker did not authenticate itself: %w", err)
		}
	}
	nc.SetDeadline(time.Time{})
	go c.read(r)
	if f.keepAlive > 0 {
		go c.ping(time.Duration(f.keepAlive) * time.Second)
	}
	return c, ack, nil
}

// scramClient returns the client side of the --auth-method exchange, nil
// without --auth-method.
func (f *clientFlags) scramClient(v mqtt.Version) (*auth.SCRAMClient, error) {
	switch {
	case f.authMethod == "":
		return nil, nil
	case f.authMethod != auth.SCRAMSHA256:
		return nil, fmt.Errorf("--auth-method %q: the only method is %s", f.authMethod, auth.SCRAMSHA256)
	case v != mqtt.V5:
		return nil, errors.New("--auth-method needs MQTT 5 (-V 5)")
	case f.username == "" || f.password == "":
		return nil, fmt.Errorf("--auth-method %s needs a user name and a password (-u, -P)", f.authMethod)
	}
	sc, err := auth.NewSCRAMClient(f.username, f.password)
	if err != nil {
		return nil, fmt.Errorf("--auth-method %s: %w", f.authMethod, err)
	}
	return sc, nil
}

// continueAuth answers the broker's AUTH during CONNECT: a Continue
// Authentication carrying the server-first-message gets the
// client-final-message. SCRAM has that one round; a second is refused.
func (c *mqttClient) continueAuth(sc *auth.SCRAMClient, a *packet.Auth, method string) error {
	if a.ReasonCode != mqtt.ContinueAuthentication || a.Properties.AuthMethod != method {
		return fmt.Errorf("AUTH %v with Authentication Method %q during CONNECT, want %v with %q", a.ReasonCode, a.Properties.AuthMethod, mqtt.ContinueAuthentication, method)
	}
	final, err := sc.Next(a.Properties.AuthData)
	if err != nil {
		return fmt.Errorf("authentication: %w", err)
	}
	out := &packet.Auth{ReasonCode: mqtt.ContinueAuthentication}
	out.Properties.AuthMethod = method
	out.Properties.AuthData = final
	return packet.Write(c.nc, out, c.v)
}

func (f *clientFlags) address() (addr string, useTLS bool, err error) {
	useTLS = f.tls || f.caFile != "" || f.certFile != "" || f.insecure
	host, port := f.host, f.port
	if f.url != "" {
		u, err := url.Parse(f.url)
		if err != nil || u.Host == "" {
			return "", false, fmt.Errorf("-L %q: want tcp://host:port or tls://host:port", f.url)
		}
		switch u.Scheme {
		case "tcp", "mqtt":
		case "tls", "ssl", "mqtts":
			useTLS = true
		default:
			return "", false, fmt.Errorf("-L %q: unknown scheme %q", f.url, u.Scheme)
		}
		host = u.Hostname()
		if p := u.Port(); p != "" {
			port, _ = strconv.Atoi(p)
		}
	}
	if port == 0 {
		port = 1883
		if useTLS {
			port = 8883
		}
	}
	return net.JoinHostPort(host, strconv.Itoa(port)), useTLS, nil
}

func (f *clientFlags) tlsConfig(addr string) (*tls.Config, error) {
	host, _, _ := net.SplitHostPort(addr)
	cfg := &tls.Config{ServerName: host, InsecureSkipVerify: f.insecure, MinVersion: tls.VersionTLS12}
	if f.caFile != "" {
		pem, err := os.ReadFile(f.caFile)
		if err != nil {
			return nil, err
		}
		cfg.RootCAs = x509.NewCertPool()
		if !cfg.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("--cafile %s: no PEM certificates", f.caFile)
		}
	}
	if f.certFile != "" || f.keyFile != "" {
		cert, err := tls.LoadX509KeyPair(f.certFile, f.keyFile)
		if err != nil {
			return nil, fmt.Errorf("--cert/--key: %w", err)
		}
		cfg.Certificates = []tls.Certificate{cert}
	}
	return cfg, nil
}

// read delivers the broker's packets to c.in, answering PINGRESP itself.
func (c *mqttClient) read(r *packet.Reader) {
	for {
		p, err := r.ReadPacket()
		if err != nil {
			c.errc <- err
			close(c.in)
			return
		}
		if _, ok := p.(*packet.Pingresp); ok {
			continue
		}
		c.in <- packet.Clone(p)
	}
}

func (c *mqttClient) ping(every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for range t.C {
		if c.send(&packet.Pingreq{}) != nil {
			return
		}
	}
}

func (c *mqttClient) send(p packet.Packet) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.nc.SetWriteDeadline(time.Now().Add(c.timeout))
	return packet.Write(c.nc, p, c.v)
}

func (c *mqttClient) id() uint16 {
	c.nextID++
	if c.nextID == 0 {
		c.nextID = 1
	}
	return c.nextID
}

// next returns the broker's next packet, or an error when the connection
// ended or nothing came within d (zero: wait forever).
func (c *mqttClient) next(d time.Duration) (packet.Packet, error) {
	var timeout <-chan time.Time
	if d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case p, ok := <-c.in:
		if !ok {
			err := <-c.errc
			c.errc <- err // for the next caller
			return nil, fmt.Errorf("connection closed: %w", err)
		}
		if d, ok := p.(*packet.Disconnect); ok {
			return nil, fmt.Errorf("broker sent DISCONNECT: %v %s", d.ReasonCode, d.Properties.ReasonString)
		}
		return p, nil
	case <-timeout:
		return nil, errTimeout
	}
}

var errTimeout = errors.New("timed out")

// publish sends m and waits for its acknowledgement flow to complete.
func (c *mqttClient) publish(m *packet.Publish) error {
	if m.QoS > 0 {
		m.PacketID = c.id()
	}
	if err := c.send(m); err != nil {
		return err
	}
	if m.QoS == 0 {
		return nil
	}
	for {
		p, err := c.next(c.timeout)
		if err != nil {
			return fmt.Errorf("waiting for the acknowledgement: %w", err)
		}
		switch p := p.(type) {
		case *packet.Puback:
			if p.PacketID == m.PacketID {
				return ackError("PUBACK", p.ReasonCode, p.Properties.ReasonString)
			}
		case *packet.Pubrec:
			if p.PacketID == m.PacketID {
				if err := ackError("PUBREC", p.ReasonCode, p.Properties.ReasonString); err != nil {
					return err
				}
				if err := c.send(&packet.Pubrel{PacketID: p.PacketID}); err != nil {
					return err
				}
			}
		case *packet.Pubcomp:
			if p.PacketID == m.PacketID {
				return ackError("PUBCOMP", p.ReasonCode, p.Properties.ReasonString)
			}
		case *packet.Publish:
			c.ackIncoming(p) // a message for a subscription of this client: acknowledged, not shown
		}
	}
}

func ackError(what string, code mqtt.ReasonCode, reason string) error {
	if !code.IsError() {
		return nil
	}
	if reason != "" {
		return fmt.Errorf("%s: %v: %s", what, code, reason)
	}
	return fmt.Errorf("%s: %v", what, code)
}

// ackIncoming answers a PUBLISH from the broker: PUBACK for QoS 1, PUBREC
// for QoS 2 (the PUBREL is answered by answerPubrel).
func (c *mqttClient) ackIncoming(p *packet.Publish) error {
	switch p.QoS {
	case mqtt.QoS1:
		return c.send(&packet.Puback{PacketID: p.PacketID})
	case mqtt.QoS2:
		return c.send(&packet.Pubrec{PacketID: p.PacketID})
	}
	return nil
}

func (c *mqttClient) answerPubrel(p *packet.Pubrel) error {
	return c.send(&packet.Pubcomp{PacketID: p.PacketID})
}

// disconnect ends the session politely.
func (c *mqttClient) disconnect() {
	c.send(&packet.Disconnect{})
	c.nc.Close()
}
