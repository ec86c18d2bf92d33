package config

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// duplicateKey is the YAML parser's message for a key given twice in one
// mapping.
var duplicateKey = regexp.MustCompile(`^mapping key "(.*)" already defined at \[(\d+):(\d+)\]`)

// syntaxHint rewrites an error of the YAML parser on data that does not
// parse, which names a line and column but no key, in words a newcomer can act on: a tab, which YAML
// does not take for indentation, a key given twice and a key indented
// deeper than the "key: value" line above it (which the parser reports on
// the line above; overIndented) are said as such, at the line to change;
// anything else gets the key before that line and where to look, as such
// errors nearly always come from a line indented one level too far or
// too little. root is DecodeRoot's: the key that data stands for.
func syntaxHint(out *Error, data []byte, root string) {
	if out.Line == 0 {
		return
	}
	if m := duplicateKey.FindStringSubmatch(out.Msg); m != nil {
		first, _ := strconv.Atoi(m[2])
		firstCol, _ := strconv.Atoi(m[3])
		// The key given twice, with its section: read from the file with
		// the second one renamed, which then parses; else from the
		// indentation, which sees no keys inside a {flow mapping}.
		if k := duplicatePath(data, out.Line, out.Column, m[1]); k != "" {
			out.Key = joinKey(root, k)
		} else if k := keyBefore(data, out.Line+1); k != "" {
			out.Key = joinKey(root, k)
		}
		where := fmt.Sprintf("at line %d and at line %d", first, out.Line)
		if first == out.Line {
			// Both in one flow mapping ({dsn: sent, dsn: none}): the
			// line alone does not tell them apart.
			where = fmt.Sprintf("at %d:%d and at %d:%d (line:column)", first, firstCol, out.Line, out.Column)
		}
		out.Msg = fmt.Sprintf("given twice, %s: a key appears once in its section (or at the top of the file); merge the two into one", where)
		if out.Key == "" {
			out.Msg = fmt.Sprintf("key %q is ", m[1]) + out.Msg
		}
		return
	}
	if overIndented(out, data, root) {
		return
	}
	before := keyBefore(data, out.Line)
	if before != "" {
		before = joinKey(root, before)
	}
	col, ok := tabAt(data, out.Line)
	if !ok && (strings.Contains(out.Msg, "tab character") || strings.Contains(out.Msg, "'\t'")) {
		col, ok = out.Column, true
	}
	if ok {
		out.Msg = fmt.Sprintf("line %d has a tab character (column %d): YAML indents with spaces only; replace the tab with spaces", out.Line, col)
		if before != "" {
			out.Msg += fmt.Sprintf(" (the key before it is %s)", before)
		}
		return
	}
	out.Msg += fmt.Sprintf(" (YAML that does not parse: check the indentation of line %d and the lines around it", out.Line)
	if before != "" {
		out.Msg += fmt.Sprintf("; the key before it is %s", before)
	}
	out.Msg += "; a key lines up, with spaces, under the other keys of its section)"
}

// tabAt reports whether line (from 1) of data has a tab before its first
// character that is neither a space, a tab nor a "-" (its indentation,
// list dashes included), and the column of that tab.
func tabAt(data []byte, line int) (int, bool) {
	lines := strings.Split(string(data), "\n")
	if line < 1 || line > len(lines) {
		return 0, false
	}
	for i, c := range lines[line-1] {
		switch c {
		case '\t':
			return i + 1, true
		case ' ', '-':
		default:
			return 0, false
		}
	}
	return 0, false
}

