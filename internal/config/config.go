// Package config reads relaylab's YAML files strictly: an unknown key, a
// value of the wrong type or a value that fails validation is an error that
// names the file, the line and the key.
//
// Each component owns the struct for its section; cmd assembles them into
// one document and calls Load. Components report semantic problems as
// *FieldError with the dotted key path ("sink.rules[2].code"); Load turns
// the path into a line number.
package config

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"math"
	"net"
	"net/netip"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/lexer"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"
)

// Error is a problem in a configuration file.
type Error struct {
	File   string
	Line   int // 0 when unknown
	Column int
	Key    string // dotted path, when known
	Msg    string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
		if e.Column > 0 {
			fmt.Fprintf(&b, ":%d", e.Column)
		}
	}
	b.WriteString(": ")
	if e.Key != "" {
		fmt.Fprintf(&b, "%s: ", e.Key)
	}
	b.WriteString(e.Msg)
	return b.String()
}

// FieldError is a validation failure at a key path, before it has a line.
type FieldError struct {
	Key string
	Msg string
	// Also is another key the problem is at, which Msg names in full
	// (the first of two listeners of one name): Locate writes its line
	// after it, "sink.listeners[0] at line 2", so that the error says
	// where both are. "" for none.
	Also string
}

func (e *FieldError) Error() string { return e.Key + ": " + e.Msg }

// Errorf returns a *FieldError for key.
func Errorf(key, format string, args ...any) error {
	return &FieldError{Key: key, Msg: fmt.Sprintf(format, args...)}
}

// ErrorfAlso returns a *FieldError for key whose message names also, a
// second key the problem is at (FieldError.Also): "listener "mx" is
// defined twice (sink.listeners[0] has the name too)" is at the second
// listener's name, and Locate adds the first's line.
func ErrorfAlso(key, also, format string, args ...any) error {
	return &FieldError{Key: key, Also: also, Msg: fmt.Sprintf(format, args...)}
}

// Validator is implemented by config structs that check their own values.
// prefix is the key path of the struct itself ("sink").
type Validator interface {
	Validate(prefix string) error
}

// Load reads path into v. v's fields keep their values (the defaults) where
// the file says nothing.
func Load(path string, v any) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return Decode(path, data, v)
}

// Decode is Load on bytes already read; name is used in errors.
func Decode(name string, data []byte, v any) error {
	return DecodeRoot(name, "", data, v)
}

// trimBOM is data without a UTF-8 byte order mark at its start, which
// YAML allows (YAML 1.2 5.2) and editors on Windows write, and which the
// YAML library read as part of the first key ("\ufeffname").
func trimBOM(data []byte) []byte {
	return bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
}

// DecodeRoot is Decode for a document that stands for the value of key root
// in a larger one, such as the rules editor's bare list of rules: errors
// name keys from root ("rules[0].stage"), Validate gets root as its prefix,
// and lines and columns point into data as given.
func DecodeRoot(name, root string, data []byte, v any) error {
	data = trimBOM(data)
	if err := CheckShape(name, data); err != nil {
		return err
	}
	has, err := Documents(name, data)
	if err != nil {
		return err
	}
	if has {
		if ex, err := decodeStrict(data, v); err != nil {
			err, more := firstUnknown(ex, v, err)
			out := decodeError(name, root, data, ex, v, err)
			if e, ok := out.(*Error); ok && len(more) > 0 {
				e.Msg += moreUnknown(ex, root, v, more)
			}
			return out
		}
	}
	if val, ok := v.(Validator); ok {
		if err := val.Validate(root); err != nil {
			return LocateRoot(name, root, data, err)
		}
	}
	return nil
}

// HasDocument reports whether data holds a YAML document with a value:
// false for an empty file and for one of only comments (or "---"), which
// Decode reads as setting nothing. A reader whose file cannot be empty
// says so with it, rather than with the first required key it misses.
func HasDocument(data []byte) bool {
	has, _ := Documents("", data)
	return has
}

