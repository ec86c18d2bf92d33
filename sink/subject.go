package sink

import (
	"bytes"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/relaylab/relaylab/internal/mailtext"
)

// maxSubject caps the subject a sink.message event carries, in
// characters, as the relay's relay.queued caps its own.
const maxSubject = 200

// subjectOf is the message's Subject for its sink.message event: its
// encoded-words decoded (RFC 2047) as the web UI's message page reads
// them (internal/mailtext), unfolded on one line, a control character as
// U+FFFD, cut to maxSubject characters; "" when it has none. The header
// is read up to its end, within the message's first maxSubjectScan octets.
func subjectOf(raw []byte) string {
	var val []byte
	in := false
	for line := range mailtext.HeaderLines(raw[:min(len(raw), maxSubjectScan)]) {
		if line[0] == ' ' || line[0] == '\t' {
			if in {
				val = append(val, line...) // RFC 5322 2.2.3: unfolded
			}
			continue
		}
		if in {
			break
		}
		name, v, ok := bytes.Cut(line, []byte(":"))
		if ok && strings.EqualFold(string(bytes.TrimSpace(name)), "subject") {
			in = true
			val = append(val, v...)
		}
	}
	if !in {
		return ""
	}
	s := strings.Map(func(r rune) rune {
		switch {
		case r == '\t':
			return ' '
		case unicode.IsControl(r):
			return utf8.RuneError // a NUL is no text
		}
		return r
	}, mailtext.Header(strings.TrimSpace(string(val))))
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) > maxSubject {
		s = string([]rune(s)[:maxSubject-1]) + "…"
	}
	return s
}

// maxSubjectScan bounds the search for the Subject in a message whose
// header has no end.
const maxSubjectScan = 256 << 10
