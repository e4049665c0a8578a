package auth

import (
	"context"
	"crypto/pbkdf2"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/mqttx/mqttx/mqtt"
	"github.com/mqttx/mqttx/mqtt/packet"
)

// The example exchange of RFC 7677 §3: user "user", password "pencil".
const (
	rfcClientNonce = "rOprNGfwEbeRWgbNEkqO"
	rfcServerNonce = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0"
	rfcSalt        = "W22ZaJ0SNY7soEsUEjb6gQ=="
	rfcClientFirst = "n,,n=user,r=" + rfcClientNonce
	rfcServerFirst = "r=" + rfcClientNonce + rfcServerNonce + ",s=" + rfcSalt + ",i=4096"
	rfcClientFinal = "c=biws,r=" + rfcClientNonce + rfcServerNonce + ",p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
	rfcServerFinal = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4="
)

// rfcSCRAM is a SCRAM method holding the credential of the RFC 7677
// example, with the server nonce of the example.
func rfcSCRAM(t *testing.T) *SCRAM {
	t.Helper()
	salt, _ := base64.StdEncoding.DecodeString(rfcSalt)
	cred, err := scramCredential("pencil", salt, 4096)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSCRAM(strings.NewReader("# the example of RFC 7677\nuser:"+cred+"\n"), "scram")
	if err != nil {
		t.Fatal(err)
	}
	s.nonce = func() string { return rfcServerNonce }
	return s
}

func v5Connect(user string) *packet.Connect {
	c := &packet.Connect{Version: mqtt.V5, UsernameFlag: user != "", Username: user}
	c.Properties.AuthMethod = SCRAMSHA256
	return c
}

// step runs one step of x and fails the test unless it returns want.
func step(t *testing.T, x *scramExchange, in string, want mqtt.ReasonCode) string {
	t.Helper()
	out, code := x.Next(context.Background(), []byte(in))
	if code != want {
		t.Fatalf("Next(%.60q) = %v %q, want %v", in, code, out, want)
	}
	if want.IsError() && out != nil {
		t.Errorf("Next(%.60q) refused with data %q", in, out)
	}
	return string(out)
}

func TestSCRAMClientRFC7677(t *testing.T) {
	c, err := NewSCRAMClient("user", "pencil")
	if err != nil {
		t.Fatal(err)
	}
	c.nonce = rfcClientNonce
	if got := string(c.First()); got != rfcClientFirst {
		t.Errorf("client-first-message %q, want %q", got, rfcClientFirst)
	}
	final, err := c.Next([]byte(rfcServerFirst))
	if err != nil {
		t.Fatal(err)
	}
	if string(final) != rfcClientFinal {
		t.Errorf("client-final-message\n %q, want\n %q", final, rfcClientFinal)
	}
	if err := c.Verify([]byte(rfcServerFinal)); err != nil {
		t.Errorf("the server signature of the RFC is refused: %v", err)
	}
}

func TestSCRAMServerRFC7677(t *testing.T) {
	s := rfcSCRAM(t)
	for _, connect := range []*packet.Connect{v5Connect(""), v5Connect("user")} {
		var got []string
		x := s.start(connect, "", func(u string) { got = append(got, u) })
		if out := step(t, x, rfcClientFirst, mqtt.ContinueAuthentication); out != rfcServerFirst {
			t.Errorf("server-first-message\n %q, want\n %q", out, rfcServerFirst)
		}
		if len(got) != 0 {
			t.Errorf("user name set to %q before the proof", got)
		}
		if out := step(t, x, rfcClientFinal, mqtt.Success); out != rfcServerFinal {
			t.Errorf("server-final-message %q, want %q", out, rfcServerFinal)
		}
		if len(got) != 1 || got[0] != "user" {
			t.Errorf("SetUsername calls %q, want [user]", got)
		}
		// The exchange is over: another step is refused, without panic.
		step(t, x, rfcClientFinal, mqtt.ProtocolError)
	}
}

// runSCRAM runs a whole exchange between a SCRAMClient and x, returning
// the server's last code.
func runSCRAM(t *testing.T, x *scramExchange, user, password string) mqtt.ReasonCode {
	t.Helper()
	c, err := NewSCRAMClient(user, password)
	if err != nil {
		t.Fatal(err)
	}
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
			t.Errorf("client refuses the server signature: %v", err)
		}
	}
	return code
}

