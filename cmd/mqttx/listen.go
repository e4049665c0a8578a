package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"

	"github.com/mqttx/mqttx/mqtt/server"
)

// defaultListen is what serve listens on without --listen.
const defaultListen = "tcp://" + server.DefaultAddr

// schemes lists the --listen schemes, for messages.
const schemes = "tcp://, tls://"

// A listenURL is one parsed --listen value.
type listenURL struct {
	URL     string // as given
	Scheme  string
	Address string // host:port
	TLS     bool   // needs the --tls-cert certificate
}

// parseListen parses a --listen URL; its errors do not repeat the URL. Each scheme is one case; a new one
// says what address it takes and whether it needs TLS, and gets a case in
// [listenURL.listen].
func parseListen(s string) (listenURL, error) {
	u, err := url.Parse(s)
	if err != nil || u.Scheme == "" {
		return listenURL{}, fmt.Errorf("want scheme://host:port with scheme one of %s", schemes)
	}
	l := listenURL{URL: s, Scheme: strings.ToLower(u.Scheme)}
	switch l.Scheme {
	case "tcp":
		l.Address, err = hostPort(u, "1883")
	case "tls":
		l.Address, err = hostPort(u, "8883")
		l.TLS = true
	default:
		return listenURL{}, fmt.Errorf("unknown scheme %q (want one of %s)", u.Scheme, schemes)
	}
	if err != nil {
		return listenURL{}, err
	}
	return l, nil
}

// hostPort returns the host:port of a URL that names a network address
// and nothing else; a missing port is defaultPort. An empty host (as in
// tcp://:1883) listens on every interface.
func hostPort(u *url.URL, defaultPort string) (string, error) {
	switch {
	case u.Opaque != "" || u.Host == "":
		return "", errors.New("want scheme://host:port")
	case u.User != nil, u.Path != "" && u.Path != "/", u.RawQuery != "", u.Fragment != "":
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

// listen opens the listener l describes. tlsConfig is non-nil when l.TLS.
func (l listenURL) listen(tlsConfig *tls.Config) (net.Listener, error) {
	switch l.Scheme {
	case "tcp":
		return net.Listen("tcp", l.Address)
	case "tls":
		return tls.Listen("tcp", l.Address, tlsConfig)
	}
	return nil, fmt.Errorf("--listen %q: unknown scheme %q", l.URL, l.Scheme)
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
