package main

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mqttx/mqttx/mqtt/server"
	"github.com/mqttx/mqttx/mqtt/server/auth"
)

func startBroker(t *testing.T, hooks ...server.Hook) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &server.Server{Hooks: hooks}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	t.Cleanup(func() {
		srv.Close()
		if err := <-done; !errors.Is(err, server.ErrServerClosed) {
			t.Errorf("Serve: %v", err)
		}
	})
	return ln.Addr().String()
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for i := 0; !cond(); i++ {
		if i == 500 {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// pub and sub against a broker with a password file, for each protocol
// version and QoS: the retained message and a live one arrive, with the
// user property on MQTT 5.
func TestPubSub(t *testing.T) {
	dir := t.TempDir()
	pwFile := filepath.Join(dir, "pw")
	var out, errOut bytes.Buffer
	if code := passwd([]string{"-c", "-b", pwFile, "alice", "secret"}, nil, &out, &errOut); code != 0 {
		t.Fatalf("passwd: %d %s", code, errOut.String())
	}
	pw, err := auth.LoadPasswords(pwFile)
	if err != nil {
		t.Fatal(err)
	}
	addr := startBroker(t, pw)
	host, port, _ := net.SplitHostPort(addr)

	for _, tc := range []struct{ version, qos string }{{"3.1.1", "1"}, {"5", "2"}, {"3.1", "0"}} {
		t.Run(tc.version+"/qos"+tc.qos, func(t *testing.T) {
			topic := "cmd/" + tc.version + "/" + tc.qos
			common := []string{"-h", host, "-p", port, "-V", tc.version, "-u", "alice", "-P", "secret", "-q", tc.qos}
			run := func(args ...string) {
				t.Helper()
				var stderr bytes.Buffer
				if code := pub(append(append([]string{}, common...), args...), strings.NewReader(""), &bytes.Buffer{}, &stderr); code != 0 {
					t.Fatalf("pub %v: exit %d: %s", args, code, stderr.String())
				}
			}
			run("-t", topic, "-m", "retained one", "-r", "-D", "k=v")
			var subOut, subErr syncBuffer
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			done := make(chan int, 1)
			go func() {
				done <- sub(ctx, append(append([]string{}, common...), "-t", "cmd/"+tc.version+"/#", "-v", "-F", "-C", "2", "-W", "10s"), &subOut, &subErr)
			}()
			waitFor(t, "the retained message", func() bool { return strings.Contains(subOut.String(), "retained one") })
			run("-t", topic, "-m", "live two")
			if code := <-done; code != 0 {
				t.Fatalf("sub exit %d: %s", code, subErr.String())
			}
			want := topic + " [k=v] retained one\n" + topic + " live two\n"
			if tc.version != "5" {
				want = topic + " retained one\n" + topic + " live two\n"
			}
			if got := subOut.String(); got != want {
				t.Errorf("sub printed %q, want %q", got, want)
			}
		})
	}

	// A wrong password is refused with the broker's reason.
	var stderr bytes.Buffer
	if code := pub([]string{"-h", host, "-p", port, "-u", "alice", "-P", "nope", "-t", "x", "-m", "y"}, nil, &bytes.Buffer{}, &stderr); code != 1 || !strings.Contains(stderr.String(), "bad user name or password") {
		t.Errorf("wrong password: exit %d, %q", code, stderr.String())
	}
}

func TestSubWaitLimit(t *testing.T) {
	addr := startBroker(t)
	host, port, _ := net.SplitHostPort(addr)
	var stdout, stderr syncBuffer
	code := sub(context.Background(), []string{"-h", host, "-p", port, "-t", "quiet/#", "-W", "200ms"}, &stdout, &stderr)
	if code != 1 || !strings.Contains(stderr.String(), "no message within 200ms") {
		t.Errorf("exit %d, stderr %q", code, stderr.String())
	}
}

func TestPasswdEditsInPlace(t *testing.T) {
	file := filepath.Join(t.TempDir(), "pw")
	os.WriteFile(file, []byte("# operators\n"), 0o600)
	var stderr bytes.Buffer
	for _, args := range [][]string{
		{"-b", file, "alice", "one"},
		{"-b", file, "bob", "two"},
		{"-b", "--iterations", "5", file, "alice", "three"}, // updates alice
		{"-D", file, "bob"},
	} {
		if code := passwd(args, nil, &bytes.Buffer{}, &stderr); code != 0 {
			t.Fatalf("passwd %v: %d %s", args, code, stderr.String())
		}
	}
	if code := passwd([]string{file, "carol"}, strings.NewReader("from stdin\n"), &bytes.Buffer{}, &stderr); code != 0 {
		t.Fatalf("passwd from stdin: %d %s", code, stderr.String())
	}
	data, _ := os.ReadFile(file)
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) != 3 || lines[0] != "# operators" || !strings.HasPrefix(lines[1], "alice:$7$5$") || !strings.HasPrefix(lines[2], "carol:$7$") {
		t.Fatalf("file:\n%s", data)
	}
	users, err := auth.ParsePasswords(strings.NewReader(string(data)), file)
	if err != nil {
		t.Fatal(err)
	}
	for user, pw := range map[string]string{"alice": "three", "carol": "from stdin"} {
		if ok, _ := auth.CheckPassword(users[user], []byte(pw)); !ok {
			t.Errorf("%s's password does not check", user)
		}
	}
	if info, _ := os.Stat(file); info.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", info.Mode().Perm())
	}
	if code := passwd([]string{"-D", file, "nobody"}, nil, &bytes.Buffer{}, &stderr); code != 1 {
		t.Errorf("deleting an unknown user: exit %d", code)
	}
}