// keyBefore is the dotted path (relay.retry.kind, sink.listeners[0].name)
// of the last key above line, read from the indentation of the lines
// alone, as the file does not parse.
func keyBefore(data []byte, line int) string {
	type frame struct {
		indent int
		key    string // "[n]" for a list item
		items  int    // list items seen under this key
	}
	var stack []frame
	top := 0 // items of a list at the top of the document
	lines := strings.Split(string(data), "\n")
	for _, l := range lines[:min(line-1, len(lines))] {
		l = strings.TrimRight(l, "\r")
		rest := strings.TrimLeft(l, " ")
		indent := len(l) - len(rest)
		if rest == "" || rest[0] == '#' || rest == "---" {
			continue
		}
		if rest == "-" || strings.HasPrefix(rest, "- ") {
			// A list may sit at its key's own indentation.
			for len(stack) > 0 && (stack[len(stack)-1].indent > indent || stack[len(stack)-1].indent == indent && stack[len(stack)-1].key[0] == '[') {
				stack = stack[:len(stack)-1]
			}
			n := top
			if len(stack) > 0 {
				n = stack[len(stack)-1].items
				stack[len(stack)-1].items++
			} else {
				top++
			}
			stack = append(stack, frame{indent: indent, key: fmt.Sprintf("[%d]", n)})
			sub := strings.TrimLeft(rest[1:], " ")
			indent += len(rest) - len(sub)
			rest = sub
			if rest == "" {
				continue
			}
		} else {
			for len(stack) > 0 && stack[len(stack)-1].indent >= indent {
				stack = stack[:len(stack)-1]
			}
		}
		k, _, ok := strings.Cut(rest, ":")
		k = strings.Trim(strings.TrimSpace(k), `"'`)
		if !ok || k == "" || strings.ContainsAny(k, "{}[],#") {
			continue
		}
		stack = append(stack, frame{indent: indent, key: k})
	}
	var b strings.Builder
	for _, f := range stack {
		if b.Len() > 0 && f.key[0] != '[' {
			b.WriteByte('.')
		}
		b.WriteString(f.key)
	}
	return b.String()
}

// overIndented handles the parser's error about a key indented deeper
// than the key of a "key: value" line above it, which YAML reads as more
// of that value. The parser stops at the deeper key's colon and reports
// either that line or, when nothing is between them, the line above: out
// moves to the deeper line and says how far off it is. false when that is
// not the case.
func overIndented(out *Error, data []byte, root string) bool {
	lines := strings.Split(string(data), "\n")
	if out.Line < 1 || out.Line > len(lines) {
		return false
	}
	// The key line above the reported one, or the reported one itself.
	above := out.Line - 1
	for above >= 1 && blankOrComment(lines[above-1]) {
		above--
	}
	next := out.Line + 1
	for next <= len(lines) && blankOrComment(lines[next-1]) {
		next++
	}
	for _, c := range [][2]int{{out.Line, next}, {above, out.Line}} {
		sib, wrong := c[0], c[1]
		if sib < 1 || wrong > len(lines) {
			continue
		}
		col, ok := keyWithValue(lines[sib-1])
		if !ok {
			continue
		}
		l := strings.TrimRight(lines[wrong-1], "\r")
		rest := strings.TrimLeft(l, " ")
		indent := len(l) - len(rest)
		name, _, isKey := strings.Cut(rest, ":")
		if indent <= col || !isKey || name == "" || strings.ContainsAny(name, " \t\"'#{}[]-") {
			continue // not a key, or a second line of a plain value, which YAML allows
		}
		if dedented(out, data, root, lines, sib, col, wrong, indent, name) {
			return true
		}
		// The key of the wrong line is not named with a path: where it
		// belongs is the writer's to say.
		out.Msg = fmt.Sprintf("line %d (%s) is indented %d spaces, %d more than %s on line %d, so YAML reads it as more of that key's value: a key lines up, with spaces, under the other keys of its section (%d spaces here)",
			wrong, name, indent, indent-col, joinKey(root, keyBefore(data, sib+1)), sib, col)
		out.Line, out.Column = wrong, indent+1
		return true
	}
	return false
}

