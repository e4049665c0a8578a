package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mqttx/mqttx/mqtt"
	"github.com/mqttx/mqttx/mqtt/packet"
)

// startServeReload is startServe with a reload channel.
func startServeReload(t *testing.T, reload chan struct{}, args ...string) ([]net.Addr, *syncBuffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	log := new(syncBuffer)
	readyc := make(chan []net.Addr, 1)
	errc := make(chan error, 1)
	go func() {
		errc <- runServeReload(ctx, context.Background(), reload, args, log, func(a []net.Addr) { readyc <- a })
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-errc; err != nil {
			t.Errorf("runServe: %v", err)
		}
	})
	select {
	case addrs := <-readyc:
		return addrs, log
	case err := <-errc:
		t.Fatalf("runServe(%q) = %v; log:\n%s", args, err, log.String())
	case <-time.After(10 * time.Second):
		t.Fatalf("runServe(%q) not ready; log:\n%s", args, log.String())
	}
	return nil, nil
}

func clientFor(addr net.Addr, user, pass string) *clientFlags {
	host, port, _ := net.SplitHostPort(addr.String())
	p, _ := strconv.Atoi(port)
	return &clientFlags{host: host, port: p, version: "5", username: user, password: pass, cleanStart: true, timeout: 5 * time.Second}
}

func reloadAndWait(t *testing.T, reload chan struct{}, log *syncBuffer, what string, n int) {
	t.Helper()
	reload <- struct{}{}
	waitFor(t, "the reload of the "+what, func() bool { return strings.Count(log.String(), what) >= n })
}