func TestSCRAMRoundTrip(t *testing.T) {
	// A user name with the characters the SCRAM syntax escapes, and a
	// password with a ':' and non-ASCII letters.
	const user, password = "a,b=c", "pa:ss wörd"
	cred, err := HashSCRAM(password, 0)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSCRAM(strings.NewReader(user+":"+cred+"\n"), "scram")
	if err != nil {
		t.Fatal(err)
	}
	var got string
	if code := runSCRAM(t, s.start(v5Connect(user), "", func(u string) { got = u }), user, password); code != mqtt.Success || got != user {
		t.Errorf("right password: %v, user %q", code, got)
	}
	// The public entry point, without a server.Client.
	x := s.StartAuth(nil, v5Connect("")).(*scramExchange)
	if code := runSCRAM(t, x, user, password); code != mqtt.Success {
		t.Errorf("through StartAuth: %v", code)
	}
	if s.Method() != "SCRAM-SHA-256" || s.Len() != 1 {
		t.Errorf("Method %q, Len %d", s.Method(), s.Len())
	}
}

func TestHashSCRAM(t *testing.T) {
	h1, err := HashSCRAM("secret", 0)
	if err != nil {
		t.Fatal(err)
	}
	h2, _ := HashSCRAM("secret", 0)
	if h1 == h2 {
		t.Error("two credentials of one password are equal: the salt is not random")
	}
	if !strings.HasPrefix(h1, "SCRAM-SHA-256$4096:") {
		t.Errorf("credential %q: want the default iterations", h1)
	}
	c, err := parseSCRAMCred(h1)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.salt) < 16 {
		t.Errorf("salt of %d bytes, want 16 or more", len(c.salt))
	}
	if h, err := HashSCRAM("secret", 5000); err != nil || !strings.HasPrefix(h, "SCRAM-SHA-256$5000:") {
		t.Errorf("5000 iterations: %q %v", h, err)
	}
	for _, tc := range []struct {
		password string
		iter     int
	}{{"secret", 4095}, {"secret", -1}, {"", 0}, {"tab\there", 0}, {"nl\n", 0}, {"del\x7f", 0}, {"c1\u0085", 0}, {"\xff", 0}} {
		if h, err := HashSCRAM(tc.password, tc.iter); err == nil {
			t.Errorf("HashSCRAM(%q, %d) = %q, want an error", tc.password, tc.iter, h)
		}
	}
}

func TestSCRAMWrongPassword(t *testing.T) {
	s := rfcSCRAM(t)
	var set bool
	if code := runSCRAM(t, s.start(v5Connect("user"), "", func(string) { set = true }), "user", "pencil!"); code != mqtt.BadUserNameOrPassword {
		t.Errorf("wrong password: %v, want BadUserNameOrPassword", code)
	}
	if set {
		t.Error("a failed exchange set the user name")
	}
}

// parseServerFirst splits a server-first-message into its nonce, decoded
// salt and iteration count.
func parseServerFirst(t *testing.T, msg string) (nonce string, salt []byte, iter string) {
	t.Helper()
	f := strings.Split(msg, ",")
	if len(f) != 3 || !strings.HasPrefix(f[0], "r=") || !strings.HasPrefix(f[1], "s=") || !strings.HasPrefix(f[2], "i=") {
		t.Fatalf("server-first-message %q", msg)
	}
	salt, err := base64.StdEncoding.DecodeString(f[1][2:])
	if err != nil {
		t.Fatal(err)
	}
	return f[0][2:], salt, f[2][2:]
}