// Documents reports whether data, a YAML text, holds a value, and refuses
// a second YAML document (after "---") at the line and column where its
// value starts: the decoder reads the first document alone, so what a
// second held was dropped without a word, and after an empty first one
// ("---" twice) all of it. It reads the lexer's tokens: the parser drops
// a document that follows an empty one, so that it sees no value at all
// there. A text of only comments, "---" or "..." holds none: like an
// empty file it sets nothing, where the decoder would fail with a bare
// EOF. Text the lexer chokes on counts as a value, for the decoder to
// report where it is wrong.
func Documents(name string, data []byte) (has bool, err error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return false, nil
	}
	defer func() {
		if recover() != nil {
			has, err = true, nil
		}
	}()
	doc, ended := -1, false // the document of the next value; after a "..."
	for _, tk := range lexer.Tokenize(string(data)) {
		switch tk.Type {
		case token.CommentType, token.DirectiveType:
			continue
		case token.DocumentHeaderType: // "---" begins a document
			doc++
			ended = false
			continue
		case token.DocumentEndType: // "..." ends one
			ended = true
			continue
		}
		if doc < 0 || ended {
			doc++
			ended = false
		}
		if doc > 0 {
			return true, &Error{File: name, Line: tk.Position.Line, Column: tk.Position.Column,
				Msg: "a second YAML document (after ---), which would be ignored: the text holds one document; merge the two or remove the --- line"}
		}
		has = true
	}
	return has, nil
}

// parses reports whether data is YAML the parser reads, whatever it holds.
func parses(data []byte) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	_, err := parseFile(data)
	return err == nil
}

// parseFile is parser.ParseBytes for data that CheckShape passes: every
// parse of a file's text goes through it, so that none reads a document
// the parser would need gigabytes for.
func parseFile(data []byte) (*ast.File, error) {
	if err := CheckShape("", data); err != nil {
		return nil, err
	}
	return parser.ParseBytes(data, 0)
}

// decodeStrict decodes with unknown keys as errors, with merge keys
// applied and aliases read as copies of their anchors' values (expand);
// it returns the document it decoded, whose tokens the error's are, or
// nil when data does not parse. The YAML parser can panic on some
// malformed input; that is bad input, not a crash.
func decodeStrict(data []byte, v any) (ex *expanded, err error) {
	defer func() {
		if p := recover(); p != nil {
			ex, err = nil, fmt.Errorf("malformed YAML: the parser gave up (%v)", p)
		}
	}()
	ex, err = expand(data)
	switch {
	case ex == nil:
		return nil, parseError(data, err, v, yaml.Strict())
	case err != nil:
		return ex, err
	case ex.body == nil:
		return ex, nil
	}
	if err := ex.decode(v, yaml.Strict()); err != nil {
		return ex, err
	}
	// A listener or path named 1.10 keeps that name, not the float's 1.1.
	if rv := reflect.ValueOf(v); rv.Kind() == reflect.Pointer && isFields(rv.Elem().Type()) {
		KeepText(func(x any) error { return ex.decode(x) }, v)
	}
	return ex, checkWholeNumbers(ex.body, v)
}

// Locate turns each *FieldError inside err into an *Error with the file and
// line of its key (or of the nearest parent key the file has).
func Locate(name string, data []byte, err error) error {
	return LocateRoot(name, "", data, err)
}

// LocateRoot is Locate for a document that DecodeRoot read: the keys of
// err's *FieldError start with root, and data holds what is below it.
func LocateRoot(name, root string, data []byte, err error) error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		// Several (errors.Join): each at its line, one a line.
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, LocateRoot(name, root, data, e))
		}
		return errors.Join(out...)
	}
	var fe *FieldError
	if !errors.As(err, &fe) {
		return &Error{File: name, Msg: err.Error()}
	}
	out := &Error{File: name, Key: fe.Key, Msg: fe.Msg}
	rel, ok := underRoot(root, fe.Key)
	if !ok {
		return out
	}
	ex, _ := expand(data)
	if ex == nil {
		return out
	}
	var note string
	out.Line, out.Column, note = ex.position(rel)
	out.Msg += note
	if fe.Also == "" {
		return out
	}
	if rel, ok := underRoot(root, fe.Also); ok {
		if line, _, _ := ex.position(rel); line > 0 {
			out.Msg = withLine(out.Msg, fe.Also, line)
		}
	}
	return out
}

