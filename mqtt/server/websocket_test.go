package server_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/eclipse/paho.golang/paho"
	paho3 "github.com/eclipse/paho.mqtt.golang"
	"github.com/mqttx/mqttx/mqtt"
	"github.com/mqttx/mqttx/mqtt/packet"
	"github.com/mqttx/mqttx/mqtt/server"
)

// serveWS serves srv's WebSocketHandler on /mqtt of a loopback HTTP server,
// behind TLS with cfg when cfg is not nil, until the test ends, and returns
// the URL clients dial.
func serveWS(t testing.TB, srv *server.Server, cfg *tls.Config) string {
	t.Helper()
	if srv.Logger == nil {
		srv.Logger = quietLogger()
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	scheme := "ws://"
	if cfg != nil {
		ln = tls.NewListener(ln, cfg)
		scheme = "wss://"
	}
	mux := http.NewServeMux()
	mux.Handle("/mqtt", srv.WebSocketHandler())
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second, ErrorLog: log.New(io.Discard, "", 0)}
	done := make(chan error, 1)
	go func() { done <- hs.Serve(ln) }()
	t.Cleanup(func() {
		srv.Close()
		hs.Close()
		if err := <-done; !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("http.Server.Serve returned %v, want http.ErrServerClosed", err)
		}
	})
	return scheme + ln.Addr().String() + "/mqtt"
}

// wsDialer dials WebSocket connections with its own HTTP transport, whose
// connections are closed when the test ends.
type wsDialer struct {
	t      testing.TB
	client *http.Client
	mu     sync.Mutex
	conns  []net.Conn // the TCP connections dialed
}

func newWSDialer(t testing.TB, roots *x509.CertPool, certs ...tls.Certificate) *wsDialer {
	d := &wsDialer{t: t}
	tr := &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: roots, Certificates: certs},
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			nc, err := (&net.Dialer{}).DialContext(ctx, network, addr)
			if err == nil {
				d.mu.Lock()
				d.conns = append(d.conns, nc)
				d.mu.Unlock()
			}
			return nc, err
		},
	}
	d.client = &http.Client{Transport: tr}
	t.Cleanup(tr.CloseIdleConnections)
	return d
}

// dial performs the WebSocket handshake offering protocols and returns the
// connection and the response; it fails the test on an error.
func (d *wsDialer) dial(url string, protocols ...string) (*websocket.Conn, *http.Response) {
	d.t.Helper()
	ws, resp, err := d.tryDial(url, protocols...)
	if err != nil {
		d.t.Fatalf("WebSocket handshake with %s: %v", url, err)
	}
	return ws, resp
}

func (d *wsDialer) tryDial(url string, protocols ...string) (*websocket.Conn, *http.Response, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ws, resp, err := websocket.Dial(ctx, url, &websocket.DialOptions{HTTPClient: d.client, Subprotocols: protocols})
	if err == nil {
		d.t.Cleanup(func() { ws.CloseNow() })
	}
	return ws, resp, err
}

// lastLocalAddr is the local address of the last connection dialed.
func (d *wsDialer) lastLocalAddr() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.conns[len(d.conns)-1].LocalAddr().String()
}

// wsClient is a raw MQTT client over WebSocket: packets go out as the test
// frames them, and the binary messages received are read as one stream.
type wsClient struct {
	*client
	ws *websocket.Conn
}

func dialWSClient(t testing.TB, url string, v mqtt.Version) *wsClient {
	t.Helper()
	ws, _ := newWSDialer(t, nil).dial(url, "mqtt")
	return &wsClient{client: newClient(t, websocket.NetConn(context.Background(), ws, websocket.MessageBinary), v), ws: ws}
}

// message sends b as one binary message.
func (c *wsClient) message(b []byte) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.ws.Write(ctx, websocket.MessageBinary, b); err != nil {
		c.t.Fatalf("writing a WebSocket message: %v", err)
	}
}

func encode(t testing.TB, v mqtt.Version, ps ...packet.Packet) []byte {
	t.Helper()
	var b []byte
	for _, p := range ps {
		var err error
		if b, err = p.Append(b, v); err != nil {
			t.Fatalf("encoding %v: %v", p.Type(), err)
		}
	}
	return b
}

// wsRecorder records the clients the server accepts.
type wsRecorder struct {
	mu      sync.Mutex
	clients []*server.Client
	gone    chan string
}

