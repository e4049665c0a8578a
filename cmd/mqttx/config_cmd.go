package main

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/mqttx/mqttx/mqtt/server/auth"
)

// The config command (check and print), serve's usage and
// docs/configuration.md, all written from the table in config.go.

func configUsage(w io.Writer) {
	fmt.Fprint(w, `usage: mqttx config check FILE ...
       mqttx config print [FILE] [serve flags]

check reads each configuration FILE of mqttx serve and prints every
problem in it as FILE:LINE:COL: message, with those of the password and
ACL files it names (FILE:LINE: message): unknown keys, wrong types,
values out of range, bad listen URLs, settings that need each other,
files that cannot be read or do not parse. It exits with status 1 when it
found a problem, and prints "FILE: ok (N settings)" otherwise.

print (or show) prints the configuration mqttx serve would run with, as
YAML, every setting with its value and where that came from: the
defaults, FILE (or MQTTX_CONFIG), the environment, then the flags, which
are serve's ("mqttx serve --help").

docs/configuration.md lists every setting.
`)
}

// configCmd is the config command; it returns the exit code.
func configCmd(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		configUsage(stderr)
		return 2
	}
	switch args[0] {
	case "check":
		return configCheck(args[1:], stdout, stderr)
	case "print", "show":
		return configPrint(args[1:], stdout, stderr)
	case "help", "-h", "--help":
		configUsage(stdout)
		return 0
	}
	fmt.Fprintf(stderr, "mqttx config: unknown subcommand %q\n", args[0])
	configUsage(stderr)
	return 2
}

func configCheck(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("config check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { configUsage(fs.Output()) }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() == 0 {
		fmt.Fprintln(stderr, "mqttx config check: no FILE given")
		configUsage(stderr)
		return 2
	}
	code := 0
	for _, path := range fs.Args() {
		n, ps := checkConfigFile(path)
		for _, p := range ps {
			fmt.Fprintln(stdout, p)
		}
		if len(ps) > 0 {
			code = 1
			continue
		}
		fmt.Fprintf(stdout, "%s: ok (%d settings)\n", path, n)
	}
	return code
}

// checkConfigFile checks the configuration file at path as serve would
// read it with no environment variables or flags, and the files it
// names; it returns the number of settings in it and the problems,
// those of the configuration file first, by position.
func checkConfigFile(path string) (int, []configProblem) {
	file, ps := readConfigFile(path)
	_, bps := buildConfig(mergeLayers(defaultLayer, file))
	ps = append(ps, bps...)
	ps = append(ps, checkFiles(file)...)
	sortProblems(ps, path)
	return len(file), ps
}

// checkFiles checks that the files l names can be read and, for the
// password and ACL files and the TLS certificates, that they parse.
func checkFiles(l configLayer) []configProblem {
	var ps []configProblem
	content := make(map[string][]byte)
	readable := func(key string) (*setting, configValue, bool) {
		s := settingByKey[key]
		v, ok := l[s]
		if !ok || v.broken || v.v == "" {
			return s, v, false
		}
		data, err := os.ReadFile(v.v.(string))
		if err != nil {
			ps = append(ps, v.at.problem("%s: cannot read it: %s", v.at.show(s, v.v.(string), true), pathErr(err)))
			return s, v, false
		}
		content[key] = data
		return s, v, true
	}
	for _, f := range []struct {
		key  string
		load func(string) error
	}{
		{"password_file", func(p string) error { _, err := auth.LoadPasswords(p); return err }},
		{"scram_file", func(p string) error { _, err := auth.LoadSCRAM(p); return err }},
		{"acl_file", func(p string) error { _, err := auth.LoadACL(p); return err }},
	} {
		if s, v, ok := readable(f.key); ok {
			ps = append(ps, fileProblems(f.load(v.v.(string)), s, v)...)
		}
	}
	cs, cert, certOK := readable("tls_cert")
	ks, key, keyOK := readable("tls_key")
	if certOK && keyOK {
		if _, err := tls.X509KeyPair(content["tls_cert"], content["tls_key"]); err != nil {
			ps = append(ps, cert.at.problem("%s with %s: %v", cert.at.show(cs, cert.v.(string), true), cert.at.show(ks, key.v.(string), true), err))
		}
	}
	if s, v, ok := readable("tls_client_ca"); ok && !x509.NewCertPool().AppendCertsFromPEM(content["tls_client_ca"]) {
		ps = append(ps, v.at.problem("%s: no PEM certificates in it", v.at.show(s, v.v.(string), true)))
	}
	return ps
}

// fileProblems turns the error of loading the file v names into
// problems: one per line of the file for its *auth.LineError.
func fileProblems(err error, s *setting, v configValue) []configProblem {
	if err == nil {
		return nil
	}
	errs := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	}
	var ps []configProblem
	for _, e := range errs {
		var le *auth.LineError
		if errors.As(e, &le) {
			ps = append(ps, configProblem{file: le.File, line: le.Line, msg: le.Msg})
			continue
		}
		ps = append(ps, v.at.problem("%s: %v", v.at.show(s, v.v.(string), true), e))
	}
	return ps
}

