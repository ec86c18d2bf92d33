package config

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"
)

// MaxAliasNodes bounds the values that aliases (*name) and merge keys
// (<<) may copy into a document. Each alias is read as a copy of its
// anchor's value, so that an error in it is named at the alias's key; a
// few lines of aliases of aliases could otherwise stand for billions of
// values.
const MaxAliasNodes = 100_000

// expanded is a parsed document as the decoder is given it: each merge
// key (<<) applied as YAML 1.1 defines it (https://yaml.org/type/merge.html:
// a key of the mapping itself wins over a merged one, and of the mappings
// in `<<: [*a, *b]` the earlier wins), which the YAML library does not do
// (it refuses a key that the mapping and a merged mapping both have as a
// duplicate), and each alias replaced by a copy of its anchor's value. A
// copy has tokens of its own, so that an error about one is placed at the
// key that holds the alias, not at the anchor's.
type expanded struct {
	body ast.Node
	// keys is the key path ("$.sink.listeners[0]") of the outermost node
	// of each token, as the parser would give it had the file written
	// the merged keys and the aliases' values out.
	keys map[*token.Token]string
	// copies are the tokens of the copies, with the alias they stand for.
	copies map[*token.Token]copyOf
	// anchors are the values of the anchors seen so far, expanded.
	anchors map[string]ast.Node
	n       int          // nodes copied, against MaxAliasNodes
	err     *expandError // the alias at which the copies passed MaxAliasNodes
}

// copyOf is where a copy's token stands in the file.
type copyOf struct {
	alias  *token.Token // the alias in the file's own text that the copy is for
	anchor string       // the anchor whose value holds the text copied
}

// expandError is an alias that would copy more than MaxAliasNodes values:
// its token and its key path.
type expandError struct {
	tok  *token.Token
	path string
}

func (e *expandError) Error() string {
	return fmt.Sprintf("the aliases (*name) and merge keys (<<) of the file up to here stand for more than %d values: relaylab reads no larger expansion, far more than any configuration needs; look for aliases of lists or mappings that are themselves made of aliases, and write the values out", MaxAliasNodes)
}

// expand parses data and expands its first document. An error is the
// parser's; past MaxAliasNodes, the document is expanded as far as the
// limit and err names the alias where it stopped.
func expand(data []byte) (*expanded, error) {
	file, err := parseFile(data)
	if err != nil {
		return nil, err
	}
	x := &expanded{keys: map[*token.Token]string{}, copies: map[*token.Token]copyOf{}, anchors: map[string]ast.Node{}}
	if len(file.Docs) > 0 && file.Docs[0].Body != nil {
		x.body = x.node(file.Docs[0].Body)
		file.Docs[0].Body = x.body
		x.index(x.body, "$")
	}
	if x.err != nil {
		return x, x.err
	}
	return x, nil
}

// Unmarshal decodes data (one YAML document) into v as the YAML library's
// UnmarshalWithOptions does with opts, but with merge keys applied as
// Decode applies them (expand): a key of a mapping wins over the same
// key that a merge key brings, which the library refuses as a duplicate.
// For the readers of a file beside Decode (the sink's rules, a second
// look at a file Decode has read); its errors are the library's, without
// a file or key path.
func Unmarshal(data []byte, v any, opts ...yaml.DecodeOption) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("malformed YAML: the parser gave up (%v)", p)
		}
	}()
	data = trimBOM(data)
	x, err := expand(data)
	switch {
	case x == nil:
		return parseError(data, err, v, opts...)
	case err != nil:
		return err
	case x.body == nil:
		return nil
	}
	return x.decode(v, opts...)
}

// parseError is the error for data, which expand could not parse (err):
// the decoder's, in its words, but for a document that CheckShape
// refuses, which the parser must not be given.
func parseError(data []byte, err error, v any, opts ...yaml.DecodeOption) error {
	var shape *Error
	if errors.As(err, &shape) {
		return err
	}
	if derr := yaml.NewDecoder(bytes.NewReader(data), opts...).Decode(v); derr != nil {
		return derr
	}
	return err
}

// decode decodes the expanded document into v.
func (x *expanded) decode(v any, opts ...yaml.DecodeOption) error {
	return yaml.NewDecoder(bytes.NewReader(nil), opts...).DecodeFromNode(x.body, v)
}

