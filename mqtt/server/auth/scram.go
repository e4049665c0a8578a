package auth

import (
	"bufio"
	"context"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/mqttx/mqttx/mqtt"
	"github.com/mqttx/mqttx/mqtt/packet"
	"github.com/mqttx/mqttx/mqtt/server"
)

// SCRAMSHA256 is the name of the SCRAM-SHA-256 mechanism (RFC 7677), used
// as the MQTT 5 Authentication Method.
const SCRAMSHA256 = "SCRAM-SHA-256"

// DefaultSCRAMIterations is the PBKDF2 iteration count [HashSCRAM] uses
// when given zero, and the least any credential or server may ask for
// (RFC 7677 §4). The client pays for it once per connection; the server
// never does, as it keeps StoredKey and ServerKey rather than the password.
const DefaultSCRAMIterations = 4096

const (
	scramSaltLen  = 16   // bytes of salt HashSCRAM draws, and of a fake salt
	scramNonceLen = 18   // random bytes of a nonce, 24 characters of base64
	maxSCRAMMsg   = 4096 // bytes: a longer SCRAM message is refused unparsed
	maxSCRAMSalt  = 1024 // bytes of salt a credential or a server may give
)

// SCRAM is a [server.AuthMethod] for SCRAM-SHA-256 (RFC 5802 with the
// SHA-256 hash of RFC 7677): a client proves it knows a user's password
// without sending it, and the server proves it holds the user's
// credential. Reload reads the credentials file again; exchanges already
// started keep the credential they began with.
//
// The credentials file has one line per user, in the form of RFC 5803:
//
//	user:SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>
//
// with the salt and the two 32-byte keys in standard base64, and at least
// DefaultSCRAMIterations iterations. Empty lines and lines starting with
// '#' are skipped. "mqttx passwd --scram" and [HashSCRAM] write such
// lines.
//
// The exchange (RFC 5802 §3, §5) runs over MQTT 5 enhanced
// authentication: the client-first-message is the Authentication Data of
// the CONNECT (or of an AUTH Re-authenticate), the server answers AUTH
// Continue Authentication with its server-first-message, the client sends
// its client-final-message in AUTH, and the server-final-message ("v=",
// the server's signature) comes in the CONNACK (or AUTH Success). The
// user name of a successful exchange becomes the client's
// ([server.Client.SetUsername]). Failures are told by reason code, never
// by a server-final-message "e=":
//
//   - BadUserNameOrPassword: an unknown user or a wrong password (told
//     only at the last step), or a CONNECT whose User Name is not the
//     SCRAM user;
//   - NotAuthorized: a SCRAM message that breaks the syntax of RFC 5802
//     §7 or asks for something this server does not offer (channel
//     binding, an authorization identity, a mandatory extension), or a
//     re-authentication as another user than the client's;
//   - ProtocolError: a step after the exchange has ended.
//
// An unknown user cannot be told from a known one by the
// server-first-message or by the time taken: it is given a salt derived
// from its name and a secret drawn once per process (the same salt at
// every attempt, of the length HashSCRAM draws) and DefaultSCRAMIterations,
// and fails at the proof. A user whose credential has another iteration
// count or salt length, or a name tried across a restart of the server,
// can still be told apart.
type SCRAM struct {
	users ruleFile[map[string]*scramCred]

	nonce func() string // the server's part of the nonce; tests set it
}

// scramCred is one user's credential: what the server needs to check a
// proof and sign its answer, not the password.
type scramCred struct {
	iter      int
	salt      []byte
	storedKey []byte
	serverKey []byte
}

// LoadSCRAM reads the credentials file at path.
func LoadSCRAM(path string) (*SCRAM, error) {
	s := newSCRAM()
	if err := s.users.load(path); err != nil {
		return nil, err
	}
	return s, nil
}

// NewSCRAM returns a SCRAM method for the credentials file read from r;
// name is used in error messages. Reload has no file to read.
func NewSCRAM(r io.Reader, name string) (*SCRAM, error) {
	s := newSCRAM()
	if err := s.users.read(r, name); err != nil {
		return nil, err
	}
	return s, nil
}

func newSCRAM() *SCRAM {
	return &SCRAM{users: ruleFile[map[string]*scramCred]{what: "SCRAM credentials file", parse: parseSCRAM}}
}

