package server

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
	"github.com/mqttx/mqttx/mqtt"
)

// WebSocket subprotocols: "mqtt" for MQTT 3.1.1 and 5.0 [MQTT-6.0.0-4],
// "mqttv3.1" as offered by MQTT 3.1 clients.
const (
	wsProtocol   = "mqtt"
	wsProtocol31 = "mqttv3.1"
)

// wsCloseWait bounds the write of the WebSocket close frame when a
// connection is closed, as terminate bounds the write of DISCONNECT.
const wsCloseWait = time.Second

// WebSocketHandler returns an http.Handler that serves MQTT over WebSocket
// (ws:// behind a plain http.Server, wss:// behind one serving TLS). Mount
// it on the path clients use, "/mqtt" by convention:
//
//	mux.Handle("/mqtt", srv.WebSocketHandler())
//	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
//	go hs.Serve(ln)
//
// The handler accepts the upgrade when the client offers the subprotocol
// "mqtt" (MQTT 3.1.1 and 5.0), which it selects [MQTT-6.0.0-4], or
// "mqttv3.1" (MQTT 3.1 clients). A handshake offering neither is refused
// with 400 Bad Request: every MQTT client library offers one of them
// [MQTT-6.0.0-3], and a browser page that does not is not speaking MQTT.
// Requests from any Origin are accepted: MQTT authenticates in its CONNECT
// packet, not with cookies; to restrict cross-origin pages (which matters
// when browsers hold client certificates used as identity), check the
// Origin header in a handler wrapping this one. Compression is not
// negotiated.
//
// The upgraded connection is served like a TCP connection accepted by
// Serve: the same handshake, limits, hooks and logs. Packets travel in
// binary frames; a text frame is a protocol violation that closes the
// connection [MQTT-6.0.0-1]. Packets need not be aligned on frames
// [MQTT-6.0.0-2]: the broker reads the frames' payloads as one byte stream,
// so a packet may span frames and a frame may hold several packets. The
// WebSocket library's read limit, which counts the bytes of a whole
// message and guards nothing here since payloads are streamed and never
// buffered whole, is off; MaxPacketSize is enforced on each packet as on
// TCP, before its body is read. Each write of the broker (a batch of
// packets) is one binary message.
//
// Client.RemoteAddr is the request's RemoteAddr (so a middleware that
// replaces it with the address a trusted proxy reports is honoured) and,
// behind TLS, Client.TLS is the request's TLS state. Shutdown and Close of
// the Server end WebSocket connections too, with a close frame; once the
// Server is closed the handler answers 503 Service Unavailable. The
// http.Server itself is the caller's to shut down: it does not track
// upgraded connections.
func (s *Server) WebSocketHandler() http.Handler {
	return wsHandler{s}
}

type wsHandler struct{ srv *Server }

func (h wsHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s := h.srv
	s.init()
	log := s.log.With("remote", r.RemoteAddr)
	if s.isClosed() {
		http.Error(w, "MQTT server closed", http.StatusServiceUnavailable)
		return
	}
	if headerHasToken(r.Header, "Upgrade", "websocket") && !offersMQTT(r.Header) {
		log.Info("WebSocket handshake refused: no MQTT subprotocol offered", "offered", r.Header.Values("Sec-WebSocket-Protocol"))
		http.Error(w, `MQTT over WebSocket needs the subprotocol "mqtt"`, http.StatusBadRequest)
		return
	}
	if !canHijack(w) {
		log.Info("WebSocket handshake refused: the HTTP connection cannot be taken over", "proto", r.Proto)
		http.Error(w, http.StatusText(http.StatusNotImplemented), http.StatusNotImplemented)
		return
	}
	hw := &hijackWriter{ResponseWriter: w}
	ws, err := websocket.Accept(hw, r, &websocket.AcceptOptions{
		// In order of preference: "mqtt" whenever offered [MQTT-6.0.0-4].
		Subprotocols:       []string{wsProtocol, wsProtocol31},
		InsecureSkipVerify: true, // any Origin; see WebSocketHandler
		CompressionMode:    websocket.CompressionDisabled,
	})
	if err != nil {
		// Accept has answered the request.
		log.Info("WebSocket handshake refused", "err", err)
		return
	}
	if hw.raw == nil { // not expected: Accept succeeds only after hijacking
		ws.CloseNow()
		return
	}
	ws.SetReadLimit(-1)
	wc := &wsConn{ws: ws, raw: hw.raw, remote: wsRemoteAddr(r, hw.raw)}
	scheme := "ws://"
	if r.TLS != nil {
		st := *r.TLS
		wc.tls = &st
		scheme = "wss://"
	}
	local := r.Host
	if a, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok && a != nil {
		local = a.String()
	}
	c := s.newConn(wc, scheme+local+r.URL.Path)
	if c == nil {
		// Closed while the handshake ran.
		wc.closeCode.Store(int32(websocket.StatusGoingAway))
		wc.Close()
		return
	}
	// The MQTT handshake runs here; the connection then has its reader
	// goroutine, and the HTTP server's goroutine returns.
	c.serve()
}

