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
// does not take for indentation, and a key given twice are said as such;
// anything else gets the key before that line and where to look, as such
// errors nearly always come from a line indented one level too far or
// too little. root is DecodeRoot's: the key that data stands for.
func syntaxHint(out *Error, data []byte, root string) {
	if out.Line == 0 {
		return
	}
	if m := duplicateKey.FindStringSubmatch(out.Msg); m != nil {
		first, _ := strconv.Atoi(m[2])
		// The key on the line of the second one, with its section.
		if k := keyBefore(data, out.Line+1); k != "" {
			out.Key = joinKey(root, k)
		}
		out.Msg = fmt.Sprintf("given twice, at line %d and at line %d: a key appears once in its section (or at the top of the file); merge the two into one", first, out.Line)
		if out.Key == "" {
			out.Msg = fmt.Sprintf("key %q is ", m[1]) + out.Msg
		}
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
			n := 0
			if len(stack) > 0 {
				n = stack[len(stack)-1].items
				stack[len(stack)-1].items++
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
