package auth

import (
	"bufio"
	"context"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/crypto/bcrypt"

	"github.com/mqttx/mqttx/mqtt"
	"github.com/mqttx/mqttx/mqtt/packet"
	"github.com/mqttx/mqttx/mqtt/server"
)

// Passwords is a [server.Authenticator] that checks the user name and
// password of each CONNECT against a password file. Reload reads the file
// again; connections already accepted are not affected.
//
// The file has one "user:hash" line per user, the format of Mosquitto's
// mosquitto_passwd: a hash is "$7$iterations$salt$hash" (PBKDF2 with
// HMAC-SHA-512), "$6$salt$hash" (one round of SHA-512 over the password
// and the salt) or a bcrypt hash ("$2a$", "$2b$", "$2y$"). Salts and
// hashes are standard base64. Empty lines and lines starting with '#' are
// skipped; a line in any other form is an error, so a password left in
// plain text is never accepted as is.
type Passwords struct {
	// AllowAnonymous accepts a CONNECT without a user name. A CONNECT
	// with a user name is always checked.
	AllowAnonymous bool
	// Anonymous, when set, decides per client instead of AllowAnonymous
	// (for example: anonymous on a local listener only).
	Anonymous func(c *server.Client) bool

	users ruleFile[map[string]string]
}

// LoadPasswords reads the password file at path.
func LoadPasswords(path string) (*Passwords, error) {
	p := newPasswords()
	if err := p.users.load(path); err != nil {
		return nil, err
	}
	return p, nil
}

// NewPasswords returns an authenticator for the password file read from r;
// name is used in error messages. Reload has no file to read.
func NewPasswords(r io.Reader, name string) (*Passwords, error) {
	p := newPasswords()
	if err := p.users.read(r, name); err != nil {
		return nil, err
	}
	return p, nil
}

func newPasswords() *Passwords {
	return &Passwords{users: ruleFile[map[string]string]{what: "password file", parse: ParsePasswords}}
}

// Reload reads the password file again and, when it is valid, replaces the
// users atomically; on an error the users loaded before stay in force.
func (p *Passwords) Reload() error { return p.users.reload() }

// Len returns the number of users.
func (p *Passwords) Len() int {
	if u := p.users.get(); u != nil {
		return len(*u)
	}
	return 0
}

// LineError is a problem found on one line of a file.
type LineError struct {
	File string
	Line int
	Msg  string
}

func (e *LineError) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg) }

// ParsePasswords reads a password file and returns its hashes by user
// name. Every malformed line is reported (joined with errors.Join), each
// as a *LineError.
func ParsePasswords(r io.Reader, name string) (map[string]string, error) {
	users := make(map[string]string)
	var errs []error
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 64<<10)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fail := func(format string, a ...any) {
			errs = append(errs, &LineError{File: name, Line: n, Msg: fmt.Sprintf(format, a...)})
		}
		user, hash, ok := strings.Cut(line, ":")
		switch {
		case !ok:
			fail("want user:hash")
		case user == "":
			fail("empty user name")
		case users[user] != "":
			fail("user %q given twice", user)
		default:
			if err := checkHashFormat(hash); err != nil {
				fail("user %q: %v", user, err)
				continue
			}
			users[user] = hash
		}
	}
	if err := sc.Err(); err != nil {
		errs = append(errs, fmt.Errorf("%s: %w", name, err))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return users, nil
}

// Authenticate implements [server.Authenticator].
//
// A CONNECT with an Authentication Method is accepted without a password
// check: the server calls Authenticators for such a CONNECT only after an
// [server.AuthMethod] hook offering that method (a [SCRAM], say) has
// completed its exchange with Success, so the client has already proven
// who it is, and it sent no password to check. A server without such a
// hook refuses the CONNECT with BadAuthenticationMethod before any
// Authenticator runs.
func (p *Passwords) Authenticate(_ context.Context, c *server.Client, connect *packet.Connect, _ *packet.Connack) mqtt.ReasonCode {
	if connect.Properties.AuthMethod != "" {
		return mqtt.Success
	}
	if !connect.UsernameFlag {
		anon := p.AllowAnonymous
		if p.Anonymous != nil {
			anon = p.Anonymous(c)
		}
		if anon {
			return mqtt.Success
		}
		return mqtt.NotAuthorized
	}
	var hash string
	if u := p.users.get(); u != nil {
		hash = (*u)[connect.Username]
	}
	if hash == "" {
		// Spend the time a known user would, so that a wrong user name
		// cannot be told from a wrong password by the delay.
		CheckPassword(dummyHash(), connect.Password)
		return mqtt.BadUserNameOrPassword
	}
	if ok, err := CheckPassword(hash, connect.Password); err != nil || !ok {
		return mqtt.BadUserNameOrPassword
	}
	return mqtt.Success
}

// The dummy hash verified for an unknown user: the default kind and cost.
var dummyHash = sync.OnceValue(func() string {
	h, err := HashPassword("\x00unknown user", DefaultIterations)
	if err != nil {
		panic(err)
	}
	return h
})

