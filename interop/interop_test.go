//go:build linux

// Package interop_test runs the mqttx binary, built from this module, as an
// operator does (mqttx serve with TLS and secure WebSocket listeners on
// 127.0.0.1, a password file made by mqttx passwd, without
// --allow-anonymous) and has MQTT clients written elsewhere exchange
// messages through it: Mosquitto's command line clients, Python paho-mqtt,
// MQTT.js and the two Go Paho clients, over MQTT 3.1.1 and 5, each also
// shown that a wrong password is refused.
//
// The external clients are Debian packages (mosquitto-clients,
// python3-paho-mqtt, node-mqtt), installed by .ci/run. A missing one fails
// its test when CI is "true" and skips it elsewhere.
package interop_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/eclipse/paho.golang/paho"
	paho3 "github.com/eclipse/paho.mqtt.golang"
	paho3packets "github.com/eclipse/paho.mqtt.golang/packets"
)

// wait bounds every wait for something that should happen (a CONNACK, a
// SUBACK, a message); it is a failure bound, never a measure. A client
// process gets wait plus some more, so that it reports its own timeout.
const wait = 20 * time.Second

// The account in the password file, and a password that is not its own.
const (
	user          = "interop"
	password      = "s3cret-Pässword"
	wrongPassword = "not-the-password"
)

// The broker every test talks to, started by TestMain.
var (
	brokerTLS string // host:port of the tls:// listener
	brokerWSS string // host:port of the wss://…/mqtt listener
	caFile    string // PEM file of the CA that signed the server certificate
	caPool    *x509.CertPool
	testdata  string // absolute path of testdata/
)

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

// runMain builds mqttx, makes the certificates and the password file,
// starts the broker, runs the tests and stops the broker, which must exit
// cleanly (and, when the tests run with the race detector, so built, with
// no race reported).
func runMain(m *testing.M) int {
	fail := func(format string, args ...any) int {
		fmt.Fprintf(os.Stderr, "interop: "+format+"\n", args...)
		return 1
	}
	dir, err := os.MkdirTemp("", "mqttx-interop-")
	if err != nil {
		return fail("%v", err)
	}
	defer os.RemoveAll(dir)
	if testdata, err = filepath.Abs("testdata"); err != nil {
		return fail("%v", err)
	}

	bin := filepath.Join(dir, "mqttx")
	if err := buildMQTTX(bin); err != nil {
		return fail("%v", err)
	}
	certFile, keyFile, err := writeCertificates(dir)
	if err != nil {
		return fail("certificates: %v", err)
	}
	passwordFile := filepath.Join(dir, "passwords")
	if out, err := exec.Command(bin, "passwd", "-c", "-b", passwordFile, user, password).CombinedOutput(); err != nil {
		return fail("mqttx passwd: %v\n%s", err, out)
	}

	b, err := startBroker(bin,
		"--listen", "tls://127.0.0.1:0",
		"--listen", "wss://127.0.0.1:0/mqtt",
		"--tls-cert", certFile, "--tls-key", keyFile,
		"--password-file", passwordFile,
		"--log-format", "json", "--shutdown-timeout", "5s")
	if err != nil {
		return fail("%v", err)
	}
	code := m.Run()
	if err := b.stop(); err != nil {
		fmt.Fprintf(os.Stderr, "interop: mqttx serve: %v\n", err)
		code = 1
	}
	if code != 0 {
		fmt.Fprintf(os.Stderr, "interop: the broker's log:\n%s", b.log.String())
	}
	return code
}

// raceEnabled reports whether the test binary has the race detector.
func raceEnabled() bool {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range bi.Settings {
		if s.Key == "-race" {
			return s.Value == "true"
		}
	}
	return false
}

// buildMQTTX builds ./cmd/mqttx of this module into bin, with the race
// detector when the tests have it.
func buildMQTTX(bin string) error {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return fmt.Errorf("go env GOMOD: %v", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return errors.New("go env GOMOD: not in a module")
	}
	args := []string{"build", "-o", bin}
	if raceEnabled() {
		args = append(args, "-race")
	}
	build := exec.Command("go", append(args, "./cmd/mqttx")...)
	build.Dir = filepath.Dir(gomod)
	if out, err := build.CombinedOutput(); err != nil {
		return fmt.Errorf("building mqttx: %v\n%s", err, out)
	}
	return nil
}

