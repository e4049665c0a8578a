package main

import (
	"bytes"
	"cmp"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// How serve's configuration is put together from the table in config.go:
// the defaults, then the configuration file, then the environment, then
// the flags, each source overriding the ones before it. Every problem of
// every source is collected, with its place, before serve gives up.

// A configSource is where a value comes from.
type configSource int

const (
	fromDefault configSource = iota
	fromFile
	fromEnv
	fromFlag
)

// An origin is the place of a value: its source and, in a file, the
// position of the value.
type origin struct {
	src       configSource
	file      string
	line, col int
}

// name returns the name of s in the origin's source: the key in a file,
// the variable in the environment, the flag otherwise.
func (o origin) name(s *setting) string {
	switch o.src {
	case fromFile:
		return s.key
	case fromEnv:
		return s.env()
	}
	return "--" + s.flag()
}

// show returns s set to raw as the origin's source writes it, for
// messages; quote quotes raw.
func (o origin) show(s *setting, raw string, quote bool) string {
	if quote {
		raw = strconv.Quote(raw)
	}
	if o.src == fromEnv {
		return s.env() + "=" + raw
	}
	return o.name(s) + " " + raw
}

// problem returns a problem at the origin.
func (o origin) problem(format string, a ...any) configProblem {
	return configProblem{file: o.file, line: o.line, col: o.col, msg: fmt.Sprintf(format, a...)}
}

// describe says where a value of s comes from, for "mqttx config print".
func (o origin) describe(s *setting) string {
	switch o.src {
	case fromFile:
		return fmt.Sprintf("%s:%d", o.file, o.line)
	case fromEnv:
		return s.env()
	case fromFlag:
		return "--" + s.flag()
	}
	return "default"
}

// A configProblem is one mistake in the configuration, at a place when
// it has one: a line (and column) of the configuration file, or of a
// password or ACL file it names.
type configProblem struct {
	file      string // "" for the environment and the command line
	line, col int    // 0 when not known
	msg       string
}

func (p configProblem) String() string {
	switch {
	case p.file == "":
		return p.msg
	case p.line == 0:
		return fmt.Sprintf("%s: %s", p.file, p.msg)
	case p.col == 0:
		return fmt.Sprintf("%s:%d: %s", p.file, p.line, p.msg)
	}
	return fmt.Sprintf("%s:%d:%d: %s", p.file, p.line, p.col, p.msg)
}

// configProblems is the error of a configuration with problems: one
// line each.
type configProblems []configProblem

func (ps configProblems) Error() string {
	lines := make([]string, len(ps))
	for i, p := range ps {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// A configValue is a setting's value from one source.
type configValue struct {
	v      any // string, bool, int64, float64, time.Duration or []listenItem, by the setting's kind
	at     origin
	broken bool // given with a problem: v is not to be used
}

// A listenItem is one listen URL and where it was given.
type listenItem struct {
	url listenURL
	at  origin
}

// A configLayer holds the values one source gives.
type configLayer map[*setting]configValue

// mergeLayers returns the values of the layers, each overriding the ones
// before it.
func mergeLayers(layers ...configLayer) configLayer {
	m := make(configLayer, len(settings))
	for _, l := range layers {
		for s, v := range l {
			m[s] = v
		}
	}
	return m
}

// defaultLayer is the layer of the built-in defaults.
var defaultLayer = func() configLayer {
	l := make(configLayer, len(settings))
	at := origin{src: fromDefault}
	for _, s := range settings {
		var v any
		var err error
		if s.kind == kindList {
			var u listenURL
			u, err = parseListen(s.def)
			v = []listenItem{{url: u, at: at}}
		} else if v, err = s.parseText(s.def); err == nil {
			err = s.check(v)
		}
		if err != nil {
			panic(fmt.Sprintf("setting %s: default %q: %v", s.key, s.def, err))
		}
		l[s] = configValue{v: v, at: at}
	}
	return l
}()

// parseText parses raw, a value of s from a flag or an environment
// variable (not a list).
func (s *setting) parseText(raw string) (any, error) {
	switch s.kind {
	case kindBool:
		b, err := strconv.ParseBool(raw)
		if err != nil {
			return nil, errors.New("want true or false")
		}
		return b, nil
	case kindInt:
		i, err := strconv.ParseInt(raw, 0, 64)
		if errors.Is(err, strconv.ErrRange) {
			return nil, errors.New("out of range")
		}
		if err != nil {
			return nil, errors.New("want an integer")
		}
		return i, nil
	case kindFloat:
		f, err := strconv.ParseFloat(raw, 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return nil, errors.New("want a number")
		}
		return f, nil
	case kindDuration:
		d, err := time.ParseDuration(raw)
		if err != nil {
			return nil, errors.New("want a duration such as 10s, 1m30s or 250ms")
		}
		return d, nil
	case kindEnum:
		v := strings.ToLower(strings.TrimSpace(raw))
		if a, ok := s.aliases[v]; ok {
			v = a
		}
		if !slices.Contains(s.enum, v) {
			return nil, fmt.Errorf("want %s", orList(s.enum))
		}
		return v, nil
	}
	return raw, nil
}

// check checks a parsed value of s against its bounds.
func (s *setting) check(v any) error {
	neg, over := false, false
	switch x := v.(type) {
	case int64:
		neg, over = x < 0, s.max > 0 && x > s.max
	case float64:
		neg = x < 0
	case time.Duration:
		neg = x < 0
	}
	switch {
	case neg && !s.negOff:
		return errors.New("must not be negative")
	case over:
		return fmt.Errorf("at most %d", s.max)
	}
	return nil
}

// quoted reports whether messages quote the values of s.
func (s *setting) quoted() bool {
	return s.kind == kindString || s.kind == kindPath || s.kind == kindEnum || s.kind == kindList
}

// orList returns "a, b or c".
func orList(vs []string) string {
	if len(vs) < 2 {
		return strings.Join(vs, "")
	}
	return strings.Join(vs[:len(vs)-1], ", ") + " or " + vs[len(vs)-1]
}

// textValue parses raws, given by a flag or an environment variable at at,
// adding its problems to ps: a list takes them all, one URL each; any
// other setting the last.
func textValue(s *setting, raws []string, at origin, ps *[]configProblem) configValue {
	if s.kind == kindList {
		var items []listenItem
		broken := false
		for _, raw := range raws {
			u, err := parseListen(raw)
			if err != nil {
				*ps = append(*ps, at.problem("%s: %v", at.show(s, raw, true), err))
				broken = true
				continue
			}
			items = append(items, listenItem{url: u, at: at})
		}
		return configValue{v: items, at: at, broken: broken}
	}
	raw := raws[len(raws)-1]
	v, err := s.parseText(raw)
	quote := s.quoted() || err != nil
	if err == nil {
		err = s.check(v)
	}
	if err != nil {
		*ps = append(*ps, at.problem("%s: %v", at.show(s, raw, quote), err))
		return configValue{at: at, broken: true}
	}
	return configValue{v: v, at: at}
}

// envLayer reads the settings' environment variables; an empty one counts
// as unset.
func envLayer(lookup func(string) (string, bool)) (configLayer, []configProblem) {
	l := make(configLayer)
	var ps []configProblem
	at := origin{src: fromEnv}
	for _, s := range settings {
		raw, ok := lookup(s.env())
		if !ok || raw == "" {
			continue
		}
		raws := []string{raw}
		if s.kind == kindList {
			raws = raws[:0]
			for u := range strings.SplitSeq(raw, ",") {
				if u = strings.TrimSpace(u); u != "" {
					raws = append(raws, u)
				}
			}
			if len(raws) == 0 {
				continue
			}
		}
		l[s] = textValue(s, raws, at, &ps)
	}
	return l, ps
}

// flagValue is a setting's flag: it keeps what it is given, each time,
// for serveFlags.layer to parse.
type flagValue struct {
	s   *setting
	raw *[]string
}

func (f flagValue) String() string {
	if f.raw == nil {
		return ""
	}
	return strings.Join(*f.raw, ",")
}

func (f flagValue) Set(v string) error {
	*f.raw = append(*f.raw, v)
	return nil
}

func (f flagValue) IsBoolFlag() bool { return f.s != nil && f.s.kind == kindBool }

// serveFlags is the flag set of serve (and of "config print"): --config
// and one flag per setting.
type serveFlags struct {
	fs     *flag.FlagSet
	config string
	raw    map[*setting]*[]string
}

func newServeFlags(name string, stderr io.Writer, usage func(io.Writer)) *serveFlags {
	f := &serveFlags{fs: flag.NewFlagSet(name, flag.ContinueOnError), raw: make(map[*setting]*[]string, len(settings))}
	f.fs.SetOutput(stderr)
	f.fs.Usage = func() { usage(f.fs.Output()) }
	f.fs.StringVar(&f.config, "config", "", "YAML configuration `file`")
	for _, s := range settings {
		f.raw[s] = new([]string)
		f.fs.Var(flagValue{s: s, raw: f.raw[s]}, s.flag(), s.help)
	}
	return f
}

// layer parses the flags given; a repeated flag keeps its last value,
// except --listen, which takes them all.
func (f *serveFlags) layer() (configLayer, []configProblem) {
	l := make(configLayer)
	var ps []configProblem
	at := origin{src: fromFlag}
	for _, s := range settings {
		if raws := *f.raw[s]; len(raws) > 0 {
			l[s] = textValue(s, raws, at, &ps)
		}
	}
	return l, ps
}

// readConfigFile reads the configuration file at path: the values it
// sets, and every problem found in it.
func readConfigFile(path string) (configLayer, []configProblem) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, []configProblem{{file: path, msg: "cannot read it: " + pathErr(err)}}
	}
	return parseConfigFile(data, path)
}

// pathErr returns err without the file name a *fs.PathError repeats.
func pathErr(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// yamlLine finds the line in a YAML syntax error.
var yamlLine = regexp.MustCompile(`^yaml: (?:line (\d+): )?(.*)$`)

// parseConfigFile parses a configuration file, named path: a YAML mapping
// of keys of the table to values. A relative path in it is taken from
// the directory of the file.
func parseConfigFile(data []byte, path string) (configLayer, []configProblem) {
	l := make(configLayer)
	var ps []configProblem
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return l, nil // empty, or only comments
		}
		return l, []configProblem{yamlProblem(path, err)}
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case err == nil:
		ps = append(ps, configProblem{file: path, line: next.Line, col: next.Column, msg: "a second YAML document: want one mapping of settings"})
	case !errors.Is(err, io.EOF):
		ps = append(ps, yamlProblem(path, err))
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	if root.Kind == yaml.ScalarNode && root.ShortTag() == "!!null" {
		return l, ps
	}
	if root.Kind != yaml.MappingNode {
		return l, append(ps, configProblem{file: path, line: root.Line, col: root.Column, msg: "want a mapping of settings (key: value), not " + nodeWhat(root)})
	}
	dir := filepath.Dir(path)
	seen := make(map[string]int)
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		kat := origin{src: fromFile, file: path, line: k.Line, col: k.Column}
		if k.Kind != yaml.ScalarNode {
			ps = append(ps, kat.problem("want a setting name, not %s", nodeWhat(k)))
			continue
		}
		s := settingByKey[k.Value]
		if s == nil {
			msg := fmt.Sprintf("unknown setting %q", k.Value)
			if sug := suggestKey(k.Value); sug != "" {
				msg += fmt.Sprintf(" (did you mean %s?)", sug)
			}
			ps = append(ps, kat.problem("%s", msg))
			continue
		}
		if first, ok := seen[k.Value]; ok {
			ps = append(ps, kat.problem("%s given again (first on line %d)", s.key, first))
			continue
		}
		seen[k.Value] = k.Line
		for v.Kind == yaml.AliasNode && v.Alias != nil {
			v = v.Alias
		}
		if v.Kind == yaml.ScalarNode && v.ShortTag() == "!!null" {
			ps = append(ps, kat.problem("%s: no value (leave the key out for the default)", s.key))
			l[s] = configValue{at: kat, broken: true}
			continue
		}
		at := origin{src: fromFile, file: path, line: v.Line, col: v.Column}
		if s.kind == kindList {
			l[s] = listNode(s, v, at, &ps)
			continue
		}
		x, err := s.parseNode(v)
		quote := s.quoted() || v.ShortTag() == "!!str" // what could not be parsed, as written
		if err == nil {
			err, quote = s.check(x), s.quoted()
		}
		if err != nil {
			if v.Kind == yaml.ScalarNode {
				ps = append(ps, at.problem("%s: %v", at.show(s, v.Value, quote), err))
			} else {
				ps = append(ps, at.problem("%s: %v", s.key, err))
			}
			l[s] = configValue{at: at, broken: true}
			continue
		}
		if p, ok := x.(string); ok && s.kind == kindPath && p != "" && !filepath.IsAbs(p) {
			x = filepath.Join(dir, p)
		}
		l[s] = configValue{v: x, at: at}
	}
	return l, ps
}

