package conformance

import (
	_ "embed"
	"fmt"
	"strings"
)

// Statement is one numbered normative statement of a specification, as
// the catalogue keeps it: its id, who it binds, a summary in our own words,
// and why no check proves it, when none does.
type Statement struct {
	Version    string // "v5" or "v3.1.1"
	ID         string // "MQTT-3.3.1-4"
	Role       string // server, client, both or codec
	Summary    string
	Untestable string
}

// Qualified is the version-qualified id, "v5/MQTT-3.3.1-4".
func (s Statement) Qualified() string { return s.Version + "/" + s.ID }

//go:embed statements.tsv
var catalogTSV string

// Catalog returns every statement of both specifications, in spec order,
// MQTT 5.0 first.
func Catalog() ([]Statement, error) {
	var out []Statement
	for n, line := range strings.Split(catalogTSV, "\n") {
		if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "version\t") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 5 {
			return nil, fmt.Errorf("statements.tsv:%d: %d fields, want 5", n+1, len(f))
		}
		out = append(out, Statement{Version: f[0], ID: f[1], Role: f[2], Summary: f[3], Untestable: f[4]})
	}
	return out, nil
}
