package main

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/mqttx/mqttx/mqtt/packet"
	"github.com/mqttx/mqttx/mqtt/server"
)

// serveConfig is the parsed command line of serve.
type serveConfig struct {
	Listen          []listenURL
	TLSCert         string
	TLSKey          string
	TLSClientCA     string
	TLSIdentity     server.CertIdentity // 0 for none
	PasswordFile    string
	ACLFile         string
	AllowAnonymous  bool
	ShutdownTimeout time.Duration
	LogLevel        slog.Level
	LogFormat       string // "text" or "json"

	// Server holds the limits and options; the command adds the Logger.
	Server server.Server
}

// usageError is a command line mistake: serve exits 2 on it. The flag
// package has printed those it found itself.
type usageError struct {
	err     error
	printed bool
}

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error {
	return usageError{err: fmt.Errorf(format, args...)}
}

// listenFlag collects the repeatable --listen.
type listenFlag []listenURL

func (f *listenFlag) String() string {
	if f == nil {
		return ""
	}
	s := make([]string, len(*f))
	for i, l := range *f {
		s[i] = l.URL
	}
	return strings.Join(s, ",")
}

func (f *listenFlag) Set(s string) error {
	l, err := parseListen(s)
	if err != nil {
		return err
	}
	*f = append(*f, l)
	return nil
}

