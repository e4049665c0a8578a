package main

import (
	"cmp"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/mqttx/mqttx/mqtt/server"
	"github.com/mqttx/mqttx/mqtt/server/metrics"
)

// defaultListen is what serve listens on without --listen.
const defaultListen = "tcp://" + server.DefaultAddr

// schemes lists the --listen schemes, for messages.
const schemes = "tcp://, tls://, ws://, wss://, unix://, http://"

// defaultWebSocketPath is the HTTP path of ws:// and wss:// listeners
// whose URL names none, the one MQTT clients use by default.
const defaultWebSocketPath = "/mqtt"

// A listenURL is one parsed --listen value.
type listenURL struct {
	URL     string // as given
	Scheme  string
	Address string // host:port; for unix://, the socket's path
	Path    string // the HTTP path of ws:// and wss://
	TLS     bool   // needs the --tls-cert certificate
}

// parseListen parses a --listen URL; its errors do not repeat the URL.
// Each scheme is one case; a new one says what address it takes and
// whether it needs TLS, and gets a case in [listenURL.open].
func parseListen(s string) (listenURL, error) {
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" {
		return listenURL{}, fmt.Errorf("want scheme://host:port with scheme one of %s", schemes)
	}
	l := listenURL{URL: s, Scheme: strings.ToLower(u.Scheme)}
	switch l.Scheme {
	case "tcp":
		l.Address, err = hostPort(u, "1883", false)
	case "tls":
		l.Address, err = hostPort(u, "8883", false)
		l.TLS = true
	case "ws", "wss":
		l.TLS = l.Scheme == "wss"
		port := "8083"
		if l.TLS {
			port = "8084"
		}
		l.Address, err = hostPort(u, port, true)
		l.Path = cmp.Or(u.Path, defaultWebSocketPath)
	case "unix":
		l.Address, err = socketPath(u)
	case "http":
		// Not MQTT: the Prometheus /metrics and the /healthz endpoints.
		l.Address, err = hostPort(u, "9090", false)
	default:
		return listenURL{}, fmt.Errorf("unknown scheme %q (want one of %s)", u.Scheme, schemes)
	}
	if err != nil {
		return listenURL{}, err
	}
	return l, nil
}

// hostPort returns the host:port of a URL that names a network address
// and, when withPath, a path, and nothing else; a missing port is
// defaultPort. An empty host (as in tcp://:1883) listens on every
// interface.
func hostPort(u *url.URL, defaultPort string, withPath bool) (string, error) {
	switch {
	case u.Opaque != "" || u.Host == "":
		return "", errors.New("want scheme://host:port")
	case u.User != nil, !withPath && u.Path != "" && u.Path != "/", u.RawQuery != "", u.ForceQuery, u.Fragment != "":
		if withPath {
			return "", errors.New("only a host, port and path are allowed")
		}
		return "", errors.New("only a host and port are allowed")
	}
	port := u.Port()
	if port == "" {
		if strings.HasSuffix(u.Host, ":") {
			return "", errors.New("empty port")
		}
		port = defaultPort
	}
	return net.JoinHostPort(u.Hostname(), port), nil
}

// socketPath returns the path of a unix:///absolute/path URL.
func socketPath(u *url.URL) (string, error) {
	switch {
	case u.Opaque != "" || u.Host != "" || !strings.HasPrefix(u.Path, "/"):
		return "", errors.New("want unix:///absolute/path")
	case u.User != nil, u.RawQuery != "", u.ForceQuery, u.Fragment != "":
		return "", errors.New("only a path is allowed")
	case strings.HasSuffix(u.Path, "/"):
		return "", errors.New("want the path of a socket file, not of a directory")
	}
	return u.Path, nil
}

// An endpoint is an open --listen.
type endpoint struct {
	url  listenURL
	ln   net.Listener
	http *http.Server // ws:// and wss://
}