// position is the line and column of key (relative to the document's
// root) in ex, or of the nearest parent key the document has; 0, 0 when
// it has none. A key that a merge or an alias gives is at that alias,
// with the line its text is written at, and note says so.
func (ex *expanded) position(key string) (line, col int, note string) {
	for ; key != ""; key = parentKey(key) {
		tok, ok := tokenOf(ex, key)
		if !ok {
			continue
		}
		if p, ok := ex.place(tok); ok {
			return p.line, p.col, p.note
		}
		if tok != nil {
			return tok.Position.Line, tok.Position.Column, ""
		}
		return 0, 0, ""
	}
	return 0, 0, ""
}

// withLine is msg with " at line N" after its first mention of key, a
// whole key ("sink.listeners[1]" is not "sink.listeners[10]" nor
// "sink.listeners[1].name"); with "(key is at line N)" at its end when it
// does not mention key.
func withLine(msg, key string, line int) string {
	for from := 0; ; {
		i := strings.Index(msg[from:], key)
		if i < 0 {
			break
		}
		start, end := from+i, from+i+len(key)
		if (start == 0 || !keyByte(msg[start-1])) && !keyGoesOn(msg[end:]) {
			return fmt.Sprintf("%s at line %d%s", msg[:end], line, msg[end:])
		}
		from = end
	}
	return fmt.Sprintf("%s (%s is at line %d)", msg, key, line)
}

// keyGoesOn reports whether rest, the text after a key, goes on with
// more of a longer key: a name's letter, an index, or a dot before a
// name (a dot at the end of a sentence ends the key).
func keyGoesOn(rest string) bool {
	if rest == "" {
		return false
	}
	if rest[0] == '.' {
		return len(rest) > 1 && keyByte(rest[1])
	}
	return keyByte(rest[0]) || rest[0] == '['
}

