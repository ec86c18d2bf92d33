package config

import (
	"encoding"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
)

// typeMessage says in words what a value of the wrong type or size should
// have been, for the go-yaml errors that name Go types instead ("cannot
// unmarshal string into Go struct field fileConfig.Relay of type int").
// It returns "" for any other error.
func typeMessage(err error) string {
	var te *yaml.TypeError
	var oe *yaml.OverflowError
	switch {
	case errors.As(err, &te) && te.Token != nil:
		want := wantOf(te.DstType)
		if want == "" {
			return ""
		}
		msg := want + ", got " + gotOf(te.SrcType, te.Token.Value)
		if derefType(te.DstType).Kind() == reflect.Bool {
			msg += quotedBool(te.Token)
		}
		return msg
	case errors.As(err, &oe) && oe.Token != nil && oe.DstType != nil:
		return overflowMessage(oe.DstType, oe.Token.Value)
	}
	return ""
}

// wantOf names what a value of Go type t is written as in YAML.
func wantOf(t reflect.Type) string {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil {
		return ""
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "want a whole number"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "want a whole number, 0 or more"
	case reflect.Float32, reflect.Float64:
		return "want a number"
	case reflect.Bool:
		return "want true or false"
	case reflect.String:
		return "want a single value"
	case reflect.Slice, reflect.Array:
		return "want a list"
	case reflect.Map, reflect.Struct:
		return "want a mapping of keys to values"
	}
	return ""
}

// gotOf describes the value the file has: its text, or what kind of node
// it is when it has no one text.
func gotOf(src reflect.Type, text string) string {
	if src != nil {
		switch src.Kind() {
		case reflect.Slice, reflect.Array:
			return "a list"
		case reflect.Map, reflect.Struct:
			return "a mapping"
		case reflect.String:
			return strconv.Quote(text)
		}
	}
	return text
}

// overflowMessage is the error for a number too large (or too small) for
// the Go integer type t; text is the number as the file writes it.
func overflowMessage(t reflect.Type, text string) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	sign := 0
	if _, err := strconv.ParseInt(text, 0, 64); errors.Is(err, strconv.ErrRange) {
		sign = 1 // a whole number beyond 64 bits, perhaps in hex
	} else if f, err := strconv.ParseFloat(strings.ReplaceAll(text, "_", ""), 64); err == nil && !math.IsInf(f, 0) {
		sign = 1
	}
	lo, hi := intRange(t)
	switch {
	case sign == 0:
		return fmt.Sprintf("want a whole number, got %s", text)
	case strings.HasPrefix(text, "-"):
		return fmt.Sprintf("want a whole number, got %s, which is too small (at least %s)", text, lo)
	}
	return fmt.Sprintf("want a whole number, got %s, which is too large (at most %s)", text, hi)
}

// intRange is the smallest and largest value of the integer type t.
func intRange(t reflect.Type) (lo, hi string) {
	bits := t.Bits()
	switch t.Kind() {
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return "0", strconv.FormatUint(math.MaxUint64>>(64-bits), 10)
	}
	return strconv.FormatInt(math.MinInt64>>(64-bits), 10), strconv.FormatInt(math.MaxInt64>>(64-bits), 10)
}

// checkWholeNumbers refuses a fraction (1.5) where v has an integer: the
// YAML library would silently drop the fraction (1.5 becomes 1), for a
// plain number and for a quoted one alike, and has no option to refuse
// it. It walks data's nodes beside v's type, as the decoder does, so it
// needs no list of keys.
func checkWholeNumbers(data []byte, v any) error {
	file, err := parseFile(data)
	if err != nil || len(file.Docs) == 0 {
		return nil // the decoder has reported it
	}
	w := &wholeWalker{anchors: map[string]ast.Node{}}
	w.walk(file.Docs[0].Body, reflect.TypeOf(v))
	return w.err
}

type wholeWalker struct {
	anchors map[string]ast.Node
	err     error
	// With collect, the walker checks no numbers and gathers the keys
	// that no field of their struct takes (unknownKeys).
	collect bool
	unknown []*ast.MappingValueNode
}

var (
	durationType    = reflect.TypeFor[time.Duration]()
	unmarshalerType = []reflect.Type{
		reflect.TypeFor[yaml.BytesUnmarshaler](), reflect.TypeFor[yaml.BytesUnmarshalerContext](),
		reflect.TypeFor[yaml.InterfaceUnmarshaler](), reflect.TypeFor[yaml.InterfaceUnmarshalerContext](),
		reflect.TypeFor[yaml.NodeUnmarshaler](), reflect.TypeFor[yaml.NodeUnmarshalerContext](),
		reflect.TypeFor[encoding.TextUnmarshaler](),
	}
)

