package main

import (
	"bytes"
	"errors"
	"flag"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mqttx/mqttx/mqtt"
	"github.com/mqttx/mqttx/mqtt/packet"
	"github.com/mqttx/mqttx/mqtt/server"
)

var updateDocs = flag.Bool("update", false, "rewrite docs/configuration.md from the table of settings")

const (
	configDoc     = "../../docs/configuration.md"
	exampleConfig = "../../docs/mqttx.example.yaml"
)

// writeTestFile writes content to name in dir and returns its path.
func writeTestFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// envMap returns a lookup in env, for loadConfig.
func envMap(env map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := env[k]
		return v, ok
	}
}

// loadWith runs loadConfig as serve does, with env for the environment.
func loadWith(t *testing.T, env map[string]string, args ...string) (*serveConfig, error) {
	t.Helper()
	c, _, err := loadConfig("serve", args, envMap(env), io.Discard)
	return c, err
}

// The table: well-formed names, every {key} reference known, and each
// setting reaching the configuration: a value other than its default
// changes what serve runs with.
func TestSettingsTable(t *testing.T) {
	snake := regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`)
	seen := make(map[string]bool)
	for _, s := range settings {
		if !snake.MatchString(s.key) {
			t.Errorf("key %q is not snake_case", s.key)
		}
		if seen[s.key] || s.key == "config" {
			t.Errorf("key %q given twice (or taken by --config)", s.key)
		}
		seen[s.key] = true
		if (s.field == nil) == (s.apply == nil) {
			t.Errorf("%s: want one of field and apply", s.key)
		}
		if !slices.Contains(settingSections, s.section) {
			t.Errorf("%s: unknown section %q", s.key, s.section)
		}
		for _, m := range settingRef.FindAllStringSubmatch(s.help, -1) {
			if settingByKey[m[1]] == nil {
				t.Errorf("%s: its help names an unknown setting {%s}", s.key, m[1])
			}
		}
		if s.kind == kindEnum && !slices.Contains(s.enum, s.def) {
			t.Errorf("%s: default %q is not one of %q", s.key, s.def, s.enum)
		}
	}
	// The flags serve had before the table keep their names.
	for _, name := range []string{"listen", "tls-cert", "tls-key", "tls-client-ca", "tls-identity", "password-file", "acl-file",
		"allow-anonymous", "sys-interval", "shutdown-timeout", "log-level", "log-format", "connect-timeout", "write-timeout",
		"max-packet-size", "server-keepalive", "max-session-expiry", "persistent-session-expiry", "max-queued", "queue-policy",
		"queue-qos0", "queue-wait", "max-inflight", "receive-maximum",
		// and the protections, MQTT 5 settings and features.
		"max-connections", "connect-rate", "connect-burst", "connect-rate-per-ip", "connect-burst-per-ip", "message-rate",
		"message-burst", "max-subscriptions", "max-topic-length", "max-topic-levels", "max-retained-messages",
		"max-retained-bytes", "max-user-properties", "stuck-timeout", "topic-alias-maximum", "outbound-aliases",
		"omit-reason-strings", "validate-payload-format", "response-information", "max-qos", "retain-available",
		"wildcard-subscriptions", "shared-subscriptions", "subscription-identifiers"} {
		if settingByKey[strings.ReplaceAll(name, "-", "_")] == nil {
			t.Errorf("no --%s", name)
		}
	}

	base, err := loadWith(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	other := map[settingKind]string{kindString: "x", kindPath: "f.pem", kindBool: "", kindInt: "7", kindFloat: "2.5", kindDuration: "3s"}
	for _, s := range settings {
		v := other[s.kind]
		switch s.kind {
		case kindBool:
			v = map[string]string{"true": "false", "false": "true"}[s.def]
		case kindEnum:
			v = s.enum[0]
			if v == s.def {
				v = s.enum[1]
			}
		case kindList:
			v = "tcp://127.0.0.1:0"
		}
		args := []string{"--" + s.flag() + "=" + v}
		switch s.key {
		case "tls_cert", "tls_key", "tls_client_ca":
			args = append(args, "--listen", "tls://127.0.0.1:0", "--tls-cert", "c.pem", "--tls-key", "k.pem", "--"+s.flag()+"="+v)
		case "tls_identity":
			args = append(args, "--tls-client-ca", "ca.pem", "--listen", "tls://127.0.0.1:0", "--tls-cert", "c.pem", "--tls-key", "k.pem")
		}
		c, err := loadWith(t, nil, args...)
		if err != nil {
			t.Errorf("%q: %v", args, err)
			continue
		}
		c.FromFlags = base.FromFlags
		if reflect.DeepEqual(c, base) {
			t.Errorf("%q: the configuration is the default one", args)
		}
	}
}

// With nothing given, serve listens on tcp://127.0.0.1:1883 and says so,
// and what it lets in.
func TestNoConfiguration(t *testing.T) {
	c, err := loadWith(t, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []listenURL{{URL: "tcp://127.0.0.1:1883", Scheme: "tcp", Address: "127.0.0.1:1883"}}
	if !slices.Equal(c.Listen, want) || !c.defaultConfig() || c.sources() != "defaults" {
		t.Fatalf("Listen = %+v, defaultConfig %v, sources %q; want %+v, true, defaults", c.Listen, c.defaultConfig(), c.sources(), want)
	}
	var log bytes.Buffer
	c.logAccess(slog.New(slog.NewTextHandler(&log, nil)))
	if want := `msg="no configuration given; serving on tcp://127.0.0.1:1883 (this machine only; no password file, so every client is accepted, with or without a user name)"`; !strings.Contains(log.String(), want) {
		t.Errorf("log = %q, want %q", log.String(), want)
	}

	// Any configuration at all: no such line; a warning for a listener
	// open beyond this machine without a password file.
	for _, tt := range []struct {
		env  map[string]string
		args []string
		want string
	}{
		{nil, []string{"--log-level", "info"}, ""},
		{map[string]string{"MQTTX_LOG_LEVEL": "info"}, nil, ""},
		{nil, []string{"--listen", "tcp://0.0.0.0:0"}, "a client that sends a user name is accepted on this listener with any password"},
		{nil, []string{"--listen", "tcp://0.0.0.0:0", "--allow-anonymous"}, "every client is accepted on this listener"},
		{nil, []string{"--listen", "tcp://0.0.0.0:0", "--password-file", "pw"}, ""},
		{nil, []string{"--listen", "tls://0.0.0.0:0", "--tls-cert", "c", "--tls-key", "k", "--tls-client-ca", "ca"}, ""},
		{nil, []string{"--listen", "unix:///tmp/x.sock", "--listen", "ws://[::1]:0", "--listen", "http://0.0.0.0:0"}, ""},
	} {
		c, err := loadWith(t, tt.env, tt.args...)
		if err != nil {
			t.Fatal(err)
		}
		log.Reset()
		c.logAccess(slog.New(slog.NewTextHandler(&log, nil)))
		if strings.Contains(log.String(), "no configuration") || !strings.Contains(log.String(), tt.want) || tt.want == "" && log.Len() > 0 {
			t.Errorf("%v %q: log = %q, want %q", tt.env, tt.args, log.String(), tt.want)
		}
	}
}

// Defaults < file < environment < flags, for a duration, an int, a bool
// and a list; a flag given wins even when it repeats the default.
func TestConfigPrecedence(t *testing.T) {
	dir := t.TempDir()
	file := writeTestFile(t, dir, "mqttx.yaml", `
listen:
  - tcp://127.0.0.1:1001
  - ws://127.0.0.1:1002
write_timeout: 5s
max_queued: 50
queue_qos0: true
`)
	type want struct {
		listen       []string
		writeTimeout time.Duration
		maxQueued    int
		qos0         bool
	}
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want want
	}{
		{"defaults", nil, nil, want{[]string{"tcp://127.0.0.1:1883"}, 0, 0, false}},
		{"file", nil, []string{"--config", file}, want{[]string{"tcp://127.0.0.1:1001", "ws://127.0.0.1:1002"}, 5 * time.Second, 50, true}},
		{"file from MQTTX_CONFIG", map[string]string{"MQTTX_CONFIG": file}, nil, want{[]string{"tcp://127.0.0.1:1001", "ws://127.0.0.1:1002"}, 5 * time.Second, 50, true}},
		{"environment over file", map[string]string{
			"MQTTX_CONFIG": file, "MQTTX_LISTEN": "tcp://127.0.0.1:2001, unix:///tmp/x.sock", "MQTTX_WRITE_TIMEOUT": "6s",
			"MQTTX_MAX_QUEUED": "60", "MQTTX_QUEUE_QOS0": "false",
		}, nil, want{[]string{"tcp://127.0.0.1:2001", "unix:///tmp/x.sock"}, 6 * time.Second, 60, false}},
		{"an empty variable is unset", map[string]string{"MQTTX_CONFIG": file, "MQTTX_MAX_QUEUED": "", "MQTTX_LISTEN": ""}, nil,
			want{[]string{"tcp://127.0.0.1:1001", "ws://127.0.0.1:1002"}, 5 * time.Second, 50, true}},
		{"flags over environment and file", map[string]string{
			"MQTTX_LISTEN": "tcp://127.0.0.1:2001", "MQTTX_WRITE_TIMEOUT": "6s", "MQTTX_MAX_QUEUED": "60", "MQTTX_QUEUE_QOS0": "false",
		}, []string{"--config", file, "--listen", "tcp://127.0.0.1:3001", "--write-timeout", "7s", "--max-queued", "70", "--queue-qos0"},
			want{[]string{"tcp://127.0.0.1:3001"}, 7 * time.Second, 70, true}},
		{"a flag equal to the default wins", map[string]string{"MQTTX_MAX_QUEUED": "60"},
			[]string{"--config", file, "--listen", "tcp://127.0.0.1:1883", "--write-timeout", "0s", "--max-queued", "0", "--queue-qos0=false"},
			want{[]string{"tcp://127.0.0.1:1883"}, 0, 0, false}},
		{"--config over MQTTX_CONFIG", map[string]string{"MQTTX_CONFIG": filepath.Join(dir, "missing.yaml")}, []string{"--config", file},
			want{[]string{"tcp://127.0.0.1:1001", "ws://127.0.0.1:1002"}, 5 * time.Second, 50, true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := loadWith(t, tt.env, tt.args...)
			if err != nil {
				t.Fatal(err)
			}
			var listen []string
			for _, l := range c.Listen {
				listen = append(listen, l.URL)
			}
			got := want{listen, c.Server.WriteTimeout, c.Server.MaxQueuedMessages, c.Server.QueueQoS0}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

// A file that sets the protections, the MQTT 5 settings and the features
// ends up in server.Server.
func TestConfigFileServerFields(t *testing.T) {
	dir := t.TempDir()
	file := writeTestFile(t, dir, "mqttx.yaml", `
max_connections: 500
connect_rate: 12.5
connect_burst: 30
connect_rate_per_ip: -1
connect_burst_per_ip: 4
message_rate: 100
message_burst: 200
max_subscriptions: 10
max_topic_length: 256
max_topic_levels: 8
max_retained_messages: 1_000
max_retained_bytes: 0x100000
max_user_properties: -1
stuck_timeout: 90s
topic_alias_maximum: 16
outbound_aliases: -1
omit_reason_strings: true
validate_payload_format: true
response_information: "replies/"
max_qos: 1
retain_available: false
wildcard_subscriptions: true
subscription_identifiers: false
`)
	c, err := loadWith(t, nil, "--config", file)
	if err != nil {
		t.Fatal(err)
	}
	s := &c.Server
	for _, f := range []struct {
		name      string
		got, want any
	}{
		{"MaxConnections", s.MaxConnections, 500},
		{"ConnectRate", s.ConnectRate, 12.5},
		{"ConnectBurst", s.ConnectBurst, 30},
		{"ConnectRatePerIP", s.ConnectRatePerIP, -1.0},
		{"ConnectBurstPerIP", s.ConnectBurstPerIP, 4},
		{"MessageRate", s.MessageRate, 100.0},
		{"MessageBurst", s.MessageBurst, 200},
		{"MaxSubscriptions", s.MaxSubscriptions, 10},
		{"MaxTopicLength", s.MaxTopicLength, 256},
		{"MaxTopicLevels", s.MaxTopicLevels, 8},
		{"MaxRetainedMessages", s.MaxRetainedMessages, 1000},
		{"MaxRetainedBytes", s.MaxRetainedBytes, int64(1 << 20)},
		{"MaxUserProperties", s.MaxUserProperties, -1},
		{"StuckTimeout", s.StuckTimeout, 90 * time.Second},
		{"TopicAliasMaximum", s.TopicAliasMaximum, 16},
		{"OutboundAliases", s.OutboundAliases, -1},
		{"OmitReasonStrings", s.OmitReasonStrings, true},
		{"ValidatePayloadFormat", s.ValidatePayloadFormat, true},
		{"ResponseInformation", s.ResponseInformation, "replies/"},
		{"Disable", s.Disable, server.FeatureQoS2 | server.FeatureRetain | server.FeatureSubscriptionIDs},
	} {
		if f.got != f.want {
			t.Errorf("%s = %v, want %v", f.name, f.got, f.want)
		}
	}
	if c.ConfigFile != file || c.sources() != "file "+file+"; defaults for the rest" {
		t.Errorf("ConfigFile %q, sources %q", c.ConfigFile, c.sources())
	}
}

// max_qos and the feature switches map onto server.Features.
func TestConfigFeatures(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want server.Features
	}{
		{nil, 0},
		{[]string{"--max-qos", "2"}, 0},
		{[]string{"--max-qos", "1"}, server.FeatureQoS2},
		{[]string{"--max-qos", "0"}, server.FeatureQoS1 | server.FeatureQoS2},
		{[]string{"--retain-available=false"}, server.FeatureRetain},
		{[]string{"--wildcard-subscriptions=false"}, server.FeatureWildcards},
		{[]string{"--shared-subscriptions=false"}, server.FeatureShared},
		{[]string{"--subscription-identifiers=false"}, server.FeatureSubscriptionIDs},
		{[]string{"--retain-available", "--shared-subscriptions=true"}, 0},
		{[]string{"--max-qos", "1", "--retain-available=false", "--wildcard-subscriptions=0", "--shared-subscriptions=f", "--subscription-identifiers=false"},
			server.FeatureQoS2 | server.FeatureRetain | server.FeatureWildcards | server.FeatureShared | server.FeatureSubscriptionIDs},
	} {
		c, err := loadWith(t, nil, tt.args...)
		if err != nil {
			t.Errorf("%q: %v", tt.args, err)
			continue
		}
		if c.Server.Disable != tt.want {
			t.Errorf("%q: Disable = %b, want %b", tt.args, c.Server.Disable, tt.want)
		}
	}
	for _, env := range []map[string]string{{"MQTTX_MAX_QOS": "1"}} {
		c, err := loadWith(t, env)
		if err != nil || c.Server.Disable != server.FeatureQoS2 {
			t.Errorf("%v: Disable %b, %v; want %b", env, c.Server.Disable, err, server.FeatureQoS2)
		}
	}
}

// A file with many problems: config check reports each, with its line and
// column, those of the password and ACL files it names with their lines.
func TestConfigCheckProblems(t *testing.T) {
	dir := t.TempDir()
	writeTestFile(t, dir, "users.txt", "alice:plain\n\nbob\n")
	writeTestFile(t, dir, "acl.txt", "user alice\ntopic sometimes a/#\n")
	file := writeTestFile(t, dir, "bad.yaml", `# a broken configuration
listen:
  - tcp://0.0.0.0:1883
  - tls://0.0.0.0:8883
  - ftp://0.0.0.0:21
max_conections: 5000
max_queued: -5
connect_timeout: 10
write_timeout: soon
allow_anonymous: yes
log_level: trace
max_inflight: 70000
password_file: users.txt
acl_file: acl.txt
tls_client_ca: missing-ca.pem
max_qos: 3
message_rate: "fast"
max_queued: 7
sys_interval:
receive_maximum: [1, 2]
connect_rate: .inf
max_retained_bytes: 99999999999999999999
stuck_timeout: -1s
shutdown_timeout: -1s
`)
	var stdout, stderr bytes.Buffer
	code := run([]string{"config", "check", file}, strings.NewReader(""), &stdout, &stderr)
	want := []string{
		file + `:4:5: listen "tls://0.0.0.0:8883": a tls:// or wss:// listener needs tls_cert and tls_key`,
		file + `:5:5: listen "ftp://0.0.0.0:21": unknown scheme "ftp" (want one of tcp://, tls://, ws://, wss://, unix://, http://)`,
		file + `:6:1: unknown setting "max_conections" (did you mean max_connections?)`,
		file + `:7:13: max_queued -5: must not be negative`,
		file + `:8:18: connect_timeout 10: want a duration with a unit, such as 10s`,
		file + `:9:16: write_timeout "soon": want a duration such as 10s, 1m30s or 250ms`,
		file + `:10:18: allow_anonymous "yes": want true or false, not a string`,
		file + `:11:12: log_level "trace": want debug, info, warn or error`,
		file + `:12:15: max_inflight 70000: at most 65535`,
		file + `:15:16: tls_client_ca "` + filepath.Join(dir, "missing-ca.pem") + `": cannot read it: no such file or directory`,
		file + `:16:10: max_qos "3": want 0, 1 or 2`,
		file + `:17:15: message_rate "fast": want a number, not a string`,
		file + `:18:1: max_queued given again (first on line 7)`,
		file + `:19:1: sys_interval: no value (leave the key out for the default)`,
		file + `:20:18: receive_maximum: want an integer, not a list`,
		file + `:21:15: connect_rate .inf: want a finite number`,
		file + `:22:21: max_retained_bytes 99999999999999999999: want an integer, not a number`,
		file + `:24:19: shutdown_timeout -1s: must not be negative`,
		filepath.Join(dir, "users.txt") + `:1: user "alice": password in plain text; hash it with mqttx passwd (or mosquitto_passwd -U)`,
		filepath.Join(dir, "users.txt") + `:3: want user:hash`,
		filepath.Join(dir, "acl.txt") + `:2: topic: unknown access "sometimes" (want read, write, readwrite or deny)`,
	}
	got := strings.Split(strings.TrimSuffix(stdout.String(), "\n"), "\n")
	if code != 1 || !slices.Equal(got, want) {
		t.Errorf("config check: exit %d, want 1; got:\n%s\nwant:\n%s", code, stdout.String(), strings.Join(want, "\n"))
	}

	// serve refuses the same file, reporting every problem in it.
	stdout.Reset()
	stderr.Reset()
	if code := run([]string{"serve", "--config", file}, strings.NewReader(""), &stdout, &stderr); code != 2 {
		t.Errorf("serve --config with problems: exit %d, want 2", code)
	}
	for _, w := range want {
		if !strings.HasPrefix(w, file) || strings.Contains(w, "cannot read it") {
			continue // serve reads the files a configuration names after checking it
		}
		if !strings.Contains(stderr.String(), "mqttx serve: "+w+"\n") {
			t.Errorf("serve's stderr lacks %q; got:\n%s", w, stderr.String())
		}
	}
}

