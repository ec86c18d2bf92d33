package config

import "fmt"

// MaxDepth is how deeply lists and mappings may nest in a YAML file that
// relaylab reads. Real files nest a handful of levels. The YAML parser's
// memory grows with the square of the depth (each level copies the path
// of the one above), so a small document of nothing but brackets ("[" a
// hundred thousand times) took gigabytes before its own depth check ran.
const MaxDepth = 100

// MaxSize is the largest YAML document relaylab reads, in bytes. The
// parser keeps a token of about a hundred bytes for each bracket, comma
// or word, so a document's cost is many times its size.
const MaxSize = 4 << 20

// CheckShape refuses data that is too large or nests too deeply for the
// YAML parser to read safely, before it is parsed; name is used in the
// error. It reads data once, keeping a few integers per open level, and
// counts what might open a list or a mapping: a '[' or '{' that is not in
// a comment, a quoted string or a block scalar (| or >), a "- " or "? "
// that starts an entry, a key's column. Where it cannot tell what the
// parser will make of a character, it counts the level, so a file can be
// refused for a depth the parser would not reach, never the reverse.
func CheckShape(name string, data []byte) error {
	if len(data) > MaxSize {
		return &Error{File: name, Msg: fmt.Sprintf("the document is %d bytes, over the limit of %d (%d MiB): relaylab reads no larger YAML file; split it, or remove what it repeats", len(data), MaxSize, MaxSize>>20)}
	}
	s := shapeScan{data: data, line: 1, maybe: true, sure: true}
	if line, col, ok := s.run(); !ok {
		return &Error{File: name, Line: line, Column: col, Msg: fmt.Sprintf("lists and mappings nest deeper than %d levels here (a '[', '{', \"- \" or key inside %d others): relaylab reads no deeper YAML, far more than any configuration needs; look for brackets that are opened and never closed, or flatten the structure", MaxDepth, MaxDepth)}
	}
	return nil
}

// blockLevel is a block collection open at a column.
type blockLevel struct {
	col int
	seq bool
}

// shapeScan is CheckShape's state. The parser opens a flow collection at
// '[' only where no plain text is pending (or inside another flow
// collection), and starts a quoted string only where none is: maybe
// says none may be pending (so a bracket counts), sure that none is (so
// a quote, a comment after text or a block scalar header is taken as
// such). Erring in maybe's direction counts more levels; in sure's it
// skips less text.
type shapeScan struct {
	data        []byte
	i           int
	line, col   int // of data[i], 1-based; col counts runes
	flow        int // open '[' and '{', as far as they count
	block       []blockLevel
	maybe, sure bool
	keyCol      int // column where the pending text began, 0-based
	nodeCol     int // column of the last key or entry on the line, 0-based
	afterColon  bool
	lastDelim   int // 1-based column of the last "- " or key, as the parser keeps it
	dashes      int // "- " and "? " on this line inside a flow collection
	peak        int
	scalar      int // >0: in a block scalar, content indented at least this much; -1: header seen, indent not yet known
	scalarMin   int // a block scalar's content is indented more than this
}