// An unknown user gets a server-first-message of the same shape as a
// known one (nonce, salt of the same length, the default iterations), the
// same salt at every attempt, and fails only at the proof.
func TestSCRAMUnknownUser(t *testing.T) {
	cred, err := HashSCRAM("secret", 0)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSCRAM(strings.NewReader("alice:"+cred+"\n"), "scram")
	if err != nil {
		t.Fatal(err)
	}
	first := func(user string) (string, []byte, string) {
		out := step(t, s.start(nil, user, nil), "n,,n="+user+",r=cnonce", mqtt.ContinueAuthentication)
		return parseServerFirst(t, out)
	}
	kNonce, kSalt, kIter := first("alice")
	uNonce, uSalt, uIter := first("mallory")
	if len(kNonce) != len(uNonce) || len(kSalt) != len(uSalt) || kIter != uIter {
		t.Errorf("known user: nonce %q salt %x i=%s; unknown user: nonce %q salt %x i=%s", kNonce, kSalt, kIter, uNonce, uSalt, uIter)
	}
	if _, again, _ := first("mallory"); string(again) != string(uSalt) {
		t.Error("an unknown user's salt changes between attempts")
	}
	if _, other, _ := first("trudy"); string(other) == string(uSalt) {
		t.Error("two unknown users have the same salt")
	}
	if nonce2, _, _ := first("alice"); nonce2 == kNonce {
		t.Error("the server nonce repeats")
	}
	// The whole exchange: the client cannot tell until the end.
	if code := runSCRAM(t, s.start(v5Connect(""), "", nil), "mallory", "secret"); code != mqtt.BadUserNameOrPassword {
		t.Errorf("unknown user: %v, want BadUserNameOrPassword", code)
	}
	if code := runSCRAM(t, s.start(v5Connect(""), "", nil), "alice", "secret"); code != mqtt.Success {
		t.Errorf("known user: %v", code)
	}
}

// clientFinal computes a client-final-message by hand, for channel binding
// data and nonces a SCRAMClient would not send.
func clientFinal(t *testing.T, password, bare, serverFirst, cbind, nonce string) string {
	t.Helper()
	_, salt, _ := parseServerFirst(t, serverFirst)
	salted, err := pbkdf2.Key(sha256.New, password, salt, 4096, 32)
	if err != nil {
		t.Fatal(err)
	}
	clientKey := hmacSHA256(salted, "Client Key")
	stored := sha256.Sum256(clientKey)
	withoutProof := "c=" + cbind + ",r=" + nonce
	proof := hmacSHA256(stored[:], bare+","+serverFirst+","+withoutProof)
	subtle.XORBytes(proof, proof, clientKey)
	return withoutProof + ",p=" + base64.StdEncoding.EncodeToString(proof)
}

func TestSCRAMChannelBinding(t *testing.T) {
	s := rfcSCRAM(t)
	const bare = "n=user,r=" + rfcClientNonce
	nonce := rfcClientNonce + rfcServerNonce
	for _, tc := range []struct {
		name, gs2, cbind string
		want             mqtt.ReasonCode
	}{
		{"n with its header", "n,,", "biws", mqtt.Success},
		{"y with its header", "y,,", "eSws", mqtt.Success}, // the client could bind, the server cannot (RFC 5802 §6)
		{"n but c=y", "n,,", "eSws", mqtt.NotAuthorized},
		{"y but c=n", "y,,", "biws", mqtt.NotAuthorized},
		{"binding data appended", "n,,", base64.StdEncoding.EncodeToString([]byte("n,,data")), mqtt.NotAuthorized},
		{"not base64", "n,,", "n,,", mqtt.NotAuthorized},
	} {
		x := s.start(v5Connect(""), "", nil)
		serverFirst := step(t, x, tc.gs2+bare, mqtt.ContinueAuthentication)
		final := clientFinal(t, "pencil", bare, serverFirst, tc.cbind, nonce)
		if _, code := x.Next(context.Background(), []byte(final)); code != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, code, tc.want)
		}
	}
}