// keyByte reports whether c may be part of a key's name.
func keyByte(c byte) bool {
	return c == '_' || c == '-' || c == '.' || c == ']' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

// KeyLine is the line of key (a dotted path such as "relay.listen") in
// data, or 0 when the file does not give that key itself; a key that a
// merge (<<) or an alias gives is at the line of that alias.
func KeyLine(data []byte, key string) int {
	ex, _ := expand(data)
	if ex == nil {
		return 0
	}
	tok, ok := tokenOf(ex, key)
	if !ok || tok == nil {
		return 0
	}
	if p, ok := ex.place(tok); ok {
		return p.line
	}
	return tok.Position.Line
}

// tokenOf finds the value of key in the expanded document ex and
// returns its token, and whether the document has the key. It looks
// through anchors (an item written "- &d {...}"), where a YAML path stops.
func tokenOf(ex *expanded, key string) (*token.Token, bool) {
	path := "$." + key
	if strings.HasPrefix(key, "[") {
		path = "$" + key
	}
	node := valueAt(ex.body, path)
	if node == nil {
		return nil, false
	}
	return node.GetToken(), true
}

// valueAt is the node at path (as index sets them) within n, or nil.
func valueAt(n ast.Node, path string) ast.Node {
	if n == nil || !keyUnder(path, n.GetPath()) {
		return nil
	}
	switch m := n.(type) {
	case *ast.MappingNode:
		for _, mv := range m.Values {
			if v := valueAt(mv, path); v != nil {
				return v
			}
		}
	case *ast.MappingValueNode:
		if m.GetPath() == path {
			return m.Value
		}
		return valueAt(m.Value, path)
	case *ast.SequenceNode:
		for _, v := range m.Values {
			if v != nil && v.GetPath() == path {
				return v
			}
			if v := valueAt(v, path); v != nil {
				return v
			}
		}
	case *ast.AnchorNode:
		return valueAt(m.Value, path)
	case *ast.TagNode:
		return valueAt(m.Value, path)
	}
	return nil
}

// underRoot is key relative to root ("rules[0].code" under "rules" is
// "[0].code"), and whether key is below root at all.
func underRoot(root, key string) (string, bool) {
	if root == "" {
		return key, true
	}
	rest, ok := strings.CutPrefix(key, root)
	if !ok || (rest != "" && rest[0] != '.' && rest[0] != '[') {
		return "", false
	}
	return strings.TrimPrefix(rest, "."), true
}

// joinKey is rel below root: the inverse of underRoot.
func joinKey(root, rel string) string {
	switch {
	case root == "":
		return rel
	case rel == "":
		return root
	case strings.HasPrefix(rel, "["):
		return root + rel
	}
	return root + "." + rel
}

func parentKey(key string) string {
	i := strings.LastIndexAny(key, ".[")
	if i <= 0 {
		return ""
	}
	return key[:i]
}

// decodeError is the *Error for err, an error of decodeStrict, which
// decoded ex (nil when data does not parse).
func decodeError(name, root string, data []byte, ex *expanded, v any, err error) error {
	var ee *expandError
	if errors.As(err, &ee) {
		out := &Error{File: name, Msg: ee.Error(), Key: joinKey(root, strings.TrimPrefix(strings.TrimPrefix(ee.path, "$"), "."))}
		if ee.tok != nil && ee.tok.Position != nil {
			out.Line, out.Column = ee.tok.Position.Line, ee.tok.Position.Column
		}
		return out
	}
	var ye yaml.Error
	if errors.As(err, &ye) {
		out := &Error{File: name, Msg: cmp.Or(typeMessage(err), ye.GetMessage())}
		if tok := ye.GetToken(); tok != nil {
			out.Line, out.Column = tok.Position.Line, tok.Position.Column
			if parses(data) {
				rel, note := keyAt(data, tok.Position.Line, tok.Position.Column), ""
				if p, ok := ex.place(tok); ok {
					// Where the decoder met it: through a merge or an
					// alias, at that alias, with its text's line.
					out.Line, out.Column, rel, note = p.line, p.col, p.rel, p.note
				}
				out.Key = joinKey(root, rel)
				out.Msg = cmp.Or(shapeMessage(err, v, rel), out.Msg)
				suggestKey(out, v, rel)
				if !keyAdvice(out, v, rel) && root == "" {
					sectionHint(out, data, v, rel)
				}
				quoteHint(out, data, root)
				out.Msg += note
			} else if !quoteHint(out, data, root) {
				syntaxHint(out, data, root)
			}
		}
		return out
	}
	return &Error{File: name, Msg: err.Error()}
}

// firstUnknown turns the decoder's error for an unknown key, which names
// one of a mapping's unknown keys at random (it gathers them in a map)
// and none of the other mappings', into one for the first unknown key of
// the file; it returns the others' keys too, for the error to list, so
// that a file with several typos is mended in one go. Any other error is
// returned as it is.
func firstUnknown(ex *expanded, v any, err error) (error, []*token.Token) {
	var uf *yaml.UnknownFieldError
	if ex == nil || !errors.As(err, &uf) || uf.Token == nil {
		return err, nil
	}
	keys := ex.unknownKeys(v)
	if !slices.Contains(keys, uf.Token) {
		// The walk missed the decoder's key (a type that reads itself
		// in a shape of its own): the decoder's error comes first.
		return err, keys
	}
	first := keys[0]
	return &yaml.UnknownFieldError{Message: fmt.Sprintf("unknown field %q", first.Value), Token: first}, keys[1:]
}

// unknownKeys are the keys of the document that no field of v's type
// takes, in the order of the file (a key through an alias at the alias).
func (x *expanded) unknownKeys(v any) []*token.Token {
	if x.body == nil {
		return nil
	}
	w := &wholeWalker{anchors: map[string]ast.Node{}, collect: true}
	w.walk(x.body, reflect.TypeOf(v))
	var out []*token.Token
	for _, mv := range w.unknown {
		if tok := mv.Key.GetToken(); tok != nil && !slices.Contains(out, tok) {
			out = append(out, tok)
		}
	}
	at := func(t *token.Token) (int, int) {
		if p, ok := x.place(t); ok {
			return p.line, p.col
		}
		return t.Position.Line, t.Position.Column
	}
	slices.SortStableFunc(out, func(a, b *token.Token) int {
		al, ac := at(a)
		bl, bc := at(b)
		return cmp.Or(cmp.Compare(al, bl), cmp.Compare(ac, bc), cmp.Compare(a.Position.Offset, b.Position.Offset))
	})
	return out
}

// moreUnknown lists the unknown keys more, after the first one's error:
// "; also unknown: web.colour (line 10), relay.retry.max_atempts (line 7,
// did you mean "max_attempts"?)".
func moreUnknown(ex *expanded, root string, v any, more []*token.Token) string {
	items := make([]string, len(more))
	for i, tok := range more {
		p, _ := ex.place(tok) // each is a key of ex (unknownKeys)
		base := fmt.Sprintf("unknown field %q", tok.Value)
		e := &Error{Msg: base}
		suggestKey(e, v, p.rel)
		hint := strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(e.Msg, base), " ("), ")")
		items[i] = fmt.Sprintf("%s (line %d", joinKey(root, p.rel), p.line)
		if p.note != "" {
			items[i] += ", " + strings.TrimSuffix(strings.TrimPrefix(p.note, " ("), ")")
		}
		if hint != "" {
			items[i] += ", " + hint
		}
		items[i] += ")"
	}
	return "; also unknown: " + strings.Join(items, ", ")
}