// run scans until the end or until a level too deep; it returns that
// level's line and column and false.
func (s *shapeScan) run() (int, int, bool) {
	for s.i < len(s.data) {
		if s.col == 0 {
			if !s.lineStart() {
				continue
			}
			if s.i >= len(s.data) {
				break // a last line of spaces only, with no newline
			}
		}
		c := s.data[s.i]
		switch {
		case c == '\n':
			s.newline()
			continue
		case c == ' ' || c == '\t' || c == '\r':
			s.advance(1)
			continue
		case c == '#' && (s.sure || s.prevSpace()):
			s.skipLine()
			s.sure, s.maybe = true, true
			continue
		case (c == '[' || c == '{') && (s.maybe || s.flow > 0):
			s.flow++
			if s.tooDeep() {
				return s.line, s.col, false
			}
			s.token(1)
			continue
		case (c == ']' || c == '}') && s.flow > 0:
			s.flow--
			s.token(1)
			continue
		case c == ',' && s.flow > 0:
			s.token(1)
			continue
		case (c == '"' || c == '\'') && s.sure:
			s.keyCol = s.col - 1
			if !s.quoted(c) {
				return 0, 0, true // unterminated: the parser refuses it
			}
			s.sure, s.maybe, s.afterColon = true, true, false
			continue
		case (c == '-' || c == '?') && s.maybe && s.spaceAfter(1):
			if s.flow == 0 {
				s.open(s.col-1, c == '-')
			} else {
				s.dashes++ // a stray '[' may have put us in a flow the parser is not in
			}
			if c == '-' {
				s.lastDelim = s.col
			}
			if s.tooDeep() {
				return s.line, s.col, false
			}
			s.token(1)
			continue
		case c == ':' && s.colon():
			s.lastDelim = s.keyCol + 1
			sure := s.spaceAfter(1)
			if s.flow == 0 {
				s.open(s.keyCol, false)
				if s.tooDeep() {
					return s.line, s.keyCol + 1, false
				}
			}
			s.token(1)
			s.afterColon = s.flow > 0
			s.sure = s.sure || sure // the parser takes ": " for a key's end wherever it is
			continue
		case (c == '|' || c == '>') && s.sure && s.flow == 0:
			s.scalarMin = s.nodeCol
			s.scalar = -1
			if d := s.indentIndicator(); d > 0 {
				s.scalar = s.nodeCol + d
			}
			s.skipLine()
			continue
		case (c == '&' || c == '*' || c == '!') && s.maybe:
			// An anchor, alias or tag: its name ends at a space or a
			// flow indicator, after which nothing is pending.
			s.advance(1)
			for s.i < len(s.data) && !isNameEnd(s.data[s.i]) {
				s.advance(1)
			}
			s.maybe = true
			continue
		}
		if s.maybe || s.sure {
			s.keyCol = s.col - 1
		}
		s.maybe, s.sure, s.afterColon = false, false, false
		s.advance(1)
	}
	return 0, 0, true
}

// depth is the number of levels open, with the entries a line in a flow
// collection starts with ("- - x"), which the parser may read as block
// entries all the same.
func (s *shapeScan) depth() int { return s.flow + len(s.block) + s.dashes }

// tooDeep notes the depth reached and reports whether it is over MaxDepth.
func (s *shapeScan) tooDeep() bool {
	s.peak = max(s.peak, s.depth())
	return s.peak > MaxDepth
}

// maxDepth scans the whole of data and returns the deepest level reached
// (for tests; past MaxDepth it stops).
func (s *shapeScan) maxDepth() int {
	s.run()
	return s.peak
}

// lineStart handles the indentation of a line: a block scalar's content
// is skipped, and block levels indented more than the line end. It
// returns false when it has consumed the line.
func (s *shapeScan) lineStart() bool {
	indent := 0
	for s.i+indent < len(s.data) && s.data[s.i+indent] == ' ' {
		indent++
	}
	j := s.i + indent
	blank := j >= len(s.data) || s.data[j] == '\n' || (s.data[j] == '\r' && (j+1 >= len(s.data) || s.data[j+1] == '\n'))
	if s.scalar != 0 {
		switch {
		case blank, s.scalar > 0 && indent >= s.scalar:
			s.skipText()
			return false
		case s.scalar == -1 && indent > s.scalarMin:
			s.scalar = indent
			s.skipText()
			return false
		}
		s.scalar = 0
		s.sure, s.maybe = true, true
	}
	s.col = 1
	s.advance(indent)
	s.nodeCol = indent
	s.keyCol = indent
	s.dashes = 0
	// Plain text may go on from the line before; the parser ends it at a
	// line that starts at or left of the last "- " or key.
	s.maybe = true
	if s.lastDelim > 0 && indent+1 <= s.lastDelim {
		s.sure = true
	}
	if s.flow == 0 && !blank && s.data[j] != '#' {
		for len(s.block) > 0 && s.block[len(s.block)-1].col > indent {
			s.block = s.block[:len(s.block)-1]
		}
	}
	return true
}