func TestSCRAMTamperedFinal(t *testing.T) {
	s := rfcSCRAM(t)
	nonce := rfcClientNonce + rfcServerNonce
	p := strings.Index(rfcClientFinal, ",p=")
	for _, tc := range []struct {
		name, final string
		want        mqtt.ReasonCode
	}{
		{"nonce without the server's part", clientFinal(t, "pencil", rfcClientFirst[3:], rfcServerFirst, "biws", rfcClientNonce), mqtt.NotAuthorized},
		{"server's part changed", clientFinal(t, "pencil", rfcClientFirst[3:], rfcServerFirst, "biws", nonce[:len(nonce)-1]+"1"), mqtt.NotAuthorized},
		{"proof changed", strings.Replace(rfcClientFinal, "p=dHzb", "p=dHzc", 1), mqtt.BadUserNameOrPassword},
		{"proof too short", strings.Replace(rfcClientFinal, "p=dHzbZapWIk4jUhN+", "p=", 1), mqtt.NotAuthorized},
		{"proof not canonical base64", strings.Replace(rfcClientFinal, "p=dHzb", "p=\ndHzb", 1), mqtt.NotAuthorized},
		{"no proof", strings.Replace(rfcClientFinal, ",p=", ",x=", 1), mqtt.NotAuthorized},
		{"order", "r=" + nonce + ",c=biws" + rfcClientFinal[p:], mqtt.NotAuthorized},
		{"m= extension", strings.Replace(rfcClientFinal, ",p=", ",m=x,p=", 1), mqtt.NotAuthorized},
		{"empty", "", mqtt.NotAuthorized},
		{"oversize", rfcClientFinal[:p] + ",x=" + strings.Repeat("y", maxSCRAMMsg) + rfcClientFinal[p:], mqtt.NotAuthorized},
		{"not UTF-8", rfcClientFinal[:p] + ",x=\xff" + rfcClientFinal[p:], mqtt.NotAuthorized},
	} {
		x := s.start(v5Connect(""), "", nil)
		step(t, x, rfcClientFirst, mqtt.ContinueAuthentication)
		if out, code := x.Next(context.Background(), []byte(tc.final)); code != tc.want || out != nil {
			t.Errorf("%s: %v %q, want %v", tc.name, code, out, tc.want)
		}
	}
	// An extension other than m= is ignored (RFC 5802 §7) but covered by
	// the proof, so it cannot be added by someone in the middle.
	x := s.start(v5Connect(""), "", nil)
	step(t, x, rfcClientFirst, mqtt.ContinueAuthentication)
	step(t, x, strings.Replace(rfcClientFinal, ",p=", ",x=y,p=", 1), mqtt.BadUserNameOrPassword)
	x = s.start(v5Connect(""), "", nil)
	step(t, x, rfcClientFirst, mqtt.ContinueAuthentication)
	withExt := clientFinal(t, "pencil", rfcClientFirst[3:], rfcServerFirst, "biws", nonce+",x=y")
	step(t, x, withExt, mqtt.Success)
}

func TestSCRAMClientFirstRefused(t *testing.T) {
	s := rfcSCRAM(t)
	for _, msg := range []string{
		"",
		"p=tls-unique,,n=user,r=abc",   // channel binding requested (RFC 5802 §6)
		"p=tls-exporter,,n=user,r=abc", // likewise
		"n,a=user,n=user,r=abc",        // authorization identity
		"n,a=,n=user,r=abc",            // an empty one, outside the syntax
		"n,,m=ext,n=user,r=abc",        // mandatory extension (§5.1)
		"n,,n=user,r=abc,m=ext",        // also refused further on
		"x,,n=user,r=abc",              // unknown gs2 flag
		"n,n=user,r=abc",               // gs2 header cut short
		"n=user,r=abc",                 // no gs2 header
		"n,,r=abc,n=user",              // order
		"n,,n=user",                    // no nonce
		"n,,n=user,r=",                 // empty nonce
		"n,,n=user,r=a b",              // space in the nonce
		"n,,n=user,r=ab\x7f",           // DEL in the nonce
		"n,,n=user,r=abc,",             // empty extension
		"n,,n=user,r=abc,1=x",          // extension name not a letter
		"n,,n=user,r=abc,xx=y",         // extension name of two letters
		"n,,n=,r=abc",                  // empty user
		"n,,n=a=b,r=abc",               // bad escape
		"n,,n=a=2c,r=abc",              // escapes are upper case
		"n,,n=a=3,r=abc",               // escape cut short
		"n,,n=a=,r=abc",                // '=' at the end
		"n,,n=us\x00er,r=abc",          // NUL
		"n,,n=\xff,r=abc",              // not UTF-8
		"n,,n=user,r=" + strings.Repeat("a", maxSCRAMMsg),         // oversize
		"n,,n=" + strings.Repeat("u", 5000) + ",r=abc",            // oversize user
		"n,,n=user,r=abc" + strings.Repeat(",x=y", maxSCRAMMsg/4), // oversize by extensions
		"c=biws,r=" + rfcClientNonce + rfcServerNonce + ",p=AAAA", // a final message first
		"\x00\x01\x02",
	} {
		x := s.start(v5Connect(""), "", nil)
		if out, code := x.Next(context.Background(), []byte(msg)); code != mqtt.NotAuthorized || out != nil {
			t.Errorf("client-first %.60q: %v %q, want NotAuthorized", msg, code, out)
		}
		// A refused exchange stays refused.
		if _, code := x.Next(context.Background(), []byte(rfcClientFinal)); code != mqtt.ProtocolError {
			t.Errorf("after refusing %.60q: %v, want ProtocolError", msg, code)
		}
	}
}

