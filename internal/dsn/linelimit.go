package dsn

import (
	"bytes"
	"fmt"
)

// maxLine is the most octets a line of a message may have, CRLF not
// counted (RFC 5322 2.1.1, RFC 5321 4.5.3.1.6). A DSN with a longer line
// is refused on its way back, and then the sender hears nothing at all.
const maxLine = 998

// foldWidth is the width that refolded lines aim at (RFC 5322 2.1.1's 78).
const foldWidth = 78

// lineChanges counts what limitOriginal did to the returned original.
type lineChanges struct {
	folded  int  // header lines refolded at white space, value kept
	cut     int  // header lines cut short: a run without white space was too long
	dropped bool // the body had a line too long, so only the header went back
}

// note is the paragraph the human-readable part gets when the returned
// original is not what arrived, or "" when it is.
func (c lineChanges) note() string {
	if c.folded == 0 && c.cut == 0 && !c.dropped {
		return ""
	}
	s := "Note: the original message had lines longer than the 998 characters a line of a message may have (RFC 5322 2.1.1), " +
		"which would have made this report undeliverable too, so what is returned below is not exactly what arrived:"
	if c.dropped {
		s += " its body had such a line, so only its header section is returned;"
	}
	if c.folded > 0 {
		s += fmt.Sprintf(" %d header %s folded onto shorter lines (the value is unchanged);", c.folded, plural(c.folded, "line was", "lines were"))
	}
	if c.cut > 0 {
		s += fmt.Sprintf(" %d header %s cut short where a run of over 998 characters had no space to fold at (marked \"...\");", c.cut, plural(c.cut, "line was", "lines were"))
	}
	return s[:len(s)-1] + ". Lines that long are a fault of the program that wrote the message; keep each line under 998 characters (fold header fields, encode bodies as quoted-printable or base64)."
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// limitOriginal makes every line of the returned original (CRLF-ended)
// at most maxLine octets: long header lines are refolded at white space
// (RFC 5322 2.2.3), which keeps their value, and cut where they cannot be;
// a full message whose body has a long line goes back as its header
// section only, since a body line cannot be refolded without changing it.
func limitOriginal(orig []byte, headersOnly bool) ([]byte, bool, lineChanges) {
	var c lineChanges
	head, body := splitHeader(orig)
	if !headersOnly && len(head) > 0 && hasLongLine(body) {
		headersOnly, c.dropped = true, true
	}
	if !hasLongLine(head) {
		if c.dropped {
			return head, true, c
		}
		return orig, headersOnly, c
	}
	var out bytes.Buffer
	for _, line := range bytes.SplitAfter(head, []byte("\n")) {
		content := bytes.TrimRight(line, "\r\n")
		if len(content) <= maxLine {
			out.Write(line)
			continue
		}
		lines, cut := foldLine(content)
		if cut {
			c.cut++
		} else {
			c.folded++
		}
		for _, l := range lines {
			out.Write(l)
			out.WriteString("\r\n")
		}
	}
	if !headersOnly {
		// The empty line and the body, as they were.
		out.Write(orig[len(head):])
	}
	return out.Bytes(), headersOnly, c
}

func hasLongLine(b []byte) bool {
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			return len(b) > maxLine
		}
		if len(bytes.TrimSuffix(b[:i], []byte("\r"))) > maxLine {
			return true
		}
		b = b[i+1:]
	}
	return false
}

// foldLine breaks one header line before white space into lines that aim
// at foldWidth octets; a piece that still has more than maxLine is cut
// (at a UTF-8 character boundary) and ends in "...".
func foldLine(line []byte) (lines [][]byte, cut bool) {
	var cur []byte
	for _, seg := range segments(line) {
		if len(cur) > 0 && len(cur)+len(seg) > foldWidth && hasNonSpace(cur) {
			lines = append(lines, cur)
			cur = nil
		}
		cur = append(cur, seg...)
	}
	lines = append(lines, cur)
	for i, l := range lines {
		if len(l) > maxLine {
			lines[i] = shorten(l, maxLine)
			cut = true
		}
	}
	return lines, cut
}

// segments splits a line before each run of white space, so that every
// segment but the first starts with the white space a fold goes before.
func segments(line []byte) [][]byte {
	var segs [][]byte
	start := 0
	for i := 1; i < len(line); i++ {
		if isWSP(line[i]) && !isWSP(line[i-1]) {
			segs = append(segs, line[start:i])
			start = i
		}
	}
	return append(segs, line[start:])
}

func isWSP(c byte) bool { return c == ' ' || c == '\t' }

func hasNonSpace(b []byte) bool {
	return len(bytes.TrimLeft(b, " \t")) > 0
}

// shorten cuts s to at most n octets, the last three of them "...",
// without splitting a UTF-8 character.
func shorten(s []byte, n int) []byte {
	end := n - 3
	for end > 0 && s[end]&0xC0 == 0x80 {
		end--
	}
	return append(append([]byte(nil), s[:end]...), "..."...)
}
