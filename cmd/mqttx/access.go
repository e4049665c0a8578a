package main

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"strings"
	"sync/atomic"

	"github.com/mqttx/mqttx/mqtt"
	"github.com/mqttx/mqttx/mqtt/packet"
	"github.com/mqttx/mqttx/mqtt/server"
	"github.com/mqttx/mqttx/mqtt/server/auth"
)

// access is what serve reloads on SIGHUP: the password file, the SCRAM
// credentials file, the ACL file and the TLS certificates, each optional.
type access struct {
	passwords *auth.Passwords
	scram     *auth.SCRAM
	acl       *auth.ACL
	tls       *tlsFiles
	anonymous bool // --allow-anonymous
}

// loadAccess reads the files the flags name.
func loadAccess(c *serveConfig) (*access, error) {
	a := &access{anonymous: c.AllowAnonymous}
	var err error
	if c.PasswordFile != "" {
		if a.passwords, err = auth.LoadPasswords(c.PasswordFile); err != nil {
			return nil, err
		}
		a.passwords.Anonymous = a.allowAnonymous
	}
	if c.SCRAMFile != "" {
		if a.scram, err = auth.LoadSCRAM(c.SCRAMFile); err != nil {
			return nil, err
		}
	}
	if c.ACLFile != "" {
		if a.acl, err = auth.LoadACL(c.ACLFile); err != nil {
			return nil, err
		}
	}
	if c.TLSCert != "" {
		if a.tls, err = newTLSFiles(c.TLSCert, c.TLSKey, c.TLSClientCA); err != nil {
			return nil, err
		}
	}
	return a, nil
}

// hooks returns the server hooks: the authenticator (the password file,
// or the anonymous policy alone) and the ACL.
func (a *access) hooks() []server.Hook {
	var hs []server.Hook
	if a.scram != nil {
		hs = append(hs, a.scram)
	}
	if a.passwords != nil {
		hs = append(hs, a.passwords)
	} else {
		hs = append(hs, anonymousPolicy{a})
	}
	if a.acl != nil {
		hs = append(hs, a.acl)
	}
	return hs
}

// allowAnonymous is the anonymous policy: with --allow-anonymous every
// listener takes clients without a user name; without it, only local ones
// (loopback addresses and Unix sockets) do, and only when no credentials
// are configured: a password or SCRAM file means every client proves who
// it is, however it reaches the server (through a local proxy, say).
func (a *access) allowAnonymous(c *server.Client) bool {
	return a.anonymous || (a.passwords == nil && a.scram == nil && isLocalListener(c.Listener()))
}

// anonymousPolicy applies the anonymous policy when there is no password
// file. A client that completed the SCRAM method is through; one with a
// user name is accepted as it is, unless a SCRAM file is configured, whose
// users must prove their passwords with the method.
type anonymousPolicy struct{ a *access }

func (p anonymousPolicy) Authenticate(_ context.Context, c *server.Client, connect *packet.Connect, _ *packet.Connack) mqtt.ReasonCode {
	switch {
	case connect.Properties.AuthMethod != "":
		return mqtt.Success // the server admits no method that did not succeed
	case connect.UsernameFlag && p.a.scram != nil:
		return mqtt.BadUserNameOrPassword
	case connect.UsernameFlag || p.a.allowAnonymous(c):
		return mqtt.Success
	}
	return mqtt.NotAuthorized
}

// isLocalListener reports whether a listener (as Client.Listener names it:
// "host:port", a socket path, or a WebSocket URL) accepts only local
// connections.
func isLocalListener(name string) bool {
	if _, rest, ok := strings.Cut(name, "://"); ok {
		name, _, _ = strings.Cut(rest, "/")
	}
	if name == "" || strings.HasPrefix(name, "/") || strings.HasPrefix(name, "@") {
		return true // a Unix socket
	}
	host, _, err := net.SplitHostPort(name)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// reload reads every file again; each that fails keeps its previous
// content in force, and the failures are returned together.
func (a *access) reload(log *slog.Logger) error {
	var errs []error
	for _, r := range []struct {
		what string
		on   bool
		fn   func() error
	}{
		{"password file", a.passwords != nil, func() error { return a.passwords.Reload() }},
		{"SCRAM file", a.scram != nil, func() error { return a.scram.Reload() }},
		{"ACL file", a.acl != nil, func() error { return a.acl.Reload() }},
		{"TLS certificates", a.tls != nil, func() error { return a.tls.reload() }},
	} {
		if !r.on {
			continue
		}
		if err := r.fn(); err != nil {
			log.Error("reload failed; the previous one stays in force", "what", r.what, "err", err)
			errs = append(errs, err)
			continue
		}
		log.Info("reloaded", "what", r.what)
	}
	return errors.Join(errs...)
}

// tlsFiles serves TLS with a certificate and client CAs that reload can
// replace while connections stay open.
type tlsFiles struct {
	cert, key, clientCA string
	cur                 atomic.Pointer[tls.Config]
}

func newTLSFiles(cert, key, clientCA string) (*tlsFiles, error) {
	t := &tlsFiles{cert: cert, key: key, clientCA: clientCA}
	if err := t.reload(); err != nil {
		return nil, err
	}
	return t, nil
}

func (t *tlsFiles) reload() error {
	cfg, err := loadTLS(t.cert, t.key, t.clientCA)
	if err != nil {
		return err
	}
	t.cur.Store(cfg)
	return nil
}

// config is the listeners' configuration: each handshake takes the
// configuration loaded last.
func (t *tlsFiles) config() *tls.Config {
	return &tls.Config{
		MinVersion:         tls.VersionTLS12,
		GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) { return t.cur.Load(), nil },
	}
}