func newWSRecorder() *wsRecorder { return &wsRecorder{gone: make(chan string, 16)} }

func (r *wsRecorder) OnConnect(c *server.Client, _ bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.clients = append(r.clients, c)
}

func (r *wsRecorder) OnDisconnect(c *server.Client, _ server.DisconnectReason, _ error) {
	r.gone <- c.ID()
}

func (r *wsRecorder) client(t *testing.T, id string) *server.Client {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range r.clients {
		if c.ID() == id {
			return c
		}
	}
	t.Fatalf("client %q not connected", id)
	return nil
}

func TestWebSocketRawClient(t *testing.T) {
	srv := &server.Server{}
	url := serveWS(t, srv, nil)
	for _, v := range []mqtt.Version{mqtt.V311, mqtt.V5} {
		t.Run(v.String(), func(t *testing.T) {
			c := dialWSClient(t, url, v)
			if ack := c.connect(&packet.Connect{ClientID: "raw", CleanStart: true, KeepAlive: 60}); ack.ReasonCode != mqtt.Success {
				t.Fatalf("CONNACK %v", ack.ReasonCode)
			}
			c.subscribe(1, packet.Subscription{Filter: "t/#", QoS: mqtt.QoS1})
			c.send(&packet.Publish{Topic: "t/1", QoS: mqtt.QoS1, PacketID: 2, Payload: []byte("over ws")})
			var gotAck, gotPub bool
			for !gotAck || !gotPub {
				switch p := c.recv().(type) {
				case *packet.Puback:
					gotAck = p.PacketID == 2
				case *packet.Publish:
					gotPub = p.Topic == "t/1" && string(p.Payload) == "over ws"
					c.send(&packet.Puback{PacketID: p.PacketID})
				default:
					t.Fatalf("got %v %+v", p.Type(), p)
				}
			}
			c.disconnect()
		})
	}
}

