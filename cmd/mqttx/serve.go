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

	"github.com/mqttx/mqttx/mqtt/server"
)

// serveConfig is serve's configuration, put together from the defaults,
// the configuration file, the environment and the flags (config_load.go)
// after the table of settings (config.go).
type serveConfig struct {
	Listen          []listenURL
	TLSCert         string
	TLSKey          string
	TLSClientCA     string
	TLSIdentity     server.CertIdentity // 0 for none
	PasswordFile    string
	SCRAMFile       string
	ACLFile         string
	AllowAnonymous  bool
	ShutdownTimeout time.Duration
	LogLevel        slog.Level
	LogFormat       string // "text" or "json"

	// Server holds the limits and options; the command adds the Logger.
	Server server.Server

	// Where the configuration came from: the configuration file ("" for
	// none), and the environment variables and flags that set a value.
	ConfigFile string
	FromEnv    []string
	FromFlags  []string
}

// usageError is a command line or configuration mistake: serve exits 2 on
// it. The flag package has printed those it found itself.
type usageError struct {
	err     error
	printed bool
}

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

func usagef(format string, args ...any) error {
	return usageError{err: fmt.Errorf(format, args...)}
}

// parseServeFlags puts serve's configuration together from args, the
// environment and the configuration file args or MQTTX_CONFIG name. With
// -h or --help it prints the usage to stderr and returns flag.ErrHelp;
// any other mistake is a usageError.
func parseServeFlags(args []string, stderr io.Writer) (*serveConfig, error) {
	c, _, err := loadConfig("serve", args, os.LookupEnv, stderr)
	return c, err
}

// defaultConfig reports whether c is made of the defaults alone.
func (c *serveConfig) defaultConfig() bool {
	return c.ConfigFile == "" && len(c.FromEnv) == 0 && len(c.FromFlags) == 0
}

// sources says where c came from, for the log.
func (c *serveConfig) sources() string {
	var from []string
	if c.ConfigFile != "" {
		from = append(from, "file "+c.ConfigFile)
	}
	if len(c.FromEnv) > 0 {
		from = append(from, "environment "+strings.Join(c.FromEnv, " "))
	}
	if len(c.FromFlags) > 0 {
		from = append(from, "flags "+strings.Join(c.FromFlags, " "))
	}
	if len(from) == 0 {
		return "defaults"
	}
	return strings.Join(from, "; ") + "; defaults for the rest"
}

// logger returns the logger the configuration asks for, writing to w.
func (c *serveConfig) logger(w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: c.LogLevel}
	if c.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// runServe runs a broker as args, the environment and the configuration
// file say, logging to stderr, until ctx is cancelled; it then shuts the
// broker down gracefully, closing the connections still open after
// shutdown_timeout, or at once when force is cancelled. It calls ready,
// when not nil, with the bound address of each listen URL, in order, once
// they all accept connections. It returns nil after a requested stop,
// flag.ErrHelp for -h, a usageError for a mistake in the command line or
// the configuration, and any other error when listening or serving fails.
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
	log.Info("configuration", "from", c.sources())
	for i, e := range eps {
		go func() { errc <- e.serve(srv) }()
		addrs[i] = e.ln.Addr()
		log.Info("listening", "url", c.Listen[i].URL, "addr", addrs[i].String())
	}
	c.logAccess(log)
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

// logAccess logs who may connect where the configuration lets every
// client in: with no configuration at all, one line saying where serve
// serves; a warning for each MQTT listener open beyond this machine with
// nothing to check clients (no password file, no client certificates).
func (c *serveConfig) logAccess(log *slog.Logger) {
	if c.defaultConfig() {
		log.Info(fmt.Sprintf("no configuration given; serving on %s (this machine only; no password file, so every client is accepted, with or without a user name)", c.Listen[0].URL))
		return
	}
	if c.PasswordFile != "" || c.SCRAMFile != "" || c.TLSIdentity != 0 {
		return
	}
	for _, l := range c.Listen {
		switch {
		case l.Scheme == "http" || l.Scheme == "unix" || isLocalListener(l.Address), l.TLS && c.TLSClientCA != "":
		case c.AllowAnonymous:
			log.Warn("no password file and allow_anonymous: every client is accepted on this listener", "url", l.URL)
		default:
			log.Warn("no password file: a client that sends a user name is accepted on this listener with any password", "url", l.URL)
		}
	}
}

// serve is the serve command: runServe stopped by SIGINT or SIGTERM, and
// forced by a second one; SIGHUP reloads the password file, the ACL file
// and the TLS certificates (named by the flags, the environment or the
// configuration file alike). It returns the exit code.
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
			for line := range strings.SplitSeq(err.Error(), "\n") {
				fmt.Fprintln(stderr, "mqttx serve:", line)
			}
		}
		return 2
	}
	fmt.Fprintln(stderr, "mqttx serve:", err)
	return 1
}