// More problems: YAML syntax, the shape of the file, TLS files, listen.
func TestConfigCheckMoreProblems(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile, _, _ := writeCert(t)
	for _, tt := range []struct {
		name, content string
		want          []string // after "FILE:"
	}{
		{"syntax", "max_queued: 5\nlisten:\n\t- tcp://127.0.0.1:1\n", []string{`3: found character that cannot start any token`}},
		{"not a mapping", "- listen\n", []string{`1:1: want a mapping of settings (key: value), not a list`}},
		{"two documents", "max_queued: 5\n---\nmax_queued: 6\n", []string{`2:1: a second YAML document: want one mapping of settings`}},
		{"nested", "server:\n  max_queued: 5\n", []string{`1:1: unknown setting "server"`}},
		{"quoted integer", "max_queued: \"5\"\n", []string{`1:13: max_queued "5": want an integer, not a string`}},
		{"float for an integer", "max_queued: 1.5\n", []string{`1:13: max_queued 1.5: want an integer, not a number`}},
		{"number for a file", "acl_file: 5\n", []string{`1:11: acl_file "5": want a file name, not an integer`}},
		{"empty listen", "listen: []\n", []string{`1:9: listen: an empty list: want at least one URL`}},
		{"listen mapping", "listen:\n  tcp: 1\n", []string{`2:3: listen: want a URL or a list of URLs, not a mapping`}},
		{"listen item", "listen:\n  - 1883\n", []string{`2:5: listen: want a URL, not an integer`}},
		{"only http", "listen: http://127.0.0.1:9090\n", []string{`1:9: listen: no MQTT listener: http:// serves only /metrics and /healthz`}},
		{"TLS files without a TLS listener", "tls_cert: " + certFile + "\ntls_key: " + keyFile + "\n", []string{
			`1:11: tls_cert "` + certFile + `": no tls:// or wss:// listener uses it`,
			`2:10: tls_key "` + keyFile + `": no tls:// or wss:// listener uses it`,
		}},
		{"identity without a CA", "listen: [tls://127.0.0.1:0]\ntls_cert: " + certFile + "\ntls_key: " + keyFile + "\ntls_identity: cn\n", []string{
			`4:15: tls_identity cn needs tls_client_ca`,
		}},
		{"key pair mismatch", "listen: [wss://127.0.0.1:0]\ntls_cert: " + certFile + "\ntls_key: " + certFile + "\ntls_client_ca: " + keyFile + "\n", []string{
			`2:11: tls_cert "` + certFile + `" with tls_key "` + certFile + `": tls: found a certificate rather than a key in the PEM for the private key`,
			`4:16: tls_client_ca "` + keyFile + `": no PEM certificates in it`,
		}},
	} {
		file := writeTestFile(t, dir, "c.yaml", tt.content)
		_, ps := checkConfigFile(file)
		var got []string
		for _, p := range ps {
			got = append(got, strings.TrimPrefix(p.String(), file+":"))
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s: got\n%s\nwant\n%s", tt.name, strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
		}
	}
}