// node expands n, in the order of the file (an alias refers to the anchor
// of its name before it), and returns what stands in its place.
func (x *expanded) node(n ast.Node) ast.Node {
	switch m := n.(type) {
	case *ast.AliasNode:
		if m.Value == nil || m.Value.GetToken() == nil {
			return n
		}
		v, ok := x.anchors[m.Value.GetToken().Value]
		if !ok || v == nil || x.err != nil {
			return n // no such anchor (the decoder says so), or past the limit
		}
		c := &copier{x: x, alias: m, anchor: m.Value.GetToken().Value, toks: map[*token.Token]*token.Token{}}
		return c.node(v)
	case *ast.AnchorNode:
		m.Value = x.node(m.Value)
		if m.Name != nil && m.Name.GetToken() != nil {
			// After its value: an alias within it is to an earlier anchor.
			x.anchors[m.Name.GetToken().Value] = m.Value
		}
	case *ast.TagNode:
		m.Value = x.node(m.Value)
	case *ast.SequenceNode:
		for i, v := range m.Values {
			m.Values[i] = x.node(v)
			if len(m.Entries) == len(m.Values) && m.Entries[i] != nil {
				m.Entries[i].Value = m.Values[i]
			}
		}
	case *ast.MappingNode:
		for _, mv := range m.Values {
			mv.Value = x.node(mv.Value)
		}
		m.Values = merged(m.Values)
	case *ast.MappingValueNode:
		m.Value = x.node(m.Value)
		if vs := merged([]*ast.MappingValueNode{m}); len(vs) != 1 || vs[0] != m {
			return ast.Mapping(m.GetToken(), m.IsFlowStyle, vs...)
		}
	}
	return n
}

// merged is the key-value pairs vs (expanded) with their merge keys
// applied: each "<<" is replaced by the pairs of the mappings it gives
// whose keys neither the mapping nor an earlier merged mapping has. A
// merge key whose value is not a mapping or a list of mappings is left
// for the decoder to refuse.
func merged(vs []*ast.MappingValueNode) []*ast.MappingValueNode {
	has := map[string]bool{}
	merge := false
	for _, mv := range vs {
		if mv.Key != nil && mv.Key.IsMergeKey() {
			merge = true
		} else {
			has[mapKey(mv.Key)] = true
		}
	}
	if !merge {
		return vs
	}
	out := make([]*ast.MappingValueNode, 0, len(vs))
	for _, mv := range vs {
		from, ok := mergedMappings(mv)
		if !ok {
			out = append(out, mv)
			continue
		}
		for _, m := range from {
			for _, p := range mappingValues(m) {
				if k := mapKey(p.Key); !has[k] {
					has[k] = true
					out = append(out, p)
				}
			}
		}
	}
	return out
}

// mergedMappings are the mappings that mv, a merge key, merges, and
// whether it is one whose value is a mapping or a list of them.
func mergedMappings(mv *ast.MappingValueNode) ([]ast.Node, bool) {
	if mv.Key == nil || !mv.Key.IsMergeKey() {
		return nil, false
	}
	v := unwrap(mv.Value, nil)
	if _, ok := v.(*ast.SequenceNode); !ok {
		v = &ast.SequenceNode{Values: []ast.Node{v}}
	}
	var out []ast.Node
	for _, item := range v.(*ast.SequenceNode).Values {
		m := unwrap(item, nil)
		switch m.(type) {
		case *ast.MappingNode, *ast.MappingValueNode:
			out = append(out, m)
		default:
			return nil, false
		}
	}
	return out, true
}

// mapKey is the text of a mapping's key, as the decoder compares keys.
func mapKey(k ast.MapKeyNode) string {
	var n ast.Node = k
	for {
		switch m := n.(type) {
		case *ast.MappingKeyNode:
			n = m.Value
			continue
		case *ast.TagNode:
			n = m.Value
			continue
		case *ast.AnchorNode:
			n = m.Value
			continue
		}
		break
	}
	if n == nil || n.GetToken() == nil {
		return ""
	}
	return n.GetToken().Value
}

// copier copies an anchor's value for one alias.
type copier struct {
	x      *expanded
	alias  *ast.AliasNode
	anchor string
	// toks maps the tokens of the value to their copies: a block mapping
	// and its first key share one, as their copies do.
	toks map[*token.Token]*token.Token
}