// DefaultIterations is the PBKDF2 iteration count [HashPassword] uses
// when given zero. Every check of a CONNECT pays for it (about 0.3 ms at
// this count on a current core), so it is a balance between the cost of
// guessing from a stolen file and the connection rate a broker can take.
// mosquitto_passwd uses 101.
const DefaultIterations = 1000

const saltLen = 12 // bytes, as mosquitto_passwd

// HashPassword returns a "$7$" (PBKDF2-HMAC-SHA-512) hash of password with
// a random salt, in the format mosquitto_passwd writes and Mosquitto
// reads. iterations zero means DefaultIterations.
func HashPassword(password string, iterations int) (string, error) {
	if iterations == 0 {
		iterations = DefaultIterations
	}
	if iterations < 1 {
		return "", errors.New("auth: iterations must be positive")
	}
	salt := make([]byte, saltLen)
	rand.Read(salt)
	key, err := pbkdf2.Key(sha512.New, password, salt, iterations, sha512.Size)
	if err != nil {
		return "", fmt.Errorf("auth: %w", err)
	}
	b64 := base64.StdEncoding
	return "$7$" + strconv.Itoa(iterations) + "$" + b64.EncodeToString(salt) + "$" + b64.EncodeToString(key), nil
}

// CheckPassword reports whether password matches hash, which is in one of
// the formats of [Passwords]. The comparison takes constant time.
func CheckPassword(hash string, password []byte) (bool, error) {
	switch {
	case strings.HasPrefix(hash, "$7$"):
		iter, salt, want, err := parse7(hash)
		if err != nil {
			return false, err
		}
		got, err := pbkdf2.Key(sha512.New, string(password), salt, iter, len(want))
		if err != nil {
			return false, err
		}
		return hmac.Equal(got, want), nil
	case strings.HasPrefix(hash, "$6$"):
		salt, want, err := parse6(hash)
		if err != nil {
			return false, err
		}
		h := sha512.New()
		h.Write(password)
		h.Write(salt)
		return subtle.ConstantTimeCompare(h.Sum(nil), want) == 1, nil
	case isBcrypt(hash):
		err := bcrypt.CompareHashAndPassword([]byte(hash), password)
		if errors.Is(err, bcrypt.ErrMismatchedHashAndPassword) {
			return false, nil
		}
		return err == nil, err
	}
	return false, errors.New("unknown hash format")
}

// maxIterations bounds the cost a password file may ask of each CONNECT.
const maxIterations = 10_000_000

func parse7(hash string) (iter int, salt, key []byte, err error) {
	f := strings.Split(hash, "$") // "", "7", iterations, salt, hash
	if len(f) != 5 {
		return 0, nil, nil, errors.New(`want "$7$iterations$salt$hash"`)
	}
	iter, err = strconv.Atoi(f[2])
	if err != nil || iter < 1 || iter > maxIterations {
		return 0, nil, nil, fmt.Errorf("iterations %q: want 1 to %d", f[2], maxIterations)
	}
	if salt, err = base64.StdEncoding.DecodeString(f[3]); err != nil || len(salt) == 0 {
		return 0, nil, nil, errors.New("salt is not base64")
	}
	if key, err = base64.StdEncoding.DecodeString(f[4]); err != nil || len(key) != sha512.Size {
		return 0, nil, nil, errors.New("hash is not 64 bytes of base64")
	}
	return iter, salt, key, nil
}

func parse6(hash string) (salt, sum []byte, err error) {
	f := strings.Split(hash, "$") // "", "6", salt, hash
	if len(f) != 4 {
		return nil, nil, errors.New(`want "$6$salt$hash"`)
	}
	if salt, err = base64.StdEncoding.DecodeString(f[2]); err != nil || len(salt) == 0 {
		return nil, nil, errors.New("salt is not base64")
	}
	if sum, err = base64.StdEncoding.DecodeString(f[3]); err != nil || len(sum) != sha512.Size {
		return nil, nil, errors.New("hash is not 64 bytes of base64")
	}
	return salt, sum, nil
}

func isBcrypt(hash string) bool {
	return strings.HasPrefix(hash, "$2a$") || strings.HasPrefix(hash, "$2b$") || strings.HasPrefix(hash, "$2y$")
}

// checkHashFormat tells whether hash can be checked at all, so a bad file
// is refused when it is loaded rather than on some client's CONNECT.
func checkHashFormat(hash string) error {
	switch {
	case strings.HasPrefix(hash, "$7$"):
		_, _, _, err := parse7(hash)
		return err
	case strings.HasPrefix(hash, "$6$"):
		_, _, err := parse6(hash)
		return err
	case isBcrypt(hash):
		if _, err := bcrypt.Cost([]byte(hash)); err != nil {
			return fmt.Errorf("bcrypt: %v", err)
		}
		return nil
	case hash == "":
		return errors.New("empty hash")
	case !strings.HasPrefix(hash, "$"):
		return errors.New("password in plain text; hash it with mqttx passwd (or mosquitto_passwd -U)")
	}
	return errors.New("unknown hash format (want $7$, $6$ or bcrypt)")
}
