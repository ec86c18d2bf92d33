package config

import (
	"cmp"
	"encoding"
	"errors"
	"fmt"
	"math"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"
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
		if k := derefType(te.DstType).Kind(); k == reflect.Float32 || k == reflect.Float64 {
			msg += percentHint(te.Token.Value)
		} else if k >= reflect.Int && k <= reflect.Uint64 {
			msg += sizeHint(te.Token.Value)
		}
		return msg
	case errors.As(err, &oe) && oe.Token != nil && oe.DstType != nil:
		return overflowMessage(oe.DstType, oe.Token.Value)
	}
	return ""
}

// percentHint says how to write a percentage (20%) where a number is
// wanted, as the probabilities are: a fraction, 0.2; "" for any other
// value.
func percentHint(v string) string {
	n, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "%")), 64)
	if !strings.HasSuffix(strings.TrimSpace(v), "%") || err != nil {
		return ""
	}
	return fmt.Sprintf(" (a percentage is written as a fraction here: %s for %s)", strconv.FormatFloat(n/100, 'f', -1, 64), strings.TrimSpace(v))
}

// sizeUnit is a size with a unit, as a person writes a message size
// limit (10MB, 25 MiB).
var sizeUnit = regexp.MustCompile(`(?i)^\s*([0-9]+(?:\.[0-9]+)?)\s*(b|kb|mb|gb|kib|mib|gib)\s*$`)