// tok is the copy of t.
func (c *copier) tok(t *token.Token) *token.Token {
	if t == nil {
		return nil
	}
	if n, ok := c.toks[t]; ok {
		return n
	}
	n := *t
	c.toks[t] = &n
	anchor := c.anchor
	if o, ok := c.x.copies[t]; ok {
		anchor = o.anchor // a copy within the anchor's value: its text is in the inner anchor
	}
	c.x.copies[&n] = copyOf{alias: c.alias.GetToken(), anchor: anchor}
	return &n
}

func base(b *ast.BaseNode) *ast.BaseNode {
	if b == nil {
		return &ast.BaseNode{}
	}
	n := *b
	return &n
}

// node is a copy of n, an anchor's value (expanded): anchors within it are
// left out (every alias to them is expanded already). Past MaxAliasNodes
// it copies no more, and stands a null in each place: the document is
// refused, and no node may stand in two places of it (which the walks
// over it would follow as often as the aliases multiply).
func (c *copier) node(n ast.Node) ast.Node {
	if n == nil {
		return nil
	}
	if a, ok := n.(*ast.AnchorNode); ok {
		return c.node(a.Value)
	}
	if c.x.err == nil {
		if c.x.n++; c.x.n > MaxAliasNodes {
			c.x.err = &expandError{tok: c.alias.GetToken(), path: c.alias.GetPath()}
		}
	}
	if c.x.err != nil {
		return nullAt(n)
	}
	switch m := n.(type) {
	case *ast.MappingNode:
		cp := *m
		cp.BaseNode, cp.Start, cp.End = base(m.BaseNode), c.tok(m.Start), c.tok(m.End)
		cp.Values = make([]*ast.MappingValueNode, len(m.Values))
		for i, mv := range m.Values {
			cp.Values[i] = c.pair(mv)
		}
		return &cp
	case *ast.MappingValueNode:
		return c.pair(m)
	case *ast.SequenceNode:
		cp := *m
		cp.BaseNode, cp.Start, cp.End = base(m.BaseNode), c.tok(m.Start), c.tok(m.End)
		cp.Values = make([]ast.Node, len(m.Values))
		for i, v := range m.Values {
			cp.Values[i] = c.node(v)
		}
		cp.Entries = nil
		if len(m.Entries) == len(m.Values) {
			cp.Entries = make([]*ast.SequenceEntryNode, len(m.Entries))
			for i, e := range m.Entries {
				if e != nil {
					ce := *e
					ce.BaseNode, ce.Start, ce.Value = base(e.BaseNode), c.tok(e.Start), cp.Values[i]
					cp.Entries[i] = &ce
				}
			}
		}
		return &cp
	case *ast.MappingKeyNode:
		cp := *m
		cp.BaseNode, cp.Start, cp.Value = base(m.BaseNode), c.tok(m.Start), c.node(m.Value)
		return &cp
	case *ast.TagNode:
		cp := *m
		cp.BaseNode, cp.Start, cp.Value = base(m.BaseNode), c.tok(m.Start), c.node(m.Value)
		return &cp
	case *ast.AliasNode: // to no anchor
		cp := *m
		cp.BaseNode, cp.Start = base(m.BaseNode), c.tok(m.Start)
		return &cp
	case *ast.LiteralNode:
		cp := *m
		cp.BaseNode, cp.Start = base(m.BaseNode), c.tok(m.Start)
		if m.Value != nil {
			if s, ok := c.node(m.Value).(*ast.StringNode); ok {
				cp.Value = s
			}
		}
		return &cp
	case *ast.StringNode:
		cp := *m
		cp.BaseNode, cp.Token = base(m.BaseNode), c.tok(m.Token)
		return &cp
	case *ast.IntegerNode:
		cp := *m
		cp.BaseNode, cp.Token = base(m.BaseNode), c.tok(m.Token)
		return &cp
	case *ast.FloatNode:
		cp := *m
		cp.BaseNode, cp.Token = base(m.BaseNode), c.tok(m.Token)
		return &cp
	case *ast.BoolNode:
		cp := *m
		cp.BaseNode, cp.Token = base(m.BaseNode), c.tok(m.Token)
		return &cp
	case *ast.NullNode:
		cp := *m
		cp.BaseNode, cp.Token = base(m.BaseNode), c.tok(m.Token)
		return &cp
	case *ast.InfinityNode:
		cp := *m
		cp.BaseNode, cp.Token = base(m.BaseNode), c.tok(m.Token)
		return &cp
	case *ast.NanNode:
		cp := *m
		cp.BaseNode, cp.Token = base(m.BaseNode), c.tok(m.Token)
		return &cp
	case *ast.MergeKeyNode:
		cp := *m
		cp.BaseNode, cp.Token = base(m.BaseNode), c.tok(m.Token)
		return &cp
	}
	return n // no other kind holds a value
}