// dedented handles the case of overIndented where the mistake is the
// "key: value" line sib (its key at column col), not the deeper line
// wrong after it: sib is shallower than the keys of the section around
// it, the key line above it at wrong's indentation, or the section's own
// key at sib's column with no value (the section's first key).
// Following the hint at wrong ("indent it as sib") moved the rest of the
// section out too. out moves to sib, and says to indent it as the rest.
func dedented(out *Error, data []byte, root string, lines []string, sib, col, wrong, indent int, wrongName string) bool {
	prev := sib - 1
	for prev >= 1 && blankOrComment(lines[prev-1]) {
		prev--
	}
	if prev < 1 {
		return false
	}
	l := strings.TrimRight(lines[prev-1], "\r")
	rest := strings.TrimLeft(l, " ")
	for strings.HasPrefix(rest, "- ") {
		rest = strings.TrimLeft(rest[1:], " ")
	}
	p := len(l) - len(rest)
	k, v, isKey := strings.Cut(rest, ":")
	if !isKey || k == "" || strings.ContainsAny(k, " \t\"'#{}[]") {
		return false
	}
	section, around := keyBefore(data, sib), ""
	switch {
	case p == indent && p > col:
		// The line above is a key of the section that goes on at wrong.
		if i := strings.LastIndexAny(section, ".["); i > 0 {
			section = section[:i]
		} else {
			return false
		}
		around = fmt.Sprintf("around it (lines %d and %d)", prev, wrong)
	case p == col && strings.TrimSpace(v) == "":
		// The line above opens the section ("relay:") whose keys go on
		// at wrong.
		around = fmt.Sprintf("after it (line %d)", wrong)
	default:
		return false
	}
	section = joinKey(root, section)
	name, _, _ := strings.Cut(strings.TrimLeft(strings.TrimRight(lines[sib-1], "\r"), " -"), ":")
	out.Msg = fmt.Sprintf("line %d (%s) is indented %d spaces, %d fewer than the keys of %s %s, so YAML reads it as a key outside %s, and line %d (%s) as more of its value: indent line %d by %d spaces, as the other keys of %s",
		sib, name, col, indent-col, section, around, section, wrong, wrongName, sib, indent, section)
	out.Line, out.Column = sib, col+1
	return true
}

// keyWithValue reports whether line is "key: value" with a value on the
// line (list dashes before it allowed), and the column (from 0) of the key.
func keyWithValue(line string) (int, bool) {
	line = strings.TrimRight(line, "\r")
	rest := strings.TrimLeft(line, " ")
	for strings.HasPrefix(rest, "- ") {
		rest = strings.TrimLeft(rest[1:], " ")
	}
	col := len(line) - len(rest)
	k, v, ok := strings.Cut(rest, ":")
	if !ok || k == "" || strings.ContainsAny(k[:1], "\"'#{[") || !strings.HasPrefix(v, " ") {
		return 0, false
	}
	v = strings.TrimSpace(v)
	return col, v != "" && v[0] != '#' && v[0] != '|' && v[0] != '>'
}

// blankOrComment reports whether line holds nothing for the parser.
func blankOrComment(line string) bool {
	t := strings.TrimSpace(line)
	return t == "" || t[0] == '#'
}

// dupPlaceholder stands in for the second of a key given twice, so that
// the file parses and the parser can name the key's path.
const dupPlaceholder = "relaylabduplicatekey"

// duplicatePath is the dotted path of the key name written at line:col
// (from 1), the second of a key given twice, or "" when that cannot be
// told: the key is renamed there and the file parsed again, which fails
// when something else is wrong with it too.
func duplicatePath(data []byte, line, col int, name string) string {
	lines := strings.Split(string(data), "\n")
	if line < 1 || line > len(lines) || col < 1 || name == "" {
		return ""
	}
	l := []rune(lines[line-1])
	if col > len(l) {
		return ""
	}
	rest := string(l[col-1:])
	var written string
	for _, w := range []string{name, `"` + name + `"`, "'" + name + "'"} {
		if strings.HasPrefix(rest, w) {
			written = w
			break
		}
	}
	if written == "" {
		return ""
	}
	lines[line-1] = string(l[:col-1]) + dupPlaceholder + rest[len(written):]
	fixed := []byte(strings.Join(lines, "\n"))
	if !parses(fixed) {
		return ""
	}
	k := keyAt(fixed, line, col)
	parent, ok := strings.CutSuffix(k, dupPlaceholder)
	if !ok {
		return ""
	}
	if parent == "" {
		return name
	}
	return parent + name // parent ends with its "."
}
