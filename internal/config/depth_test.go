package config

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// deepFlow is the walk's document: "rules: " then d '[' and d ']'.
func deepFlow(d int) []byte {
	return []byte("rules: " + strings.Repeat("[", d) + strings.Repeat("]", d))
}

func TestCheckShapeRefusesDeepNesting(t *testing.T) {
	t.Parallel()
	compact := strings.Repeat("- ", 150) + "x\n"
	block := ""
	for i := range 150 {
		block += strings.Repeat(" ", i) + "k:\n"
	}
	for _, tc := range []struct {
		name, data, want string
	}{
		{"flow", string(deepFlow(100000)), "rules:1:107: lists and mappings nest deeper than 100 levels"},
		{"flow maps", "a: " + strings.Repeat("{a: ", 200), "rules:1:400: "},
		{"compact entries", compact, "rules:1:201: "},
		{"block keys", block, "rules:101:101: "},
		{"after a quoted bracket", `a: "]]]]"` + "\nb: " + strings.Repeat("[", 101), "rules:2:103: "},
		{"after a comment", "# ]]]]]\nb: " + strings.Repeat("[", 101), "rules:2:103: "},
		{"after a block scalar", "a: |\n  ]]]]\nb: " + strings.Repeat("[", 101), "rules:3:103: "},
		{"stray bracket then entries", "a: [\n" + compact, "rules:2:197: "},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := CheckShape("rules", []byte(tc.data))
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Fatalf("CheckShape = %v, want an error starting %q", err, tc.want)
			}
		})
	}
}

func TestCheckShapeIgnoresQuotedAndCommentedBrackets(t *testing.T) {
	t.Parallel()
	many := strings.Repeat("[", 300)
	for _, data := range []string{
		"a: \"" + many + "\"\n",
		"a: '" + many + "'\n",
		"a: \"x\\\"" + many + "\"\n",
		"a: 'it''s " + many + "'\n",
		"a: 1 # " + many + "\n",
		"# " + many + "\nb: 2\n",
		"a: |\n  " + many + "\n  - - - -\nb: 2\n",
		"a: >-\n    " + many + "\n\n    x\nb: [1, {c: d}]\n",
		"match: ^x" + many + "\n", // a plain scalar's '[' is text
		"list:\n" + strings.Repeat("  - {a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7}\n", 200),
		"m: {" + strings.Repeat("k: v, ", 200) + "}\n",
		"to:\n  - a: x\n    b: y\n  - \"" + many + "\"\n",
	} {
		if err := CheckShape("f", []byte(data)); err != nil {
			t.Errorf("CheckShape(%.40q...) = %v, want nil", data, err)
		}
	}
}

func TestCheckShapeRefusesLargeDocuments(t *testing.T) {
	t.Parallel()
	data := make([]byte, MaxSize+1)
	for i := range data {
		data[i] = 'a'
	}
	err := CheckShape("big.yaml", data)
	if err == nil || !strings.Contains(err.Error(), "over the limit of 4194304 (4 MiB)") {
		t.Fatalf("CheckShape = %v, want the size limit", err)
	}
}

// TestDecodeRefusesDeepNestingCheaply is the walk's document: it once took
// the parser gigabytes. Refused before parsing, it allocates a handful of
// values whatever the depth.
func TestDecodeRefusesDeepNestingCheaply(t *testing.T) {
	data := deepFlow(100000)
	var v struct {
		Rules []any `yaml:"rules"`
	}
	allocs := testing.AllocsPerRun(3, func() {
		err := Decode("rules", data, &v)
		if err == nil || !strings.HasPrefix(err.Error(), "rules:1:107: lists and mappings nest deeper than 100 levels") {
			t.Fatalf("Decode = %v", err)
		}
	})
	if allocs > 20 {
		t.Errorf("Decode of a 200 KB document made %v allocations, want a few", allocs)
	}
	if HasDocument(data) != true || KeyLine(data, "rules") != 0 {
		t.Error("HasDocument or KeyLine parsed the deep document")
	}
}

// TestCheckShapeCountsWhatTheParserNests checks, on documents the parser
// reads, that the scan's depth is never below the parser's.
func TestCheckShapeCountsWhatTheParserNests(t *testing.T) {
	t.Parallel()
	docs := []string{
		"a:\n  b:\n    - [1, [2, {c: [3]}]]\n",
		"- - - [x]\n",
		"a: \"q\"\nb:\n- c: {d: [e]}\n",
		"? a\n: [b]\n",
		"a: &x [1, [2]]\nb: *x\n",
	}
	for _, d := range docs {
		f, err := parser.ParseBytes([]byte(d), 0)
		if err != nil {
			t.Fatalf("%q: %v", d, err)
		}
		want := astDepth(f.Docs[0].Body)
		s := shapeScan{data: []byte(d), line: 1, maybe: true, sure: true}
		got := s.maxDepth()
		if got < want {
			t.Errorf("%q: scan depth %d, parser's %d", d, got, want)
		}
	}
}

// TestTestdataPassesCheckShape: every YAML file in the repository's
// testdata and examples is well within the limits.
func TestTestdataPassesCheckShape(t *testing.T) {
	t.Parallel()
	n := 0
	err := filepath.WalkDir("../..", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !(strings.HasSuffix(path, ".yaml") || strings.HasSuffix(path, ".yml")) {
			return err
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		n++
		if err := CheckShape(path, data); err != nil {
			t.Errorf("%v", err)
		}
		return nil
	})
	if err != nil || n < 10 {
		t.Fatalf("walked %d files: %v", n, err)
	}
}

func astDepth(n ast.Node) int {
	switch n := n.(type) {
	case *ast.MappingNode:
		m := 0
		for _, v := range n.Values {
			m = max(m, astDepth(v.Value), astDepth(v.Key))
		}
		return 1 + m
	case *ast.MappingValueNode:
		return 1 + max(astDepth(n.Value), astDepth(n.Key))
	case *ast.SequenceNode:
		m := 0
		for _, v := range n.Values {
			m = max(m, astDepth(v))
		}
		return 1 + m
	case *ast.AnchorNode:
		return astDepth(n.Value)
	case *ast.TagNode:
		return astDepth(n.Value)
	case *ast.MappingKeyNode:
		return astDepth(n.Value)
	}
	return 0
}

// TestCheckShapeLastLineOfSpaces: a document whose last line is spaces
// with no newline after them is scanned to its end; the scan read one
// byte past the end and panicked (found by sink's FuzzRules), taking down
// relaylab at start or the web's rules editor.
func TestCheckShapeLastLineOfSpaces(t *testing.T) {
	for _, doc := range []string{"000000\n ", "a: 1\n   ", "- x\n  ", " ", "a:\n  - b\n    "} {
		if err := CheckShape("t.yaml", []byte(doc)); err != nil {
			t.Errorf("CheckShape(%q) = %v, want nil", doc, err)
		}
	}
}

// FuzzCheckShape: CheckShape never panics, whatever the bytes.
func FuzzCheckShape(f *testing.F) {
	for _, seed := range []string{"000000\n ", "a: [1, {b: 2}]\n", "- - - x\n", "k: |\n  text\n   more\n", "\"q\\\"\": 'x''y'\n", "? a\n: b\n", "{a: [b, {c: d}]}"} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		_ = CheckShape("f.yaml", doc)
	})
}
