package config

import (
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"
)

// quoteHint rewrites the YAML library's error about a plain value that
// starts with *, which YAML reads as an alias (a reference to an &anchor:
// `could not find alias "bob"`), or with @ or `, which YAML reserves
// ("'@' is a reserved character"): such a value is meant as text, as in
// a glob ("*@example.test"), and goes in quotes. It reports whether it
// was that case.
func quoteHint(out *Error, data []byte, root string) bool {
	block := strings.Contains(out.Msg, "invalid header option")
	if out.Line == 0 || !(block || strings.Contains(out.Msg, "alias") || strings.Contains(out.Msg, "reserved character")) {
		return false
	}
	lines := strings.Split(string(data), "\n")
	if out.Line > len(lines) {
		return false
	}
	starts := "*@`"
	if block {
		// size: >1MB: the parser took ">" for a folded block's header
		// (and "|" for a literal one's) and says only that "1MB" is no
		// header option.
		starts = ">|"
	}
	key, val, ok := plainValueAt(strings.TrimRight(lines[out.Line-1], "\r"), out.Column, starts)
	if !ok {
		return false
	}
	what := "starts with " + val[:1] + ", which YAML reserves"
	switch val[0] {
	case '*':
		what = "starts with *, so YAML reads it as an alias (a reference to an &anchor), not as text"
	case '>', '|':
		what = "starts with " + val[:1] + ", so YAML reads it as the start of a block of text on the lines below (> folded, | literal), not as the value itself"
	}
	quoted := fmt.Sprintf("%q", val)
	if key != "" {
		quoted = key + ": " + quoted
		// In a file that does not parse, the key from the indentation,
		// when it is the one on this line (not in a {flow mapping}).
		if k := keyBefore(data, out.Line+1); out.Key == "" && (k == key || strings.HasSuffix(k, "."+key)) {
			out.Key = joinKey(root, k)
		}
	}
	out.Msg = fmt.Sprintf("the value %s %s: a value that starts with *, @, `, > or | must be quoted, as in %s", val, what, quoted)
	return true
}

// plainValueAt finds the plain value of line that holds col (from 1, the
// column of the error, at the value's first character or in it), when it
// starts with one of starts; and the key before it on the line.
func plainValueAt(line string, col int, starts string) (key, val string, ok bool) {
	if line == "" {
		return "", "", false
	}
	i := min(max(col-1, 0), len(line)-1)
	for i > 0 && !strings.ContainsRune(" \t,[{", rune(line[i-1])) {
		i--
	}
	if !strings.ContainsRune(starts, rune(line[i])) {
		return "", "", false
	}
	end := i
	for end < len(line) && !strings.ContainsRune(",]}", rune(line[end])) && !strings.HasPrefix(line[end:], " #") {
		end++
	}
	val = strings.TrimSpace(line[i:end])
	before := strings.TrimRight(line[:i], " \t")
	if k, ok := strings.CutSuffix(before, ":"); ok {
		k = strings.TrimLeft(k[strings.LastIndexAny(k, "{,-")+1:], " \t")
		key = strings.Trim(k, `"'`)
	}
	return key, val, val != ""
}

// shapeMessage says what the value at rel (below v) should be, in the
// words of the file, when the file has a scalar, a mapping or a list
// where v wants another of these ("int was used where mapping is
// expected"): the keys a mapping takes, or that a list's items start
// with "- ". It returns "" for any other error.
func shapeMessage(err error, v any, rel string) string {
	var ue *yaml.UnexpectedNodeTypeError
	if !errors.As(err, &ue) {
		return ""
	}
	got := "a " + ue.Actual.YAMLName()
	switch ue.Actual {
	case ast.MappingType:
		got = "a mapping (key: value)"
	case ast.SequenceType:
		got = "a list"
	default:
		if ue.Token != nil {
			got = ue.Token.Value
			if ue.Token.Type == token.DoubleQuoteType || ue.Token.Type == token.SingleQuoteType {
				got = fmt.Sprintf("%q", got)
			}
		}
	}
	t := typeOfPath(reflect.TypeOf(v), rel)
	name := rel[strings.LastIndexAny(rel, ".]")+1:]
	switch ue.Expected {
	case ast.MappingType:
		if keys := structKeys(t); len(keys) > 0 {
			if rel == "" {
				// The file itself: its keys start lines, and a "- " item
				// in the example would be the mistake it reports.
				msg := fmt.Sprintf("want a mapping of %s, each key at the start of a line, as in %s: ..., got %s", keyList(keys), keys[0], got)
				if ue.Actual == ast.SequenceType {
					msg += ` (the file's keys are not list items: remove the "- " before them)`
				}
				return msg
			}
			example := name + ":"
			if name == "" {
				example = "-" // a list item
			}
			return fmt.Sprintf("want a mapping of %s, as in %s {%s: ...}, got %s", keyList(keys), example, keys[0], got)
		}
		return "want a mapping of keys to values (key: value), got " + got
	case ast.SequenceType:
		msg := `want a list, each item on a line of its own starting with "- "`
		if t != nil && (t.Kind() == reflect.Slice || t.Kind() == reflect.Array) {
			if keys := structKeys(derefType(t.Elem())); len(keys) > 0 {
				msg += fmt.Sprintf(" (each a mapping of %s)", keyList(keys))
			}
		}
		if ue.Actual == ast.MappingType {
			msg += ` or in brackets [...]`
		}
		return msg + ", got " + got
	}
	return ""
}

// keyList names keys, the first six of them when there are more.
func keyList(keys []string) string {
	if len(keys) > 6 {
		return "keys such as " + strings.Join(keys[:6], ", ")
	}
	return "the keys " + strings.Join(keys, ", ")
}

func derefType(t reflect.Type) reflect.Type {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

// typeOfPath is the Go type at path (dotted, with [n] for list items)
// below t, or nil when path leads through something other than structs,
// maps and lists.
func typeOfPath(t reflect.Type, path string) reflect.Type {
	for t = derefType(t); t != nil; t = derefType(t) {
		path = strings.TrimPrefix(path, ".")
		if path == "" {
			return t
		}
		if strings.HasPrefix(path, "[") {
			end := strings.IndexByte(path, ']')
			if end < 0 || (t.Kind() != reflect.Slice && t.Kind() != reflect.Array) {
				return nil
			}
			t, path = t.Elem(), path[end+1:]
			continue
		}
		name := path
		if i := strings.IndexAny(path, ".["); i >= 0 {
			name, path = path[:i], path[i:]
		} else {
			path = ""
		}
		switch t.Kind() {
		case reflect.Map:
			t = t.Elem()
		case reflect.Struct:
			t = fieldType(t, name)
		default:
			return nil
		}
	}
	return nil
}

// quotedBool is the advice for true or false written in quotes, which
// YAML reads as text: "" when text is not that.
func quotedBool(tok *token.Token) string {
	if tok == nil || (tok.Type != token.DoubleQuoteType && tok.Type != token.SingleQuoteType) {
		return ""
	}
	switch strings.ToLower(tok.Value) {
	case "true", "false":
		return fmt.Sprintf(", which the quotes make text: write %s without quotes", strings.ToLower(tok.Value))
	}
	return ""
}

// structKeys are the keys struct t takes in YAML; none when t is not a
// struct, or a struct with no keys of its own (read some other way).
func structKeys(t reflect.Type) []string {
	if t == nil || t.Kind() != reflect.Struct {
		return nil
	}
	return yamlKeys(t)
}
