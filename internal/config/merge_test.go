package config

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
)

type mergeItem struct {
	Name   string     `yaml:"name"`
	Match  string     `yaml:"match"`
	Status string     `yaml:"status"`
	Count  int        `yaml:"count"`
	Sub    *mergeItem `yaml:"sub"`
}

// mergeDoc is a file whose items take anchors, merge keys and aliases.
type mergeDoc struct {
	Defaults mergeItem                 `yaml:"defaults"`
	Items    []mergeItem               `yaml:"items"`
	Limits   map[string]int            `yaml:"limits"`
	Groups   map[string]map[string]int `yaml:"groups"`
}

func (d *mergeDoc) Validate(string) error {
	for i, it := range d.Items {
		if it.Count > 10 {
			return Errorf(fmt.Sprintf("items[%d].count", i), "%d is more than 10", it.Count)
		}
	}
	return nil
}

const mergeDefaults = "defaults: &d {name: a, match: m, status: delivered}\n"

// TestMergeKeyOverrides: a mapping's own keys win over the keys a merge
// key (<<) brings, wherever the merge key stands, and of the mappings of
// `<<: [*a, *b]` the earlier wins (https://yaml.org/type/merge.html);
// the YAML library refused such a key as a duplicate.
func TestMergeKeyOverrides(t *testing.T) {
	t.Parallel()
	e := "  - &e {name: e, status: bounced, count: 2}\n"
	for _, tc := range []struct {
		name, in string
		want     mergeItem // the last item
	}{
		{"own key after", "items:\n  - {<<: *d, name: b, match: x}\n", mergeItem{"b", "x", "delivered", 0, nil}},
		{"own key before", "items:\n  - {name: b, match: x, <<: *d}\n", mergeItem{"b", "x", "delivered", 0, nil}},
		{"block", "items:\n  - <<: *d\n    name: b\n", mergeItem{"b", "m", "delivered", 0, nil}},
		{"earlier of a list wins", "items:\n" + e + "  - {<<: [*d, *e]}\n", mergeItem{"a", "m", "delivered", 2, nil}},
		{"earlier of a list wins, reversed", "items:\n" + e + "  - {<<: [*e, *d]}\n", mergeItem{"e", "m", "bounced", 2, nil}},
		{"own key over a list", "items:\n" + e + "  - {<<: [*e, *d], count: 3}\n", mergeItem{"e", "m", "bounced", 3, nil}},
		{"anchor that merges", "items:\n  - &f {<<: *d, status: deferred}\n  - {<<: *f, name: g}\n", mergeItem{"g", "m", "deferred", 0, nil}},
		{"mapping written in place", "items:\n  - {<<: {name: i, count: 3}, count: 4}\n", mergeItem{"i", "", "", 4, nil}},
		{"alias", "items:\n  - *d\n", mergeItem{"a", "m", "delivered", 0, nil}},
	} {
		var d mergeDoc
		if err := Decode("t.yaml", []byte(mergeDefaults+tc.in), &d); err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if got := d.Items[len(d.Items)-1]; got != tc.want {
			t.Errorf("%s: got %+v, want %+v", tc.name, got, tc.want)
		}
		if d.Defaults != (mergeItem{"a", "m", "delivered", 0, nil}) {
			t.Errorf("%s: the anchor's own mapping changed: %+v", tc.name, d.Defaults)
		}
	}
	var d mergeDoc
	if err := Decode("t.yaml", []byte("limits: {<<: {a: 1, b: 2}, b: 3}\n"), &d); err != nil || !reflect.DeepEqual(d.Limits, map[string]int{"a": 1, "b": 3}) {
		t.Errorf("a map: %v, %v", d.Limits, err)
	}
}

// TestMergeKeyRealDuplicate: a key given twice in one mapping is still
// refused beside a merge key, at both of its places, as without one.
func TestMergeKeyRealDuplicate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"items:\n  - {<<: *d, name: b, name: c}\n", "t.yaml:3:23: items[0].name: given twice, at 3:14 and at 3:23 (line:column)"},
		{"items:\n  - <<: *d\n    name: b\n    name: c\n", "t.yaml:5:5: items[0].name: given twice, at line 4 and at line 5"},
	} {
		var d mergeDoc
		err := Decode("t.yaml", []byte(mergeDefaults+tc.in), &d)
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("%q: %v\nwant %s...", tc.in, err, tc.want)
		}
	}
}

