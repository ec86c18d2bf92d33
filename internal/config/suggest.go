package config

import (
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml/ast"
)

// unknownField is the YAML decoder's message for a key the struct does
// not have.
var unknownField = regexp.MustCompile(`^unknown field "(.*)"$`)

// suggestKey adds to an unknown key's error the key one edit away that v
// has at that place (` (did you mean "recipient"?)`), when there is one.
// rel is the key's path below v, as keyAt gives it ("[0].recipent").
func suggestKey(out *Error, v any, rel string) {
	m := unknownField.FindStringSubmatch(out.Msg)
	if m == nil {
		return
	}
	t := typeAt(reflect.TypeOf(v), parentKey(rel))
	if t == nil {
		return
	}
	var near []string
	best := 3
	for _, k := range yamlKeys(t) {
		if !nearKey(m[1], k) {
			continue
		}
		// Only the closest: "stat" names "state", not "stage" too,
		// when one is an edit nearer.
		switch d := EditDistance(m[1], k); {
		case d < best:
			best, near = d, []string{strconv.Quote(k)}
		case d == best:
			near = append(near, strconv.Quote(k))
		}
	}
	if len(near) == 0 {
		return
	}
	sort.Strings(near)
	out.Msg += " (did you mean " + strings.Join(near, " or ") + "?)"
}

// KeyAdviser is a configuration struct that knows what a key it does not
// have most likely meant, and how to write that: a sink listener's
// "rules" are the sink's, each with listener: NAME. UnknownKeyAdvice is
// called on the struct's zero value with the key as written; "" for no
// advice.
type KeyAdviser interface {
	UnknownKeyAdvice(key string) string
}

// keyAdvice adds to an unknown key's error what the struct that holds it
// advises (KeyAdviser), unless the error names a nearer key already; it
// reports whether it added some.
func keyAdvice(out *Error, v any, rel string) bool {
	m := unknownField.FindStringSubmatch(out.Msg)
	if m == nil || strings.Contains(out.Msg, "did you mean") {
		return false
	}
	t := typeAt(reflect.TypeOf(v), parentKey(rel))
	if t == nil {
		return false
	}
	a, ok := reflect.New(t).Interface().(KeyAdviser)
	if !ok {
		return false
	}
	advice := a.UnknownKeyAdvice(strings.ToLower(m[1]))
	if advice == "" {
		return false
	}
	out.Msg += ": " + advice
	return true
}

// typeAt is the struct type at path (a dotted path with [n] for list
// items) below t, or nil when path leads elsewhere than a struct, such
// as through a type that reads itself (a custom unmarshaler) in a shape
// of its own.
func typeAt(t reflect.Type, path string) reflect.Type {
	if t = typeOfPath(t, path); t == nil || t.Kind() != reflect.Struct {
		return nil
	}
	return t
}

// fieldType is the type of t's field that the YAML key name sets, inline
// structs included; nil when there is none.
func fieldType(t reflect.Type, name string) reflect.Type {
	var found reflect.Type
	yamlFields(t, func(key string, ft reflect.Type) bool {
		if key == name {
			found = ft
			return false
		}
		return true
	})
	return found
}

// yamlKeys are the keys a YAML mapping may give for struct t.
func yamlKeys(t reflect.Type) []string {
	var keys []string
	yamlFields(t, func(key string, _ reflect.Type) bool {
		keys = append(keys, key)
		return true
	})
	return keys
}

// yamlFields calls fn with each key a YAML mapping may give for struct t
// and the type of its field, those of inline structs included, until fn
// returns false; it reports whether it went through them all.
func yamlFields(t reflect.Type, fn func(key string, ft reflect.Type) bool) bool {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		key, inline, ok := yamlName(f)
		switch {
		case !ok:
		case inline:
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct && !yamlFields(ft, fn) {
				return false
			}
		default:
			if !fn(key, f.Type) {
				return false
			}
		}
	}
	return true
}

