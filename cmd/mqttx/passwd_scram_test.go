package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mqttx/mqttx/mqtt"
	"github.com/mqttx/mqttx/mqtt/packet"
	"github.com/mqttx/mqttx/mqtt/server/auth"
)

// scramLogin runs a whole SCRAM-SHA-256 exchange against s and returns
// the server's last code.
func scramLogin(t *testing.T, s *auth.SCRAM, user, password string) mqtt.ReasonCode {
	t.Helper()
	c, err := auth.NewSCRAMClient(user, password)
	if err != nil {
		t.Fatal(err)
	}
	connect := &packet.Connect{Version: mqtt.V5}
	connect.Properties.AuthMethod = auth.SCRAMSHA256
	x := s.StartAuth(nil, connect)
	serverFirst, code := x.Next(context.Background(), c.First())
	if code != mqtt.ContinueAuthentication {
		return code
	}
	final, err := c.Next(serverFirst)
	if err != nil {
		t.Fatal(err)
	}
	serverFinal, code := x.Next(context.Background(), final)
	if code == mqtt.Success {
		if err := c.Verify(serverFinal); err != nil {
			t.Errorf("%s: server signature refused: %v", user, err)
		}
	}
	return code
}

// passwd --scram creates, updates and deletes users, from the command
// line or standard input, and the file it writes is one the SCRAM method
// loads and authenticates against.
func TestPasswdSCRAM(t *testing.T) {
	file := filepath.Join(t.TempDir(), "scram")
	var stderr bytes.Buffer
	for _, args := range [][]string{
		{"--scram", "-c", "-b", file, "alice", "one"},
		{"--scram", "-b", file, "bob", "two"},
		{"--scram", "-b", "--iterations", "5000", file, "alice", "three"}, // updates alice
		{"--scram", "-b", file, "a,b=c", "four"},                          // a name the SCRAM syntax escapes
		{"--scram", "-D", file, "bob"},
	} {
		if code := passwd(args, nil, &bytes.Buffer{}, &stderr); code != 0 {
			t.Fatalf("passwd %v: %d %s", args, code, stderr.String())
		}
	}
	if code := passwd([]string{"--scram", file, "carol"}, strings.NewReader("from stdin\n"), &bytes.Buffer{}, &stderr); code != 0 {
		t.Fatalf("passwd from stdin: %d %s", code, stderr.String())
	}
	data, _ := os.ReadFile(file)
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "alice:SCRAM-SHA-256$5000:") ||
		!strings.HasPrefix(lines[1], "a,b=c:SCRAM-SHA-256$4096:") || !strings.HasPrefix(lines[2], "carol:SCRAM-SHA-256$4096:") {
		t.Fatalf("file:\n%s", data)
	}
	if info, _ := os.Stat(file); info.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", info.Mode().Perm())
	}
	s, err := auth.LoadSCRAM(file)
	if err != nil {
		t.Fatal(err)
	}
	for user, pw := range map[string]string{"alice": "three", "a,b=c": "four", "carol": "from stdin"} {
		if code := scramLogin(t, s, user, pw); code != mqtt.Success {
			t.Errorf("%s: %v", user, code)
		}
	}
	for user, pw := range map[string]string{"alice": "one", "bob": "two"} {
		if code := scramLogin(t, s, user, pw); code != mqtt.BadUserNameOrPassword {
			t.Errorf("%s with %q: %v, want BadUserNameOrPassword", user, pw, code)
		}
	}
	if code := passwd([]string{"--scram", "-D", file, "nobody"}, nil, &bytes.Buffer{}, &stderr); code != 1 {
		t.Errorf("deleting an unknown user: exit %d", code)
	}
}

// passwd refuses what cannot work, and never edits a file of one kind as
// the other.
func TestPasswdSCRAMRefuses(t *testing.T) {
	dir := t.TempDir()
	scramFile, pwFile := filepath.Join(dir, "scram"), filepath.Join(dir, "pw")
	if code := passwd([]string{"--scram", "-c", "-b", scramFile, "alice", "one"}, nil, &bytes.Buffer{}, &bytes.Buffer{}); code != 0 {
		t.Fatal("creating the SCRAM file")
	}
	if code := passwd([]string{"-c", "-b", pwFile, "alice", "one"}, nil, &bytes.Buffer{}, &bytes.Buffer{}); code != 0 {
		t.Fatal("creating the password file")
	}
	scramBefore, _ := os.ReadFile(scramFile)
	pwBefore, _ := os.ReadFile(pwFile)
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--scram", "-b", pwFile, "bob", "two"}, 1, "is not a SCRAM-SHA-256 credential"},
		{[]string{"--scram", "-D", pwFile, "alice"}, 1, "is not a SCRAM-SHA-256 credential"},
		{[]string{"-b", scramFile, "bob", "two"}, 1, "edit " + scramFile + " with --scram"},
		{[]string{"-D", scramFile, "alice"}, 1, "with --scram"},
		{[]string{"--scram", "--bcrypt", "-b", scramFile, "bob", "two"}, 2, "usage"},
		{[]string{"--scram", "--iterations", "1000", "-b", scramFile, "bob", "two"}, 1, "iterations must be 4096"},
		{[]string{"--scram", "-b", scramFile, "bob", "tab\there"}, 1, "control character"},
		{[]string{"--scram", "-b", scramFile, "bo\x01b", "two"}, 2, "control characters"},
		{[]string{"--scram", "-b", scramFile, "bo:b", "two"}, 2, "':'"},
	} {
		var stderr bytes.Buffer
		if code := passwd(tc.args, nil, &bytes.Buffer{}, &stderr); code != tc.code || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("%q: exit %d, stderr %q; want %d and %q", tc.args, code, stderr.String(), tc.code, tc.want)
		}
	}
	if after, _ := os.ReadFile(scramFile); !bytes.Equal(after, scramBefore) {
		t.Errorf("the SCRAM file changed:\n%s", after)
	}
	if after, _ := os.ReadFile(pwFile); !bytes.Equal(after, pwBefore) {
		t.Errorf("the password file changed:\n%s", after)
	}
}