// yamlProblem turns a YAML syntax error into a problem, with its line
// when the error names one.
func yamlProblem(path string, err error) configProblem {
	p := configProblem{file: path, msg: err.Error()}
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		p.line, _ = strconv.Atoi(m[1])
		p.msg = m[2]
	}
	return p
}

// nodeWhat names what a YAML node holds, for messages.
func nodeWhat(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!str":
			return "a string"
		case "!!int":
			return "an integer"
		case "!!float":
			return "a number"
		case "!!bool":
			return "a boolean"
		case "!!null":
			return "nothing"
		}
		return "a " + strings.TrimPrefix(n.ShortTag(), "!!")
	}
	return "a YAML node"
}

// want says what a setting of kind k takes, for messages.
func (s *setting) want() string {
	switch s.kind {
	case kindBool:
		return "true or false"
	case kindInt:
		return "an integer"
	case kindFloat:
		return "a number"
	case kindDuration:
		return "a duration such as 10s, 1m30s or 250ms"
	case kindEnum:
		return orList(s.enum)
	case kindPath:
		return "a file name"
	case kindList:
		return "a URL or a list of URLs"
	}
	return "a string"
}

// parseNode parses the YAML value of s (not a list), checking its type.
func (s *setting) parseNode(n *yaml.Node) (any, error) {
	wrong := func() error { return fmt.Errorf("want %s, not %s", s.want(), nodeWhat(n)) }
	if n.Kind != yaml.ScalarNode {
		return nil, wrong()
	}
	tag := n.ShortTag()
	switch s.kind {
	case kindBool:
		var b bool
		if tag != "!!bool" || n.Decode(&b) != nil {
			return nil, wrong()
		}
		return b, nil
	case kindInt:
		var i int64
		if tag != "!!int" {
			return nil, wrong()
		}
		if n.Decode(&i) != nil {
			return nil, errors.New("out of range")
		}
		return i, nil
	case kindFloat:
		var f float64
		if tag != "!!int" && tag != "!!float" || n.Decode(&f) != nil {
			return nil, wrong()
		}
		if math.IsInf(f, 0) || math.IsNaN(f) {
			return nil, errors.New("want a finite number")
		}
		return f, nil
	case kindDuration:
		if tag == "!!int" && n.Value == "0" {
			return time.Duration(0), nil
		}
		if tag != "!!str" {
			return nil, fmt.Errorf("want a duration with a unit, such as %ss", n.Value)
		}
	case kindString, kindPath, kindEnum:
		if tag != "!!str" && s.kind == kindPath {
			return nil, wrong()
		}
	}
	return s.parseText(n.Value)
}