// offersMQTT reports whether the handshake offers an MQTT subprotocol.
func offersMQTT(h http.Header) bool {
	return headerHasToken(h, "Sec-WebSocket-Protocol", wsProtocol) ||
		headerHasToken(h, "Sec-WebSocket-Protocol", wsProtocol31)
}

// headerHasToken reports whether a comma-separated header lists token,
// compared without regard to case.
func headerHasToken(h http.Header, key, token string) bool {
	for _, v := range h.Values(key) {
		for t := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

// canHijack reports whether w, or a ResponseWriter it wraps, can hand
// over its connection (not so for HTTP/2).
func canHijack(w http.ResponseWriter) bool {
	for {
		switch t := w.(type) {
		case http.Hijacker:
			return true
		case interface{ Unwrap() http.ResponseWriter }:
			w = t.Unwrap()
		default:
			return false
		}
	}
}

// hijackWriter keeps the connection that the WebSocket library takes over,
// so that deadlines can be set on it directly.
type hijackWriter struct {
	http.ResponseWriter
	raw net.Conn
}

func (w *hijackWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	nc, brw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err == nil {
		w.raw = nc
	}
	return nc, brw, err
}

func (w *hijackWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// wsRemoteAddr is the request's RemoteAddr as a net.Addr, or the
// connection's own when RemoteAddr is not an IP address and port.
func wsRemoteAddr(r *http.Request, raw net.Conn) net.Addr {
	if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
		return net.TCPAddrFromAddrPort(ap)
	}
	return raw.RemoteAddr()
}

// tlsStater is implemented by connections that carry TLS under another
// protocol, with the handshake already done: the state is Client.TLS.
type tlsStater interface {
	tlsState() *tls.ConnectionState
}

// wsConn is a WebSocket connection as the net.Conn the broker reads and
// writes: reads return the payloads of binary messages as one stream,
// each Write is one binary message. Deadlines are set on the underlying
// connection, so that a read that times out is a timeout error that
// leaves the connection open for a last write (DISCONNECT), as on TCP.
type wsConn struct {
	ws     *websocket.Conn
	raw    net.Conn // the HTTP connection taken over
	remote net.Addr
	tls    *tls.ConnectionState

	r io.Reader // the message being read; only the reader goroutine uses it

	closeCode atomic.Int32 // the status of the close frame; normal closure when 0
	mu        sync.Mutex   // orders deadline changes with closing
	closing   bool
	closeOnce sync.Once
}

var _ tlsStater = (*wsConn)(nil)

func (c *wsConn) tlsState() *tls.ConnectionState { return c.tls }

func (c *wsConn) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	for {
		if c.r == nil {
			typ, r, err := c.ws.Reader(context.Background())
			if err != nil {
				switch websocket.CloseStatus(err) {
				case websocket.StatusNormalClosure, websocket.StatusGoingAway, websocket.StatusNoStatusRcvd:
					return 0, io.EOF
				}
				return 0, err
			}
			if typ != websocket.MessageBinary {
				c.closeCode.Store(int32(websocket.StatusUnsupportedData))
				return 0, mqtt.Protocol("MQTT-6.0.0-1", "WebSocket text frame")
			}
			c.r = r
		}
		n, err := c.r.Read(p)
		if err == io.EOF {
			c.r = nil // the next message continues the stream [MQTT-6.0.0-2]
			if n == 0 {
				continue
			}
			err = nil
		}
		return n, err
	}
}

func (c *wsConn) Write(p []byte) (int, error) {
	if err := c.ws.Write(context.Background(), websocket.MessageBinary, p); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Close sends a close frame (waiting at most wsCloseWait to write it) and
// closes the connection without waiting for the peer's close frame, so
// that closing many connections at shutdown takes no round trips.
func (c *wsConn) Close() error {
	err := net.ErrClosed
	c.closeOnce.Do(func() {
		c.mu.Lock()
		c.closing = true
		now := time.Now()
		c.raw.SetReadDeadline(now) // a blocked read returns; nothing more is read
		c.raw.SetWriteDeadline(now.Add(wsCloseWait))
		c.mu.Unlock()
		code := websocket.StatusCode(c.closeCode.Load())
		if code == 0 {
			code = websocket.StatusNormalClosure
		}
		c.ws.Close(code, "")
		err = nil
	})
	return err
}

func (c *wsConn) LocalAddr() net.Addr  { return c.raw.LocalAddr() }
func (c *wsConn) RemoteAddr() net.Addr { return c.remote }

func (c *wsConn) SetDeadline(t time.Time) error {
	return errors.Join(c.SetReadDeadline(t), c.SetWriteDeadline(t))
}

func (c *wsConn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closing {
		return net.ErrClosed
	}
	return c.raw.SetReadDeadline(t)
}

func (c *wsConn) SetWriteDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closing {
		return net.ErrClosed
	}
	return c.raw.SetWriteDeadline(t)
}
