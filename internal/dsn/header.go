package dsn

import (
	"bytes"
	"strings"
)

// Field is one header field: a name as written and its unfolded value.
type Field struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// Header is a list of fields in the order they were written. Names compare
// case-insensitively.
type Header []Field

// Get returns the value of the first field called name, or "".
func (h Header) Get(name string) string {
	for _, f := range h {
		if strings.EqualFold(f.Name, name) {
			return f.Value
		}
	}
	return ""
}

// Has reports whether a field called name is present.
func (h Header) Has(name string) bool {
	for _, f := range h {
		if strings.EqualFold(f.Name, name) {
			return true
		}
	}
	return false
}

// parseFields reads header-like lines (RFC 5322 2.2, also the syntax of the
// delivery-status groups, RFC 3464 2.1) tolerantly: continuation lines that
// start with white space are joined to the field before them (RFC 5322
// 2.2.3), lines without a colon are reported in bad and otherwise skipped.
func parseFields(block []byte) (h Header, bad []string) {
	for _, line := range splitLines(block) {
		if len(line) == 0 {
			continue
		}
		if line[0] == ' ' || line[0] == '\t' {
			if len(h) == 0 {
				bad = append(bad, truncate(line, 60))
				continue
			}
			last := &h[len(h)-1]
			last.Value = joinFolded(last.Value, strings.TrimSpace(line))
			continue
		}
		name, value, ok := strings.Cut(line, ":")
		name = strings.TrimSpace(name)
		if !ok || name == "" || strings.ContainsAny(name, " \t") {
			bad = append(bad, truncate(line, 60))
			continue
		}
		h = append(h, Field{Name: name, Value: strings.TrimSpace(value)})
	}
	return h, bad
}

func joinFolded(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + " " + b
}

// splitLines splits on LF, CRLF or a lone CR.
func splitLines(b []byte) []string {
	s := strings.ReplaceAll(string(b), "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	s = strings.TrimSuffix(s, "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// splitHeader cuts a message or MIME part into its header section and body
// at the first empty line. A part with no empty line is all header when it
// looks like one, all body otherwise.
func splitHeader(raw []byte) (head, body []byte) {
	for i := 0; i < len(raw); {
		j := bytes.IndexByte(raw[i:], '\n')
		if j < 0 {
			break
		}
		line := raw[i : i+j]
		if len(line) == 0 || (len(line) == 1 && line[0] == '\r') {
			return raw[:i], raw[i+j+1:]
		}
		i += j + 1
	}
	if looksLikeHeader(raw) {
		return raw, nil
	}
	return nil, raw
}

func looksLikeHeader(raw []byte) bool {
	line, _, _ := bytes.Cut(raw, []byte("\n"))
	name, _, ok := bytes.Cut(line, []byte(":"))
	return ok && len(name) > 0 && !bytes.ContainsAny(name, " \t")
}

// fold writes "Name: value" as lines of at most about 78 characters,
// breaking at spaces (RFC 5322 2.2.3), each line ended by CRLF. A word
// too long for any line (a hostile reply's text) is cut to end in "...",
// so that no line has more than 998 octets (RFC 5322 2.1.1).
func fold(b *bytes.Buffer, name, value string) {
	line := name + ":"
	flush := func() {
		if len(line) > maxLine {
			line = string(shorten([]byte(line), maxLine))
		}
		b.WriteString(line)
		b.WriteString("\r\n")
	}
	for _, word := range strings.Fields(value) {
		if len(line)+1+len(word) > 78 && strings.TrimSpace(line) != name+":" {
			flush()
			line = " " + word
			continue
		}
		line += " " + word
	}
	flush()
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
