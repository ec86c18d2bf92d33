package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/relaylab/relaylab/internal/config"
)

// withSyntaxHint adds to an error of the YAML parser, which names a line
// and column but no key ("value is not allowed in this context"), the key
// before that line and where to look: such errors nearly always come from
// a line indented one level too far or too little.
func withSyntaxHint(err error, data []byte) error {
	var ce *config.Error
	if !errors.As(err, &ce) || ce.Key != "" || ce.Line == 0 {
		return err
	}
	out := *ce
	out.Msg += fmt.Sprintf(" (YAML that does not parse: check the indentation of line %d and the lines around it", ce.Line)
	if k := keyBefore(data, ce.Line); k != "" {
		out.Msg += fmt.Sprintf("; the key before it is %s", k)
	}
	out.Msg += "; a key lines up, with spaces, under the other keys of its section)"
	return &out
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