func configPrint(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		args = append([]string{"--config", args[0]}, args[1:]...)
	}
	_, m, err := loadConfig("config print", args, os.LookupEnv, stderr)
	var uerr usageError
	var ps configProblems
	switch {
	case err == nil:
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ps):
		for _, p := range ps {
			fmt.Fprintln(stderr, p)
		}
		return 1
	case errors.As(err, &uerr) && uerr.printed:
		return 2
	default:
		fmt.Fprintln(stderr, "mqttx config print:", err)
		return 2
	}
	stdout.Write(configYAML(m))
	return 0
}

// configYAML writes the values m as a configuration file, in the order of
// the table, each with a comment saying where it came from.
func configYAML(m configLayer) []byte {
	root := &yaml.Node{Kind: yaml.MappingNode}
	section := ""
	for _, s := range settings {
		v := m[s]
		k := &yaml.Node{Kind: yaml.ScalarNode, Value: s.key}
		if s.section != section {
			section = s.section
			k.HeadComment = "# " + section
		}
		n := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str"}
		switch x := v.v.(type) {
		case []listenItem:
			n = &yaml.Node{Kind: yaml.SequenceNode}
			for _, it := range x {
				n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: it.url.URL})
			}
		case string:
			n.Value = x
			if _, err := strconv.Atoi(x); err == nil && s.kind == kindEnum {
				n.Tag = "" // max_qos: 1, not "1"
			}
		case bool:
			n.Tag, n.Value = "", strconv.FormatBool(x)
		case int64:
			n.Tag, n.Value = "", strconv.FormatInt(x, 10)
		case float64:
			n.Tag, n.Value = "", strconv.FormatFloat(x, 'g', -1, 64)
		case time.Duration:
			n.Value = x.String()
		}
		comment := v.at.describe(s)
		if s.zero != "" && (n.Value == "0" || n.Value == "0s") {
			comment += "; 0 means " + s.zero
		}
		if n.Kind == yaml.SequenceNode {
			k.LineComment = "# " + comment
		} else {
			n.LineComment = "# " + comment
		}
		root.Content = append(root.Content, k, n)
	}
	doc := &yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{root},
		HeadComment: "# mqttx serve: the effective configuration (defaults < file < environment < flags)"}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		panic(err) // nodes made above
	}
	enc.Close()
	return buf.Bytes()
}

// metaName is the placeholder of the flag's value in the usage.
func (s *setting) metaName() string {
	if s.meta != "" {
		return s.meta
	}
	return map[settingKind]string{kindString: "text", kindPath: "file", kindInt: "n", kindFloat: "number", kindDuration: "duration", kindEnum: "value", kindList: "URL"}[s.kind]
}

// printServeUsage writes serve's usage: every setting as a flag, with its
// default and its environment variable.
func printServeUsage(w io.Writer) {
	fmt.Fprintf(w, `usage: mqttx serve [--config FILE] [flags]

serve runs an MQTT 3.1, 3.1.1 and 5.0 broker on every --listen URL until
SIGINT or SIGTERM, then shuts down gracefully; a second signal closes
every connection at once. SIGHUP reloads the password file, the ACL file
and the TLS certificates.

Every setting below is a flag (one or two dashes), an environment
variable (%sNAME) and a key of the YAML configuration file that
--config or %s names (name_in_snake_case). The flags win over
the environment, the environment over the file, the file over the
defaults. With no configuration, serve listens on %s.
A limit left at 0 takes the server's default, named in its description.
"mqttx config check FILE" checks a configuration file;
docs/configuration.md lists every setting.

  --config file
    	YAML configuration file (env %s)
`, envPrefix, configEnv, defaultListen, configEnv)
	flagName := func(s *setting) string { return "--" + s.flag() }
	for _, sec := range settingSections {
		fmt.Fprintf(w, "\n%s:\n", sec)
		for _, s := range settings {
			if s.section != sec {
				continue
			}
			head := "  --" + s.flag()
			if s.kind != kindBool {
				head += " " + s.metaName()
			}
			var extra []string
			if s.def != "" {
				extra = append(extra, "default "+s.def)
			}
			extra = append(extra, "env "+s.env())
			fmt.Fprintf(w, "%s\n    \t%s (%s)\n", head, s.describe(flagName), strings.Join(extra, "; "))
		}
	}
}