// serve with --password-file and --acl-file: the files decide, and SIGHUP
// (the reload channel) replaces them without dropping the connections
// already open; a broken file keeps the previous one in force.
func TestServePasswordAndACLFilesReload(t *testing.T) {
	dir := t.TempDir()
	pwFile, aclFile := filepath.Join(dir, "pw"), filepath.Join(dir, "acl")
	if code := passwd([]string{"-c", "-b", pwFile, "alice", "one"}, nil, &bytes.Buffer{}, os.Stderr); code != 0 {
		t.Fatal("passwd failed")
	}
	os.WriteFile(aclFile, []byte("user alice\ntopic readwrite a/#\n"), 0o600)
	reload := make(chan struct{})
	addrs, log := startServeReload(t, reload, "--listen", "tcp://127.0.0.1:0", "--password-file", pwFile, "--acl-file", aclFile)
	addr := addrs[0]

	alice, _, err := dialClient(clientFor(addr, "alice", "one"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer alice.disconnect()
	if err := alice.publish(&packet.Publish{Topic: "a/1", QoS: mqtt.QoS1}); err != nil {
		t.Errorf("allowed publish: %v", err)
	}
	if err := alice.publish(&packet.Publish{Topic: "b/1", QoS: mqtt.QoS1}); err == nil || !strings.Contains(err.Error(), "not authorized") {
		t.Errorf("denied publish: %v, want not authorized", err)
	}
	// Anonymous clients: refused even on this loopback listener, as a
	// password file is given.
	if c, _, err := dialClient(clientFor(addr, "", ""), nil); err == nil || !strings.Contains(err.Error(), "not authorized") {
		t.Errorf("anonymous on loopback with a password file: %v, want not authorized", err)
		if err == nil {
			c.disconnect()
		}
	}

	// New password, new ACL, reload.
	if code := passwd([]string{"-b", pwFile, "alice", "two"}, nil, &bytes.Buffer{}, os.Stderr); code != 0 {
		t.Fatal("passwd failed")
	}
	os.WriteFile(aclFile, []byte("user alice\ntopic readwrite b/#\n"), 0o600)
	reloadAndWait(t, reload, log, "ACL file", 1)
	if err := alice.publish(&packet.Publish{Topic: "b/1", QoS: mqtt.QoS1}); err != nil {
		t.Errorf("the connection opened before the reload, under the new ACL: %v", err)
	}
	if _, _, err := dialClient(clientFor(addr, "alice", "one"), nil); err == nil {
		t.Error("the old password still works after the reload")
	}
	if c, _, err := dialClient(clientFor(addr, "alice", "two"), nil); err != nil {
		t.Errorf("the new password: %v", err)
	} else {
		c.disconnect()
	}

	// A broken ACL: reported, the one in force stays.
	os.WriteFile(aclFile, []byte("user alice\ntopic sometimes b/#\n"), 0o600)
	reloadAndWait(t, reload, log, "reload failed", 1)
	if !strings.Contains(log.String(), "acl:2: topic: unknown access") {
		t.Errorf("the log does not name the bad line:\n%s", log.String())
	}
	if err := alice.publish(&packet.Publish{Topic: "b/2", QoS: mqtt.QoS1}); err != nil {
		t.Errorf("after a failed reload: %v", err)
	}
}

// SIGHUP replaces the TLS certificate: new handshakes get the new one,
// connections already open go on.
func TestServeTLSReload(t *testing.T) {
	certFile, keyFile, first, _ := writeCert(t)
	reload := make(chan struct{})
	addrs, log := startServeReload(t, reload, "--listen", "tls://127.0.0.1:0", "--tls-cert", certFile, "--tls-key", keyFile)
	handshake := func() (*tls.Conn, *x509.Certificate) {
		t.Helper()
		tc, err := tls.Dial("tcp", addrs[0].String(), &tls.Config{InsecureSkipVerify: true})
		if err != nil {
			t.Fatal(err)
		}
		return tc, tc.ConnectionState().PeerCertificates[0]
	}
	open, got := handshake()
	defer open.Close()
	if !bytes.Equal(got.Raw, first.Raw) {
		t.Fatal("the server does not present its certificate")
	}
	c := newClient(t, open)
	c.send(&packet.Connect{Version: mqtt.V311, ClientID: "kept", CleanStart: true})
	if _, ok := c.read().(*packet.Connack); !ok {
		t.Fatal("no CONNACK")
	}

	newCert, newKey, second, _ := writeCert(t)
	for from, to := range map[string]string{newCert: certFile, newKey: keyFile} {
		b, _ := os.ReadFile(from)
		os.WriteFile(to, b, 0o600)
	}
	reloadAndWait(t, reload, log, "TLS certificates", 1)
	tc, got := handshake()
	tc.Close()
	if !bytes.Equal(got.Raw, second.Raw) {
		t.Error("a handshake after the reload still gets the old certificate")
	}
	c.send(&packet.Pingreq{})
	if _, ok := c.read().(*packet.Pingresp); !ok {
		t.Error("the connection opened before the reload stopped working")
	}
}

func TestIsLocalListener(t *testing.T) {
	for name, want := range map[string]bool{
		"127.0.0.1:1883":           true,
		"[::1]:1883":               true,
		"localhost:1883":           true,
		"/tmp/mqttx.sock":          true,
		"ws://127.0.0.1:8083/mqtt": true,
		"0.0.0.0:1883":             false,
		"[::]:1883":                false,
		"192.0.2.7:1883":           false,
		"wss://10.0.0.1:8084/mqtt": false,
		"example.com:1883":         false,
	} {
		if got := isLocalListener(name); got != want {
			t.Errorf("isLocalListener(%q) = %v, want %v", name, got, want)
		}
	}
}

// serve with --scram-file: MQTT 5 clients prove their passwords with
// SCRAM-SHA-256; a user name without the method, and anonymous clients,
// are refused (but for --allow-anonymous); the file is reloaded on SIGHUP.
func TestServeSCRAMFile(t *testing.T) {
	dir := t.TempDir()
	scramFile := filepath.Join(dir, "scram")
	if code := passwd([]string{"--scram", "-c", "-b", scramFile, "carol", "secret"}, nil, &bytes.Buffer{}, os.Stderr); code != 0 {
		t.Fatal("passwd --scram failed")
	}
	reload := make(chan struct{})
	addrs, log := startServeReload(t, reload, "--listen", "tcp://127.0.0.1:0", "--scram-file", scramFile)
	addr := addrs[0]
	scram := func(user, pass string) error {
		f := clientFor(addr, user, pass)
		f.authMethod = "SCRAM-SHA-256"
		c, _, err := dialClient(f, nil)
		if err == nil {
			c.disconnect()
		}
		return err
	}
	if err := scram("carol", "secret"); err != nil {
		t.Fatalf("SCRAM with the right password: %v", err)
	}
	if err := scram("carol", "wrong"); err == nil {
		t.Error("SCRAM with a wrong password accepted")
	}
	if _, _, err := dialClient(clientFor(addr, "carol", "secret"), nil); err == nil || !strings.Contains(err.Error(), "bad user name or password") {
		t.Errorf("a user name and password without the method: %v, want bad user name or password", err)
	}
	if _, _, err := dialClient(clientFor(addr, "", ""), nil); err == nil || !strings.Contains(err.Error(), "not authorized") {
		t.Errorf("anonymous with a SCRAM file: %v, want not authorized", err)
	}

	if code := passwd([]string{"--scram", "-b", scramFile, "dave", "pw2"}, nil, &bytes.Buffer{}, os.Stderr); code != 0 {
		t.Fatal("passwd --scram failed")
	}
	reloadAndWait(t, reload, log, "SCRAM file", 1)
	if err := scram("dave", "pw2"); err != nil {
		t.Errorf("a user added before SIGHUP: %v", err)
	}

	// --allow-anonymous lets anonymous clients in beside SCRAM.
	addrs, _ = startServeReload(t, make(chan struct{}), "--listen", "tcp://127.0.0.1:0", "--scram-file", scramFile, "--allow-anonymous")
	if c, _, err := dialClient(clientFor(addrs[0], "", ""), nil); err != nil {
		t.Errorf("anonymous with --allow-anonymous: %v", err)
	} else {
		c.disconnect()
	}
}
