package auth

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync/atomic"
)

// ruleFile holds what was parsed from a file (users, rules) for Passwords,
// SCRAM and ACL: reload parses the file again and swaps the result in at
// once, keeping what is in force when the file has errors.
type ruleFile[T any] struct {
	what  string // "password file", in errors
	path  string // "" when read from an io.Reader
	parse func(io.Reader, string) (T, error)
	cur   atomic.Pointer[T]
}

// load reads the file at path.
func (f *ruleFile[T]) load(path string) error {
	f.path = path
	return f.reload()
}

// read parses r (named name in errors) once; reload then has no file.
func (f *ruleFile[T]) read(r io.Reader, name string) error {
	v, err := f.parse(r, name)
	if err != nil {
		return err
	}
	f.cur.Store(&v)
	return nil
}

func (f *ruleFile[T]) reload() error {
	if f.path == "" {
		return errors.New("auth: " + f.what + " was not loaded from a path")
	}
	v, err := parseFile(f.path, f.parse)
	if err != nil {
		return err
	}
	f.cur.Store(&v)
	return nil
}

// get returns what is in force, nil before anything was loaded.
func (f *ruleFile[T]) get() *T { return f.cur.Load() }

// parseFile opens path and parses it with parse.
func parseFile[T any](path string, parse func(io.Reader, string) (T, error)) (T, error) {
	fh, err := os.Open(path)
	if err != nil {
		var zero T
		return zero, fmt.Errorf("auth: %w", err)
	}
	defer fh.Close()
	return parse(fh, path)
}