func TestSCRAMUserNames(t *testing.T) {
	for _, tc := range []struct{ escaped, user string }{
		{"user", "user"},
		{"a=2Cb", "a,b"},
		{"a=3Db", "a=b"},
		{"=3D=2C", "=,"},
		{"=3D2C", "=2C"},
		{"wörd", "wörd"},
	} {
		if got, ok := unescapeSASLName(tc.escaped); !ok || got != tc.user {
			t.Errorf("unescape %q = %q %v, want %q", tc.escaped, got, ok, tc.user)
		}
		if got := escapeSASLName(tc.user); got != tc.escaped {
			t.Errorf("escape %q = %q, want %q", tc.user, got, tc.escaped)
		}
	}
	// An extension other than m= after the nonce is accepted.
	x := rfcSCRAM(t).start(v5Connect(""), "", nil)
	step(t, x, rfcClientFirst+",x=anything", mqtt.ContinueAuthentication)
}

// The SCRAM user must be the CONNECT's User Name when it has one, and on
// re-authentication the user the client already is.
func TestSCRAMIdentityBinding(t *testing.T) {
	s := rfcSCRAM(t)
	x := s.start(v5Connect("alice"), "", nil)
	step(t, x, rfcClientFirst, mqtt.BadUserNameOrPassword)
	step(t, x, rfcClientFinal, mqtt.ProtocolError)

	// Re-authentication (no CONNECT): as the same user it succeeds, as
	// another, or from a client without a user name, it is refused.
	x = s.start(nil, "user", nil)
	step(t, x, rfcClientFirst, mqtt.ContinueAuthentication)
	if out := step(t, x, rfcClientFinal, mqtt.Success); out != rfcServerFinal {
		t.Errorf("re-authentication: %q", out)
	}
	for _, current := range []string{"bob", ""} {
		x = s.start(nil, current, nil)
		step(t, x, rfcClientFirst, mqtt.NotAuthorized)
	}
	// StartAuth with neither client nor CONNECT: a re-authentication of
	// nobody, refused.
	if _, code := s.StartAuth(nil, nil).Next(context.Background(), []byte(rfcClientFirst)); code != mqtt.NotAuthorized {
		t.Errorf("re-authentication without a client: %v", code)
	}
}