// TestWebSocketFraming checks that packets are read as a byte stream
// whatever the frames [MQTT-6.0.0-2]: split over messages, split over the
// frames of one message, and several in one frame.
func TestWebSocketFraming(t *testing.T) {
	srv := &server.Server{}
	url := serveWS(t, srv, nil)
	c := dialWSClient(t, url, mqtt.V5)
	connect := encode(t, mqtt.V5, &packet.Connect{Version: mqtt.V5, ClientID: "frames", CleanStart: true, KeepAlive: 60})
	sub := encode(t, mqtt.V5, &packet.Subscribe{PacketID: 1, Subscriptions: []packet.Subscription{{Filter: "a", QoS: mqtt.QoS1}}})

	// CONNECT over two messages.
	c.message(connect[:3])
	c.message(connect[3:])
	if ack := expect[*packet.Connack](c.client); ack.ReasonCode != mqtt.Success {
		t.Fatalf("CONNACK %v", ack.ReasonCode)
	}
	// SUBSCRIBE over two messages, the second ending with the start of
	// PINGREQ, whose last byte is a third message.
	ping := encode(t, mqtt.V5, &packet.Pingreq{})
	c.message(sub[:2])
	c.message(append(append([]byte(nil), sub[2:]...), ping[0]))
	if ack := expect[*packet.Suback](c.client); ack.PacketID != 1 || ack.ReasonCodes[0] != mqtt.GrantedQoS1 {
		t.Fatalf("SUBACK %+v", ack)
	}
	c.message(ping[1:])
	expect[*packet.Pingresp](c.client)

	// One message of three frames splitting a PUBLISH (the first frame a
	// single byte).
	pub := encode(t, mqtt.V5, &packet.Publish{Topic: "a", QoS: mqtt.QoS1, PacketID: 9, Payload: bytes.Repeat([]byte("x"), 300)})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	w, err := c.ws.Writer(ctx, websocket.MessageBinary)
	if err != nil {
		t.Fatal(err)
	}
	for _, part := range [][]byte{pub[:1], pub[1:100], pub[100:]} {
		if _, err := w.Write(part); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	var gotAck, gotPub bool
	for !gotAck || !gotPub {
		switch p := c.recv().(type) {
		case *packet.Puback:
			gotAck = p.PacketID == 9
		case *packet.Publish:
			gotPub = len(p.Payload) == 300
			c.send(&packet.Puback{PacketID: p.PacketID})
		default:
			t.Fatalf("got %v %+v", p.Type(), p)
		}
	}

	// One message of 90 KB holding three packets: more than the WebSocket
	// library's default limit on a message, which must not apply.
	var batch []packet.Packet
	for id := uint16(10); id < 13; id++ {
		batch = append(batch, &packet.Publish{Topic: "b", QoS: mqtt.QoS1, PacketID: id, Payload: make([]byte, 30<<10)})
	}
	c.message(encode(t, mqtt.V5, batch...))
	for id := uint16(10); id < 13; id++ {
		if ack := expect[*packet.Puback](c.client); ack.PacketID != id {
			t.Fatalf("PUBACK %d, want %d", ack.PacketID, id)
		}
	}

	// Two packets in one frame; an empty message in between changes
	// nothing.
	c.message(nil)
	c.message(encode(t, mqtt.V5, &packet.Pingreq{}, &packet.Unsubscribe{PacketID: 3, Filters: []string{"a"}}))
	expect[*packet.Pingresp](c.client)
	if ack := expect[*packet.Unsuback](c.client); ack.PacketID != 3 {
		t.Fatalf("UNSUBACK %+v", ack)
	}
	c.disconnect()
}

// TestWebSocketTextFrame checks that a text frame closes the connection
// [MQTT-6.0.0-1]: an MQTT 5 client first gets DISCONNECT Protocol Error,
// then the close frame says Unsupported Data.
func TestWebSocketTextFrame(t *testing.T) {
	srv := &server.Server{}
	url := serveWS(t, srv, nil)
	c := dialWSClient(t, url, mqtt.V5)
	c.connect(&packet.Connect{ClientID: "text", CleanStart: true, KeepAlive: 60})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.ws.Write(ctx, websocket.MessageText, encode(t, mqtt.V5, &packet.Pingreq{})); err != nil {
		t.Fatal(err)
	}
	typ, b, err := c.ws.Read(ctx)
	if err != nil || typ != websocket.MessageBinary {
		t.Fatalf("Read = %v, %x, %v; want a binary message", typ, b, err)
	}
	var d packet.Decoder
	d.Version = mqtt.V5
	p, _, err := d.Decode(b)
	if dis, ok := p.(*packet.Disconnect); err != nil || !ok || dis.ReasonCode != mqtt.ProtocolError {
		t.Fatalf("got %+v, %v; want DISCONNECT %v", p, err, mqtt.ProtocolError)
	}
	_, _, err = c.ws.Read(ctx)
	if got := websocket.CloseStatus(err); got != websocket.StatusUnsupportedData {
		t.Fatalf("after DISCONNECT: %v (close status %v), want close status %v", err, got, websocket.StatusUnsupportedData)
	}

	// Before CONNECT, the connection just closes.
	c = dialWSClient(t, url, mqtt.V5)
	if err := c.ws.Write(ctx, websocket.MessageText, []byte("hello")); err != nil {
		t.Fatal(err)
	}
	if _, _, err = c.ws.Read(ctx); websocket.CloseStatus(err) != websocket.StatusUnsupportedData {
		t.Fatalf("text instead of CONNECT: %v, want close status %v", err, websocket.StatusUnsupportedData)
	}
}

func TestWebSocketSubprotocol(t *testing.T) {
	srv := &server.Server{}
	url := serveWS(t, srv, nil)
	d := newWSDialer(t, nil)
	for _, tt := range []struct {
		offer []string
		want  string // "" for a refusal
	}{
		{[]string{"mqtt"}, "mqtt"},
		{[]string{"MQTT"}, "MQTT"},
		{[]string{"mqttv3.1"}, "mqttv3.1"},
		{[]string{"mqttv3.1", "mqtt"}, "mqtt"},
		{[]string{"chat", "mqtt"}, "mqtt"},
		{nil, ""},
		{[]string{"chat"}, ""},
	} {
		ws, resp, err := d.tryDial(url, tt.offer...)
		switch {
		case tt.want == "" && err == nil:
			t.Errorf("offering %q: handshake accepted with %q, want a refusal", tt.offer, ws.Subprotocol())
		case tt.want == "" && (resp == nil || resp.StatusCode != http.StatusBadRequest):
			t.Errorf("offering %q: %v (response %v), want 400 Bad Request", tt.offer, err, resp)
		case tt.want != "" && err != nil:
			t.Errorf("offering %q: %v", tt.offer, err)
		case tt.want != "" && ws.Subprotocol() != tt.want:
			t.Errorf("offering %q: subprotocol %q, want %q", tt.offer, ws.Subprotocol(), tt.want)
		}
		if err == nil {
			ws.Close(websocket.StatusNormalClosure, "")
		}
	}

	// Not a WebSocket handshake at all.
	resp, err := d.client.Get(strings.Replace(url, "ws://", "http://", 1))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUpgradeRequired {
		t.Errorf("plain GET: %s, want 426 Upgrade Required", resp.Status)
	}
}

// TestWebSocketMQTT31 connects an MQTT 3.1 client offering mqttv3.1.
func TestWebSocketMQTT31(t *testing.T) {
	srv := &server.Server{}
	url := serveWS(t, srv, nil)
	ws, _ := newWSDialer(t, nil).dial(url, "mqttv3.1")
	c := newClient(t, websocket.NetConn(context.Background(), ws, websocket.MessageBinary), mqtt.V31)
	if ack := c.connect(&packet.Connect{ClientID: "old", CleanStart: true, KeepAlive: 60}); ack.ReasonCode != mqtt.Success {
		t.Fatalf("CONNACK %v", ack.ReasonCode)
	}
	c.disconnect()
}

// TestWebSocketPaho routes messages between the Paho clients over
// WebSocket (paho.golang on this package's WebSocket client library,
// paho.mqtt.golang on its own) and a raw client over TCP.
func TestWebSocketPaho(t *testing.T) {
	srv := &server.Server{}
	url := serveWS(t, srv, nil)
	addr := start(t, srv)

	ws, _ := newWSDialer(t, nil).dial(url, "mqtt")
	v5 := &pahoV5{t: t, id: "v5", msgs: make(chan *paho.Publish, 16), disc: make(chan *paho.Disconnect, 1)}
	v5.Client = paho.NewClient(paho.ClientConfig{
		Conn: websocket.NetConn(context.Background(), ws, websocket.MessageBinary),
		OnPublishReceived: []func(paho.PublishReceived) (bool, error){func(pr paho.PublishReceived) (bool, error) {
			v5.msgs <- pr.Packet
			return true, nil
		}},
		OnClientError: func(error) {},
	})
	ctx, cancel := context.WithTimeout(context.Background(), pahoWait)
	defer cancel()
	// KeepAlive 0: paho.golang writes a packet in several Writes (each a
	// WebSocket message here) and its pinger writes from another
	// goroutine, which could put a PINGREQ inside another packet.
	if _, err := v5.Connect(ctx, &paho.Connect{ClientID: "v5", CleanStart: true}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(v5.stop)
	v5.subscribe(paho.SubscribeOptions{Topic: "to/v5", QoS: 2})

	v3, _ := connectPahoV3(t, "", "v3", func(o *paho3.ClientOptions) {
		o.Servers = nil
		o.AddBroker(url)
		o.CustomOpenConnectionFn = nil
	})
	v3.subscribe("to/v3", 1)

	tcp := open(t, addr, mqtt.V311, "tcp")
	tcp.subscribe(1, packet.Subscription{Filter: "to/tcp"})

	v5.publish(&paho.Publish{Topic: "to/v3", QoS: 1, Payload: []byte("from v5")})
	v3.nextIs("to/v3", "from v5")
	v3.publish("to/tcp", 0, false, "from v3")
	if p := expect[*packet.Publish](tcp); p.Topic != "to/tcp" || string(p.Payload) != "from v3" {
		t.Fatalf("TCP client got %q %q", p.Topic, p.Payload)
	}
	tcp.send(&packet.Publish{Topic: "to/v5", QoS: 1, PacketID: 1, Payload: []byte("from tcp")})
	expect[*packet.Puback](tcp)
	v5.nextIs("to/v5", "from tcp")
}

// TestWebSocketAddressAndTLS checks what hooks see of a WebSocket client:
// the peer's address, the listener, and over wss:// the TLS state, client
// certificate included.
func TestWebSocketAddressAndTLS(t *testing.T) {
	pki := newTestPKI(t)
	rec := newWSRecorder()
	srv := &server.Server{Hooks: []server.Hook{rec}}
	cfg := pki.serverConfig(tls.VerifyClientCertIfGiven)
	wssURL := serveWS(t, srv, cfg)
	wsURL := serveWS(t, srv, nil)

	for _, tt := range []struct {
		name, url string
		d         *wsDialer
		tls       bool
	}{
		{"ws", wsURL, newWSDialer(t, nil), false},
		{"wss", wssURL, newWSDialer(t, pki.roots, pki.client("alice")), true},
	} {
		ws, _ := tt.d.dial(tt.url, "mqtt")
		c := newClient(t, websocket.NetConn(context.Background(), ws, websocket.MessageBinary), mqtt.V5)
		c.connect(&packet.Connect{ClientID: tt.name, CleanStart: true, KeepAlive: 60})
		cl := rec.client(t, tt.name)
		if got, want := cl.RemoteAddr().String(), tt.d.lastLocalAddr(); got != want {
			t.Errorf("%s: RemoteAddr %q, want the client's address %q", tt.name, got, want)
		}
		if cl.RemoteAddr().Network() != "tcp" {
			t.Errorf("%s: RemoteAddr network %q, want tcp", tt.name, cl.RemoteAddr().Network())
		}
		st := cl.TLS()
		switch {
		case !tt.tls && st != nil:
			t.Errorf("%s: TLS state %+v, want none", tt.name, st)
		case tt.tls && st == nil:
			t.Errorf("%s: no TLS state", tt.name)
		case tt.tls && (len(st.PeerCertificates) != 1 || st.PeerCertificates[0].Subject.CommonName != "alice" || len(st.VerifiedChains) == 0):
			t.Errorf("%s: TLS state lacks the verified client certificate: %+v", tt.name, st)
		}
		var info *server.ClientInfo
		for _, ci := range srv.Clients() {
			if ci.ID == tt.name {
				info = &ci
			}
		}
		host := strings.TrimPrefix(strings.TrimPrefix(tt.url, "ws://"), "wss://")
		if info == nil || info.RemoteAddr != tt.d.lastLocalAddr() || info.Listener != tt.name+"://"+host {
			t.Errorf("%s: ClientInfo %+v, want RemoteAddr %s and Listener %s", tt.name, info, tt.d.lastLocalAddr(), tt.name+"://"+host)
		}
		c.disconnect()
	}
}

// TestWebSocketShutdown checks that Shutdown ends WebSocket connections
// as it ends TCP ones, then refuses handshakes; the package's TestMain
// checks that no goroutine is left.
func TestWebSocketShutdown(t *testing.T) {
	rec := newWSRecorder()
	srv := &server.Server{Hooks: []server.Hook{rec}}
	url := serveWS(t, srv, nil)
	v5 := dialWSClient(t, url, mqtt.V5)
	v5.connect(&packet.Connect{ClientID: "v5", CleanStart: true, KeepAlive: 60})
	v3 := dialWSClient(t, url, mqtt.V311)
	v3.connect(&packet.Connect{ClientID: "v3", CleanStart: true, KeepAlive: 60})
	idle, _ := newWSDialer(t, nil).dial(url, "mqtt") // no CONNECT yet

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if got := v5.closed(); len(got) != 1 || got[0].(*packet.Disconnect).ReasonCode != mqtt.ServerShuttingDown {
		t.Errorf("MQTT 5 client got %v before the close, want DISCONNECT %v", got, mqtt.ServerShuttingDown)
	}
	if got := v3.closed(); len(got) != 0 {
		t.Errorf("MQTT 3.1.1 client got %v before the close, want nothing", got)
	}
	// Closed while waiting for CONNECT (a normal close), or, when the
	// Shutdown came before the server had taken the upgraded connection
	// over, turned away (going away): either way a clean close.
	if _, _, err := idle.Read(ctx); websocket.CloseStatus(err) != websocket.StatusNormalClosure && websocket.CloseStatus(err) != websocket.StatusGoingAway {
		t.Errorf("connection without CONNECT: %v, want a normal or going-away close", err)
	}
	for range 2 {
		<-rec.gone
	}
	_, resp, err := newWSDialer(t, nil).tryDial(url, "mqtt")
	if err == nil || resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("handshake after Shutdown: %v (response %v), want 503 Service Unavailable", err, resp)
	}
}

// TestWebSocketClose checks that Close ends WebSocket connections at once.
func TestWebSocketClose(t *testing.T) {
	srv := &server.Server{}
	url := serveWS(t, srv, nil)
	c := dialWSClient(t, url, mqtt.V5)
	c.connect(&packet.Connect{ClientID: "c", CleanStart: true, KeepAlive: 60})
	srv.Close()
	if got := c.closed(); len(got) != 0 {
		t.Errorf("got %v before the close, want nothing", got)
	}
}

// TestWebSocketKeepAlive checks that a WebSocket client silent beyond its
// keep alive is told so, as on TCP: the read deadline ends the wait
// without breaking the connection, so DISCONNECT still goes out.
func TestWebSocketKeepAlive(t *testing.T) {
	rec := newWSRecorder()
	srv := &server.Server{Hooks: []server.Hook{rec}}
	url := serveWS(t, srv, nil)
	c := dialWSClient(t, url, mqtt.V5)
	c.connect(&packet.Connect{ClientID: "quiet", CleanStart: true, KeepAlive: 1})
	got := c.closed()
	if len(got) != 1 || got[0].(*packet.Disconnect).ReasonCode != mqtt.KeepAliveTimeout {
		t.Errorf("got %v before the close, want DISCONNECT %v", got, mqtt.KeepAliveTimeout)
	}
	<-rec.gone
}

// TestWebSocketMaxPacketSize checks that MaxPacketSize applies to the
// stream, not to frames: a packet over the limit is refused from its
// header, even when split into small frames.
func TestWebSocketMaxPacketSize(t *testing.T) {
	srv := &server.Server{MaxPacketSize: 256}
	url := serveWS(t, srv, nil)
	c := dialWSClient(t, url, mqtt.V5)
	c.connect(&packet.Connect{ClientID: "big", CleanStart: true, KeepAlive: 60})
	// A packet of exactly the limit passes, in frames of 100 bytes.
	ok := encode(t, mqtt.V5, &packet.Publish{Topic: "t", QoS: mqtt.QoS1, PacketID: 1, Payload: make([]byte, 256-9)})
	if len(ok) != 256 {
		t.Fatalf("test PUBLISH is %d bytes, want 256", len(ok))
	}
	for i := 0; i < len(ok); i += 100 {
		c.message(ok[i:min(i+100, len(ok))])
	}
	expect[*packet.Puback](c.client)
	// One byte more: only the header is sent before the server refuses.
	big := encode(t, mqtt.V5, &packet.Publish{Topic: "t", QoS: mqtt.QoS1, PacketID: 2, Payload: make([]byte, 256-8)})
	c.message(big[:3])
	got := c.closed()
	if len(got) != 1 || got[0].(*packet.Disconnect).ReasonCode != mqtt.PacketTooLarge {
		t.Errorf("got %v, want DISCONNECT %v", got, mqtt.PacketTooLarge)
	}
}

// A WebSocket connection that was busy and then heard nothing for longer
// than a busy reader waits (a second) turns quiet like a TCP one: its read
// deadline passes inside the WebSocket library, and the connection must go
// on working afterwards.
func TestWebSocketBusyThenQuiet(t *testing.T) {
	srv := &server.Server{}
	url := serveWS(t, srv, nil)
	addr := start(t, srv)
	c := dialWSClient(t, url, mqtt.V5)
	if ack := c.connect(&packet.Connect{ClientID: "quiet", CleanStart: true, KeepAlive: 60}); ack.ReasonCode != mqtt.Success {
		t.Fatalf("CONNACK %v", ack.ReasonCode)
	}
	c.subscribe(1, packet.Subscription{Filter: "q/#"})
	time.Sleep(1500 * time.Millisecond) // past the busy wait; no assertion on time
	pub := dial(t, addr, mqtt.V311)
	pub.send(&packet.Connect{Version: mqtt.V311, ClientID: "pub", CleanStart: true})
	expect[*packet.Connack](pub)
	pub.send(&packet.Publish{Topic: "q/1", Payload: []byte("after the quiet spell")})
	if p, ok := c.recv().(*packet.Publish); !ok || string(p.Payload) != "after the quiet spell" {
		t.Fatalf("got %+v, want the message", p)
	}
	c.send(&packet.Pingreq{})
	if _, ok := c.recv().(*packet.Pingresp); !ok {
		t.Fatal("no PINGRESP after the quiet spell")
	}
}
