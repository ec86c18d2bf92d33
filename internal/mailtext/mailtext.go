// Package mailtext reads the text of a message as a person would see it:
// header fields' RFC 2047 encoded-words and text parts in the charset they
// declare (RFC 2045 charset=), decoded into valid UTF-8, with a byte that
// is not text in its charset, or not UTF-8 where none is declared, as
// U+FFFD, one per byte. The web UI's message pages and the relay's
// subjects read mail through it, so they show the same characters.
package mailtext

import (
	"bytes"
	"fmt"
	"io"
	"iter"
	"mime"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/htmlindex"
)

// Text decodes b from charset into valid UTF-8. An unknown or
// missing charset leaves b as it is, read as UTF-8 (US-ASCII is a subset).
func Text(b []byte, charset string) string {
	if dec, err := charsetDecoder(charset); err == nil {
		if out, err := io.ReadAll(dec(bytes.NewReader(b))); err == nil {
			b = out
		}
	}
	return Valid(string(b))
}

// Header decodes the RFC 2047 encoded-words of a header field's
// value in whatever charset they name. RFC 2047 6.2 and 6.3: an
// encoded-word that cannot be decoded (a charset we do not know, a
// malformed encoding) stays as written, readable as such, and every
// other word of the value is decoded all the same.
func Header(v string) string {
	dec := mime.WordDecoder{CharsetReader: func(charset string, r io.Reader) (io.Reader, error) {
		// mime.WordDecoder reads "utf-8" and "us-ascii" itself, and
		// asks here for their other spellings ("utf8", "ascii"), whose
		// text needs no decoding either: Valid mends what is not UTF-8.
		if noDecoding(charset) {
			return r, nil
		}
		d, err := charsetDecoder(charset)
		if err != nil {
			return nil, err
		}
		return d(r), nil
	}}
	var b strings.Builder
	decoded := false // the last thing written was a decoded word
	for v != "" {
		start, end := nextWord(v)
		if start < 0 {
			b.WriteString(v)
			break
		}
		s, err := dec.Decode(v[start:end])
		if err != nil {
			// Not decoded: written as it is, whole.
			b.WriteString(v[:end])
			v, decoded = v[end:], false
			continue
		}
		// RFC 2047 6.2: white space between two adjacent encoded-words
		// is not shown.
		if !decoded || strings.Trim(v[:start], " \t\r\n") != "" {
			b.WriteString(v[:start])
		}
		b.WriteString(s)
		v, decoded = v[end:], true
	}
	return Valid(strings.Map(c1AsWindows1252, b.String()))
}

// Known says whether Text and Header can read charset: UTF-8, US-ASCII,
// no charset at all, or any name or label browsers know. Text reads an
// unknown one as UTF-8, and Header leaves its encoded-words as written.
func Known(charset string) bool {
	_, err := charsetDecoder(charset)
	return err == nil || noDecoding(charset)
}

// Words are the things in v shaped as RFC 2047 encoded-words
// (=?charset?e?text?=), as Header finds them, in order.
func Words(v string) []string {
	var out []string
	for v != "" {
		start, end := nextWord(v)
		if start < 0 {
			break
		}
		out = append(out, v[start:end])
		v = v[end:]
	}
	return out
}

// UnreadCharsets are the charsets of v's encoded-words that Header leaves
// as written because it cannot read them (Known is false), each once
// whatever its case, in the order they first appear.
func UnreadCharsets(v string) []string {
	var out []string
	seen := map[string]bool{}
	for _, w := range Words(v) {
		cs := w[2 : 2+strings.IndexByte(w[2:], '?')]
		if k := strings.ToLower(cs); !Known(cs) && !seen[k] {
			seen[k] = true
			out = append(out, cs)
		}
	}
	return out
}

// nextWord finds the first thing in v shaped as an encoded-word
// (=?charset?e?text?=, RFC 2047 2), as v[start:end]; start is -1 when
// there is none.
func nextWord(v string) (start, end int) {
	for from := 0; ; {
		i := strings.Index(v[from:], "=?")
		if i < 0 {
			return -1, 0
		}
		start = from + i
		// charset ? e ? text ?=: the charset ends at the first "?",
		// the encoding is one character, the text ends at "?=".
		rest := v[start+2:]
		c := strings.IndexByte(rest, '?')
		if c > 0 && len(rest) >= c+4 && rest[c+2] == '?' {
			if t := strings.Index(rest[c+3:], "?="); t >= 0 {
				return start, start + 2 + c + 3 + t + 2
			}
		}
		from = start + 2
	}
}

// c1AsWindows1252 reads a C1 control character (U+0080 to U+009F) as the
// windows-1252 character of that byte. mime.WordDecoder decodes
// iso-8859-1 itself, byte for byte, where the bytes 0x80 to 0x9F are
// controls; charsetDecoder, like browsers, reads that label as
// windows-1252, whose quotes, dashes and euro sign those bytes are. A
// subject has no use for the controls.
func c1AsWindows1252(r rune) rune {
	if r >= 0x80 && r <= 0x9f {
		return charmap.Windows1252.DecodeByte(byte(r))
	}
	return r
}

// charsetDecoder returns what reads text in charset as UTF-8, by the
// charset's name or any of its labels, as browsers know them (the WHATWG
// Encoding Standard: iso-8859-1 reads as its superset windows-1252, as
// mail that says iso-8859-1 often holds windows-1252's quotes and
// dashes). UTF-8, US-ASCII and no charset at all need no decoder.
func charsetDecoder(charset string) (func(io.Reader) io.Reader, error) {
	if noDecoding(charset) {
		return nil, fmt.Errorf("charset %q: no decoding needed", charset)
	}
	charset = strings.ToLower(strings.TrimSpace(charset))
	enc, err := htmlindex.Get(charset)
	if err != nil {
		return nil, fmt.Errorf("charset %q: %w", charset, err)
	}
	return func(r io.Reader) io.Reader { return enc.NewDecoder().Reader(r) }, nil
}

// noDecoding says whether charset is UTF-8, US-ASCII or none at all,
// which Text reads as they are.
func noDecoding(charset string) bool {
	switch strings.ToLower(strings.TrimSpace(charset)) {
	case "", "utf-8", "utf8", "us-ascii", "ascii":
		return true
	}
	return false
}

// Valid is s with each byte that is not part of a UTF-8 character
// replaced by U+FFFD, as encoding/json writes such bytes: the web UI's
// JSON answers, its body.html and a text body read the same.
func Valid(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for _, r := range s { // an invalid byte ranges as utf8.RuneError, one byte long
		b.WriteRune(r)
	}
	return b.String()
}

// HeaderLines yields the lines of a message's header section, without
// their line ends (CRLF or a bare LF), up to the empty line that ends it
// (RFC 5322 2.1) or the end of data; a line that starts with a space or a
// tab goes on with the field before (folded, RFC 5322 2.2.3).
func HeaderLines(data []byte) iter.Seq[[]byte] {
	return func(yield func([]byte) bool) {
		for len(data) > 0 {
			line := data
			if i := bytes.IndexByte(data, '\n'); i >= 0 {
				line, data = data[:i], data[i+1:]
			} else {
				data = nil
			}
			line = bytes.TrimSuffix(line, []byte("\r"))
			if len(line) == 0 || !yield(line) {
				return
			}
		}
	}
}