// readsItself reports whether values of t are decoded by their own
// unmarshaler (as Duration is), which sees the text itself.
func readsItself(t reflect.Type) bool {
	if t == durationType {
		return true
	}
	p := reflect.PointerTo(t)
	for _, u := range unmarshalerType {
		if t.Implements(u) || p.Implements(u) {
			return true
		}
	}
	return false
}

func (w *wholeWalker) walk(n ast.Node, t reflect.Type) {
	at := n // where an error points: an alias, not its anchor's value
	for w.err == nil && n != nil {
		switch m := n.(type) {
		case *ast.TagNode:
			n = m.Value
			continue
		case *ast.AnchorNode:
			if m.Name != nil {
				w.anchors[m.Name.GetToken().Value] = m.Value
			}
			n = m.Value
			continue
		case *ast.AliasNode:
			if m.Value == nil {
				return
			}
			n = w.anchors[m.Value.GetToken().Value]
			continue
		}
		break
	}
	if w.err != nil || n == nil || t == nil {
		return
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if readsItself(t) && !(t.Kind() == reflect.Struct && decodesAsFields(t)) {
		return
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if !w.collect {
			w.checkInt(at, n)
		}
	case reflect.Slice, reflect.Array:
		if s, ok := n.(*ast.SequenceNode); ok {
			for _, v := range s.Values {
				w.walk(v, t.Elem())
			}
		}
	case reflect.Map:
		for _, mv := range mappingValues(n) {
			w.walk(mv.Value, t.Elem())
		}
	case reflect.Struct:
		fields := structFields(t)
		for _, mv := range mappingValues(n) {
			if mv.Key == nil {
				continue
			}
			key := mv.Key.GetToken().Value
			ft, ok := fields[key]
			switch {
			case ok:
				w.walk(mv.Value, ft)
			case key == "<<": // a YAML merge key: its mappings' keys are t's
				if s, ok := mv.Value.(*ast.SequenceNode); ok {
					for _, v := range s.Values {
						w.walk(v, t)
					}
				} else {
					w.walk(mv.Value, t)
				}
			case w.collect:
				w.unknown = append(w.unknown, mv)
			}
		}
	}
}

// checkInt refuses a number with a fraction, written plainly or quoted;
// the error points at at.
func (w *wholeWalker) checkInt(at, n ast.Node) {
	var f float64
	switch v := n.(type) {
	case *ast.FloatNode:
		f = v.Value
	case *ast.StringNode:
		var err error
		if f, err = strconv.ParseFloat(v.Value, 64); err != nil {
			return // not a number: the decoder says so
		}
	default:
		return
	}
	if math.IsInf(f, 0) || math.IsNaN(f) || f == math.Trunc(f) {
		return // the decoder reports infinities; 2.0 and 1e3 are whole
	}
	w.err = NodeError(at, fmt.Sprintf("want a whole number, got %s", ScalarText(n)))
}

// mappingValues are the key-value pairs of a block or flow mapping (a
// mapping of one pair is a lone *ast.MappingValueNode).
func mappingValues(n ast.Node) []*ast.MappingValueNode {
	switch m := n.(type) {
	case *ast.MappingNode:
		return m.Values
	case *ast.MappingValueNode:
		return []*ast.MappingValueNode{m}
	}
	return nil
}

// structFields maps the keys of struct type t to their types, by the rules
// of the go-yaml decoder: the yaml tag's name, else the lower-cased field
// name; "-" and unexported fields are skipped, ",inline" structs merged.
func structFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("yaml")
		if tag == "" {
			tag = f.Tag.Get("json")
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" || (!f.IsExported() && !f.Anonymous) {
			continue
		}
		if strings.Contains(","+opts+",", ",inline,") {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				for k, v := range structFields(ft) {
					out[k] = v
				}
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		out[name] = f.Type
	}
	return out
}

// decodesAsFields: an InterfaceUnmarshaler struct hands the decoder a
// value of its own shape (as ListenerConfig does), so its fields are walked.
func decodesAsFields(t reflect.Type) bool {
	p := reflect.PointerTo(t)
	return p.Implements(reflect.TypeFor[yaml.InterfaceUnmarshaler]()) || p.Implements(reflect.TypeFor[yaml.InterfaceUnmarshalerContext]())
}