// configurationDoc writes docs/configuration.md; example is the example
// file, docs/mqttx.example.yaml.
func configurationDoc(example []byte) string {
	var b strings.Builder
	b.WriteString(`# Configuring mqttx serve

<!-- Generated from the table of settings in cmd/mqttx/config.go by
TestConfigurationDoc; edit the table, then run
"go test ./cmd/mqttx/ -run TestConfigurationDoc -update". -->

` + "`mqttx serve`" + ` takes each setting from the first of these that gives it:

1. a command-line flag: ` + "`--max-connections 5000`" + ` (one dash or two);
2. an environment variable: ` + "`MQTTX_MAX_CONNECTIONS=5000`" + `;
3. the YAML configuration file named by ` + "`--config FILE`" + ` or ` + "`MQTTX_CONFIG`" + `:
   ` + "`max_connections: 5000`" + `;
4. the built-in default.

So flags override the environment, which overrides the file, which
overrides the defaults. A flag given on the command line wins even when it
repeats the default. Each setting has all three names: the file's key in
snake_case, the flag in kebab-case, the variable ` + "`MQTTX_`" + ` and the key in upper
case.

With no configuration at all, ` + "`mqttx serve`" + ` listens on
` + "`" + defaultListen + "`" + `, reachable from this machine only, and says so in its
log. Without a password file it accepts every client there, with or
without a user name. Every start logs where the configuration came from
and each listener.

## The configuration file

- One YAML mapping of keys to values, as in the example below; every key
  is optional. An unknown key is an error (with the known key it is
  closest to), so is a key given twice.
- Durations are written with a unit: ` + "`10s`, `1m30s`, `250ms`, `2h`" + ` (` + "`0`" + ` alone
  is allowed). Integers, numbers and booleans (` + "`true`, `false`" + `) are plain
  YAML scalars; a quoted ` + "`\"10\"`" + ` is a string and is refused where an
  integer is wanted.
- ` + "`listen`" + ` takes a list of URLs (or one URL). A source replaces the
  whole list given by the ones below it: ` + "`--listen`" + ` flags replace the
  file's list, they do not add to it. In the environment,
  ` + "`MQTTX_LISTEN`" + ` is a comma-separated list.
- A relative file name (` + "`password_file`, `scram_file`, `acl_file`, `tls_*`" + `) is taken from
  the directory of the configuration file; in a flag or a variable, from
  the working directory.
- For the limits, 0 takes the server's default, given in parentheses in
  the table; for the protections a negative value turns the limit off.

` + "`mqttx config check FILE`" + ` reports every problem, one per line, as
` + "`FILE:LINE:COL: message`" + `: unknown keys, wrong types, bad values, bad
listen URLs, settings that need each other (a ` + "`tls://`" + ` listener without
` + "`tls_cert`" + `), files that cannot be read, and each bad line of the password
and ACL files, as ` + "`users.txt:3: message`" + `. It exits with status 1
when it found a problem, 0 and ` + "`FILE: ok (N settings)`" + ` otherwise.
` + "`mqttx serve`" + ` refuses to start on a problem too, and reports every one
found in its configuration file, environment and flags at once (exit
status 2); the files named are read after that.

` + "`mqttx config print [FILE] [flags]`" + ` prints the configuration ` + "`mqttx serve`" + `
would run with, every setting with its value and where it came from: a
starting point for a file.

## The environment

An empty variable counts as unset. Booleans take ` + "`true`, `false`, `1`, `0`" + `
(and the other spellings of Go's strconv.ParseBool).

## Reloading

SIGHUP reloads the password file, the ACL file and the TLS certificate,
key and client CA files, wherever they were named; connections stay open,
and a file that fails to load is logged while the one in force is kept.
The other settings, and the configuration file itself, are read at start
only.

## Settings
`)
	docName := func(s *setting) string { return "`" + s.key + "`" }
	cell := func(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
	for _, sec := range settingSections {
		fmt.Fprintf(&b, "\n### %s\n\n", sec)
		b.WriteString("| key | flag | environment | type | default | description |\n|---|---|---|---|---|---|\n")
		for _, s := range settings {
			if s.section != sec {
				continue
			}
			typ := s.kind.typeName()
			switch s.kind {
			case kindEnum:
				typ = "`" + strings.Join(s.enum, "` \\| `") + "`"
			case kindList:
				typ = "list of URLs"
			}
			def := "`" + s.def + "`"
			switch {
			case s.def == "" && s.kind == kindPath:
				def = "none"
			case s.def == "":
				def = "empty"
			case s.kind == kindList:
				def = "`[" + s.def + "]`"
			}
			if s.zero != "" {
				def += " (" + s.zero + ")"
			}
			fmt.Fprintf(&b, "| `%s` | `--%s` | `%s` | %s | %s | %s |\n", s.key, s.flag(), s.env(), typ, def, cell(s.describe(docName)))
		}
	}
	b.WriteString("\n## Example\n\n`docs/mqttx.example.yaml`, which `mqttx config check` finds no problem in:\n\n```yaml\n")
	b.Write(example)
	b.WriteString("```\n")
	return b.String()
}
