package web

import (
	"fmt"
	"strings"
	"testing"

	"github.com/goccy/go-yaml/lexer"
	"github.com/goccy/go-yaml/token"
)

// flowPlainIndicators lists, as "line:column: text", each plain scalar
// inside a flow mapping or sequence ({...}, [...]) that holds a ?. YAML
// 1.1 parsers (PyYAML, which the Python clients of the API load the spec
// with) end a plain scalar there at a ? and read it as a key indicator,
// so {description: signed out; Location is /?signed-out} does not load
// ("expected ',' or '}', but got '?'"), though go-yaml, a YAML 1.2
// parser, reads it. Such a value is written in double quotes.
func flowPlainIndicators(src string) []string {
	var out []string
	depth := 0
	for _, tk := range lexer.Tokenize(src) {
		switch tk.Type {
		case token.MappingStartType, token.SequenceStartType:
			depth++
		case token.MappingEndType, token.SequenceEndType:
			depth--
		case token.StringType:
			if depth > 0 && strings.Contains(tk.Value, "?") {
				out = append(out, fmt.Sprintf("%d:%d: %s", tk.Position.Line, tk.Position.Column, tk.Value))
			}
		}
	}
	return out
}

// TestSpecLoadsInYAML11: openapi.yaml has no plain scalar in a flow
// collection that a YAML 1.1 parser (PyYAML's safe_load) reads as a
// key; the check finds the one the spec had.
func TestSpecLoadsInYAML11(t *testing.T) {
	t.Parallel()
	if bad := flowPlainIndicators(string(openAPISpec)); len(bad) > 0 {
		t.Errorf("openapi.yaml has a ? in a plain value inside {...} or [...], where PyYAML reads it as a key and fails to load the spec; quote them:\n%s",
			strings.Join(bad, "\n"))
	}
	for _, tc := range []struct {
		src  string
		want int
	}{
		{"r:\n  \"303\": {description: signed out; Location is /?signed-out}\n", 1},
		{"r:\n  \"303\": {description: \"signed out; Location is /?signed-out\"}\n", 0},
		{"r: [a, b?c]\n", 1},
		{"r: plain text? is fine out of a flow collection\n", 0},
	} {
		if got := flowPlainIndicators(tc.src); len(got) != tc.want {
			t.Errorf("flowPlainIndicators(%q) = %q; want %d", tc.src, got, tc.want)
		}
	}
}
