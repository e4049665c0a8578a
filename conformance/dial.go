package conformance

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// dialer opens network connections to the broker of a Config.
type dialer struct {
	url *url.URL
	tls *tls.Config // nil for plain transports
	ws  bool
}

func newDialer(c *Config) (*dialer, error) {
	u, err := url.Parse(c.Broker)
	if err != nil {
		return nil, fmt.Errorf("broker URL %q: %w", c.Broker, err)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("broker URL %q has no host:port", c.Broker)
	}
	d := &dialer{url: u}
	secure := false
	switch u.Scheme {
	case "tcp", "mqtt":
	case "ssl", "tls", "mqtts":
		secure = true
	case "ws":
		d.ws = true
	case "wss":
		d.ws, secure = true, true
	default:
		return nil, fmt.Errorf("broker URL %q: scheme %q is none of tcp, mqtt, ssl, tls, mqtts, ws, wss", c.Broker, u.Scheme)
	}
	if u.Port() == "" {
		port := map[string]string{"tcp": "1883", "mqtt": "1883", "ssl": "8883", "tls": "8883", "mqtts": "8883", "ws": "80", "wss": "443"}[u.Scheme]
		u.Host = net.JoinHostPort(u.Hostname(), port)
	}
	if secure {
		d.tls = &tls.Config{ServerName: u.Hostname(), InsecureSkipVerify: c.Insecure}
		if c.CAFile != "" {
			pem, err := os.ReadFile(c.CAFile)
			if err != nil {
				return nil, err
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("%s: no PEM certificate", c.CAFile)
			}
			d.tls.RootCAs = pool
		}
	}
	return d, nil
}

// transport names the transport for reports: tcp, tls, ws or wss.
func (d *dialer) transport() string {
	switch {
	case d.ws && d.tls != nil:
		return "wss"
	case d.ws:
		return "ws"
	case d.tls != nil:
		return "tls"
	}
	return "tcp"
}

// dial opens one connection, MQTT over a WebSocket for ws:// and wss://.
func (d *dialer) dial(timeout time.Duration) (net.Conn, error) {
	if d.ws {
		return d.dialWS(timeout, []string{"mqtt"})
	}
	nd := &net.Dialer{Timeout: timeout}
	if d.tls != nil {
		return tls.DialWithDialer(nd, "tcp", d.url.Host, d.tls)
	}
	return nd.Dial("tcp", d.url.Host)
}

// dialWS opens a WebSocket offering the given subprotocols and returns it
// as a stream of bytes carried in binary frames [MQTT-6.0.0-1].
func (d *dialer) dialWS(timeout time.Duration, protocols []string) (net.Conn, error) {
	u := *d.url
	if u.Path == "" {
		u.Path = "/mqtt"
	}
	var raw net.Conn // the TCP connection under the WebSocket, for its addresses
	nd := &net.Dialer{Timeout: timeout}
	transport := &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := nd.DialContext(ctx, network, addr)
			raw = c
			return c, err
		},
		TLSClientConfig:   d.tls,
		ForceAttemptHTTP2: false,
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, u.String(), &websocket.DialOptions{
		Subprotocols: protocols,
		HTTPClient:   &http.Client{Transport: transport},
	})
	if err != nil {
		transport.CloseIdleConnections()
		return nil, err
	}
	ws.SetReadLimit(-1) // MQTT packets are limited by the MQTT rules, not per message
	c := &wsConn{ws: ws, raw: raw, in: make(chan []byte, 16), readDeadline: make(chan struct{})}
	go c.pump()
	return c, nil
}

// wsConn is a WebSocket as a net.Conn: writes are binary messages, reads
// concatenate the messages received whatever their boundaries. Messages
// are read by a goroutine, so a read deadline that passes only ends the
// wait, never the connection (a check that waits for silence goes on
// using it).
type wsConn struct {
	ws  *websocket.Conn
	raw net.Conn

	in     chan []byte // messages read; closed at the end, with err set
	err    error
	rmu    sync.Mutex
	rest   []byte
	dmu    sync.Mutex
	rdl    time.Time
	wdl    time.Time
	closed sync.Once

	readDeadline chan struct{} // closed and replaced when the read deadline changes
}

func (c *wsConn) pump() {
	for {
		typ, b, err := c.ws.Read(context.Background())
		if err == nil && typ != websocket.MessageBinary {
			err = fmt.Errorf("websocket: broker sent a non-binary frame (type %v)", typ)
		}
		if err != nil {
			switch websocket.CloseStatus(err) {
			case -1:
				if errors.Is(err, net.ErrClosed) || errors.Is(err, io.EOF) {
					err = io.EOF
				}
			default:
				err = io.EOF // a close frame: the end of the stream
			}
			c.err = err
			close(c.in)
			return
		}
		c.in <- b
	}
}

func (c *wsConn) Read(p []byte) (int, error) {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	for len(c.rest) == 0 {
		c.dmu.Lock()
		deadline, changed := c.rdl, c.readDeadline
		c.dmu.Unlock()
		var expire <-chan time.Time
		if !deadline.IsZero() {
			d := time.Until(deadline)
			if d <= 0 {
				return 0, os.ErrDeadlineExceeded
			}
			t := time.NewTimer(d)
			defer t.Stop()
			expire = t.C
		}
		select {
		case b, ok := <-c.in:
			if !ok {
				return 0, c.err
			}
			c.rest = b
		case <-expire:
			return 0, os.ErrDeadlineExceeded
		case <-changed:
		}
	}
	n := copy(p, c.rest)
	c.rest = c.rest[n:]
	return n, nil
}

func (c *wsConn) Write(p []byte) (int, error) {
	if err := c.write(websocket.MessageBinary, p); err != nil {
		return 0, err
	}
	return len(p), nil
}

// writeText sends a text frame, which an MQTT receiver must refuse.
func (c *wsConn) writeText(p []byte) error { return c.write(websocket.MessageText, p) }

func (c *wsConn) write(typ websocket.MessageType, p []byte) error {
	c.dmu.Lock()
	deadline := c.wdl
	c.dmu.Unlock()
	ctx := context.Background()
	if !deadline.IsZero() {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, deadline)
		defer cancel()
	}
	return c.ws.Write(ctx, typ, p)
}

// subprotocol is the subprotocol the broker selected.
func (c *wsConn) subprotocol() string { return c.ws.Subprotocol() }

func (c *wsConn) Close() error {
	c.closed.Do(func() { c.ws.CloseNow() })
	return nil
}

func (c *wsConn) LocalAddr() net.Addr  { return c.raw.LocalAddr() }
func (c *wsConn) RemoteAddr() net.Addr { return c.raw.RemoteAddr() }

func (c *wsConn) SetReadDeadline(t time.Time) error {
	c.dmu.Lock()
	c.rdl = t
	close(c.readDeadline) // wake a waiting Read to look again
	c.readDeadline = make(chan struct{})
	c.dmu.Unlock()
	return nil
}

func (c *wsConn) SetWriteDeadline(t time.Time) error {
	c.dmu.Lock()
	c.wdl = t
	c.dmu.Unlock()
	return nil
}

func (c *wsConn) SetDeadline(t time.Time) error {
	c.SetReadDeadline(t)
	return c.SetWriteDeadline(t)
}

// hostOf is the broker's host:port, for reports.
func (d *dialer) String() string { return strings.TrimSuffix(d.url.String(), "/") }
