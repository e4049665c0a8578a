package packet

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"
)

// validStringRef is the definition ValidString implements.
func validStringRef(s string) bool {
	return len(s) <= 0xffff && utf8.ValidString(s) && !strings.ContainsRune(s, 0)
}

func TestValidString(t *testing.T) {
	tests := []struct {
		s    string
		want bool
	}{
		{"", true},
		{"a/b/c", true},
		{"é", true},
		{"\u00e9\u4e16\U0001F600", true},
		{"\xef\xbb\xbf", true}, // U+FEFF is a character like any other [MQTT-1.5.4-3]
		{"\uffff", true},       // a non-character is allowed
		{"\x7f", true},
		{"\x00", false},
		{"a\x00", false},
		{"abcdefgh\x00", false},
		{"é\x00", false},
		{"\xed\xa0\x80", false}, // U+D800
		{"\xed\xbf\xbf", false}, // U+DFFF
		{"\xff", false},
		{"abcdefghij\xff", false},
		{"\xc0\x80", false}, // overlong NUL
		{"\xf4\x90\x80\x80", false},
		{strings.Repeat("a", 0xffff), true},
		{strings.Repeat("a", 0x10000), false},
	}
	for _, tc := range tests {
		if got := ValidString(tc.s); got != tc.want {
			t.Errorf("ValidString(%q) = %v, want %v", tc.s[:min(len(tc.s), 20)], got, tc.want)
		}
	}
}

// TestValidStringEveryPosition puts each kind of bad byte, and each
// wildcard, at every position of strings around the eight-byte words the
// fast paths read, and compares with the plain definitions.
func TestValidStringEveryPosition(t *testing.T) {
	inserts := []string{"\x00", "\xff", "\x80", "\xed\xa0\x80", "é", "+", "#", "\x7f", "\x01", "*", "\u4e16"}
	for n := 0; n <= 40; n++ {
		for pos := 0; pos <= n; pos++ {
			for _, in := range inserts {
				s := strings.Repeat("a", pos) + in + strings.Repeat("b", n-pos)
				checkStringFuncs(t, s)
			}
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := []byte("ab/+#\x00\x7f\x80\xc3\xa9\xed\xa0\xff")
	for range 20000 {
		b := make([]byte, r.IntN(40))
		for i := range b {
			if r.IntN(8) == 0 {
				b[i] = alphabet[r.IntN(len(alphabet))]
			} else {
				b[i] = 'a' + byte(r.IntN(26))
			}
		}
		checkStringFuncs(t, string(b))
	}
}

func checkStringFuncs(t *testing.T, s string) {
	t.Helper()
	want := validStringRef(s)
	wild := strings.ContainsAny(s, "+#")
	if got := ValidString(s); got != want {
		t.Fatalf("ValidString(%q) = %v, want %v", s, got, want)
	}
	if got := validBytes([]byte(s)); got != want {
		t.Fatalf("validBytes(%q) = %v, want %v", s, got, want)
	}
	if ok, w := scanTopic(s); ok != want || w != wild {
		t.Fatalf("scanTopic(%q) = %v, %v; want %v, %v", s, ok, w, want, wild)
	}
	if got := hasWildcard(s); got != wild {
		t.Fatalf("hasWildcard(%q) = %v, want %v", s, got, wild)
	}
}

func TestAppendHelpers(t *testing.T) {
	if got := AppendUint16(nil, 0x1234); !bytes.Equal(got, []byte{0x12, 0x34}) {
		t.Errorf("AppendUint16 = % x", got)
	}
	if got := AppendUint32(nil, 0x12345678); !bytes.Equal(got, []byte{0x12, 0x34, 0x56, 0x78}) {
		t.Errorf("AppendUint32 = % x", got)
	}
	if got := AppendString(nil, "ab"); !bytes.Equal(got, []byte{0, 2, 'a', 'b'}) {
		t.Errorf("AppendString = % x", got)
	}
	if got := AppendString(nil, "\xff"); !bytes.Equal(got, []byte{0, 1, 0xff}) {
		t.Errorf("AppendString of an invalid string = % x; it writes as given", got)
	}
	if got := AppendBinary(nil, []byte{0, 1}); !bytes.Equal(got, []byte{0, 2, 0, 1}) {
		t.Errorf("AppendBinary = % x", got)
	}
}