func TestSuggest(t *testing.T) {
	for in, want := range map[string]string{
		"max_conections":  "max_connections",
		"max-connections": "max_connections",
		"MQTTX_LOG_LEVEL": "log_level",
		"--acl-file":      "acl_file",
		"passwordfile":    "password_file",
		"tls_certificate": "",
		"listen_address":  "",
		"frobnicate":      "",
		"maxqos":          "max_qos",
	} {
		if got := suggestKey(in); got != want {
			t.Errorf("suggest(%q) = %q, want %q", in, got, want)
		}
	}
}

// config check: exit 0 and one line for a good file, 1 with problems,
// 2 for a usage mistake.
func TestConfigCheckCommand(t *testing.T) {
	dir := t.TempDir()
	good := writeTestFile(t, dir, "good.yaml", "listen: [tcp://127.0.0.1:0]\nmax_queued: 5\nlog_level: debug\n")
	empty := writeTestFile(t, dir, "empty.yaml", "# nothing set\n")
	bad := writeTestFile(t, dir, "bad.yaml", "max_queued: -1\n")
	for _, tt := range []struct {
		args           []string
		code           int
		stdout, stderr string
	}{
		{[]string{"config", "check", good}, 0, good + ": ok (3 settings)\n", ""},
		{[]string{"config", "check", empty}, 0, empty + ": ok (0 settings)\n", ""},
		{[]string{"config", "check", good, bad}, 1, good + ": ok (3 settings)\n" + bad + ":1:13: max_queued -1: must not be negative\n", ""},
		{[]string{"config", "check", filepath.Join(dir, "none.yaml")}, 1, filepath.Join(dir, "none.yaml") + ": cannot read it: no such file or directory\n", ""},
		{[]string{"config", "check"}, 2, "", "no FILE given"},
		{[]string{"config", "check", "--strict", good}, 2, "", "not defined"},
		{[]string{"config"}, 2, "", "usage: mqttx config check"},
		{[]string{"config", "validate"}, 2, "", `unknown subcommand "validate"`},
		{[]string{"config", "--help"}, 0, "usage: mqttx config check", ""},
	} {
		var stdout, stderr bytes.Buffer
		code := run(tt.args, strings.NewReader(""), &stdout, &stderr)
		if code != tt.code || !strings.Contains(stdout.String(), tt.stdout) || tt.stdout == "" && tt.code != 0 && stdout.Len() > 0 ||
			!strings.Contains(stderr.String(), tt.stderr) || tt.stderr == "" && stderr.Len() > 0 {
			t.Errorf("mqttx %q: exit %d, stdout %q, stderr %q; want %d, %q, %q", tt.args, code, stdout.String(), stderr.String(), tt.code, tt.stdout, tt.stderr)
		}
	}
}