// TestAliasErrorAtItsKey: a problem in a value that an alias or a merge
// key brings is named at the key that holds the alias, at the alias's
// line and column, with the line the text is written at; it was named at
// the anchor's key and line.
func TestAliasErrorAtItsKey(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, in, want string }{
		{"alias, unknown key", "limits: &l {colour: 1}\ndefaults: *l\n",
			`t.yaml:2:11: defaults.colour: unknown field "colour" (written at line 1, in the anchor &l)`},
		{"merge, unknown key", "limits: &l {colour: 1}\nitems:\n  - {name: b, <<: *l}\n",
			`t.yaml:3:19: items[0].colour: unknown field "colour" (written at line 1, in the anchor &l)`},
		{"alias, wrong type", mergeDefaults + "limits: *d\n",
			`t.yaml:2:9: limits.name: want a whole number, got "a" (written at line 1, in the anchor &d)`},
		{"merge, validation", "defaults: &d\n  name: a\n  count: 11\nitems:\n  - {<<: *d, name: b}\n",
			`t.yaml:5:10: items[0].count: 11 is more than 10 (written at line 3, in the anchor &d)`},
		{"alias of an alias", "limits: &l {colour: 1}\ngroups: &g {sub: *l}\nitems: [*g]\n",
			`t.yaml:3:9: items[0].sub.colour: unknown field "colour" (written at line 1, in the anchor &l)`},
		{"several unknown", "limits: &l {colour: 1, size: 2}\ndefaults: *l\n",
			`t.yaml:2:11: defaults.colour: unknown field "colour" (written at line 1, in the anchor &l); also unknown: defaults.size (line 2, written at line 1, in the anchor &l)`},
	} {
		var d mergeDoc
		if err := Decode("t.yaml", []byte(tc.in), &d); err == nil || err.Error() != tc.want {
			t.Errorf("%s: %v\nwant %s", tc.name, err, tc.want)
		}
	}
	data := []byte("defaults: &d\n  count: 11\nitems:\n  - name: x\n  - {<<: *d}\n")
	if got := KeyLine(data, "items[1].count"); got != 5 {
		t.Errorf("KeyLine of a merged key = %d, want 5 (the merge's line)", got)
	}
	if got := KeyLine(data, "defaults.count"); got != 2 {
		t.Errorf("KeyLine of the anchor's own key = %d, want 2", got)
	}
}

// TestAliasExpansionBounded: aliases of aliases that would stand for a
// billion values are refused at the alias where the expansion passes
// MaxAliasNodes, rather than copied until memory runs out (and each
// decoded or walked as many times).
func TestAliasExpansionBounded(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 9; i++ {
		fmt.Fprintf(&b, "l%d: &l%d [", i, i)
		for j := range 10 {
			if j > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "*l%d", i-1)
		}
		b.WriteString("]\n")
	}
	var d mergeDoc
	err := Decode("t.yaml", []byte(b.String()), &d)
	var ce *Error
	if !errors.As(err, &ce) || !strings.Contains(ce.Msg, fmt.Sprintf("more than %d values", MaxAliasNodes)) || ce.Line < 2 || !strings.HasPrefix(ce.Key, "l") {
		t.Errorf("got %v; want the limit, at an alias's line and key", err)
	}
}

// TestExpandKeepsParserPaths: expanding a file without aliases or merge
// keys gives every node the key path the parser gave it, which the
// errors name.
func TestExpandKeepsParserPaths(t *testing.T) {
	t.Parallel()
	data := []byte("a: &x\n  'b.c': [1, {d: 2}]\n  e: !!str 3\n  f: |\n    text\nlist:\n  - g: 1\n    h: [x, y]\n  - [1, [2]]\n\"$k\": {i: null}\n")
	var want, got []string
	file, err := parseFile(data)
	if err != nil {
		t.Fatal(err)
	}
	ast.Walk(pathList{&want}, file.Docs[0].Body)
	ex, err := expand(data)
	if err != nil {
		t.Fatal(err)
	}
	ast.Walk(pathList{&got}, ex.body)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("paths:\n%q\nwant\n%q", got, want)
	}
}

// pathList collects the key path of each node, with its type.
type pathList struct{ out *[]string }

func (p pathList) Visit(n ast.Node) ast.Visitor {
	*p.out = append(*p.out, fmt.Sprintf("%T %s", n, n.GetPath()))
	return p
}

// TestUnmarshalMerges: Unmarshal, for readers beside Decode, applies merge
// keys as Decode does, strictly or not, and refuses what CheckShape
// refuses before the parser sees it.
func TestUnmarshalMerges(t *testing.T) {
	t.Parallel()
	in := []byte(mergeDefaults + "items:\n  - {<<: *d, name: b}\n")
	var d mergeDoc
	if err := Unmarshal(in, &d, yaml.Strict()); err != nil || d.Items[0] != (mergeItem{"b", "m", "delivered", 0, nil}) {
		t.Errorf("strict: %+v, %v", d.Items, err)
	}
	var loose struct {
		Items []struct {
			Name string `yaml:"name"`
		} `yaml:"items"`
	}
	if err := Unmarshal(in, &loose); err != nil || loose.Items[0].Name != "b" {
		t.Errorf("not strict: %+v, %v", loose, err)
	}
	if err := Unmarshal([]byte("items: [\n"), &d); err == nil {
		t.Error("a file that does not parse was read")
	}
	var ce *Error
	if err := Unmarshal([]byte(strings.Repeat("[", MaxDepth+1)), &d); !errors.As(err, &ce) {
		t.Errorf("too deep: %v, want CheckShape's error", err)
	}
}
