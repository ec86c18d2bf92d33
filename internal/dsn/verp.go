package dsn

import (
	"strings"
)

// VERPAddress returns the return path base with tag added to its local
// part ("bounces@example.com", "msg-42" give "bounces+msg-42@example.com"),
// so that a bounce sent to it names the message even when the DSN is not
// standard (variable envelope return path). Bytes of tag other than
// letters, digits, '-', '.' and '_' are written as "=XX" (hex), so any
// envelope id fits in a local part (RFC 5321 4.1.2).
func VERPAddress(base, tag string) string {
	local, domain, ok := cutLast(base, "@")
	if !ok {
		return base
	}
	var b strings.Builder
	b.WriteString(local)
	b.WriteByte('+')
	for i := 0; i < len(tag); i++ {
		c := tag[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' {
			b.WriteByte(c)
			continue
		}
		const hexdig = "0123456789ABCDEF"
		b.WriteByte('=')
		b.WriteByte(hexdig[c>>4])
		b.WriteByte(hexdig[c&15])
	}
	b.WriteByte('@')
	b.WriteString(domain)
	return b.String()
}

// VERPTag returns the tag that VERPAddress put into addr (angle brackets
// allowed), and false when addr carries none.
func VERPTag(addr string) (string, bool) {
	addr = strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(addr), "<"), ">")
	local, _, ok := cutLast(addr, "@")
	if !ok {
		return "", false
	}
	_, tag, ok := strings.Cut(local, "+")
	if !ok || tag == "" {
		return "", false
	}
	out := make([]byte, 0, len(tag))
	for i := 0; i < len(tag); i++ {
		c := tag[i]
		if c == '=' && i+2 < len(tag) && isHex(tag[i+1]) && isHex(tag[i+2]) {
			out = append(out, unhex(tag[i+1])<<4|unhex(tag[i+2]))
			i += 2
			continue
		}
		out = append(out, c)
	}
	return string(out), true
}

func cutLast(s, sep string) (before, after string, ok bool) {
	i := strings.LastIndex(s, sep)
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+len(sep):], true
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}
