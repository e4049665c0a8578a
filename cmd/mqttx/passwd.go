package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"

	"github.com/mqttx/mqttx/mqtt/server/auth"
)

// passwd is "mqttx passwd": create or update a password file that both
// mqttx and Mosquitto read, or with --scram a SCRAM-SHA-256 credentials
// file ([auth.SCRAM]). A file of one kind is never edited as the other.
func passwd(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("passwd", flag.ContinueOnError)
	fs.SetOutput(stderr)
	create := fs.Bool("c", false, "create the file (overwriting one that exists)")
	del := fs.Bool("D", false, "delete the user instead of setting a password")
	batch := fs.Bool("b", false, "take the password from the command line (otherwise the first line of standard input)")
	iterations := fs.Int("iterations", 0, fmt.Sprintf("PBKDF2 iterations (default %d for a $7$ hash, %d with --scram)", auth.DefaultIterations, auth.DefaultSCRAMIterations))
	useBcrypt := fs.Bool("bcrypt", false, "write a bcrypt hash instead (read by mqttx, not by Mosquitto)")
	scram := fs.Bool("scram", false, "write SCRAM-SHA-256 credentials (for MQTT 5 enhanced authentication) instead of password hashes")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: mqttx passwd [-c] [-D] [-b] [--iterations N] [--bcrypt | --scram] FILE USER [PASSWORD]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	want := 2
	if *batch {
		want = 3
	}
	if fs.NArg() != want || (*del && *batch) || (*del && *create) || (*scram && *useBcrypt) {
		fs.Usage()
		return 2
	}
	file, user := fs.Arg(0), fs.Arg(1)
	if user == "" || strings.ContainsAny(user, ":\r\n") {
		fmt.Fprintln(stderr, "mqttx passwd: a user name may not be empty or hold ':' or a line break")
		return 2
	}
	if *scram && (!utf8.ValidString(user) || strings.IndexFunc(user, unicode.IsControl) >= 0) {
		fmt.Fprintln(stderr, "mqttx passwd: a SCRAM user name must be UTF-8 without control characters")
		return 2
	}
	var lines []string
	if !*create {
		data, err := os.ReadFile(file)
		if err != nil {
			fmt.Fprintln(stderr, "mqttx passwd:", err)
			return 1
		}
		if text := strings.TrimRight(string(data), "\n"); text != "" {
			lines = strings.Split(text, "\n")
		}
	}
	found := -1
	for i, l := range lines {
		if strings.HasPrefix(l, "#") || strings.TrimSpace(l) == "" {
			continue
		}
		u, cred, ok := strings.Cut(l, ":")
		if ok && strings.HasPrefix(cred, auth.SCRAMSHA256+"$") != *scram {
			if *scram {
				fmt.Fprintf(stderr, "mqttx passwd: %s:%d is not a SCRAM-SHA-256 credential; is %s a password file?\n", file, i+1, file)
			} else {
				fmt.Fprintf(stderr, "mqttx passwd: %s:%d is a SCRAM-SHA-256 credential; edit %s with --scram\n", file, i+1, file)
			}
			return 1
		}
		if ok && u == user {
			found = i
		}
	}
	if *del {
		if found < 0 {
			fmt.Fprintf(stderr, "mqttx passwd: no user %q in %s\n", user, file)
			return 1
		}
		lines = append(lines[:found], lines[found+1:]...)
	} else {
		var password string
		if *batch {
			password = fs.Arg(2)
		} else {
			line, err := bufio.NewReader(stdin).ReadString('\n')
			if err != nil && (err != io.EOF || line == "") {
				fmt.Fprintln(stderr, "mqttx passwd: reading the password from standard input:", err)
				return 1
			}
			password = strings.TrimRight(line, "\r\n")
		}
		if password == "" {
			fmt.Fprintln(stderr, "mqttx passwd: empty password")
			return 2
		}
		var hash string
		var err error
		switch {
		case *scram:
			hash, err = auth.HashSCRAM(password, *iterations)
		case *useBcrypt:
			var b []byte
			b, err = bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
			hash = string(b)
		default:
			hash, err = auth.HashPassword(password, *iterations)
		}
		if err != nil {
			fmt.Fprintln(stderr, "mqttx passwd:", err)
			return 1
		}
		if found >= 0 {
			lines[found] = user + ":" + hash
		} else {
			lines = append(lines, user+":"+hash)
		}
	}
	if err := writeFileAtomic(file, []byte(strings.Join(lines, "\n")+"\n")); err != nil {
		fmt.Fprintln(stderr, "mqttx passwd:", err)
		return 1
	}
	return 0
}

// writeFileAtomic replaces path with data (mode 0600), so a broker that
// reloads the file never reads half of it.
func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".passwd-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