// yamlName is the key of field f as the YAML decoder reads it (its tag's
// name, or the field's name in lower case), whether f is inline, and
// whether the decoder reads f at all.
func yamlName(f reflect.StructField) (key string, inline, ok bool) {
	tag := f.Tag.Get("yaml")
	if tag == "-" || (!f.IsExported() && !f.Anonymous) {
		return "", false, false
	}
	name, opts, _ := strings.Cut(tag, ",")
	for _, o := range strings.Split(opts, ",") {
		if o == "inline" {
			return "", true, true
		}
	}
	if name == "" {
		name = strings.ToLower(f.Name)
	}
	return name, false, true
}

// nearKey reports whether the unknown key a was probably meant as b: one
// edit away (one character added, taken out or changed, or two
// neighbours swapped), or two for keys of six characters or more
// ("schedual" for "schedule"), where two edits still leave most of the
// word.
func nearKey(a, b string) bool {
	d := EditDistance(a, b)
	return d == 1 || d == 2 && min(len([]rune(a)), len([]rune(b))) >= 6
}

// EditDistance is the fewest edits between a and b, each edit one
// character added, taken out or changed, or two neighbours swapped
// (Damerau's optimal string alignment). It is for names that did not
// parse, where the cost does not matter.
func EditDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	// Three rows: the one before last is for a swap.
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}

// Nearest is the one of names that word (compared ignoring case) was
// most likely meant as: one edit away, or two for words of six letters or
// more (see nearKey); "" when none is, or when two are equally near.
func Nearest(word string, names []string) string {
	word = strings.ToLower(word)
	best, found, tie := 3, "", false
	for _, n := range names {
		ln := strings.ToLower(n)
		if !nearKey(word, ln) {
			continue
		}
		switch d := EditDistance(word, ln); {
		case d < best:
			best, found, tie = d, n, false
		case d == best:
			tie = true
		}
	}
	if tie {
		return ""
	}
	return found
}

// sectionHint adds to an unknown top-level key's error the section it
// belongs to when the key just above it has no value and takes that key
// (a section whose body lost its indentation: "relay:" then "listen:" at
// the start of the line reads as an empty relay and a top-level listen),
// or else the sections that take it; and to an unknown key of a section
// (relay: {keep: 1h}) the other sections that take it.
func sectionHint(out *Error, data []byte, v any, rel string) {
	m := unknownField.FindStringSubmatch(out.Msg)
	if m == nil || strings.Contains(out.Msg, "did you mean") {
		return // already given a nearer key
	}
	in := "" // where the key is written, when not at the top level
	if rel != m[1] {
		var ok bool
		if in, ok = strings.CutSuffix(rel, "."+m[1]); !ok {
			return
		}
	}
	t := reflect.TypeOf(v)
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || t.Kind() != reflect.Struct {
		return
	}
	var takers []string
	yamlFields(t, func(key string, ft reflect.Type) bool {
		if st := derefType(ft); st != nil && st.Kind() == reflect.Struct && fieldType(st, m[1]) != nil {
			takers = append(takers, key)
		}
		return true
	})
	if len(takers) == 0 {
		return
	}
	if in != "" {
		out.Msg += fmt.Sprintf(" (%q is a key of %s, not of %s: put it under its section)", m[1], strings.Join(takers, ", "), in)
		return
	}
	file, err := parseFile(data)
	if err == nil && len(file.Docs) > 0 && out.Line > 0 {
		var above *ast.MappingValueNode
		for _, mv := range mappingValues(file.Docs[0].Body) {
			if tok := mv.Key.GetToken(); tok != nil && tok.Position.Line < out.Line {
				above = mv
			}
		}
		if above != nil {
			key := above.Key.GetToken().Value
			_, empty := above.Value.(*ast.NullNode)
			if empty && slices.Contains(takers, key) {
				out.Msg += fmt.Sprintf(" (%q is a key of %s: indent it under %q above, which has no value as written)", m[1], key, key+":")
				return
			}
		}
	}
	out.Msg += fmt.Sprintf(" (%q is a key of %s: put it under its section)", m[1], strings.Join(takers, ", "))
}