// sizeHint says how to write a size with a unit (10MB) where a whole
// number is wanted, as the limits in octets are: the number it stands
// for; "" for any other value.
func sizeHint(v string) string {
	m := sizeUnit.FindStringSubmatch(v)
	if m == nil {
		return ""
	}
	n, err := strconv.ParseFloat(m[1], 64)
	if err != nil {
		return ""
	}
	mult := map[string]float64{"b": 1, "kb": 1e3, "mb": 1e6, "gb": 1e9, "kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30}[strings.ToLower(m[2])]
	return fmt.Sprintf(" (a whole number here, without a unit: %s is %s)", strings.TrimSpace(v), strconv.FormatFloat(math.Round(n*mult), 'f', -1, 64))
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
// it. It walks body's nodes (expanded: merge keys applied, aliases
// copied) beside v's type, as the decoder does, so it needs no list of
// keys.
func checkWholeNumbers(body ast.Node, v any) error {
	w := &wholeWalker{anchors: map[string]ast.Node{}}
	w.walk(body, reflect.TypeOf(v))
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
		n = unwrap(n, w.anchors)
		m, ok := n.(*ast.AliasNode)
		if !ok {
			break
		}
		if m.Value == nil {
			return
		}
		n = w.anchors[m.Value.GetToken().Value]
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
	if !w.collect && keepsBadValues(t) {
		return // its UnmarshalYAML refuses fractions with its other bad values
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
	if msg := fraction(n); msg != "" {
		w.err = NodeError(at, msg)
	}
}

// fraction is the error for n, the value of an integer, when it is a
// number with a fraction, written plainly or quoted: the YAML library
// would drop the fraction (1.5 becomes 1). It is "" for any other value.
func fraction(n ast.Node) string {
	var f float64
	switch v := n.(type) {
	case *ast.FloatNode:
		f = v.Value
	case *ast.StringNode:
		var err error
		if f, err = strconv.ParseFloat(v.Value, 64); err != nil {
			return "" // not a number: the decoder says so
		}
	default:
		return ""
	}
	if math.IsInf(f, 0) || math.IsNaN(f) || f == math.Trunc(f) {
		return "" // the decoder reports infinities; 2.0 and 1e3 are whole
	}
	return fmt.Sprintf("want a whole number, got %s", ScalarText(n))
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

// BadValueKeeper is implemented by a struct whose UnmarshalYAML sets
// aside the values below it that do not decode (SetAsideBadValues) and
// reports each with the problems its Validate finds, rather than failing
// the file at the first: checkWholeNumbers, and the SetAsideBadValues of
// a struct it is in, leave its keys to it.
type BadValueKeeper interface {
	KeepsBadValues()
}

var keeperType = reflect.TypeFor[BadValueKeeper]()

// keepsBadValues reports whether struct type t is a BadValueKeeper.
func keepsBadValues(t reflect.Type) bool {
	return t.Kind() == reflect.Struct && (t.Implements(keeperType) || reflect.PointerTo(t).Implements(keeperType))
}

// SetAsideBadValues finds each value of the mapping that decode (a
// yaml.InterfaceUnmarshaler's) is about to read into v, a pointer to the
// struct it fills, that would not decode into its field: a value of the
// wrong type or shape ("count: three", a string where a list goes), one
// its own type refuses (a Range's "many", a Duration's "5x"), or a number
// with a fraction where a whole number goes. It returns each as a
// *FieldError at its key, worded as Decode words it, and makes the value
// of the key that holds it null, which the decoder reads as the key left
// out, so that decode then fills the rest of v and the caller's Validate
// reports these with the problems it finds in the rest: a file with
// several bad values has each named in one run. A value the decoder would
// refuse for another reason (an alias of an anchor it cannot see) is left
// to the decoder, as are unknown keys, and the keys of a BadValueKeeper
// within v, which sets its own aside.
func SetAsideBadValues(decode func(any) error, v any) []error {
	var root ast.Node
	if decode(&root) != nil || root == nil {
		return nil
	}
	root = unwrap(root, nil)
	if len(mappingValues(root)) == 0 {
		return nil // not a mapping, or an empty one: the decoder says so
	}
	t := derefType(reflect.TypeOf(v))
	if t == nil || t.Kind() != reflect.Struct {
		return nil
	}
	w := &valueWalker{root: v, anchors: map[string]ast.Node{}}
	w.fields(root, t, "")
	return w.bad
}

// Shadowed reports whether err is a problem at the key of a value of bad
// (set aside by SetAsideBadValues), or at a key above or below one: the
// value was read as its key left out, which a later check may refuse, and
// its own error says what is wrong there.
func Shadowed(bad []error, err error) bool {
	var fe *FieldError
	if !errors.As(err, &fe) {
		return false
	}
	for _, b := range bad {
		var be *FieldError
		if errors.As(b, &be) && (keyUnder(fe.Key, be.Key) || keyUnder(be.Key, fe.Key)) {
			return true
		}
	}
	return false
}

// BadUnder are the values of bad (set aside by SetAsideBadValues) at key
// or below it.
func BadUnder(bad []error, key string) []error {
	var out []error
	for _, b := range bad {
		var be *FieldError
		if errors.As(b, &be) && keyUnder(be.Key, key) {
			out = append(out, b)
		}
	}
	return out
}

// keyUnder reports whether key is parent or a key below it
// ("messages[0].to[1]" is under "messages[0]" and "messages").
func keyUnder(key, parent string) bool {
	rest, ok := strings.CutPrefix(key, parent)
	return ok && (rest == "" || rest[0] == '.' || rest[0] == '[')
}

// valueWalker is SetAsideBadValues' walk over a mapping's nodes beside
// the type of the struct they fill.
type valueWalker struct {
	root    any // the struct, for the words of a shape's error (shapeMessage)
	anchors map[string]ast.Node
	bad     []error
	// flow is whether the key being walked is in a flow mapping
	// ({to: x}), where a list is written in brackets.
	flow bool
}

// fields walks the key-value pairs of n, a mapping, for struct type t at
// rel (the path below the root), and makes null the value of each key
// that holds a bad value.
func (w *valueWalker) fields(n ast.Node, t reflect.Type, rel string) {
	fields := structFields(t)
	for _, mv := range mappingValues(n) {
		if mv.Key == nil || mv.Key.GetToken() == nil || mv.Value == nil {
			continue
		}
		key := mv.Key.GetToken().Value
		ft, ok := fields[key]
		if !ok {
			continue // an unknown key, or a merge (<<): the decoder's
		}
		m, _ := n.(*ast.MappingNode)
		flow := w.flow
		w.flow = mv.IsFlowStyle || m != nil && m.IsFlowStyle
		if w.walk(mv.Value, ft, joinKey(rel, key)) {
			mv.Value = nullAt(mv.Value)
		}
		w.flow = flow
	}
}

// walk looks at the value at of type t at rel and reports whether it is
// bad, for the key that holds it to be set aside; a struct's own keys are
// set aside within it. Its depth is the file's nesting, which CheckShape
// bounds before the file is parsed.
func (w *valueWalker) walk(at ast.Node, t reflect.Type, rel string) bool {
	n := at
	for {
		n = unwrap(n, w.anchors)
		m, ok := n.(*ast.AliasNode)
		if !ok {
			break
		}
		// A scalar's alias is looked at where it is used, as the
		// decoder reads it; a list's or mapping's was at its anchor,
		// and walking it again for each alias could take as long as
		// the aliases multiply.
		if m.Value == nil || m.Value.GetToken() == nil {
			return false
		}
		switch a := w.anchors[m.Value.GetToken().Value].(type) {
		case nil, *ast.AliasNode, *ast.MappingNode, *ast.MappingValueNode, *ast.SequenceNode, *ast.TagNode, *ast.AnchorNode:
			return false // or an anchor outside the walk: the decoder's
		default:
			n = a
		}
	}
	if n == nil || t == nil {
		return false
	}
	if _, ok := n.(*ast.NullNode); ok {
		return false // the key left out
	}
	t = derefType(t)
	if keepsBadValues(t) {
		return false // it sets its own aside
	}
	if readsItself(t) && !(t.Kind() == reflect.Struct && decodesAsFields(t)) {
		return w.leaf(at, n, t, rel)
	}
	switch t.Kind() {
	case reflect.Struct:
		if len(mappingValues(n)) == 0 {
			if _, ok := n.(*ast.MappingNode); !ok {
				return w.leaf(at, n, t, rel)
			}
		}
		w.fields(n, t, rel)
		return false
	case reflect.Slice, reflect.Array:
		seq, ok := n.(*ast.SequenceNode)
		if !ok {
			return w.leaf(at, n, t, rel)
		}
		bad := false
		for i, item := range seq.Values {
			if item != nil && w.walk(item, t.Elem(), fmt.Sprintf("%s[%d]", rel, i)) {
				bad = true // the list is set aside, after each bad item is named
			}
		}
		return bad
	case reflect.Map:
		mvs := mappingValues(n)
		if len(mvs) == 0 {
			if _, ok := n.(*ast.MappingNode); !ok {
				return w.leaf(at, n, t, rel)
			}
		}
		bad := false
		for _, mv := range mvs {
			if mv.Key == nil || mv.Key.GetToken() == nil || mv.Value == nil {
				continue
			}
			if w.walk(mv.Value, t.Elem(), joinKey(rel, mv.Key.GetToken().Value)) {
				bad = true
			}
		}
		return bad
	}
	return w.leaf(at, n, t, rel)
}

// leaf decodes n (written at at) alone into a value of type t, and
// reports whether it is bad, noting why at its key.
func (w *valueWalker) leaf(at, n ast.Node, t reflect.Type, rel string) bool {
	err := decodeNode(n, t)
	msg := ""
	switch {
	case err != nil:
		msg = valueMessage(err, w.root, rel)
	case isInteger(t) && !readsItself(t):
		msg = fraction(n)
	}
	if msg == "" {
		return false // good, or bad in a way the decoder reports itself
	}
	if w.flow {
		msg = flowListAdvice(msg, rel, n)
	}
	w.bad = append(w.bad, Errorf(strings.TrimPrefix(strings.TrimPrefix(at.GetPath(), "$"), "."), "%s", msg))
	return true
}

// decodeNode decodes n alone into a new value of type t. The YAML
// library can panic on some input; that is a bad value too, for the
// decoder to report.
func decodeNode(n ast.Node, t reflect.Type) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("malformed YAML: the parser gave up (%v)", p)
		}
	}()
	return yaml.NodeToValue(n, reflect.New(t).Interface())
}

// valueMessage is the error Decode gives for err, a value's decoding
// error, at rel below root: what was wanted, in the words decodeError
// uses. It is "" for an error that is not about the value alone.
func valueMessage(err error, root any, rel string) string {
	var (
		te *yaml.TypeError
		oe *yaml.OverflowError
		ue *yaml.UnexpectedNodeTypeError
		ne *nodeError
		ye yaml.Error
	)
	if !errors.As(err, &te) && !errors.As(err, &oe) && !errors.As(err, &ue) && !errors.As(err, &ne) || !errors.As(err, &ye) {
		return ""
	}
	return cmp.Or(shapeMessage(err, root, rel), typeMessage(err), ye.GetMessage())
}

// isInteger reports whether t is one of Go's integer types.
func isInteger(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return true
	}
	return false
}