// listNode parses the value of a list setting: one URL, or a list of
// them.
func listNode(s *setting, n *yaml.Node, at origin, ps *[]configProblem) configValue {
	val := configValue{at: at}
	nodes := []*yaml.Node{n}
	switch n.Kind {
	case yaml.ScalarNode:
	case yaml.SequenceNode:
		nodes = n.Content
		if len(nodes) == 0 {
			*ps = append(*ps, at.problem("%s: an empty list: want at least one URL", s.key))
			val.broken = true
		}
	default:
		*ps = append(*ps, at.problem("%s: want %s, not %s", s.key, s.want(), nodeWhat(n)))
		val.broken = true
		return val
	}
	var items []listenItem
	for _, e := range nodes {
		for e.Kind == yaml.AliasNode && e.Alias != nil {
			e = e.Alias
		}
		eat := origin{src: fromFile, file: at.file, line: e.Line, col: e.Column}
		if e.Kind != yaml.ScalarNode || e.ShortTag() != "!!str" {
			*ps = append(*ps, eat.problem("%s: want a URL, not %s", s.key, nodeWhat(e)))
			val.broken = true
			continue
		}
		u, err := parseListen(e.Value)
		if err != nil {
			*ps = append(*ps, eat.problem("%s: %v", eat.show(s, e.Value, true), err))
			val.broken = true
			continue
		}
		items = append(items, listenItem{url: u, at: eat})
	}
	val.v = items
	return val
}

