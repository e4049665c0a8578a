package auth

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/mqttx/mqttx/mqtt"
	"github.com/mqttx/mqttx/mqtt/packet"
)

// Known answers for the password "secret" and the salt "0123456789ab",
// computed independently of this package (Python's hashlib).
const (
	vector6 = "$6$MDEyMzQ1Njc4OWFi$qEXipeLbgxRlwd06QHfY5WITkUZg0jLg9SZbXzq3ifXjfj+v3GbJGrSfC5PAg3UNCS+UFfbhUIZX4bmIAs330w=="
	vector7 = "$7$101$MDEyMzQ1Njc4OWFi$EO/lLlkeUgIiBaS8G8UK0ZMP1u508TA7Tl+AdJ1cEsmlbGyEPAERErpfq84j1kepISs0UzmcdL4ucgZ2uodxfQ=="
)

func TestCheckPasswordKnownAnswers(t *testing.T) {
	bc, err := bcrypt.GenerateFromPassword([]byte("secret"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	for _, hash := range []string{vector6, vector7, string(bc)} {
		if ok, err := CheckPassword(hash, []byte("secret")); !ok || err != nil {
			t.Errorf("%.12s…: right password: %v, %v", hash, ok, err)
		}
		if ok, err := CheckPassword(hash, []byte("Secret")); ok || err != nil {
			t.Errorf("%.12s…: wrong password: %v, %v", hash, ok, err)
		}
	}
}

func TestHashPassword(t *testing.T) {
	h1, err := HashPassword("pa:ss wörd", 0)
	if err != nil {
		t.Fatal(err)
	}
	h2, _ := HashPassword("pa:ss wörd", 0)
	if h1 == h2 {
		t.Error("two hashes of one password are equal: the salt is not random")
	}
	if !strings.HasPrefix(h1, "$7$1000$") {
		t.Errorf("hash %q: want $7$ with the default iterations", h1)
	}
	if ok, _ := CheckPassword(h1, []byte("pa:ss wörd")); !ok {
		t.Error("hash does not check against its password")
	}
	if _, err := HashPassword("x", -1); err == nil {
		t.Error("negative iterations accepted")
	}
}

func TestParsePasswordsReportsEveryLine(t *testing.T) {
	file := strings.Join([]string{
		"# users",
		"alice:" + vector7,
		"",
		"bob:secret",          // 4: plain text
		"carol",               // 5: no colon
		"alice:" + vector6,    // 6: twice
		":" + vector6,         // 7: no user
		"dave:$7$0$MDEy$AAAA", // 8: bad iterations
		"erin:$5$abc$def",     // 9: unknown format
		"frank:$6$MDEy$AAAA",  // 10: short hash
	}, "\n")
	_, err := ParsePasswords(strings.NewReader(file), "pw")
	if err == nil {
		t.Fatal("no error")
	}
	var lines []int
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var le *LineError
		if !errors.As(e, &le) || le.File != "pw" {
			t.Fatalf("error %v is not a LineError of pw", e)
		}
		lines = append(lines, le.Line)
	}
	if got, want := lines, []int{4, 5, 6, 7, 8, 9, 10}; !equalInts(got, want) {
		t.Errorf("errors on lines %v, want %v:\n%v", got, want, err)
	}
	if !strings.Contains(err.Error(), "pw:4: user \"bob\": password in plain text") {
		t.Errorf("message for line 4 not clear:\n%v", err)
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestPasswordsAuthenticate(t *testing.T) {
	p, err := NewPasswords(strings.NewReader("alice:"+vector7+"\nbob:"+vector6+"\n"), "pw")
	if err != nil {
		t.Fatal(err)
	}
	connect := func(user, pass string) *packet.Connect {
		return &packet.Connect{UsernameFlag: user != "", Username: user, PasswordFlag: pass != "", Password: []byte(pass)}
	}
	for _, tc := range []struct {
		name      string
		allowAnon bool
		c         *packet.Connect
		want      mqtt.ReasonCode
	}{
		{"alice right", false, connect("alice", "secret"), mqtt.Success},
		{"bob right", false, connect("bob", "secret"), mqtt.Success},
		{"alice wrong", false, connect("alice", "nope"), mqtt.BadUserNameOrPassword},
		{"unknown user", false, connect("mallory", "secret"), mqtt.BadUserNameOrPassword},
		{"anonymous refused", false, connect("", ""), mqtt.NotAuthorized},
		{"anonymous allowed", true, connect("", ""), mqtt.Success},
		{"anonymous allowed, user still checked", true, connect("alice", "nope"), mqtt.BadUserNameOrPassword},
	} {
		p.AllowAnonymous = tc.allowAnon
		if got := p.Authenticate(context.Background(), nil, tc.c, nil); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestPasswordsReload(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pw")
	os.WriteFile(path, []byte("alice:"+vector7+"\n"), 0o600)
	p, err := LoadPasswords(path)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(path, []byte("bob:"+vector6+"\nbroken\n"), 0o600)
	if err := p.Reload(); err == nil {
		t.Fatal("a broken file reloaded without error")
	}
	if p.Len() != 1 || p.Authenticate(context.Background(), nil, &packet.Connect{UsernameFlag: true, Username: "alice", Password: []byte("secret")}, nil) != mqtt.Success {
		t.Fatal("a failed reload dropped the users in force")
	}
	os.WriteFile(path, []byte("bob:"+vector6+"\n"), 0o600)
	if err := p.Reload(); err != nil {
		t.Fatal(err)
	}
	if p.Authenticate(context.Background(), nil, &packet.Connect{UsernameFlag: true, Username: "alice", Password: []byte("secret")}, nil) == mqtt.Success {
		t.Error("alice still accepted after the reload removed her")
	}
}

// mosquittoPasswd is Mosquitto's tool, installed by CI; without it the
// interop tests cannot run.
func mosquittoPasswd(t *testing.T) string {
	path, err := exec.LookPath("mosquitto_passwd")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("mosquitto_passwd not installed; .ci/run installs mosquitto")
		}
		t.Skip("mosquitto_passwd not installed")
	}
	return path
}

// Files written by mosquitto_passwd, in both of its hash formats, are read
// unchanged.
func TestReadsMosquittoPasswdFiles(t *testing.T) {
	tool := mosquittoPasswd(t)
	for _, alg := range []string{"sha512-pbkdf2", "sha512"} {
		path := filepath.Join(t.TempDir(), "pw")
		if out, err := exec.Command(tool, "-H", alg, "-c", "-b", path, "alice", "s3cr:et").CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", alg, err, out)
		}
		p, err := LoadPasswords(path)
		if err != nil {
			t.Fatalf("%s: %v", alg, err)
		}
		ok := p.Authenticate(context.Background(), nil, &packet.Connect{UsernameFlag: true, Username: "alice", Password: []byte("s3cr:et")}, nil)
		bad := p.Authenticate(context.Background(), nil, &packet.Connect{UsernameFlag: true, Username: "alice", Password: []byte("s3cr:eT")}, nil)
		if ok != mqtt.Success || bad != mqtt.BadUserNameOrPassword {
			t.Errorf("%s: right password %v, wrong password %v", alg, ok, bad)
		}
	}
}

// A CONNECT with an Authentication Method reaches the Authenticators only
// after the method accepted it: no password is checked, whatever the
// User Name, and none is needed.
func TestPasswordsPassEnhancedAuthentication(t *testing.T) {
	p, err := NewPasswords(strings.NewReader("alice:"+vector7+"\n"), "pw")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []*packet.Connect{
		{Version: mqtt.V5, UsernameFlag: true, Username: "alice"},
		{Version: mqtt.V5, UsernameFlag: true, Username: "mallory", PasswordFlag: true, Password: []byte("nope")},
		{Version: mqtt.V5},
	} {
		c.Properties.AuthMethod = SCRAMSHA256
		if got := p.Authenticate(context.Background(), nil, c, nil); got != mqtt.Success {
			t.Errorf("user %q with method %s: %v, want Success", c.Username, c.Properties.AuthMethod, got)
		}
	}
	// Without a method the same CONNECTs are checked as before.
	if got := p.Authenticate(context.Background(), nil, &packet.Connect{Version: mqtt.V5, UsernameFlag: true, Username: "mallory", Password: []byte("nope")}, nil); got != mqtt.BadUserNameOrPassword {
		t.Errorf("without a method: %v, want BadUserNameOrPassword", got)
	}
}