// nullAt is a null value where n stands, which the decoder reads as the
// key left out.
func nullAt(n ast.Node) ast.Node {
	pos := &token.Position{}
	if tk := n.GetToken(); tk != nil && tk.Position != nil {
		p := *tk.Position
		pos = &p
	}
	return ast.Null(token.New("null", "null", pos))
}

// blockListAdvice is how shapeMessage says that a list goes where a file
// has a single value.
const blockListAdvice = `want a list, each item on a line of its own starting with "- "`

// flowListAdvice rewrites msg, the error for the single value n where a
// list goes at rel, for a key in a flow mapping ({to: a@x.test}): there a
// list is written in brackets on the same line, not as items on lines of
// their own, which a flow mapping cannot hold.
func flowListAdvice(msg, rel string, n ast.Node) string {
	rest, ok := strings.CutPrefix(msg, blockListAdvice)
	if !ok || !strings.HasPrefix(rest, ", got ") {
		return msg // a list of mappings, or a mapping given
	}
	val := ScalarText(n)
	if _, ok := n.(*ast.StringNode); ok {
		val = strconv.Quote(val)
	}
	key := rel[strings.LastIndexAny(rel, ".]")+1:]
	return fmt.Sprintf("want a list, which in a {...} mapping is written in brackets, as in %s: [%s]%s", key, val, rest)
}

// unwrap is n without the tags and anchors around its value, each
// anchor's value noted in anchors (when not nil) for the aliases after it.
func unwrap(n ast.Node, anchors map[string]ast.Node) ast.Node {
	for {
		switch m := n.(type) {
		case *ast.TagNode:
			n = m.Value
		case *ast.AnchorNode:
			if m.Name != nil && anchors != nil {
				anchors[m.Name.GetToken().Value] = m.Value
			}
			n = m.Value
		default:
			return n
		}
	}
}
