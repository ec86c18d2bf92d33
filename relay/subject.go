package relay

import (
	"bytes"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/relaylab/relaylab/internal/mailtext"
)

// maxSubject caps the subject kept in a relay.queued event, in characters.
const maxSubject = 200

// subjectOf returns the message's Subject, its encoded words decoded (RFC
// 2047) in their charsets as the web UI's message page reads them
// (internal/mailtext: an unknown charset stays encoded, a byte that is
// not text is U+FFFD), on one line and cut to maxSubject characters. A
// message without a readable header gives "".
func subjectOf(data []byte) string {
	raw := rawField(data, "subject")
	if raw == "" {
		return ""
	}
	s := mailtext.Header(raw)
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			if r == '\t' || r == '\r' || r == '\n' {
				return ' '
			}
			return utf8.RuneError // as the web UI shows it: a NUL is not text
		}
		return r
	}, s)
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) > maxSubject {
		rs := []rune(s)
		s = string(rs[:maxSubject-1]) + "…"
	}
	return s
}

// maxHeaderScan bounds the search for the Subject in a message without
// the blank line that ends a header.
const maxHeaderScan = 256 << 10

// rawField returns the unfolded value of the first field of the header
// named field (RFC 5322 2.2.3), leniently: any line ending, any bytes.
func rawField(data []byte, field string) string {
	var val []byte
	in := false
	for line := range mailtext.HeaderLines(data[:min(len(data), maxHeaderScan)]) {
		if line[0] == ' ' || line[0] == '\t' {
			if in {
				val = append(val, line...)
			}
			continue
		}
		if in {
			break
		}
		name, v, ok := bytes.Cut(line, []byte(":"))
		if ok && strings.EqualFold(string(bytes.TrimSpace(name)), field) {
			in = true
			val = append(val, v...)
		}
	}
	return strings.TrimSpace(string(val))
}

// messageIDOf is the message's Message-ID without its angle brackets, ""
// when it has none: the name the sink's record gives the message, so that
// a report ties the relay's attempts to the sink's checks of them.
func messageIDOf(data []byte) string {
	v := rawField(data, "message-id")
	return strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(v, "<"), ">"))
}