// Problems in the environment and the flags are reported together, each
// naming its variable or flag.
func TestConfigEnvAndFlagProblems(t *testing.T) {
	_, err := loadWith(t, map[string]string{
		"MQTTX_MAX_QUEUED":      "lots",
		"MQTTX_LISTEN":          "tcp://127.0.0.1:0,ftp://127.0.0.1:0",
		"MQTTX_ALLOW_ANONYMOUS": "maybe",
		"MQTTX_WRITE_TIMEOUT":   "-1s",
		"MQTTX_LOG_FORMAT":      "xml",
		"MQTTX_MAX_PACKET_SIZE": "99999999999999999999",
	}, "--max-inflight", "-1", "--connect-rate", "NaN", "--tls-identity", "email")
	var ps configProblems
	if !errors.As(err, &ps) {
		t.Fatalf("error %v, want problems", err)
	}
	want := []string{
		`MQTTX_LISTEN="ftp://127.0.0.1:0": unknown scheme "ftp" (want one of tcp://, tls://, ws://, wss://, unix://, http://)`,
		`MQTTX_ALLOW_ANONYMOUS="maybe": want true or false`,
		`MQTTX_LOG_FORMAT="xml": want text or json`,
		`MQTTX_WRITE_TIMEOUT=-1s: must not be negative`,
		`MQTTX_MAX_PACKET_SIZE="99999999999999999999": out of range`,
		`MQTTX_MAX_QUEUED="lots": want an integer`,
		`--tls-identity "email": want none, cn or subject`,
		`--max-inflight -1: must not be negative`,
		`--connect-rate "NaN": want a number`,
	}
	if got := strings.Split(ps.Error(), "\n"); !slices.Equal(got, want) {
		t.Errorf("got\n%s\nwant\n%s", ps.Error(), strings.Join(want, "\n"))
	}
	var uerr usageError
	if !errors.As(err, &uerr) {
		t.Errorf("%v is not a usageError", err)
	}
}

