package mailtext

import (
	"bytes"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxHeaderScan bounds the search for a field in a message whose header
// has no end (no empty line).
const maxHeaderScan = 256 << 10

// Field returns the unfolded value of the first field of data's header
// named name (RFC 5322 2.2.3), in any case, trimmed; "" when there is
// none. It reads leniently (any line ending, any bytes, a space before
// the colon) and only the first 256 KiB of data.
func Field(data []byte, name string) string {
	var val []byte
	in := false
	for line := range HeaderLines(data[:min(len(data), maxHeaderScan)]) {
		if line[0] == ' ' || line[0] == '\t' {
			if in {
				val = append(val, line...)
			}
			continue
		}
		if in {
			break
		}
		n, v, ok := bytes.Cut(line, []byte(":"))
		if ok && strings.EqualFold(string(bytes.TrimSpace(n)), name) {
			in = true
			val = append(val, v...)
		}
	}
	return strings.TrimSpace(string(val))
}

// HasField reports whether data's header has a field named name (in any
// case), even an empty one, read as Field reads it.
func HasField(data []byte, name string) bool {
	for line := range HeaderLines(data[:min(len(data), maxHeaderScan)]) {
		if line[0] == ' ' || line[0] == '\t' {
			continue
		}
		if n, _, ok := bytes.Cut(line, []byte(":")); ok && strings.EqualFold(string(bytes.TrimSpace(n)), name) {
			return true
		}
	}
	return false
}

// Subject returns the message's Subject for an event: its encoded-words
// decoded (RFC 2047) in their charsets as Header reads them, on one line
// (a line break or tab a space, another control character U+FFFD: a NUL
// is not text), cut to max characters with "…" as the last; "" when it
// has none.
func Subject(data []byte, max int) string {
	raw := Field(data, "subject")
	if raw == "" {
		return ""
	}
	s := strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			if r == '\t' || r == '\r' || r == '\n' {
				return ' '
			}
			return utf8.RuneError
		}
		return r
	}, Header(raw))
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) > max {
		s = string([]rune(s)[:max-1]) + "…"
	}
	return s
}