// parseServeFlags parses serve's arguments. With -h or --help it prints the
// usage to stderr and returns flag.ErrHelp; any other mistake is a
// usageError.
func parseServeFlags(args []string, stderr io.Writer) (*serveConfig, error) {
	var c serveConfig
	srv := &c.Server
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), `usage: mqttx serve [flags]

serve runs an MQTT 3.1, 3.1.1 and 5.0 broker on every --listen address
until SIGINT or SIGTERM, then shuts down gracefully; a second signal closes
every connection at once. Flags take one or two dashes. A limit left at 0
takes the server's default, named in its description.

flags:
`)
		fs.PrintDefaults()
	}

	var listen listenFlag
	fs.Var(&listen, "listen", fmt.Sprintf("`URL` to serve MQTT on, repeatable: tcp://host:port, tls://host:port, ws://host:port[/path], wss://host:port[/path] (MQTT over WebSocket, path %s by default) or unix:///absolute/path (a stale socket file left there is replaced); http://host:port serves Prometheus /metrics and /healthz, not MQTT (default %s)", defaultWebSocketPath, defaultListen))
	fs.StringVar(&c.TLSCert, "tls-cert", "", "PEM certificate `file` (chain) for tls:// and wss:// listeners; required with them")
	fs.StringVar(&c.TLSKey, "tls-key", "", "PEM private key `file` for --tls-cert; required with tls:// and wss:// listeners")
	fs.StringVar(&c.TLSClientCA, "tls-client-ca", "", "PEM CA `file`: tls:// and wss:// clients must present a certificate it verifies")
	identity := fs.String("tls-identity", "none", "take each client's user name from its verified TLS client certificate: none, cn (the subject's common name) or subject (the whole subject, as CN=name,O=org,C=country); needs --tls-client-ca, and clients without a certificate, on any listener, are then refused")
	fs.StringVar(&c.PasswordFile, "password-file", "", "password `file` in mosquitto_passwd's format ($7$, $6$ or bcrypt hashes; made with mqttx passwd): every client with a user name must match it; reloaded on SIGHUP")
	fs.StringVar(&c.ACLFile, "acl-file", "", "access control `file` in Mosquitto's acl_file format (user, topic read|write|readwrite|deny, pattern with %c and %u), applied to publish, subscribe, delivery, retained messages and wills; reloaded on SIGHUP")
	fs.DurationVar(&srv.SysInterval, "sys-interval", 10*time.Second, "how often the $SYS/broker/... topics are published (0: never)")
	fs.BoolVar(&c.AllowAnonymous, "allow-anonymous", false, "accept clients without a user name on every listener (without it, only on loopback addresses and Unix sockets)")
	fs.DurationVar(&c.ShutdownTimeout, "shutdown-timeout", 10*time.Second, "how long a graceful shutdown waits for connections to end before closing them (0: close them at once)")
	level := fs.String("log-level", "info", "log `level`: debug, info, warn or error")
	fs.StringVar(&c.LogFormat, "log-format", "text", "log `format` on standard error: text or json")

	fs.DurationVar(&srv.ConnectTimeout, "connect-timeout", 0, fmt.Sprintf("time a new connection has to send CONNECT (0: server.DefaultConnectTimeout, %v)", server.DefaultConnectTimeout))
	fs.DurationVar(&srv.WriteTimeout, "write-timeout", 0, fmt.Sprintf("time allowed for each write to a client before it is disconnected (0: server.DefaultWriteTimeout, %v)", server.DefaultWriteTimeout))
	fs.IntVar(&srv.MaxPacketSize, "max-packet-size", 0, fmt.Sprintf("largest incoming packet in `bytes`, advertised to MQTT 5 clients (0: packet.DefaultMaxPacketSize, %d)", packet.DefaultMaxPacketSize))
	keepAlive := fs.Uint("server-keepalive", 0, "Keep Alive in `seconds` imposed on MQTT 5 clients, at most 65535 (0: the client's own)")
	fs.DurationVar(&srv.MaxSessionExpiry, "max-session-expiry", 0, "cap on the Session Expiry Interval MQTT 5 clients ask for (0: no cap)")
	fs.DurationVar(&srv.PersistentSessionExpiry, "persistent-session-expiry", 0, "how long an MQTT 3.x CleanSession=0 session outlives its connection (0: until the client cleans it)")
	fs.IntVar(&srv.MaxQueuedMessages, "max-queued", 0, fmt.Sprintf("`messages` queued per session (0: server.DefaultMaxQueuedMessages, %d)", server.DefaultMaxQueuedMessages))
	policy := fs.String("queue-policy", "drop-newest", "what a full offline queue gives up: drop-newest or drop-oldest")
	fs.BoolVar(&srv.QueueQoS0, "queue-qos0", false, "queue QoS 0 messages for offline persistent sessions too")
	fs.DurationVar(&srv.QueueWait, "queue-wait", 0, fmt.Sprintf("how long a publisher waits for room in a connected subscriber's full queue before dropping the message for it (0: server.DefaultQueueWait, %v)", server.DefaultQueueWait))
	fs.IntVar(&srv.MaxInflight, "max-inflight", 0, fmt.Sprintf("unacknowledged QoS 1 and 2 `messages` sent to a client (0: server.DefaultMaxInflight, %d)", server.DefaultMaxInflight))
	receiveMax := fs.Uint("receive-maximum", 0, fmt.Sprintf("QoS 2 `messages` a client may have awaiting PUBREL, at most 65535, advertised to MQTT 5 clients (0: server.DefaultReceiveMaximum, %d)", server.DefaultReceiveMaximum))

	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, err
		}
		return nil, usageError{err: err, printed: true}
	}
	if fs.NArg() > 0 {
		return nil, usagef("unexpected argument %q", fs.Arg(0))
	}

	c.Listen = listen
	if len(c.Listen) == 0 {
		l, err := parseListen(defaultListen)
		if err != nil {
			panic(err) // a constant
		}
		c.Listen = []listenURL{l}
	}
	needTLS, mqttListeners := false, 0
	for _, l := range c.Listen {
		needTLS = needTLS || l.TLS
		if l.Scheme != "http" {
			mqttListeners++
		}
	}
	if mqttListeners == 0 {
		return nil, usagef("no MQTT listener: http:// serves only /metrics and /healthz")
	}
	switch {
	case needTLS && (c.TLSCert == "" || c.TLSKey == ""):
		return nil, usagef("a tls:// or wss:// listener needs --tls-cert and --tls-key")
	case !needTLS && (c.TLSCert != "" || c.TLSKey != "" || c.TLSClientCA != ""):
		return nil, usagef("--tls-cert, --tls-key and --tls-client-ca need a tls:// or wss:// listener")
	}
	switch strings.ToLower(*identity) {
	case "none":
	case "cn":
		c.TLSIdentity = server.CertCommonName
	case "subject":
		c.TLSIdentity = server.CertSubject
	default:
		return nil, usagef("--tls-identity %q: want none, cn or subject", *identity)
	}
	if c.TLSIdentity != 0 && c.TLSClientCA == "" {
		return nil, usagef("--tls-identity %s needs --tls-client-ca", *identity)
	}

	switch strings.ToLower(*level) {
	case "debug":
		c.LogLevel = slog.LevelDebug
	case "info":
		c.LogLevel = slog.LevelInfo
	case "warn", "warning":
		c.LogLevel = slog.LevelWarn
	case "error":
		c.LogLevel = slog.LevelError
	default:
		return nil, usagef("--log-level %q: want debug, info, warn or error", *level)
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		return nil, usagef("--log-format %q: want text or json", c.LogFormat)
	}
	switch *policy {
	case "drop-newest":
		srv.QueuePolicy = server.DropNewest
	case "drop-oldest":
		srv.QueuePolicy = server.DropOldest
	default:
		return nil, usagef("--queue-policy %q: want drop-newest or drop-oldest", *policy)
	}

	for _, d := range []struct {
		name string
		v    time.Duration
	}{
		{"shutdown-timeout", c.ShutdownTimeout},
		{"connect-timeout", srv.ConnectTimeout},
		{"write-timeout", srv.WriteTimeout},
		{"max-session-expiry", srv.MaxSessionExpiry},
		{"persistent-session-expiry", srv.PersistentSessionExpiry},
		{"queue-wait", srv.QueueWait},
	} {
		if d.v < 0 {
			return nil, usagef("--%s %v: must not be negative", d.name, d.v)
		}
	}
	for _, n := range []struct {
		name   string
		v, max int
	}{
		{"max-packet-size", srv.MaxPacketSize, packet.MaxVarint + 5},
		{"max-queued", srv.MaxQueuedMessages, -1},
		{"max-inflight", srv.MaxInflight, 65535},
		{"server-keepalive", int(min(*keepAlive, 1<<20)), 65535},
		{"receive-maximum", int(min(*receiveMax, 1<<20)), 65535},
	} {
		if n.v < 0 {
			return nil, usagef("--%s %d: must not be negative", n.name, n.v)
		}
		if n.max >= 0 && n.v > n.max {
			return nil, usagef("--%s %d: at most %d", n.name, n.v, n.max)
		}
	}
	srv.ServerKeepAlive = uint16(*keepAlive)
	srv.ReceiveMaximum = uint16(*receiveMax)
	return &c, nil
}