// writeCertificates makes a throwaway CA and a server certificate it signs
// for 127.0.0.1, ::1 and localhost, writes them and the server's key as PEM
// files in dir, and sets caFile and caPool.
func writeCertificates(dir string) (certFile, keyFile string, err error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", "", err
	}
	now := time.Now()
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "mqttx interop test CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return "", "", err
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return "", "", err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", "", err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: "localhost"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return "", "", err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return "", "", err
	}
	caFile = filepath.Join(dir, "ca.pem")
	certFile = filepath.Join(dir, "server.pem")
	keyFile = filepath.Join(dir, "server-key.pem")
	for _, f := range []struct {
		path, kind string
		der        []byte
	}{
		{caFile, "CERTIFICATE", caDER},
		{certFile, "CERTIFICATE", der},
		{keyFile, "PRIVATE KEY", keyDER},
	} {
		if err := os.WriteFile(f.path, pem.EncodeToMemory(&pem.Block{Type: f.kind, Bytes: f.der}), 0o600); err != nil {
			return "", "", err
		}
	}
	caPool = x509.NewCertPool()
	caPool.AddCert(ca)
	return certFile, keyFile, nil
}

// A broker is a running mqttx serve.
type broker struct {
	cmd     *exec.Cmd
	log     syncBuffer // its standard error
	done    chan struct{}
	waitErr error // once done is closed
}