// keyAt finds the dotted path of the node at line:col: the node whose token
// starts there (a key, a value, a "{" or a "["), or else the nearest node
// before col on that line. Matching the column, not only the line, matters
// for flow mappings ({name: a, listen: b}), which put many keys on a line.
func keyAt(data []byte, line, col int) string {
	file, err := parseFile(data)
	if err != nil || len(file.Docs) == 0 {
		return ""
	}
	var exact, near string
	nearCol := 0
	var walk func(n ast.Node)
	walk = func(n ast.Node) {
		if n == nil {
			return
		}
		if t := n.GetToken(); t != nil && t.Position.Line == line && n.GetPath() != "" {
			// Pre-order, so the first node at col is the outermost: a block
			// mapping and its first key share the token ":", and an error
			// there is about the mapping.
			switch c := t.Position.Column; {
			case c == col && exact == "":
				exact = n.GetPath()
			case c < col && c >= nearCol:
				near, nearCol = n.GetPath(), c
			}
		}
		switch n := n.(type) {
		case *ast.DocumentNode:
			walk(n.Body)
		case *ast.MappingNode:
			for _, mv := range n.Values {
				walk(mv)
			}
		case *ast.MappingValueNode:
			walk(n.Key)
			walk(n.Value)
		case *ast.SequenceNode:
			for _, v := range n.Values {
				walk(v)
			}
		case *ast.TagNode:
			walk(n.Value)
		case *ast.AnchorNode:
			walk(n.Value)
		}
	}
	walk(file.Docs[0])
	if exact == "" {
		exact = near
	}
	return strings.TrimPrefix(strings.TrimPrefix(exact, "$"), ".")
}

// ListenAddr checks an address to listen on: host:port with a numeric port
// from 0 to 65535, 0 being any free port (as tests use). The host may be
// empty (every interface), an IP address or a name. Checking this at load
// time puts the file, line and key on the error, which a failed bind
// cannot.
func ListenAddr(addr string) error {
	_, err := hostPort(addr, 0)
	return err
}

// LoopbackAddr reports whether addr (host:port) names this machine only: a
// loopback IP or "localhost". An empty host, 0.0.0.0, :: and any other
// name or address reach further.
func LoopbackAddr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}

// DialAddr checks an address to connect to: host:port with a host and a
// numeric port from 1 to 65535.
func DialAddr(addr string) error {
	host, err := hostPort(addr, 1)
	if err == nil && host == "" {
		err = fmt.Errorf("%q has no host: want host:port", addr)
	}
	return err
}