// open notes a block collection's entry or key at col: a sibling of the
// level at col, or a new level inside the one before.
func (s *shapeScan) open(col int, seq bool) {
	s.nodeCol = col
	for len(s.block) > 0 && s.block[len(s.block)-1].col > col {
		s.block = s.block[:len(s.block)-1]
	}
	if n := len(s.block); n > 0 && s.block[n-1].col == col {
		top := s.block[n-1]
		if top.seq == seq {
			return
		}
		if top.seq && !seq { // a key after a list at its column ends the list
			s.block = s.block[:n-1]
			if n > 1 && s.block[n-2].col == col {
				return
			}
		}
	}
	s.block = append(s.block, blockLevel{col: col, seq: seq})
}

// colon reports whether the ':' at s.i may separate a key from its value:
// followed by a space or the end of a line in a block, anything but '/'
// in a flow collection, unless one came just before.
func (s *shapeScan) colon() bool {
	if s.flow > 0 {
		return !s.afterColon && !(s.i+1 < len(s.data) && s.data[s.i+1] == '/')
	}
	return s.spaceAfter(1)
}

// token consumes an indicator n bytes long, after which no text is
// pending (if there was none before it, or the indicator ends it).
func (s *shapeScan) token(n int) {
	s.advance(n)
	s.maybe = true
	s.afterColon = false
	s.keyCol = s.col - 1
}

// quoted skips a quoted string starting at s.i, lines and all; false if it
// does not end.
func (s *shapeScan) quoted(q byte) bool {
	s.advance(1)
	for s.i < len(s.data) {
		c := s.data[s.i]
		switch {
		case c == '\n':
			s.line++
			s.col = 1
			s.i++
			continue
		case q == '"' && c == '\\':
			s.advance(1)
			if s.i < len(s.data) && s.data[s.i] == '\n' {
				continue
			}
		case c == q && q == '\'' && s.i+1 < len(s.data) && s.data[s.i+1] == '\'':
			s.advance(1)
		case c == q:
			s.advance(1)
			return true
		}
		s.advance(1)
	}
	return false
}

// indentIndicator is the digit of a block scalar's header (|2, >-4), or 0.
func (s *shapeScan) indentIndicator() int {
	for j := s.i + 1; j < len(s.data) && j < s.i+3; j++ {
		if c := s.data[j]; c >= '1' && c <= '9' {
			return int(c - '0')
		}
	}
	return 0
}

func (s *shapeScan) spaceAfter(n int) bool {
	j := s.i + n
	return j >= len(s.data) || s.data[j] == ' ' || s.data[j] == '\t' || s.data[j] == '\n' || s.data[j] == '\r'
}

func (s *shapeScan) prevSpace() bool {
	if s.i == 0 {
		return true
	}
	c := s.data[s.i-1]
	return c == ' ' || c == '\t' || c == '\n' || c == '\r'
}

func isNameEnd(c byte) bool {
	switch c {
	case ' ', '\t', '\r', '\n', '[', ']', '{', '}', ',':
		return true
	}
	return false
}

// skipLine moves to the '\n' that ends the line (or the end).
func (s *shapeScan) skipLine() {
	for s.i < len(s.data) && s.data[s.i] != '\n' {
		s.advance(1)
	}
}

// skipText consumes a line of a block scalar, its '\n' included.
func (s *shapeScan) skipText() {
	for s.i < len(s.data) && s.data[s.i] != '\n' {
		s.i++
	}
	if s.i < len(s.data) {
		s.newline()
	}
}

func (s *shapeScan) newline() {
	s.i++
	s.line++
	s.col = 0
}

// advance moves n bytes along the line; col counts the first byte of each
// UTF-8 sequence only, as the parser's columns count runes.
func (s *shapeScan) advance(n int) {
	for ; n > 0 && s.i < len(s.data); n-- {
		if s.data[s.i]&0xC0 != 0x80 {
			s.col++
		}
		s.i++
	}
}