// Reload reads the credentials file again and, when it is valid, replaces
// the users atomically; on an error the users loaded before stay in force
// and every malformed line is reported, each as a *LineError joined with
// errors.Join.
func (s *SCRAM) Reload() error { return s.users.reload() }

// Len returns the number of users.
func (s *SCRAM) Len() int {
	if u := s.users.get(); u != nil {
		return len(*u)
	}
	return 0
}

// Method implements [server.AuthMethod]: "SCRAM-SHA-256".
func (s *SCRAM) Method() string { return SCRAMSHA256 }

// StartAuth implements [server.AuthMethod]. connect is the CONNECT being
// authenticated, nil for a re-authentication of c.
func (s *SCRAM) StartAuth(c *server.Client, connect *packet.Connect) server.AuthExchange {
	var current string
	var setUser func(string)
	if c != nil {
		current, setUser = c.Username(), c.SetUsername
	}
	return s.start(connect, current, setUser)
}

// start is StartAuth with the client's current user name (for a
// re-authentication) and the setter of its identity, nil for none.
func (s *SCRAM) start(connect *packet.Connect, current string, setUser func(string)) *scramExchange {
	return &scramExchange{s: s, connect: connect, current: current, setUser: setUser}
}

// parseSCRAM reads a credentials file, reporting every malformed line.
func parseSCRAM(r io.Reader, name string) (map[string]*scramCred, error) {
	users := make(map[string]*scramCred)
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
		user, cred, ok := strings.Cut(line, ":")
		switch {
		case !ok:
			fail("want user:SCRAM-SHA-256$iterations:salt$StoredKey:ServerKey")
		case user == "":
			fail("empty user name")
		case !utf8.ValidString(user) || strings.IndexFunc(user, unicode.IsControl) >= 0:
			fail("user %q: not UTF-8, or holds a control character", user)
		case users[user] != nil:
			fail("user %q given twice", user)
		default:
			c, err := parseSCRAMCred(cred)
			if err != nil {
				fail("user %q: %v", user, err)
				continue
			}
			users[user] = c
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

// parseSCRAMCred parses "SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>"
// (RFC 5803).
func parseSCRAMCred(s string) (*scramCred, error) {
	const form = `want "SCRAM-SHA-256$iterations:salt$StoredKey:ServerKey"`
	if !strings.HasPrefix(s, SCRAMSHA256+"$") {
		switch {
		case s == "":
			return nil, errors.New("empty credential")
		case strings.HasPrefix(s, "$"):
			return nil, errors.New("a password hash, not a SCRAM-SHA-256 credential; write one with mqttx passwd --scram")
		}
		return nil, errors.New(form)
	}
	f := strings.Split(s[len(SCRAMSHA256)+1:], "$") // "iterations:salt", "StoredKey:ServerKey"
	if len(f) != 2 {
		return nil, errors.New(form)
	}
	iterStr, saltStr, ok1 := strings.Cut(f[0], ":")
	storedStr, serverStr, ok2 := strings.Cut(f[1], ":")
	if !ok1 || !ok2 {
		return nil, errors.New(form)
	}
	c := new(scramCred)
	var ok bool
	if c.iter, ok = parseIterations(iterStr); !ok {
		return nil, fmt.Errorf("iterations %q: want %d to %d (RFC 7677 §4)", iterStr, DefaultSCRAMIterations, maxIterations)
	}
	if c.salt, ok = decodeBase64(saltStr); !ok || len(c.salt) == 0 || len(c.salt) > maxSCRAMSalt {
		return nil, fmt.Errorf("salt is not 1 to %d bytes of base64", maxSCRAMSalt)
	}
	if c.storedKey, ok = decodeBase64(storedStr); !ok || len(c.storedKey) != sha256.Size {
		return nil, errors.New("StoredKey is not 32 bytes of base64")
	}
	if c.serverKey, ok = decodeBase64(serverStr); !ok || len(c.serverKey) != sha256.Size {
		return nil, errors.New("ServerKey is not 32 bytes of base64")
	}
	return c, nil
}

// parseIterations parses an iteration count: a number without sign or
// leading zero (posit-number, RFC 5802 §7) from DefaultSCRAMIterations to
// maxIterations.
func parseIterations(s string) (int, bool) {
	if s == "" || len(s) > 9 || s[0] == '0' {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < DefaultSCRAMIterations || n > maxIterations {
		return 0, false
	}
	return n, true
}

// decodeBase64 decodes standard base64 in its canonical form only (no
// line breaks, padding present, unused bits zero), so that one value has
// one spelling.
func decodeBase64(s string) ([]byte, bool) {
	b, err := base64.StdEncoding.Strict().DecodeString(s)
	if err != nil || base64.StdEncoding.EncodeToString(b) != s {
		return nil, false
	}
	return b, true
}

// HashSCRAM returns the SCRAM-SHA-256 credential of password, with a
// random 16-byte salt, in the form a credentials file holds (without the
// "user:"). iterations zero means DefaultSCRAMIterations; fewer than that
// are refused (RFC 7677 §4).
//
// The password is used as its UTF-8 bytes: the SASLprep normalization of
// RFC 5802 §2.2 is not applied, which makes no difference for ASCII
// passwords. A password that is empty, not UTF-8 or holds a control
// character is refused, as [NewSCRAMClient] refuses it.
func HashSCRAM(password string, iterations int) (string, error) {
	if iterations == 0 {
		iterations = DefaultSCRAMIterations
	}
	if iterations < DefaultSCRAMIterations || iterations > maxIterations {
		return "", fmt.Errorf("auth: SCRAM iterations must be %d to %d", DefaultSCRAMIterations, maxIterations)
	}
	if err := checkSCRAMPassword(password); err != nil {
		return "", err
	}
	salt := make([]byte, scramSaltLen)
	rand.Read(salt)
	return scramCredential(password, salt, iterations)
}

// scramCredential is HashSCRAM with a given salt.
func scramCredential(password string, salt []byte, iterations int) (string, error) {
	salted, err := pbkdf2.Key(sha256.New, password, salt, iterations, sha256.Size)
	if err != nil {
		return "", fmt.Errorf("auth: %w", err)
	}
	clientKey := hmacSHA256(salted, "Client Key")
	storedKey := sha256.Sum256(clientKey)
	serverKey := hmacSHA256(salted, "Server Key")
	b64 := base64.StdEncoding
	return SCRAMSHA256 + "$" + strconv.Itoa(iterations) + ":" + b64.EncodeToString(salt) +
		"$" + b64.EncodeToString(storedKey[:]) + ":" + b64.EncodeToString(serverKey), nil
}

func checkSCRAMPassword(password string) error {
	switch {
	case password == "":
		return errors.New("auth: empty password")
	case !utf8.ValidString(password):
		return errors.New("auth: password is not UTF-8")
	case strings.IndexFunc(password, unicode.IsControl) >= 0:
		return errors.New("auth: password holds a control character")
	}
	return nil
}

func hmacSHA256(key []byte, msg string) []byte {
	m := hmac.New(sha256.New, key)
	io.WriteString(m, msg)
	return m.Sum(nil)
}

// scramSecret keys the fake credentials of unknown users; it is drawn once
// per process.
var scramSecret = sync.OnceValue(func() []byte {
	b := make([]byte, 32)
	rand.Read(b)
	return b
})

// fakeSCRAMCred is the credential an unknown user is given: a salt and a
// StoredKey derived from its name, which no password matches.
func fakeSCRAMCred(user string) *scramCred {
	salt := hmacSHA256(scramSecret(), "salt\x00"+user)[:scramSaltLen]
	stored := hmacSHA256(scramSecret(), "stored key\x00"+user)
	return &scramCred{iter: DefaultSCRAMIterations, salt: salt, storedKey: stored, serverKey: stored}
}

// newNonce returns scramNonceLen random bytes in base64: printable, and
// without a comma.
func newNonce() string {
	b := make([]byte, scramNonceLen)
	rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

// The steps of an exchange.
const (
	scramWantClientFirst = iota
	scramWantClientFinal
	scramDone
)

// scramExchange is the server's side of one exchange. The server calls
// Next from one goroutine at a time.
type scramExchange struct {
	s       *SCRAM
	connect *packet.Connect // nil for a re-authentication
	current string          // the client's user name, for a re-authentication
	setUser func(string)    // nil: nobody to tell

	state       int
	user        string
	cred        *scramCred
	known       bool
	gs2         string // the gs2-header, "n,," or "y,,"
	nonce       string // the client's and the server's parts
	authMessage string // client-first-message-bare "," server-first-message
}

// Next implements [server.AuthExchange]. The exchange does no blocking
// work, so ctx is not consulted.
func (x *scramExchange) Next(_ context.Context, data []byte) ([]byte, mqtt.ReasonCode) {
	switch x.state {
	case scramWantClientFirst:
		x.state = scramWantClientFinal
		out, code := x.first(data)
		if code != mqtt.ContinueAuthentication {
			x.state = scramDone
		}
		return out, code
	case scramWantClientFinal:
		x.state = scramDone
		return x.final(data)
	}
	return nil, mqtt.ProtocolError
}

// first takes the client-first-message and returns the server-first-message.
func (x *scramExchange) first(data []byte) ([]byte, mqtt.ReasonCode) {
	if len(data) > maxSCRAMMsg || !utf8.Valid(data) {
		return nil, mqtt.NotAuthorized
	}
	msg := string(data)
	// gs2-header (RFC 5802 §7): no channel binding ("n"), or the client
	// could bind but believes the server cannot ("y"), which is true:
	// this server offers SCRAM-SHA-256 only, not SCRAM-SHA-256-PLUS
	// (§6). "p=" asks for channel binding and is refused, as is an
	// authorization identity "a=" (§5.1): the user authenticated is the
	// user authorized.
	if !strings.HasPrefix(msg, "n,,") && !strings.HasPrefix(msg, "y,,") {
		return nil, mqtt.NotAuthorized
	}
	x.gs2, msg = msg[:3], msg[3:]
	// client-first-message-bare = [reserved-mext ","] username "," nonce ["," extensions]
	f := strings.Split(msg, ",")
	if len(f) < 2 || !strings.HasPrefix(f[0], "n=") || !strings.HasPrefix(f[1], "r=") || !validExtensions(f[2:]) {
		return nil, mqtt.NotAuthorized // also "m=" first: a mandatory extension (§5.1)
	}
	user, ok := unescapeSASLName(f[0][2:])
	cnonce := f[1][2:]
	if !ok || !printable(cnonce) {
		return nil, mqtt.NotAuthorized
	}
	// Who the client claims to be must agree with its CONNECT, or, when
	// it authenticates again, with who it already is.
	switch {
	case x.connect != nil && x.connect.Username != "" && x.connect.Username != user:
		return nil, mqtt.BadUserNameOrPassword
	case x.connect == nil && user != x.current:
		return nil, mqtt.NotAuthorized
	}
	// The fake credential is made for every user, so that a known one
	// takes no less time than an unknown one.
	x.user, x.cred = user, fakeSCRAMCred(user)
	if u := x.s.users.get(); u != nil {
		if c := (*u)[user]; c != nil {
			x.cred, x.known = c, true
		}
	}
	snonce := newNonce()
	if x.s.nonce != nil {
		snonce = x.s.nonce()
	}
	x.nonce = cnonce + snonce
	serverFirst := "r=" + x.nonce + ",s=" + base64.StdEncoding.EncodeToString(x.cred.salt) + ",i=" + strconv.Itoa(x.cred.iter)
	x.authMessage = msg + "," + serverFirst
	return []byte(serverFirst), mqtt.ContinueAuthentication
}

// final takes the client-final-message, checks the proof and returns the
// server-final-message.
func (x *scramExchange) final(data []byte) ([]byte, mqtt.ReasonCode) {
	if len(data) > maxSCRAMMsg || !utf8.Valid(data) {
		return nil, mqtt.NotAuthorized
	}
	msg := string(data)
	// client-final-message = channel-binding "," nonce ["," extensions] "," proof (RFC 5802 §7)
	f := strings.Split(msg, ",")
	if len(f) < 3 || !strings.HasPrefix(f[0], "c=") || !strings.HasPrefix(f[1], "r=") ||
		!strings.HasPrefix(f[len(f)-1], "p=") || !validExtensions(f[2:len(f)-1]) {
		return nil, mqtt.NotAuthorized
	}
	// The channel binding data is the gs2-header alone, as no binding was
	// agreed (§6), and the nonce is the one of the server-first-message
	// (§5.1).
	if f[0][2:] != base64.StdEncoding.EncodeToString([]byte(x.gs2)) || f[1][2:] != x.nonce {
		return nil, mqtt.NotAuthorized
	}
	proof, ok := decodeBase64(f[len(f)-1][2:])
	if !ok || len(proof) != sha256.Size {
		return nil, mqtt.NotAuthorized
	}
	// RFC 5802 §3: ClientKey = ClientProof XOR HMAC(StoredKey, AuthMessage),
	// and H(ClientKey) must be StoredKey.
	authMessage := x.authMessage + "," + msg[:len(msg)-len(f[len(f)-1])-1]
	clientKey := hmacSHA256(x.cred.storedKey, authMessage)
	subtle.XORBytes(clientKey, clientKey, proof)
	stored := sha256.Sum256(clientKey)
	if subtle.ConstantTimeCompare(stored[:], x.cred.storedKey) != 1 || !x.known {
		return nil, mqtt.BadUserNameOrPassword
	}
	if x.setUser != nil {
		x.setUser(x.user)
	}
	// ServerSignature = HMAC(ServerKey, AuthMessage)
	return []byte("v=" + base64.StdEncoding.EncodeToString(hmacSHA256(x.cred.serverKey, authMessage))), mqtt.Success
}

// validExtensions reports whether every field is an attr-val (RFC 5802
// §7) other than "m=", which is reserved for mandatory extensions and
// must fail the exchange (§5.1). Other extensions are ignored.
func validExtensions(fields []string) bool {
	for _, f := range fields {
		if len(f) < 3 || f[1] != '=' || !('a' <= f[0] && f[0] <= 'z' || 'A' <= f[0] && f[0] <= 'Z') || f[0] == 'm' || strings.IndexByte(f, 0) >= 0 {
			return false
		}
	}
	return true
}

// printable reports whether s is a valid nonce: one or more printable
// ASCII characters other than ',' (RFC 5802 §7).
func printable(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x21 || c > 0x7e || c == ',' {
			return false
		}
	}
	return true
}

// unescapeSASLName decodes a saslname (RFC 5802 §5.1): "=2C" is ',', "=3D"
// is '=', and any other '=' fails, as do an empty name and NUL.
func unescapeSASLName(s string) (string, bool) {
	if s == "" || strings.IndexByte(s, 0) >= 0 {
		return "", false
	}
	if strings.IndexByte(s, '=') < 0 {
		return s, true
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '=' {
			b.WriteByte(s[i])
			continue
		}
		switch {
		case strings.HasPrefix(s[i:], "=2C"):
			b.WriteByte(',')
		case strings.HasPrefix(s[i:], "=3D"):
			b.WriteByte('=')
		default:
			return "", false
		}
		i += 2
	}
	return b.String(), true
}

// escapeSASLName is the inverse of unescapeSASLName.
func escapeSASLName(s string) string {
	return strings.NewReplacer("=", "=3D", ",", "=2C").Replace(s)
}

// SCRAMClient is the client's side of one SCRAM-SHA-256 exchange (RFC
// 5802 §3, RFC 7677): First gives the client-first-message, Next answers
// the server-first-message with the client-final-message, and Verify
// checks the server-final-message, which proves the server holds the
// user's credential. A SCRAMClient serves one exchange and is not safe
// for concurrent use.
//
// The password is used as its UTF-8 bytes: the SASLprep normalization of
// RFC 5802 §2.2 is not applied, which makes no difference for ASCII
// passwords. No channel binding is offered (gs2 header "n,,").
type SCRAMClient struct {
	user, password string
	nonce          string // the client's part; tests set it
	state          int
	clientFirst    string // client-first-message-bare
	serverSig      []byte // the ServerSignature Verify expects
}

// The steps of a SCRAMClient.
const (
	scramClientNew = iota
	scramClientSentFirst
	scramClientSentFinal
	scramClientDone
)

const scramGS2 = "n,,"

// NewSCRAMClient returns a client exchange for user and password. The
// user name must be valid UTF-8 without NUL; the password must not be
// empty, must be UTF-8 and may not hold control characters (see
// [HashSCRAM]).
func NewSCRAMClient(user, password string) (*SCRAMClient, error) {
	switch {
	case user == "" || !utf8.ValidString(user) || strings.IndexByte(user, 0) >= 0:
		return nil, errors.New("auth: SCRAM user name must be non-empty UTF-8 without NUL")
	case len(user) > maxSCRAMMsg/2:
		return nil, errors.New("auth: SCRAM user name too long")
	}
	if err := checkSCRAMPassword(password); err != nil {
		return nil, err
	}
	return &SCRAMClient{user: user, password: password, nonce: newNonce()}, nil
}

// First returns the client-first-message: "n,,n=<user>,r=<nonce>".
func (c *SCRAMClient) First() []byte {
	c.clientFirst = "n=" + escapeSASLName(c.user) + ",r=" + c.nonce
	c.state = scramClientSentFirst
	return []byte(scramGS2 + c.clientFirst)
}

// Next takes the server-first-message and returns the
// client-final-message with the client's proof. It refuses a
// server-first-message whose nonce does not extend the client's (RFC 5802
// §5.1), and an iteration count below DefaultSCRAMIterations (RFC 7677
// §4: a server, or someone posing as one, could otherwise obtain a proof
// that is cheap to attack offline) or above the bound of this package
// (RFC 5802 §9: a large count costs the client).
func (c *SCRAMClient) Next(serverFirst []byte) ([]byte, error) {
	if c.state != scramClientSentFirst {
		return nil, errors.New("scram: Next out of order")
	}
	c.state = scramClientDone
	if len(serverFirst) > maxSCRAMMsg {
		return nil, errors.New("scram: server-first-message too long")
	}
	msg := string(serverFirst)
	// server-first-message = [reserved-mext ","] nonce "," salt "," iteration-count ["," extensions] (§7)
	f := strings.Split(msg, ",")
	if len(f) < 3 || !strings.HasPrefix(f[0], "r=") || !strings.HasPrefix(f[1], "s=") || !strings.HasPrefix(f[2], "i=") || !validExtensions(f[3:]) {
		return nil, fmt.Errorf("scram: malformed server-first-message %.100q", msg)
	}
	nonce := f[0][2:]
	if !printable(nonce) || len(nonce) <= len(c.nonce) || !strings.HasPrefix(nonce, c.nonce) {
		return nil, errors.New("scram: the server's nonce does not extend the client's")
	}
	salt, ok := decodeBase64(f[1][2:])
	if !ok || len(salt) == 0 || len(salt) > maxSCRAMSalt {
		return nil, errors.New("scram: malformed salt")
	}
	iter, ok := parseIterations(f[2][2:])
	if !ok {
		return nil, fmt.Errorf("scram: iteration count %.12q: want %d to %d", f[2][2:], DefaultSCRAMIterations, maxIterations)
	}
	salted, err := pbkdf2.Key(sha256.New, c.password, salt, iter, sha256.Size)
	if err != nil {
		return nil, fmt.Errorf("scram: %w", err)
	}
	clientKey := hmacSHA256(salted, "Client Key")
	storedKey := sha256.Sum256(clientKey)
	withoutProof := "c=" + base64.StdEncoding.EncodeToString([]byte(scramGS2)) + ",r=" + nonce
	authMessage := c.clientFirst + "," + msg + "," + withoutProof
	proof := hmacSHA256(storedKey[:], authMessage) // ClientSignature
	subtle.XORBytes(proof, proof, clientKey)
	c.serverSig = hmacSHA256(hmacSHA256(salted, "Server Key"), authMessage)
	c.state = scramClientSentFinal
	return []byte(withoutProof + ",p=" + base64.StdEncoding.EncodeToString(proof)), nil
}

// Verify checks the server-final-message: "v=" with the server's
// signature, which only a holder of the user's credential can compute.
// An "e=" message is returned as an error.
func (c *SCRAMClient) Verify(serverFinal []byte) error {
	if c.state != scramClientSentFinal {
		return errors.New("scram: Verify out of order")
	}
	c.state = scramClientDone
	if len(serverFinal) > maxSCRAMMsg {
		return errors.New("scram: server-final-message too long")
	}
	msg, _, _ := strings.Cut(string(serverFinal), ",") // extensions are ignored (§7)
	switch {
	case strings.HasPrefix(msg, "e="):
		return fmt.Errorf("scram: server error %.100q", msg[2:])
	case !strings.HasPrefix(msg, "v="):
		return fmt.Errorf("scram: malformed server-final-message %.100q", msg)
	}
	sig, ok := decodeBase64(msg[2:])
	if !ok || !hmac.Equal(sig, c.serverSig) {
		return errors.New("scram: wrong server signature: the server does not hold the user's credential")
	}
	return nil
}
