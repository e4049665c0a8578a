package conformance

import (
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// scramMethod is the Authentication Method of the enhanced authentication
// checks: SCRAM-SHA-256 (RFC 5802 with the hash of RFC 7677).
const scramMethod = "SCRAM-SHA-256"

// scramMaxIterations bounds the iteration count the suite's client accepts
// from a broker, so that a broker asking for a huge one fails the check
// rather than stalling it.
const scramMaxIterations = 1 << 20

// scramClient is the client's side of one SCRAM-SHA-256 exchange, as the
// enhanced authentication checks run it over CONNECT, AUTH and CONNACK:
// first is the client-first-message, final answers the
// server-first-message with the client-final-message, and verify checks
// the server-final-message (the server's signature). No channel binding
// (gs2 header "n,,"); the password is used as its UTF-8 bytes.
type scramClient struct {
	user, password string
	nonce          string
	bare           string // client-first-message-bare
	serverSig      []byte // what verify expects
}

func newSCRAMClient(user, password string) *scramClient {
	b := make([]byte, 18)
	rand.Read(b)
	return &scramClient{user: user, password: password, nonce: base64.StdEncoding.EncodeToString(b)}
}

// first returns the client-first-message.
func (s *scramClient) first() []byte {
	s.bare = "n=" + strings.NewReplacer("=", "=3D", ",", "=2C").Replace(s.user) + ",r=" + s.nonce
	return []byte("n,," + s.bare)
}

// final takes the server-first-message and returns the
// client-final-message with the proof computed from the password.
func (s *scramClient) final(serverFirst []byte) ([]byte, error) {
	msg := string(serverFirst)
	f := strings.Split(msg, ",")
	if len(f) < 3 || !strings.HasPrefix(f[0], "r=") || !strings.HasPrefix(f[1], "s=") || !strings.HasPrefix(f[2], "i=") {
		return nil, fmt.Errorf("not a SCRAM server-first-message (r=…,s=…,i=…): %.100q", msg)
	}
	nonce := f[0][2:]
	if len(nonce) <= len(s.nonce) || !strings.HasPrefix(nonce, s.nonce) {
		return nil, fmt.Errorf("the server's nonce %.60q does not extend the client's %q", nonce, s.nonce)
	}
	salt, err := base64.StdEncoding.DecodeString(f[1][2:])
	if err != nil || len(salt) == 0 {
		return nil, fmt.Errorf("salt %.60q is not base64", f[1][2:])
	}
	iter, err := strconv.Atoi(f[2][2:])
	if err != nil || iter < 1 || iter > scramMaxIterations {
		return nil, fmt.Errorf("iteration count %.12q: want 1 to %d", f[2][2:], scramMaxIterations)
	}
	salted, err := pbkdf2.Key(sha256.New, s.password, salt, iter, sha256.Size)
	if err != nil {
		return nil, err
	}
	clientKey := scramHMAC(salted, "Client Key")
	storedKey := sha256.Sum256(clientKey)
	withoutProof := "c=" + base64.StdEncoding.EncodeToString([]byte("n,,")) + ",r=" + nonce
	authMessage := s.bare + "," + msg + "," + withoutProof
	proof := scramHMAC(storedKey[:], authMessage)
	subtle.XORBytes(proof, proof, clientKey)
	s.serverSig = scramHMAC(scramHMAC(salted, "Server Key"), authMessage)
	return []byte(withoutProof + ",p=" + base64.StdEncoding.EncodeToString(proof)), nil
}

// verify checks the server-final-message: "v=" and the signature only a
// holder of the user's credential can compute.
func (s *scramClient) verify(serverFinal []byte) error {
	msg, _, _ := strings.Cut(string(serverFinal), ",")
	if !strings.HasPrefix(msg, "v=") {
		return fmt.Errorf("not a SCRAM server-final-message (v=…): %.100q", serverFinal)
	}
	sig, err := base64.StdEncoding.DecodeString(msg[2:])
	if err != nil || s.serverSig == nil || !hmac.Equal(sig, s.serverSig) {
		return errors.New("the server signature does not verify")
	}
	return nil
}

func scramHMAC(key []byte, msg string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}
