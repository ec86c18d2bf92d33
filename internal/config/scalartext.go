package config

import (
	"reflect"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
)

// KeepText gives the text fields of v, a pointer to the struct that decode
// (a YAML unmarshaler's) has just filled, the text the file wrote where it
// wrote a plain scalar that YAML reads as a number or a boolean: the
// decoder would make `dsn_status: 5.10` the float 5.1 and then the string
// "5.1", which matches 5.1.10 and not 5.10.0, `5.0` "5", which matches
// every 5.x.x, and `name: 1.10` "1.1". Quoting is no longer needed for
// such values to mean what they say. The fields are those of type string,
// *string, []string and map[string]string with a yaml tag, and those of
// the structs and lists of structs within (a scenario's relay.paths[0].name
// is "1.10" as its expectations' path: is); a type that reads its own
// node (ReplyGlob, Range, a sink's reply text) keeps what it read.
func KeepText(decode func(any) error, v any) {
	var nodes map[string]ast.Node
	if decode(&nodes) != nil {
		return // not a mapping: the decoder has said so
	}
	keepStruct(reflect.ValueOf(v).Elem(), nodes, 0)
}

// maxKeepDepth bounds how deep KeepText follows structs within structs,
// far beyond any configuration's.
const maxKeepDepth = 16

// keepStruct is KeepText for the struct value rv, whose keys' nodes are
// nodes.
func keepStruct(rv reflect.Value, nodes map[string]ast.Node, depth int) {
	rt := rv.Type()
	for i := range rt.NumField() {
		f := rt.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		n, ok := nodes[name]
		if !f.IsExported() || name == "" || name == "-" || !ok {
			continue
		}
		keepField(rv.Field(i), n, depth)
	}
}

var (
	stringType    = reflect.TypeFor[string]()
	stringPtrType = reflect.TypeFor[*string]()
	stringsType   = reflect.TypeFor[[]string]()
	stringMapType = reflect.TypeFor[map[string]string]()
)

// keepField sets fv, a field KeepText looks at, from node n.
func keepField(fv reflect.Value, n ast.Node, depth int) {
	switch fv.Type() {
	case stringType:
		if s, ok := plainText(n); ok {
			fv.SetString(s)
		}
	case stringPtrType:
		if s, ok := plainText(n); ok && !fv.IsNil() {
			fv.Elem().SetString(s)
		}
	case stringsType:
		seq, ok := n.(*ast.SequenceNode)
		if !ok || len(seq.Values) != fv.Len() {
			return
		}
		for j, e := range seq.Values {
			if s, ok := plainText(e); ok {
				fv.Index(j).SetString(s)
			}
		}
	case stringMapType:
		if fv.IsNil() {
			return
		}
		for _, mv := range mappingValues(n) {
			if mv.Key == nil || mv.Key.GetToken() == nil {
				continue
			}
			k := reflect.ValueOf(mv.Key.GetToken().Value)
			if s, ok := plainText(mv.Value); ok && fv.MapIndex(k).IsValid() {
				fv.SetMapIndex(k, reflect.ValueOf(s))
			}
		}
	default:
		if depth >= maxKeepDepth {
			return
		}
		switch {
		case fv.Kind() == reflect.Pointer && !fv.IsNil() && isFields(fv.Type().Elem()):
			keepStruct(fv.Elem(), nodesOf(n), depth+1)
		case isFields(fv.Type()):
			keepStruct(fv, nodesOf(n), depth+1)
		case fv.Kind() == reflect.Slice && isFields(fv.Type().Elem()):
			seq, ok := n.(*ast.SequenceNode)
			if !ok || len(seq.Values) != fv.Len() {
				return
			}
			for j, e := range seq.Values {
				keepStruct(fv.Index(j), nodesOf(e), depth+1)
			}
		}
	}
}

// isFields reports whether t is a struct that the decoder fills key by
// key, rather than one that reads its own node or text (a
// yaml.NodeUnmarshaler or BytesUnmarshaler such as Range, Toggle).
func isFields(t reflect.Type) bool {
	if t.Kind() != reflect.Struct {
		return false
	}
	p := reflect.PointerTo(t)
	return !p.Implements(reflect.TypeFor[yaml.NodeUnmarshaler]()) && !p.Implements(reflect.TypeFor[yaml.BytesUnmarshaler]()) &&
		!t.Implements(reflect.TypeFor[yaml.NodeUnmarshaler]()) && !t.Implements(reflect.TypeFor[yaml.BytesUnmarshaler]())
}

// nodesOf is the mapping n as its keys' nodes; nil for any other node.
func nodesOf(n ast.Node) map[string]ast.Node {
	if a, ok := n.(*ast.AnchorNode); ok {
		n = a.Value
	}
	out := map[string]ast.Node{}
	for _, mv := range mappingValues(n) {
		if mv.Key != nil && mv.Key.GetToken() != nil {
			out[mv.Key.GetToken().Value] = mv.Value
		}
	}
	return out
}

// plainText is the text of n as the file wrote it, when n is a plain
// scalar that YAML reads as something other than a string (5.10, 0x10,
// True, .inf); false for a string, null or a collection, whose decoded
// value is the file's.
func plainText(n ast.Node) (string, bool) {
	if a, ok := n.(*ast.AnchorNode); ok {
		n = a.Value
	}
	switch n.(type) {
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.InfinityNode, *ast.NanNode:
		if tok := n.GetToken(); tok != nil {
			return tok.Value, true
		}
	}
	return "", false
}