// suggestKey returns the known key closest to an unknown one, when one is
// close enough, written as it would be in a file.
func suggestKey(key string) string {
	norm := strings.ToLower(strings.TrimLeft(key, "-"))
	norm = strings.TrimPrefix(strings.ReplaceAll(norm, "-", "_"), "mqttx_")
	if s := settingByKey[norm]; s != nil {
		return s.key
	}
	best, bestD := "", math.MaxInt
	for _, s := range settings {
		if d := editDistance(norm, s.key); d < bestD {
			best, bestD = s.key, d
		}
	}
	if bestD <= max(2, len(norm)/4) {
		return best
	}
	return ""
}

// editDistance returns the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// buildConfig makes the serveConfig of the effective values m, checking the
// settings that depend on each other. A broken value (reported already)
// is left out of those checks.
func buildConfig(m configLayer) (*serveConfig, []configProblem) {
	c := new(serveConfig)
	for _, s := range settings {
		if v := m[s]; !v.broken {
			s.assign(c, v.v)
		}
	}
	var ps []configProblem
	listen, identity := settingByKey["listen"], settingByKey["tls_identity"]
	cert, key, ca := settingByKey["tls_cert"], settingByKey["tls_key"], settingByKey["tls_client_ca"]
	// A broken list keeps its good URLs: they are checked too.
	l := m[listen]
	items, _ := l.v.([]listenItem)
	needTLS, mqttListeners := false, 0
	for _, it := range items {
		needTLS = needTLS || it.url.TLS
		if it.url.Scheme != "http" {
			mqttListeners++
		}
	}
	if mqttListeners == 0 && !l.broken {
		ps = append(ps, l.at.problem("%s: no MQTT listener: http:// serves only /metrics and /healthz", l.at.name(listen)))
	}
	if !m[cert].broken && !m[key].broken && (c.TLSCert == "" || c.TLSKey == "") {
		for _, it := range items {
			if it.url.TLS {
				ps = append(ps, it.at.problem("%s: a tls:// or wss:// listener needs %s and %s", it.at.show(listen, it.url.URL, true), it.at.name(cert), it.at.name(key)))
			}
		}
	}
	if !needTLS && !l.broken {
		for _, s := range []*setting{cert, key, ca} {
			if v := m[s]; !v.broken && v.v != "" {
				ps = append(ps, v.at.problem("%s: no tls:// or wss:// listener uses it", v.at.show(s, v.v.(string), true)))
			}
		}
	}
	if id, v := m[identity], m[ca]; !id.broken && !v.broken && id.v != "none" && c.TLSClientCA == "" {
		ps = append(ps, id.at.problem("%s needs %s", id.at.show(identity, id.v.(string), false), id.at.name(ca)))
	}
	return c, ps
}