func hostPort(addr string, minPort uint64) (host string, err error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("%q is not host:port", addr)
	}
	if strings.ContainsAny(host, " \t/") {
		return "", fmt.Errorf("%q: %q is not a host name or an IP address", addr, host)
	}
	if looksLikeIPv4(host) {
		if _, err := netip.ParseAddr(host); err != nil {
			return "", fmt.Errorf("%q: %q is not a valid IPv4 address (four numbers from 0 to 255, without leading zeros, such as 127.0.0.1)", addr, host)
		}
	}
	if port == "" {
		return "", fmt.Errorf("%q has no port after the colon", addr)
	}
	n, err := strconv.ParseUint(port, 10, 64)
	if err != nil {
		return "", fmt.Errorf("%q: port %q is not a number", addr, port)
	}
	if n < minPort || n > 65535 {
		return "", fmt.Errorf("%q: port %d is out of range (%d-65535)", addr, n, minPort)
	}
	return host, nil
}

// looksLikeIPv4 reports whether host is made of digits and dots only.
// Such a host is meant as an IPv4 address: one that does not parse
// (300.1.1.1, 1.2.3) would otherwise be taken for a host name and looked
// up in the DNS, and fail far from the key that gives it.
func looksLikeIPv4(host string) bool {
	return host != "" && strings.Trim(host, "0123456789.") == ""
}

// Duration is a time.Duration written as Go writes it ("90s", "1h30m"),
// with "d" for days ("5d").
type Duration time.Duration

// maxDays is the longest Duration in days: a time.Duration is an int64 of
// nanoseconds, about 292 years.
const maxDays = 106751

// goDuration is the syntax time.ParseDuration takes; a string that has it
// but does not parse is too long for a time.Duration.
var goDuration = regexp.MustCompile(`^[-+]?(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|µs|μs|ms|s|m|h))+$`)

// ParseDuration reads a Duration. NaN, infinities and values longer than a
// time.Duration holds are errors, not a wrapped (negative) duration.
func ParseDuration(s string) (Duration, error) {
	s = strings.TrimSpace(s)
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.ParseFloat(n, 64)
		switch {
		case math.IsNaN(days) || (err == nil && math.IsInf(days, 0)):
			return 0, fmt.Errorf("bad duration %q: %q is not a number of days", s, n)
		case errors.Is(err, strconv.ErrRange) && days > 0, days*float64(24*time.Hour) >= math.MaxInt64:
			return 0, fmt.Errorf("bad duration %q: too long (at most %dd, about 292 years)", s, maxDays)
		case err != nil || days < 0:
			return 0, fmt.Errorf("bad duration %q: want a number of days like 5d", s)
		}
		return Duration(math.Round(days * float64(24*time.Hour))), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		if goDuration.MatchString(s) {
			return 0, fmt.Errorf("bad duration %q: too long (at most %dd or 2562047h, about 292 years)", s, maxDays)
		}
		return 0, fmt.Errorf("bad duration %q: want a duration like 30s, 5m, 1h30m or 5d", s)
	}
	return Duration(d), nil
}

// UnmarshalYAML implements yaml.NodeUnmarshaler, so that a bad value is
// reported at its line.
func (d *Duration) UnmarshalYAML(node ast.Node) error {
	v, err := ParseDuration(ScalarText(node))
	if err != nil {
		return NodeError(node, err.Error())
	}
	*d = v
	return nil
}

// ScalarText is the text of a scalar node, without quotes.
func ScalarText(node ast.Node) string {
	if tok := node.GetToken(); tok != nil {
		return strings.TrimSpace(tok.Value)
	}
	return strings.Trim(strings.TrimSpace(node.String()), `"'`)
}

// NodeError is an error about node that Decode reports with its file, line
// and key. Custom YAML unmarshalers (yaml.NodeUnmarshaler) return it.
func NodeError(node ast.Node, msg string) error {
	return &nodeError{tok: node.GetToken(), msg: msg}
}

// nodeError implements the go-yaml Error interface.
type nodeError struct {
	tok *token.Token
	msg string
}

func (e *nodeError) Error() string                 { return e.msg }
func (e *nodeError) GetToken() *token.Token        { return e.tok }
func (e *nodeError) GetMessage() string            { return e.msg }
func (e *nodeError) FormatError(bool, bool) string { return e.msg }

// MarshalYAML writes d as Go does.
func (d Duration) MarshalYAML() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// D is d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

func (d Duration) String() string { return time.Duration(d).String() }