// pair is a copy of a key-value pair.
func (c *copier) pair(mv *ast.MappingValueNode) *ast.MappingValueNode {
	cp := *mv
	cp.BaseNode, cp.Start, cp.CollectEntry = base(mv.BaseNode), c.tok(mv.Start), c.tok(mv.CollectEntry)
	if k, ok := c.node(mv.Key).(ast.MapKeyNode); ok {
		cp.Key = k
	}
	cp.Value = c.node(mv.Value)
	return &cp
}

// index sets the key path of n, which stands at path, and of the nodes
// within, as the parser sets them, and notes each token's.
func (x *expanded) index(n ast.Node, path string) {
	if n == nil {
		return
	}
	if mv, ok := n.(*ast.MappingValueNode); ok {
		path += "." + pathKey(mv.Key) // a pair stands where its mapping does
	}
	n.SetPath(path)
	if tok := n.GetToken(); tok != nil {
		if _, ok := x.keys[tok]; !ok {
			x.keys[tok] = path // pre-order: the outermost node of the token
		}
	}
	switch m := n.(type) {
	case *ast.MappingNode:
		for _, mv := range m.Values {
			x.index(mv, path)
		}
	case *ast.MappingValueNode:
		x.index(m.Key, path)
		x.index(m.Value, path)
	case *ast.SequenceNode:
		for i, v := range m.Values {
			x.index(v, fmt.Sprintf("%s[%d]", path, i))
		}
	case *ast.AnchorNode:
		x.index(m.Name, path)
		x.index(m.Value, path)
	case *ast.TagNode:
		x.index(m.Value, path)
	case *ast.MappingKeyNode:
		x.index(m.Value, path)
	case *ast.AliasNode:
		x.index(m.Value, path)
	case *ast.LiteralNode:
		if m.Value != nil {
			x.index(m.Value, path)
		}
	}
}

// pathKey is key as a step of a key path, as the parser writes it: quoted
// when it holds a character that paths use.
func pathKey(key ast.MapKeyNode) string {
	var n ast.Node = key
	for {
		switch m := n.(type) {
		case *ast.MappingKeyNode:
			n = m.Value
			continue
		case *ast.TagNode:
			n = m.Value
			continue
		case *ast.AnchorNode:
			n = m.Value
			continue
		case *ast.AliasNode:
			return ""
		}
		break
	}
	if n == nil || n.GetToken() == nil {
		return ""
	}
	k := n.GetToken().Value
	if strings.ContainsAny(k, "$*.[]") {
		return "'" + k + "'"
	}
	return k
}

// place is where an error about a node of an expanded document points.
type place struct {
	line, col int
	rel       string // the key path, without "$."
	// note names the anchor that a copy's text is in, for the message:
	// the line and column are the alias's.
	note string
}

// place finds tok, a token of the expanded document; false for another.
func (x *expanded) place(tok *token.Token) (place, bool) {
	if x == nil || tok == nil || tok.Position == nil {
		return place{}, false
	}
	key, ok := x.keys[tok]
	if !ok {
		return place{}, false
	}
	p := place{line: tok.Position.Line, col: tok.Position.Column, rel: strings.TrimPrefix(strings.TrimPrefix(key, "$"), ".")}
	if o, ok := x.copies[tok]; ok && o.alias != nil && o.alias.Position != nil {
		p.line, p.col = o.alias.Position.Line, o.alias.Position.Column
		p.note = fmt.Sprintf(" (written at line %d, in the anchor &%s)", tok.Position.Line, o.anchor)
	}
	return p, true
}