// logger returns the logger the flags ask for, writing to w.
func (c *serveConfig) logger(w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: c.LogLevel}
	if c.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// runServe runs a broker as args say, logging to stderr, until ctx is
// cancelled; it then shuts the broker down gracefully, closing the
// connections still open after --shutdown-timeout, or at once when force
// is cancelled. It calls ready, when not nil, with the bound address of
// each --listen, in order, once they all accept connections. It returns
// nil after a requested stop, flag.ErrHelp for -h, a usageError for a
// command line mistake, and any other error when listening or serving
// fails.
func runServe(ctx, force context.Context, args []string, stderr io.Writer, ready func(addrs []net.Addr)) error {
	return runServeReload(ctx, force, nil, args, stderr, ready)
}

// runServeReload is runServe that also reloads the password file, the ACL
// file and the TLS certificates on each receive from reload.
func runServeReload(ctx, force context.Context, reload <-chan struct{}, args []string, stderr io.Writer, ready func(addrs []net.Addr)) error {
	c, err := parseServeFlags(args, stderr)
	if err != nil {
		return err
	}
	log := c.logger(stderr)

	acc, err := loadAccess(c)
	if err != nil {
		return err
	}
	var tlsConfig *tls.Config
	if acc.tls != nil {
		tlsConfig = acc.tls.config()
	}
	srv := &c.Server
	srv.Logger = log
	srv.Hooks = append(srv.Hooks, acc.hooks()...)
	if c.TLSIdentity != 0 {
		// First, so that every other hook sees the certificate's name.
		srv.Hooks = append([]server.Hook{c.TLSIdentity}, srv.Hooks...)
	}
	connectTimeout := cmp.Or(srv.ConnectTimeout, server.DefaultConnectTimeout)
	eps := make([]*endpoint, 0, len(c.Listen))
	defer func() {
		for _, e := range eps {
			e.ln.Close() // already closed by the servers unless listening failed
		}
	}()
	for _, l := range c.Listen {
		e, err := l.open(srv, tlsConfig, log, connectTimeout)
		if err != nil {
			return err
		}
		eps = append(eps, e)
	}

	errc := make(chan error, len(eps))
	addrs := make([]net.Addr, len(eps))
	for i, e := range eps {
		go func() { errc <- e.serve(srv) }()
		addrs[i] = e.ln.Addr()
		log.Info("listening", "url", c.Listen[i].URL, "addr", addrs[i].String())
	}
	if ready != nil {
		ready(addrs)
	}

	var serveErr error
	serving := len(eps) // Serve calls not returned
wait:
	for {
		select {
		case <-reload:
			acc.reload(log) // connections stay; new ones meet the new files
		case <-ctx.Done():
			log.Info("shutting down", "cause", context.Cause(ctx).Error(), "timeout", c.ShutdownTimeout.String())
			break wait
		case err := <-errc:
			// A listener failed for good (Serve returns ErrServerClosed only
			// after Shutdown or Close); stop serving on the others too.
			serving--
			serveErr = fmt.Errorf("serving: %w", err)
			log.Error("shutting down", "err", err, "timeout", c.ShutdownTimeout.String())
			break wait
		}
	}

	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.ShutdownTimeout)
	defer cancel()
	// Shutdown closes every connection at once when its context ends.
	// Close alone would not do: it returns at once, doing nothing, while
	// a Shutdown is running; it is called for a server that changes that.
	stopForce := context.AfterFunc(force, func() {
		log.Warn("closing every connection now")
		cancel()
		srv.Close()
	})
	defer stopForce()
	start := time.Now()
	// The HTTP servers of ws:// and wss:// stop accepting at once too.
	var httpStopped sync.WaitGroup
	for _, e := range eps {
		if e.http != nil {
			httpStopped.Go(func() { e.stop(sctx) })
		}
	}
	err = srv.Shutdown(sctx)
	httpStopped.Wait()
	switch {
	case err == nil:
		log.Info("stopped", "took", time.Since(start).Round(time.Millisecond).String())
	case force.Err() != nil:
		log.Warn("stopped by force", "took", time.Since(start).Round(time.Millisecond).String())
	default:
		log.Warn("shutdown timed out: remaining connections closed", "timeout", c.ShutdownTimeout.String())
	}
	for range serving {
		if err := <-errc; err != nil && !errors.Is(err, server.ErrServerClosed) && !errors.Is(err, http.ErrServerClosed) && serveErr == nil {
			serveErr = fmt.Errorf("serving: %w", err)
		}
	}
	return serveErr
}