// open opens the listener l describes, for srv. tlsConfig is non-nil when
// l.TLS; connectTimeout bounds the HTTP request of a WebSocket handshake.
func (l listenURL) open(srv *server.Server, tlsConfig *tls.Config, log *slog.Logger, connectTimeout time.Duration) (*endpoint, error) {
	var ln net.Listener
	var err error
	switch l.Scheme {
	case "tcp", "ws", "http":
		ln, err = net.Listen("tcp", l.Address)
	case "tls", "wss":
		ln, err = tls.Listen("tcp", l.Address, tlsConfig)
	case "unix":
		if err = removeStaleSocket(l.Address); err != nil {
			return nil, fmt.Errorf("--listen %q: %w", l.URL, err)
		}
		// Closing the listener (at shutdown) removes the socket file.
		ln, err = net.Listen("unix", l.Address)
	default:
		return nil, fmt.Errorf("--listen %q: unknown scheme %q", l.URL, l.Scheme)
	}
	if err != nil {
		return nil, err
	}
	e := &endpoint{url: l, ln: ln}
	if l.Scheme == "http" {
		e.http = &http.Server{
			Handler:           metrics.Handler(srv),
			ReadHeaderTimeout: connectTimeout,
			IdleTimeout:       time.Minute,
			MaxHeaderBytes:    64 << 10,
			ErrorLog:          slog.NewLogLogger(log.With("url", l.URL).Handler(), slog.LevelInfo),
		}
	}
	if l.Scheme == "ws" || l.Scheme == "wss" {
		ws := srv.WebSocketHandler()
		e.http = &http.Server{
			Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != l.Path {
					http.NotFound(w, r)
					return
				}
				ws.ServeHTTP(w, r)
			}),
			ReadHeaderTimeout: connectTimeout,
			IdleTimeout:       connectTimeout,
			MaxHeaderBytes:    64 << 10,
			ErrorLog:          slog.NewLogLogger(log.With("url", l.URL).Handler(), slog.LevelInfo),
		}
	}
	return e, nil
}

// serve serves the endpoint until stop; it then returns
// server.ErrServerClosed or http.ErrServerClosed.
func (e *endpoint) serve(srv *server.Server) error {
	if e.http != nil {
		return e.http.Serve(e.ln)
	}
	return srv.Serve(e.ln)
}

// stop stops the HTTP server of a ws:// or wss:// endpoint: it stops
// accepting, closes idle connections and waits until ctx ends for requests
// in progress, then closes them. Upgraded (WebSocket) connections are the
// broker's, ended by its Shutdown, which also closes the listeners of the
// other endpoints.
func (e *endpoint) stop(ctx context.Context) {
	if e.http != nil && e.http.Shutdown(ctx) != nil {
		e.http.Close()
	}
}

// removeStaleSocket removes the socket file at path when no process
// listens on it any more, as after a broker that was killed, so that
// listening there succeeds. A socket in use, and a file that is not a
// socket, are left alone and reported.
func removeStaleSocket(path string) error {
	fi, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return err
	case fi.Mode().Type() != fs.ModeSocket:
		return fmt.Errorf("%s exists and is not a socket", path)
	}
	c, err := net.DialTimeout("unix", path, time.Second)
	switch {
	case err == nil:
		c.Close()
		return fmt.Errorf("%s is in use by another process", path)
	case !errors.Is(err, syscall.ECONNREFUSED):
		return fmt.Errorf("%s exists and cannot be checked: %w", path, err)
	}
	if err := os.Remove(path); err != nil {
		return fmt.Errorf("removing the stale socket: %w", err)
	}
	return nil
}

// loadTLS builds the TLS listeners' configuration: the certificate and
// key, and with a client CA file, mandatory client certificates verified
// against it.
func loadTLS(certFile, keyFile, clientCAFile string) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("loading --tls-cert and --tls-key: %w", err)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	if clientCAFile != "" {
		pem, err := os.ReadFile(clientCAFile)
		if err != nil {
			return nil, fmt.Errorf("loading --tls-client-ca: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("loading --tls-client-ca: no PEM certificates in %s", clientCAFile)
		}
		cfg.ClientCAs = pool
		cfg.ClientAuth = tls.RequireAndVerifyClientCert
	}
	return cfg, nil
}