// Relative file names in a configuration file are taken from its
// directory; in a flag, from the working directory.
func TestConfigRelativePaths(t *testing.T) {
	dir := t.TempDir()
	file := writeTestFile(t, dir, "mqttx.yaml", "password_file: users.txt\nacl_file: /etc/acl\n")
	c, err := loadWith(t, nil, "--config", file)
	if err != nil {
		t.Fatal(err)
	}
	if c.PasswordFile != filepath.Join(dir, "users.txt") || c.ACLFile != "/etc/acl" {
		t.Errorf("PasswordFile %q, ACLFile %q", c.PasswordFile, c.ACLFile)
	}
	if c, err = loadWith(t, nil, "--config", file, "--password-file", "pw"); err != nil || c.PasswordFile != "pw" {
		t.Errorf("PasswordFile %q, %v; want pw", c.PasswordFile, err)
	}
}

// The example configuration has no problems.
func TestExampleConfig(t *testing.T) {
	n, ps := checkConfigFile(exampleConfig)
	for _, p := range ps {
		t.Error(p)
	}
	if n < 10 {
		t.Errorf("%s sets %d settings, want an example of most of them", exampleConfig, n)
	}
}

// config print writes the effective configuration, which reads back as
// the same configuration.
func TestConfigPrint(t *testing.T) {
	dir := t.TempDir()
	file := writeTestFile(t, dir, "in.yaml", "listen: [tcp://127.0.0.1:0, ws://127.0.0.1:0/x]\nmax_queued: 5\nconnect_rate: 2.5\nmax_qos: 1\nresponse_information: \"true\"\n")
	t.Setenv("MQTTX_LOG_LEVEL", "debug")
	var stdout, stderr bytes.Buffer
	if code := run([]string{"config", "print", file, "--write-timeout", "3s", "--retain-available=false"}, strings.NewReader(""), &stdout, &stderr); code != 0 {
		t.Fatalf("config print: exit %d: %s", code, stderr.String())
	}
	out := stdout.String()
	for _, want := range []string{
		"listen: # " + file + ":1\n  - tcp://127.0.0.1:0\n  - ws://127.0.0.1:0/x\n",
		"max_queued: 5 # " + file + ":2\n",
		"log_level: debug # MQTTX_LOG_LEVEL\n",
		"write_timeout: 3s # --write-timeout\n",
		"retain_available: false # --retain-available\n",
		"max_qos: 1 # " + file + ":4\n",
		"connect_rate: 2.5 # ",
		"response_information: \"true\" # ",
		"connect_timeout: 0s # default; 0 means 10s\n",
		"# Protections\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("config print lacks %q; got:\n%s", want, out)
		}
	}
	want, err := loadWith(t, map[string]string{"MQTTX_LOG_LEVEL": "debug"}, "--config", file, "--write-timeout", "3s", "--retain-available=false")
	if err != nil {
		t.Fatal(err)
	}
	printed := writeTestFile(t, dir, "printed.yaml", out)
	got, err := loadWith(t, nil, "--config", printed)
	if err != nil {
		t.Fatalf("the printed configuration: %v", err)
	}
	got.ConfigFile, got.FromEnv, got.FromFlags = want.ConfigFile, want.FromEnv, want.FromFlags
	if !reflect.DeepEqual(got, want) {
		t.Errorf("the printed configuration reads back as\n%+v\nwant\n%+v", got, want)
	}

	stderr.Reset()
	if code := run([]string{"config", "print", writeTestFile(t, dir, "bad.yaml", "max_queued: x\n")}, strings.NewReader(""), &stdout, &stderr); code != 1 ||
		!strings.Contains(stderr.String(), `bad.yaml:1:13: max_queued "x": want an integer, not a string`) {
		t.Errorf("config print of a bad file: exit %d, stderr %q", code, stderr.String())
	}
}