// serve is the serve command: runServe stopped by SIGINT or SIGTERM, and
// forced by a second one; SIGHUP reloads the password file, the ACL file
// and the TLS certificates. It returns the exit code.
func serve(args []string, stderr io.Writer) int {
	sigc := make(chan os.Signal, 2)
	signal.Notify(sigc, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigc)
	hupc := make(chan os.Signal, 1)
	signal.Notify(hupc, syscall.SIGHUP)
	defer signal.Stop(hupc)
	reload := make(chan struct{}, 1)
	go func() {
		for range hupc {
			select {
			case reload <- struct{}{}:
			default: // a reload is already pending
			}
		}
	}()
	ctx, stop := context.WithCancelCause(context.Background())
	defer stop(nil)
	force, forceNow := context.WithCancel(context.Background())
	defer forceNow() // also ends the goroutine below
	go func() {
		select {
		case s := <-sigc:
			stop(fmt.Errorf("received %v", s))
		case <-force.Done():
			return
		}
		select {
		case <-sigc:
			forceNow()
		case <-force.Done():
		}
	}()

	err := runServeReload(ctx, force, reload, args, stderr, nil)
	var uerr usageError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &uerr):
		if !uerr.printed {
			fmt.Fprintln(stderr, "mqttx serve:", err)
		}
		return 2
	}
	fmt.Fprintln(stderr, "mqttx serve:", err)
	return 1
}