// startBroker starts mqttx serve with args, which name a tls:// and then a
// wss:// listener on port 0, reads their bound addresses from its JSON log
// into brokerTLS and brokerWSS, and returns once a TLS handshake succeeds.
// The broker is killed if the test process dies, however it ends.
func startBroker(bin string, args ...string) (*broker, error) {
	b := &broker{cmd: exec.Command(bin, append([]string{"serve"}, args...)...), done: make(chan struct{})}
	b.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	stderr, err := b.cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := b.cmd.Start(); err != nil {
		return nil, err
	}
	addrs := make(chan string, 2)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			b.log.WriteString(sc.Text() + "\n")
			var rec struct{ Msg, Addr string }
			if json.Unmarshal(sc.Bytes(), &rec) == nil && rec.Msg == "listening" {
				select {
				case addrs <- rec.Addr:
				default:
				}
			}
		}
		io.Copy(&b.log, stderr) // after an overlong line
		b.waitErr = b.cmd.Wait()
		close(b.done)
	}()

	deadline := time.After(wait)
	for _, a := range []*string{&brokerTLS, &brokerWSS} {
		select {
		case *a = <-addrs:
		case <-b.done:
			return nil, fmt.Errorf("mqttx serve exited at start (%v):\n%s", b.waitErr, b.log.String())
		case <-deadline:
			b.stop()
			return nil, fmt.Errorf("mqttx serve did not log its listeners within %v:\n%s", wait, b.log.String())
		}
	}
	for {
		d := &net.Dialer{Timeout: time.Second}
		c, err := tls.DialWithDialer(d, "tcp", brokerTLS, &tls.Config{RootCAs: caPool})
		if err == nil {
			c.Close()
			return b, nil
		}
		select {
		case <-b.done:
			return nil, fmt.Errorf("mqttx serve exited at start (%v):\n%s", b.waitErr, b.log.String())
		case <-deadline:
			b.stop()
			return nil, fmt.Errorf("no TLS handshake with mqttx serve on %s within %v (%v):\n%s", brokerTLS, wait, err, b.log.String())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// stop stops the broker as an operator does, with SIGTERM, and kills it
// if it has not exited after a while. It reports an unclean exit and a
// data race the race detector found in the broker.
func (b *broker) stop() error {
	b.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-b.done:
	case <-time.After(wait):
		b.cmd.Process.Kill()
		<-b.done
		return fmt.Errorf("still running %v after SIGTERM; killed", wait)
	}
	if b.waitErr != nil {
		return fmt.Errorf("exited after SIGTERM with %v", b.waitErr)
	}
	if strings.Contains(b.log.String(), "DATA RACE") {
		return errors.New("the race detector reported a data race")
	}
	return nil
}

// syncBuffer is a bytes.Buffer safe for concurrent use.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

func (s *syncBuffer) WriteString(p string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.buf.WriteString(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

// port returns the port of a host:port.
func port(hostPort string) string {
	_, p, _ := net.SplitHostPort(hostPort)
	return p
}

// unique returns n random bytes in hex.
func unique(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// names returns a topic and a client identifier prefix (short enough for
// MQTT 3.1.1's 23 characters with a suffix) unique to this run of t.
func names(t *testing.T) (topic, clientID string) {
	r := strings.NewReplacer(" ", "_", "+", "_", "#", "_")
	id := unique(4)
	return "interop/" + r.Replace(t.Name()) + "/" + id, "ix-" + id
}

// A tool is an external client the tests need.
type tool struct {
	name, debian string
	check        func() error // nil when the tool is usable
	once         sync.Once
	err          error
}

// require fails t when the tool is missing under CI (CI=true), where a
// skipped test would hide a missing client, and skips it elsewhere.
func (tl *tool) require(t *testing.T) {
	t.Helper()
	tl.once.Do(func() { tl.err = tl.check() })
	if tl.err == nil {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is not usable (%v); .ci/run installs the Debian package %s", tl.name, tl.err, tl.debian)
	}
	t.Skipf("%s is not usable (%v): install the Debian package %s (apt-get install %s)", tl.name, tl.err, tl.debian, tl.debian)
}

// The Debian interpreter, which sees the Debian Python packages (a python3
// earlier on PATH may not).
const python = "/usr/bin/python3"

// The node that runs MQTT.js, and where Debian installs Node.js modules;
// NODE_PATH names them for a node that does not look there itself.
const (
	node     = "/usr/bin/node"
	nodePath = "/usr/share/nodejs:/usr/lib/nodejs"
)

var (
	mosquittoClients = &tool{name: "mosquitto_pub and mosquitto_sub", debian: "mosquitto-clients", check: func() error {
		for _, name := range []string{"mosquitto_pub", "mosquitto_sub"} {
			if _, err := exec.LookPath(name); err != nil {
				return err
			}
		}
		return nil
	}}
	pahoPython = &tool{name: python + " with paho-mqtt", debian: "python3-paho-mqtt", check: func() error {
		return probe(exec.Command(python, "-c", "import paho.mqtt.client"))
	}}
	mqttJS = &tool{name: node + " with MQTT.js", debian: "node-mqtt", check: func() error {
		cmd := exec.Command(node, "-e", "require('mqtt')")
		cmd.Env = nodeEnv()
		return probe(cmd)
	}}
)

func nodeEnv() []string {
	p := nodePath
	if old := os.Getenv("NODE_PATH"); old != "" {
		p = old + ":" + p
	}
	return append(os.Environ(), "NODE_PATH="+p)
}

// probe runs cmd and returns its error with the first line of its output.
func probe(cmd *exec.Cmd) error {
	out, err := cmd.CombinedOutput()
	if err == nil {
		return nil
	}
	out = bytes.TrimSpace(out)
	if i := bytes.IndexByte(out, '\n'); i >= 0 {
		out = out[:i]
	}
	if len(out) == 0 {
		return err
	}
	return fmt.Errorf("%v: %s", err, out)
}

// command returns a client process bound to ctx, killed with the test
// process however it ends.
func command(ctx context.Context, name string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	cmd.WaitDelay = 5 * time.Second
	return cmd
}

// runClient runs a client process to its end, within wait and a margin.
func runClient(t *testing.T, cmd func(context.Context) *exec.Cmd) (stdout, stderr string, err error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait+10*time.Second)
	defer cancel()
	c := cmd(ctx)
	var out, errOut bytes.Buffer
	c.Stdout, c.Stderr = &out, &errOut
	err = c.Run()
	if ctx.Err() != nil {
		t.Fatalf("%s did not finish within %v; stdout:\n%s\nstderr:\n%s", c.Path, wait+10*time.Second, out.String(), errOut.String())
	}
	return out.String(), errOut.String(), err
}

// --- Mosquitto's command line clients

// mosquittoArgs are the arguments every mosquitto_pub and mosquitto_sub
// run takes: the broker over TLS, verified with the CA, and the account.
func mosquittoArgs(version, clientID, pass string) []string {
	return []string{
		"-h", "127.0.0.1", "-p", port(brokerTLS), "--cafile", caFile,
		"-u", user, "-P", pass, "-V", version, "-i", clientID,
	}
}

// mosquitto runs a Mosquitto client to its end and fails t unless it
// succeeds; it returns the standard output.
func mosquitto(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, errOut, err := runClient(t, func(ctx context.Context) *exec.Cmd { return command(ctx, name, args...) })
	if err != nil {
		t.Fatalf("%s %s: %v; stdout:\n%s\nstderr:\n%s", name, strings.Join(args, " "), err, out, errOut)
	}
	return out
}

// The output format of mosquitto_sub: retain flag, QoS, topic, payload.
const mosquittoFormat = "%r %q %t %p"

// TestMosquittoClients: mosquitto_pub and mosquitto_sub over TLS, MQTT
// 3.1.1 and 5.
func TestMosquittoClients(t *testing.T) {
	mosquittoClients.require(t)
	for _, v := range []struct{ name, flag string }{{"v3.1.1", "mqttv311"}, {"v5", "mqttv5"}} {
		t.Run(v.name, func(t *testing.T) {
			// A retained QoS 1 message published before the subscriber
			// exists reaches it, with its retain flag.
			t.Run("tls/retained", func(t *testing.T) {
				topic, id := names(t)
				payload := "retained from mosquitto_pub " + v.name + " " + unique(4)
				mosquitto(t, "mosquitto_pub", append(mosquittoArgs(v.flag, id+"-pub", password),
					"-t", topic, "-m", payload, "-q", "1", "-r")...)
				got := mosquitto(t, "mosquitto_sub", append(mosquittoArgs(v.flag, id+"-sub", password),
					"-t", topic, "-q", "1", "-C", "1", "-W", strconv.Itoa(int(wait.Seconds())), "-F", mosquittoFormat)...)
				if want := "1 1 " + topic + " " + payload + "\n"; got != want {
					t.Errorf("mosquitto_sub printed %q, want %q (retain flag, QoS, topic, payload)", got, want)
				}
				// Clear the retained message.
				mosquitto(t, "mosquitto_pub", append(mosquittoArgs(v.flag, id+"-clr", password),
					"-t", topic, "-n", "-r", "-q", "1")...)
			})

			// A live QoS 1 message published once the subscriber's SUBACK
			// has arrived reaches it without the retain flag.
			t.Run("tls/live", func(t *testing.T) {
				topic, id := names(t)
				payload := "live from mosquitto_pub " + v.name + " " + unique(4)
				ctx, cancel := context.WithTimeout(context.Background(), wait+10*time.Second)
				defer cancel()
				// mosquitto_sub does not flush its standard output when
				// it is a pipe: stdbuf makes it line buffered.
				sub := command(ctx, "stdbuf", append([]string{"-oL", "mosquitto_sub"}, append(mosquittoArgs(v.flag, id+"-sub", password),
					"-t", topic, "-q", "1", "-C", "1", "-W", strconv.Itoa(int(wait.Seconds())), "-d", "-F", mosquittoFormat)...)...)
				var subErr bytes.Buffer
				sub.Stderr = &subErr
				stdout, err := sub.StdoutPipe()
				if err != nil {
					t.Fatal(err)
				}
				if err := sub.Start(); err != nil {
					t.Fatal(err)
				}
				// With -d, mosquitto_sub prints "Subscribed (mid: 1): 1"
				// (the granted QoS) once the SUBACK arrives; debug lines
				// start with "Client ".
				lines := make(chan string)
				go func() {
					defer close(lines)
					sc := bufio.NewScanner(stdout)
					for sc.Scan() {
						lines <- sc.Text()
					}
				}()
				defer func() { // on every path: the process ended, its output read, its status collected
					cancel()
					for range lines {
					}
					sub.Wait()
				}()
				var seen, messages []string
				subscribed := false
				for !subscribed {
					l, ok := <-lines
					if !ok {
						sub.Wait()
						t.Fatalf("mosquitto_sub ended before its SUBACK; stdout:\n%s\nstderr:\n%s", strings.Join(seen, "\n"), subErr.String())
					}
					seen = append(seen, l)
					if strings.HasPrefix(l, "Subscribed (mid: ") {
						if !strings.HasSuffix(l, "): 1") {
							t.Errorf("mosquitto_sub: %q, want QoS 1 granted", l)
						}
						subscribed = true
					}
				}
				mosquitto(t, "mosquitto_pub", append(mosquittoArgs(v.flag, id+"-pub", password),
					"-t", topic, "-m", payload, "-q", "1")...)
				for l := range lines {
					seen = append(seen, l)
					if !strings.HasPrefix(l, "Client ") {
						messages = append(messages, l)
					}
				}
				if err := sub.Wait(); err != nil {
					t.Fatalf("mosquitto_sub: %v; stdout:\n%s\nstderr:\n%s", err, strings.Join(seen, "\n"), subErr.String())
				}
				want := "0 1 " + topic + " " + payload
				if len(messages) != 1 || messages[0] != want {
					t.Errorf("mosquitto_sub printed messages %q, want [%q]; stdout:\n%s", messages, want, strings.Join(seen, "\n"))
				}
			})

			// A wrong password is refused: mosquitto_sub fails with the
			// CONNACK's reason.
			t.Run("tls/wrong-password", func(t *testing.T) {
				topic, id := names(t)
				out, errOut, err := runClient(t, func(ctx context.Context) *exec.Cmd {
					return command(ctx, "mosquitto_sub", append(mosquittoArgs(v.flag, id, wrongPassword),
						"-t", topic, "-C", "1", "-W", strconv.Itoa(int(wait.Seconds())))...)
				})
				if err == nil {
					t.Fatalf("mosquitto_sub with a wrong password succeeded; stdout:\n%s", out)
				}
				// mosquitto_sub exits with the CONNACK's code: the 3.1.1
				// return code 4 or the MQTT 5 reason code 0x86, both "bad
				// user name or password".
				var exit *exec.ExitError
				if want := badCredentials[strings.TrimPrefix(v.name, "v")]; !errors.As(err, &exit) || exit.ExitCode() != want {
					t.Errorf("mosquitto_sub with a wrong password: %v, want exit status %d; stderr:\n%s", err, want, errOut)
				}
				if want := "bad user name or password"; !strings.Contains(strings.ToLower(errOut), want) {
					t.Errorf("mosquitto_sub with a wrong password printed %q, want it to say %q", errOut, want)
				}
			})
		})
	}
}

// --- Python paho-mqtt and MQTT.js, through the scripts in testdata

// scriptConfig is the JSON configuration the client scripts take.
type scriptConfig struct {
	Mode      string  `json:"mode"` // "exchange" or "connect"
	Host      string  `json:"host,omitempty"`
	Port      int     `json:"port,omitempty"`
	Transport string  `json:"transport,omitempty"` // paho-mqtt: "tcp" or "websockets"
	Path      string  `json:"path,omitempty"`
	URL       string  `json:"url,omitempty"` // MQTT.js
	Version   string  `json:"version"`       // "3.1.1" or "5"
	CAFile    string  `json:"cafile"`
	Username  string  `json:"username"`
	Password  string  `json:"password"`
	ClientID  string  `json:"client_id"`
	Topic     string  `json:"topic,omitempty"`
	Payload   string  `json:"payload,omitempty"`
	Timeout   float64 `json:"timeout"`
}

// scriptResult is what a client script prints.
type scriptResult struct {
	Topic   *string `json:"topic"`
	Payload *string `json:"payload"`
	QoS     *int    `json:"qos"`
	Connack *int    `json:"connack"`
	Closed  any     `json:"closed"`
	// Published is set by the publish mode once the PUBACK arrived.
	Published bool `json:"published"`
}

// runScript runs a client script with cfg and returns its JSON result,
// failing t unless it succeeds.
func runScript(t *testing.T, cmd func(ctx context.Context, cfg string) *exec.Cmd, cfg scriptConfig) scriptResult {
	t.Helper()
	cfg.CAFile, cfg.Username, cfg.Timeout = caFile, user, wait.Seconds()
	b, err := json.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	out, errOut, err := runClient(t, func(ctx context.Context) *exec.Cmd { return cmd(ctx, string(b)) })
	if err != nil {
		t.Fatalf("client script (%s): %v; stdout:\n%s\nstderr:\n%s", b, err, out, errOut)
	}
	var r scriptResult
	if err := json.Unmarshal([]byte(strings.TrimSpace(out)), &r); err != nil {
		t.Fatalf("client script (%s) printed %q: %v; stderr:\n%s", b, out, err, errOut)
	}
	return r
}

// checkExchange checks that the subscriber received payload on topic with
// QoS 1.
func checkExchange(t *testing.T, r scriptResult, topic, payload string) {
	t.Helper()
	switch {
	case r.Topic == nil || r.Payload == nil || r.QoS == nil:
		t.Fatalf("no message in the result %+v", r)
	case *r.Topic != topic || *r.Payload != payload || *r.QoS != 1:
		t.Errorf("subscriber received topic %q payload %q QoS %d, want %q %q QoS 1", *r.Topic, *r.Payload, *r.QoS, topic, payload)
	}
}

// checkRefused checks that the server answered a CONNACK with want, the
// code of a bad user name or password in the client's version.
func checkRefused(t *testing.T, r scriptResult, want int) {
	t.Helper()
	switch {
	case r.Connack == nil:
		t.Fatalf("no CONNACK for a wrong password: %+v", r)
	case *r.Connack != want:
		t.Errorf("CONNACK code %d for a wrong password, want %d (bad user name or password)", *r.Connack, want)
	}
}

// badCredentials is the CONNACK code of a bad user name or password:
// return code 4 in MQTT 3.1.1, reason code 0x86 in MQTT 5.
var badCredentials = map[string]int{"3.1.1": 4, "5": 0x86}

// TestPahoPython: Python paho-mqtt, MQTT 3.1.1 and 5, over TLS and over
// secure WebSocket.
func TestPahoPython(t *testing.T) {
	pahoPython.require(t)
	script := filepath.Join(testdata, "paho_client.py")
	run := func(ctx context.Context, cfg string) *exec.Cmd { return command(ctx, python, script, cfg) }
	for _, version := range []string{"3.1.1", "5"} {
		t.Run("v"+version, func(t *testing.T) {
			for _, tr := range []struct{ name, transport, addr string }{
				{"tls", "tcp", brokerTLS},
				{"wss", "websockets", brokerWSS},
			} {
				t.Run(tr.name, func(t *testing.T) {
					topic, id := names(t)
					payload := "from paho-mqtt v" + version + " over " + tr.name + " " + unique(4)
					p, _ := strconv.Atoi(port(tr.addr))
					r := runScript(t, run, scriptConfig{
						Mode: "exchange", Host: "127.0.0.1", Port: p, Transport: tr.transport, Path: "/mqtt",
						Version: version, Password: password, ClientID: id, Topic: topic, Payload: payload,
					})
					checkExchange(t, r, topic, payload)
				})
			}
			t.Run("tls/wrong-password", func(t *testing.T) {
				_, id := names(t)
				p, _ := strconv.Atoi(port(brokerTLS))
				r := runScript(t, run, scriptConfig{
					Mode: "connect", Host: "127.0.0.1", Port: p, Transport: "tcp",
					Version: version, Password: wrongPassword, ClientID: id,
				})
				checkRefused(t, r, badCredentials[version])
			})
		})
	}
}

// TestMQTTjs: MQTT.js, MQTT 3.1.1 and 5, over mqtts:// and wss://.
func TestMQTTjs(t *testing.T) {
	mqttJS.require(t)
	script := filepath.Join(testdata, "mqttjs_client.js")
	run := func(ctx context.Context, cfg string) *exec.Cmd {
		cmd := command(ctx, node, script, cfg)
		cmd.Env = nodeEnv()
		return cmd
	}
	for _, version := range []string{"3.1.1", "5"} {
		t.Run("v"+version, func(t *testing.T) {
			for _, tr := range []struct{ name, url string }{
				{"mqtts", "mqtts://" + brokerTLS},
				{"wss", "wss://" + brokerWSS + "/mqtt"},
			} {
				t.Run(tr.name, func(t *testing.T) {
					topic, id := names(t)
					payload := "from MQTT.js v" + version + " over " + tr.name + " " + unique(4)
					r := runScript(t, run, scriptConfig{
						Mode: "exchange", URL: tr.url,
						Version: version, Password: password, ClientID: id, Topic: topic, Payload: payload,
					})
					checkExchange(t, r, topic, payload)
				})
			}
			t.Run("mqtts/wrong-password", func(t *testing.T) {
				_, id := names(t)
				r := runScript(t, run, scriptConfig{
					Mode: "connect", URL: "mqtts://" + brokerTLS,
					Version: version, Password: wrongPassword, ClientID: id,
				})
				checkRefused(t, r, badCredentials[version])
			})
		})
	}
}

// --- The Go Paho clients

func tlsConfig() *tls.Config { return &tls.Config{RootCAs: caPool, MinVersion: tls.VersionTLS12} }

// paho3Connect connects a paho.mqtt.golang (MQTT 3.1.1) client to
// brokerURL and returns it with the CONNECT's error.
func paho3Connect(t *testing.T, brokerURL, clientID, pass string) (paho3.Client, error) {
	t.Helper()
	opts := paho3.NewClientOptions().
		AddBroker(brokerURL).
		SetClientID(clientID).
		SetUsername(user).
		SetPassword(pass).
		SetTLSConfig(tlsConfig()).
		SetProtocolVersion(4).
		SetCleanSession(true).
		SetAutoReconnect(false).
		SetConnectRetry(false).
		SetConnectTimeout(wait)
	c := paho3.NewClient(opts)
	tok := c.Connect()
	if !tok.WaitTimeout(wait) {
		t.Fatalf("%s: no CONNACK within %v", clientID, wait)
	}
	if tok.Error() == nil {
		t.Cleanup(func() { c.Disconnect(250) })
	}
	return c, tok.Error()
}

// TestPahoGo: the Go Paho clients, paho.mqtt.golang (MQTT 3.1.1) over
// ssl:// and wss://, and paho.golang (MQTT 5) over TLS.
func TestPahoGo(t *testing.T) {
	t.Run("paho.mqtt.golang/v3.1.1", func(t *testing.T) {
		for _, tr := range []struct{ name, url string }{
			{"ssl", "ssl://" + brokerTLS},
			{"wss", "wss://" + brokerWSS + "/mqtt"},
		} {
			t.Run(tr.name, func(t *testing.T) {
				topic, id := names(t)
				payload := "from paho.mqtt.golang over " + tr.name + " " + unique(4)
				sub, err := paho3Connect(t, tr.url, id+"-sub", password)
				if err != nil {
					t.Fatalf("subscriber: connect: %v", err)
				}
				msgs := make(chan paho3.Message, 16)
				tok := sub.Subscribe(topic, 1, func(_ paho3.Client, m paho3.Message) { msgs <- m })
				if !tok.WaitTimeout(wait) || tok.Error() != nil {
					t.Fatalf("subscribe: no SUBACK within %v or %v", wait, tok.Error())
				}
				if granted := tok.(*paho3.SubscribeToken).Result()[topic]; granted != 1 {
					t.Fatalf("subscribe: granted QoS %d, want 1", granted)
				}
				pub, err := paho3Connect(t, tr.url, id+"-pub", password)
				if err != nil {
					t.Fatalf("publisher: connect: %v", err)
				}
				ptok := pub.Publish(topic, 1, false, payload)
				if !ptok.WaitTimeout(wait) || ptok.Error() != nil {
					t.Fatalf("publish: no PUBACK within %v or %v", wait, ptok.Error())
				}
				select {
				case m := <-msgs:
					if m.Topic() != topic || string(m.Payload()) != payload || m.Qos() != 1 || m.Retained() {
						t.Errorf("subscriber received topic %q payload %q QoS %d retain %t, want %q %q QoS 1 not retained",
							m.Topic(), m.Payload(), m.Qos(), m.Retained(), topic, payload)
					}
				case <-time.After(wait):
					t.Fatalf("subscriber: no message within %v", wait)
				}
			})
		}
		t.Run("ssl/wrong-password", func(t *testing.T) {
			_, id := names(t)
			_, err := paho3Connect(t, "ssl://"+brokerTLS, id, wrongPassword)
			if !errors.Is(err, paho3packets.ErrorRefusedBadUsernameOrPassword) {
				t.Errorf("connect with a wrong password: %v, want %v", err, paho3packets.ErrorRefusedBadUsernameOrPassword)
			}
		})
	})

	t.Run("paho.golang/v5", func(t *testing.T) {
		t.Run("tls", func(t *testing.T) {
			topic, id := names(t)
			payload := "from paho.golang over tls " + unique(4)
			msgs := make(chan *paho.Publish, 16)
			sub, ack, err := pahoConnect(t, id+"-sub", password, msgs)
			if err != nil {
				t.Fatalf("subscriber: connect: %v (CONNACK %+v)", err, ack)
			}
			ctx, cancel := context.WithTimeout(context.Background(), wait)
			defer cancel()
			sack, err := sub.Subscribe(ctx, &paho.Subscribe{Subscriptions: []paho.SubscribeOptions{{Topic: topic, QoS: 1}}})
			if err != nil {
				t.Fatalf("subscribe: %v", err)
			}
			if len(sack.Reasons) != 1 || sack.Reasons[0] != 1 {
				t.Fatalf("subscribe: SUBACK reason codes %v, want [1] (QoS 1 granted)", sack.Reasons)
			}
			pub, ack, err := pahoConnect(t, id+"-pub", password, nil)
			if err != nil {
				t.Fatalf("publisher: connect: %v (CONNACK %+v)", err, ack)
			}
			resp, err := pub.Publish(ctx, &paho.Publish{Topic: topic, QoS: 1, Payload: []byte(payload)})
			if err != nil {
				t.Fatalf("publish: %v", err)
			}
			if resp.ReasonCode != 0 {
				t.Errorf("publish: PUBACK reason code 0x%02X, want 0 (success: the subscriber matches)", resp.ReasonCode)
			}
			select {
			case m := <-msgs:
				if m.Topic != topic || string(m.Payload) != payload || m.QoS != 1 || m.Retain {
					t.Errorf("subscriber received topic %q payload %q QoS %d retain %t, want %q %q QoS 1 not retained",
						m.Topic, m.Payload, m.QoS, m.Retain, topic, payload)
				}
			case <-time.After(wait):
				t.Fatalf("subscriber: no message within %v", wait)
			}
		})
		t.Run("tls/wrong-password", func(t *testing.T) {
			_, id := names(t)
			_, ack, err := pahoConnect(t, id, wrongPassword, nil)
			switch {
			case err == nil:
				t.Fatal("connect with a wrong password succeeded")
			case ack == nil:
				t.Fatalf("connect with a wrong password: %v, and no CONNACK", err)
			case ack.ReasonCode != 0x86:
				t.Errorf("CONNACK reason code 0x%02X for a wrong password, want 0x86 (bad user name or password)", ack.ReasonCode)
			}
		})
	})
}

// pahoConnect connects a paho.golang (MQTT 5) client over TLS; received
// messages go to msgs. A connected client is disconnected, and its
// goroutines waited for, when the test ends.
func pahoConnect(t *testing.T, clientID, pass string, msgs chan<- *paho.Publish) (*paho.Client, *paho.Connack, error) {
	t.Helper()
	nc, err := tls.DialWithDialer(&net.Dialer{Timeout: wait}, "tcp", brokerTLS, tlsConfig())
	if err != nil {
		t.Fatalf("dial %s: %v", brokerTLS, err)
	}
	c := paho.NewClient(paho.ClientConfig{
		Conn: nc,
		OnPublishReceived: []func(paho.PublishReceived) (bool, error){func(pr paho.PublishReceived) (bool, error) {
			if msgs != nil {
				msgs <- pr.Packet
			}
			return true, nil
		}},
		OnClientError: func(error) {},
	})
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	// Keep Alive 0: the client's pinger sends its first PINGREQ at once,
	// from its own goroutine, and over TLS (where a packet's header and
	// body are separate writes) it can land inside the SUBSCRIBE being
	// written, which the broker then rightly refuses as malformed.
	ack, err := c.Connect(ctx, &paho.Connect{
		ClientID: clientID, CleanStart: true, KeepAlive: 0,
		Username: user, UsernameFlag: true, Password: []byte(pass), PasswordFlag: true,
	})
	if err != nil {
		return nil, ack, err
	}
	t.Cleanup(func() {
		c.Disconnect(&paho.Disconnect{ReasonCode: 0})
		select {
		case <-c.Done():
		case <-time.After(wait):
			t.Errorf("%s: paho.golang client did not shut down within %v", clientID, wait)
		}
	})
	return c, ack, nil
}

// TestAcrossClients: messages cross clients, versions and transports. An
// MQTT 5 subscriber (paho.golang over TLS) and an MQTT 3.1.1 subscriber
// (paho.mqtt.golang over secure WebSocket) both receive what each external
// client publishes.
func TestAcrossClients(t *testing.T) {
	base, id := names(t)
	v5msgs := make(chan *paho.Publish, 16)
	v5, ack, err := pahoConnect(t, id+"-5", password, v5msgs)
	if err != nil {
		t.Fatalf("MQTT 5 subscriber: connect: %v (CONNACK %+v)", err, ack)
	}
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	if sack, err := v5.Subscribe(ctx, &paho.Subscribe{Subscriptions: []paho.SubscribeOptions{{Topic: base + "/#", QoS: 1}}}); err != nil || len(sack.Reasons) != 1 || sack.Reasons[0] != 1 {
		t.Fatalf("MQTT 5 subscriber: subscribe: %v (SUBACK %+v)", err, sack)
	}
	v3, err := paho3Connect(t, "wss://"+brokerWSS+"/mqtt", id+"-3", password)
	if err != nil {
		t.Fatalf("MQTT 3.1.1 subscriber: connect: %v", err)
	}
	v3msgs := make(chan paho3.Message, 16)
	tok := v3.Subscribe(base+"/#", 1, func(_ paho3.Client, m paho3.Message) { v3msgs <- m })
	if !tok.WaitTimeout(wait) || tok.Error() != nil || tok.(*paho3.SubscribeToken).Result()[base+"/#"] != 1 {
		t.Fatalf("MQTT 3.1.1 subscriber: subscribe: no SUBACK granting QoS 1 within %v (%v)", wait, tok.Error())
	}

	// received checks that both subscribers receive payload on topic.
	received := func(t *testing.T, topic, payload string) {
		t.Helper()
		select {
		case m := <-v5msgs:
			if m.Topic != topic || string(m.Payload) != payload || m.QoS != 1 {
				t.Errorf("MQTT 5 subscriber received topic %q payload %q QoS %d, want %q %q QoS 1", m.Topic, m.Payload, m.QoS, topic, payload)
			}
		case <-time.After(wait):
			t.Errorf("MQTT 5 subscriber: no message within %v", wait)
		}
		select {
		case m := <-v3msgs:
			if m.Topic() != topic || string(m.Payload()) != payload || m.Qos() != 1 {
				t.Errorf("MQTT 3.1.1 subscriber received topic %q payload %q QoS %d, want %q %q QoS 1", m.Topic(), m.Payload(), m.Qos(), topic, payload)
			}
		case <-time.After(wait):
			t.Errorf("MQTT 3.1.1 subscriber: no message within %v", wait)
		}
	}

	t.Run("mosquitto_pub/v5/tls", func(t *testing.T) {
		mosquittoClients.require(t)
		topic, payload := base+"/mosquitto", "from mosquitto_pub v5 "+unique(4)
		mosquitto(t, "mosquitto_pub", append(mosquittoArgs("mqttv5", id+"-m", password), "-t", topic, "-m", payload, "-q", "1")...)
		received(t, topic, payload)
	})
	t.Run("paho-mqtt/v3.1.1/wss", func(t *testing.T) {
		pahoPython.require(t)
		topic, payload := base+"/paho-mqtt", "from paho-mqtt v3.1.1 "+unique(4)
		p, _ := strconv.Atoi(port(brokerWSS))
		r := runScript(t, func(ctx context.Context, cfg string) *exec.Cmd {
			return command(ctx, python, filepath.Join(testdata, "paho_client.py"), cfg)
		}, scriptConfig{
			Mode: "publish", Host: "127.0.0.1", Port: p, Transport: "websockets", Path: "/mqtt",
			Version: "3.1.1", Password: password, ClientID: id + "-p", Topic: topic, Payload: payload,
		})
		if !r.Published {
			t.Fatalf("the publisher did not report its PUBACK: %+v", r)
		}
		received(t, topic, payload)
	})
	t.Run("MQTT.js/v5/wss", func(t *testing.T) {
		mqttJS.require(t)
		topic, payload := base+"/mqtt.js", "from MQTT.js v5 "+unique(4)
		r := runScript(t, func(ctx context.Context, cfg string) *exec.Cmd {
			cmd := command(ctx, node, filepath.Join(testdata, "mqttjs_client.js"), cfg)
			cmd.Env = nodeEnv()
			return cmd
		}, scriptConfig{
			Mode: "publish", URL: "wss://" + brokerWSS + "/mqtt",
			Version: "5", Password: password, ClientID: id + "-j", Topic: topic, Payload: payload,
		})
		if !r.Published {
			t.Fatalf("the publisher did not report its PUBACK: %+v", r)
		}
		received(t, topic, payload)
	})
}