func TestSCRAMClientRefuses(t *testing.T) {
	for _, tc := range []struct{ user, password string }{
		{"", "pencil"}, {"us\x00er", "pencil"}, {"\xff", "pencil"}, {strings.Repeat("u", 3000), "pencil"},
		{"user", ""}, {"user", "pen\tcil"}, {"user", "pencil\n"}, {"user", "\xffpencil"},
	} {
		if _, err := NewSCRAMClient(tc.user, tc.password); err == nil {
			t.Errorf("NewSCRAMClient(%.20q, %q) accepted", tc.user, tc.password)
		}
	}
	newClient := func() *SCRAMClient {
		c, err := NewSCRAMClient("user", "pencil")
		if err != nil {
			t.Fatal(err)
		}
		c.nonce = rfcClientNonce
		return c
	}
	// Out of order.
	c := newClient()
	if _, err := c.Next([]byte(rfcServerFirst)); err == nil {
		t.Error("Next before First accepted")
	}
	if err := c.Verify([]byte(rfcServerFinal)); err == nil {
		t.Error("Verify before Next accepted")
	}
	for _, sf := range []string{
		"r=" + rfcClientNonce + ",s=" + rfcSalt + ",i=4096",                                                        // the server added nothing
		"r=XYZ" + rfcClientNonce + rfcServerNonce + ",s=" + rfcSalt + ",i=4096",                                    // not the client's nonce
		"r=" + rfcClientNonce + "a b,s=" + rfcSalt + ",i=4096",                                                     // not printable
		"r=" + rfcClientNonce + rfcServerNonce + ",s=" + rfcSalt + ",i=1",                                          // too few iterations (RFC 7677 §4)
		"r=" + rfcClientNonce + rfcServerNonce + ",s=" + rfcSalt + ",i=4095",                                       //
		"r=" + rfcClientNonce + rfcServerNonce + ",s=" + rfcSalt + ",i=04096",                                      // leading zero
		"r=" + rfcClientNonce + rfcServerNonce + ",s=" + rfcSalt + ",i=+4096",                                      // sign
		"r=" + rfcClientNonce + rfcServerNonce + ",s=" + rfcSalt + ",i=99999999999",                                // too many (RFC 5802 §9)
		"r=" + rfcClientNonce + rfcServerNonce + ",s=,i=4096",                                                      // no salt
		"r=" + rfcClientNonce + rfcServerNonce + ",s=W22ZaJ0SNY7soEsUEjb6gQ,i=4096",                                // salt not canonical
		"m=x,r=" + rfcClientNonce + rfcServerNonce + ",s=" + rfcSalt + ",i=4096",                                   // mandatory extension
		"r=" + rfcClientNonce + rfcServerNonce + ",s=" + rfcSalt + ",i=4096,m=x",                                   //
		"r=" + rfcClientNonce + rfcServerNonce + ",i=4096,s=" + rfcSalt,                                            // order
		"r=" + rfcClientNonce + rfcServerNonce + ",s=" + rfcSalt + ",i=4096,x=" + strings.Repeat("y", maxSCRAMMsg), // oversize
		"e=other-error",
	} {
		c := newClient()
		c.First()
		if out, err := c.Next([]byte(sf)); err == nil {
			t.Errorf("server-first %.70q accepted: %q", sf, out)
		}
		if err := c.Verify([]byte(rfcServerFinal)); err == nil {
			t.Errorf("Verify after refusing %.70q accepted", sf)
		}
	}
	for _, sf := range []string{
		strings.Replace(rfcServerFinal, "v=6", "v=7", 1),
		"v=",
		"v=" + base64.StdEncoding.EncodeToString(make([]byte, 32)),
		"e=invalid-proof",
		rfcClientFinal,
		"",
		strings.Repeat("v", 5000),
	} {
		c := newClient()
		c.First()
		if _, err := c.Next([]byte(rfcServerFirst)); err != nil {
			t.Fatal(err)
		}
		if err := c.Verify([]byte(sf)); err == nil {
			t.Errorf("server-final %.40q accepted", sf)
		}
	}
	// Extensions after the signature are ignored, and a second Verify is
	// refused.
	c = newClient()
	c.First()
	if _, err := c.Next([]byte(rfcServerFirst + ",x=ext")); err != nil {
		t.Errorf("extension after i=: %v", err)
	}
	c = newClient()
	c.First()
	c.Next([]byte(rfcServerFirst))
	if err := c.Verify([]byte(rfcServerFinal + ",x=ext")); err != nil {
		t.Errorf("extension after v=: %v", err)
	}
	if err := c.Verify([]byte(rfcServerFinal)); err == nil {
		t.Error("second Verify accepted")
	}
}