// sortProblems orders the problems in the configuration file path by
// position, before the others (those of the files it names, of the
// environment and of the flags), which keep their order.
func sortProblems(ps []configProblem, path string) {
	slices.SortStableFunc(ps, func(a, b configProblem) int {
		ao, bo := a.file != path, b.file != path
		switch {
		case ao != bo:
			if ao {
				return 1
			}
			return -1
		case ao:
			return 0
		}
		return cmp.Or(cmp.Compare(a.line, b.line), cmp.Compare(a.col, b.col))
	})
}

// loadConfig puts serve's configuration together from args (flags and
// --config), the environment (lookup) and the configuration file, and
// returns it with the effective values. With -h or --help it prints the
// usage to stderr and returns flag.ErrHelp; a flag the flag package
// refuses is a usageError it has printed; problems in the values are a
// usageError holding problems.
func loadConfig(name string, args []string, lookup func(string) (string, bool), stderr io.Writer) (*serveConfig, configLayer, error) {
	usage := printServeUsage
	if name != "serve" {
		usage = configUsage // its flags are serve's
	}
	f := newServeFlags(name, stderr, usage)
	if err := f.fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, nil, err
		}
		return nil, nil, usageError{err: err, printed: true}
	}
	if f.fs.NArg() > 0 {
		return nil, nil, usagef("unexpected argument %q", f.fs.Arg(0))
	}
	path := f.config
	if path == "" {
		path, _ = lookup(configEnv)
	}
	var file configLayer
	var ps []configProblem
	if path != "" {
		file, ps = readConfigFile(path)
	}
	env, eps := envLayer(lookup)
	flags, fps := f.layer()
	ps = append(append(ps, eps...), fps...)
	m := mergeLayers(defaultLayer, file, env, flags)
	c, bps := buildConfig(m)
	ps = append(ps, bps...)
	if len(ps) > 0 {
		sortProblems(ps, path)
		return nil, nil, usageError{err: configProblems(ps)}
	}
	c.ConfigFile = path
	for _, s := range settings {
		if _, ok := env[s]; ok {
			c.FromEnv = append(c.FromEnv, s.env())
		}
	}
	f.fs.Visit(func(fl *flag.Flag) {
		if fl.Name != "config" {
			c.FromFlags = append(c.FromFlags, "--"+fl.Name)
		}
	})
	return c, m, nil
}