// docs/configuration.md is the one the table makes; -update (or
// MQTTX_UPDATE_DOCS=1) rewrites it.
func TestConfigurationDoc(t *testing.T) {
	example, err := os.ReadFile(exampleConfig)
	if err != nil {
		t.Fatal(err)
	}
	want := configurationDoc(example)
	if *updateDocs || os.Getenv("MQTTX_UPDATE_DOCS") != "" {
		if err := os.WriteFile(configDoc, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(configDoc)
	if err != nil {
		t.Fatalf("%v (write it with `go test ./cmd/mqttx/ -run TestConfigurationDoc -update`)", err)
	}
	if string(got) != want {
		t.Errorf("%s is stale: run `go test ./cmd/mqttx/ -run TestConfigurationDoc -update`", configDoc)
	}
	for _, s := range settings {
		for _, name := range []string{"`" + s.key + "`", "`--" + s.flag() + "`", "`" + s.env() + "`"} {
			if !strings.Contains(want, name) {
				t.Errorf("the documentation lacks %s", name)
			}
		}
	}
}

// connectAs connects to addr with a user name and password and returns
// the CONNACK's reason code.
func connectAs(t *testing.T, addr net.Addr, user, pass string) mqtt.ReasonCode {
	t.Helper()
	conn, err := net.Dial("tcp", addr.String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	c := newClient(t, conn)
	c.send(&packet.Connect{Version: mqtt.V311, CleanStart: true, ClientID: "c-" + user, KeepAlive: 30,
		UsernameFlag: true, Username: user, PasswordFlag: true, Password: []byte(pass)})
	ack, ok := c.read().(*packet.Connack)
	if !ok {
		t.Fatal("no CONNACK")
	}
	return ack.ReasonCode
}

// serve --config: the file's listeners, its password file (named
// relative to it) reloaded on SIGHUP, and a log saying where the
// configuration came from.
func TestServeConfigFile(t *testing.T) {
	dir := t.TempDir()
	pwFile := filepath.Join(dir, "users.txt")
	if code := passwd([]string{"-c", "-b", pwFile, "alice", "one"}, nil, io.Discard, io.Discard); code != 0 {
		t.Fatal("passwd failed")
	}
	file := writeTestFile(t, dir, "mqttx.yaml", "listen:\n  - tcp://127.0.0.1:0\npassword_file: users.txt\nmax_queued: 10\n")
	reload := make(chan struct{})
	addrs, log := startServeReload(t, reload, "--config", file, "--log-level", "debug")
	if want := `msg=configuration from="file ` + file + `; flags --log-level; defaults for the rest"`; !strings.Contains(log.String(), want) {
		t.Errorf("log lacks %q; got:\n%s", want, log.String())
	}
	if want := "msg=listening url=tcp://127.0.0.1:0 addr=" + addrs[0].String(); !strings.Contains(log.String(), want) {
		t.Errorf("log lacks %q; got:\n%s", want, log.String())
	}
	if code := connectAs(t, addrs[0], "alice", "one"); code != mqtt.Success {
		t.Errorf("alice with her password: %v", code)
	}
	if code := passwd([]string{"-b", pwFile, "alice", "two"}, nil, io.Discard, io.Discard); code != 0 {
		t.Fatal("passwd failed")
	}
	reloadAndWait(t, reload, log, "password file", 1)
	if code := connectAs(t, addrs[0], "alice", "one"); code == mqtt.Success {
		t.Error("the old password still works after the reload")
	}
	if code := connectAs(t, addrs[0], "alice", "two"); code != mqtt.Success {
		t.Errorf("the new password: %v", code)
	}
}