func TestParseSCRAMReportsEveryLine(t *testing.T) {
	good, err := HashSCRAM("secret", 0)
	if err != nil {
		t.Fatal(err)
	}
	iter, rest, _ := strings.Cut(strings.TrimPrefix(good, "SCRAM-SHA-256$"), ":")
	salt, keys, _ := strings.Cut(rest, "$")
	stored, server, _ := strings.Cut(keys, ":")
	mk := func(iter, salt, stored, server string) string {
		return "SCRAM-SHA-256$" + iter + ":" + salt + "$" + stored + ":" + server
	}
	file := strings.Join([]string{
		"# SCRAM users",
		"alice:" + good,
		"",
		"bob:secret",    // 4: plain text
		"carol",         // 5: no colon
		"alice:" + good, // 6: twice
		":" + good,      // 7: no user
		"dave:" + mk("1000", salt, stored, server),   // 8: too few iterations
		"erin:" + mk("x", salt, stored, server),      // 9: iterations not a number
		"frank:" + mk(iter, "", stored, server),      // 10: no salt
		"grace:" + mk(iter, salt, "AAAA", server),    // 11: short StoredKey
		"heidi:" + mk(iter, salt, stored, "!!"),      // 12: ServerKey not base64
		"ivan:SCRAM-SHA-1$4096:" + salt + "$" + keys, // 13: another mechanism
		"judy:" + vector7,                            // 14: a password hash
		"ken:SCRAM-SHA-256$" + iter + ":" + salt,     // 15: no keys
		"tab\tuser:" + good,                          // 16: control character in the name
		"  # indented comment is not a comment",      // 17
		"mallory:" + good,
	}, "\n")
	_, err = NewSCRAM(strings.NewReader(file), "scram")
	if err == nil {
		t.Fatal("no error")
	}
	var lines []int
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var le *LineError
		if !errors.As(e, &le) || le.File != "scram" {
			t.Fatalf("error %v is not a LineError of scram", e)
		}
		lines = append(lines, le.Line)
	}
	if got, want := lines, []int{4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17}; !equalInts(got, want) {
		t.Errorf("errors on lines %v, want %v:\n%v", got, want, err)
	}
	for _, msg := range []string{
		`scram:8: user "dave": iterations "1000": want 4096`,
		`scram:14: user "judy": a password hash, not a SCRAM-SHA-256 credential`,
		`scram:11: user "grace": StoredKey is not 32 bytes`,
	} {
		if !strings.Contains(err.Error(), msg) {
			t.Errorf("no %q in:\n%v", msg, err)
		}
	}
}

func TestSCRAMReload(t *testing.T) {
	path := filepath.Join(t.TempDir(), "scram")
	salt, _ := base64.StdEncoding.DecodeString(rfcSalt)
	cred, err := scramCredential("pencil", salt, 4096)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(path, []byte("user:"+cred+"\n"), 0o600)
	s, err := LoadSCRAM(path)
	if err != nil {
		t.Fatal(err)
	}
	s.nonce = func() string { return rfcServerNonce }
	login := func() mqtt.ReasonCode {
		x := s.start(v5Connect(""), "", nil)
		step(t, x, rfcClientFirst, mqtt.ContinueAuthentication)
		_, code := x.Next(context.Background(), []byte(rfcClientFinal))
		return code
	}
	other, _ := HashSCRAM("other", 0)
	os.WriteFile(path, []byte("bob:"+other+"\nbroken\nuser:$7$1$x$y\n"), 0o600)
	err = s.Reload()
	if err == nil || !strings.Contains(err.Error(), path+":2:") || !strings.Contains(err.Error(), path+":3:") {
		t.Fatalf("a broken file reloaded with error %v, want lines 2 and 3", err)
	}
	if s.Len() != 1 || login() != mqtt.Success {
		t.Fatal("a failed reload dropped the users in force")
	}
	// An exchange started before a reload keeps its credential.
	x := s.start(v5Connect(""), "", nil)
	step(t, x, rfcClientFirst, mqtt.ContinueAuthentication)
	os.WriteFile(path, []byte("bob:"+other+"\n"), 0o600)
	if err := s.Reload(); err != nil {
		t.Fatal(err)
	}
	step(t, x, rfcClientFinal, mqtt.Success)
	if login() != mqtt.BadUserNameOrPassword {
		t.Error("user still accepted after the reload removed them")
	}
	if _, err := LoadSCRAM(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("a missing file loaded")
	}
	if err := (&SCRAM{}).Reload(); err == nil {
		t.Error("Reload without a path succeeded")
	}
}

// Exchanges run while the credentials are reloaded (for the race detector).
func TestSCRAMConcurrentReload(t *testing.T) {
	path := filepath.Join(t.TempDir(), "scram")
	cred, _ := HashSCRAM("secret", 0)
	os.WriteFile(path, []byte("alice:"+cred+"\n"), 0o600)
	s, err := LoadSCRAM(path)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 3 {
				if code := runSCRAM(t, s.start(v5Connect(""), "", nil), "alice", "secret"); code != mqtt.Success {
					t.Errorf("exchange during reloads: %v", code)
				}
			}
		})
	}
	for range 10 {
		if err := s.Reload(); err != nil {
			t.Error(err)
		}
	}
	wg.Wait()
}
