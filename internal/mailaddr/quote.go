package mailaddr

import "strings"

// Quote writes the mailbox addr, whose local part is its value (as
// go-smtp's parser leaves it: quotes and escapes taken off), in its valid
// form: a local part that is not a Dot-string becomes a Quoted-string
// with \ and " escaped (RFC 5321 4.1.2), and one that is stays bare, its
// canonical form. An address with no @ ("", a bare postmaster) is
// returned as it is.
func Quote(addr string) string {
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return addr
	}
	local := addr[:at]
	if IsDotString(local) {
		return addr
	}
	var b strings.Builder
	b.Grow(len(addr) + 2)
	b.WriteByte('"')
	for i := 0; i < len(local); i++ {
		if c := local[i]; c == '\\' || c == '"' {
			b.WriteByte('\\')
		}
		b.WriteByte(local[i])
	}
	b.WriteByte('"')
	b.WriteString(addr[at:])
	return b.String()
}

// Valid is addr in its valid form whether or not its local part is
// quoted already: a local part that is a Quoted-string is left as it is,
// any other is quoted as Quote does. A local part whose value itself
// looks like a Quoted-string (from "\"a\""@x) cannot be told from one
// here: Quote it where the value is known.
func Valid(addr string) string {
	at := strings.LastIndexByte(addr, '@')
	if at >= 0 && IsQuotedString(addr[:at]) {
		return addr
	}
	return Quote(addr)
}

// IsDotString reports whether s is an RFC 5321 Dot-string: atoms of atext
// (RFC 5322 3.2.3; UTF-8 too, RFC 6531 3.3) joined by single dots.
func IsDotString(s string) bool {
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' || strings.Contains(s, "..") {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 0x80, 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '.':
		case strings.IndexByte("!#$%&'*+-/=?^_`{|}~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// IsQuotedString reports whether s is an RFC 5321 Quoted-string: DQUOTE,
// qtextSMTP (%d32-33, %d35-91, %d93-126; UTF-8 too, RFC 6531 3.3) or a
// quoted-pairSMTP (\ and %d32-126), DQUOTE.
func IsQuotedString(s string) bool {
	if len(s) < 2 || s[0] != '"' || s[len(s)-1] != '"' {
		return false
	}
	for i := 1; i < len(s)-1; i++ {
		switch c := s[i]; {
		case c == '\\':
			i++
			if i == len(s)-1 || s[i] < 32 || s[i] > 126 {
				return false // the closing quote escaped, or no pair
			}
		case c == '"', c < 32, c == 127:
			return false
		}
	}
	return true
}

// WithoutRootDot drops the one trailing dot of a domain ("x.test."), which
// makes a name absolute in DNS but is not allowed in a path (RFC 5321
// 2.3.5, 4.1.2); "x.test.." keeps its dots, to be refused as it is.
func WithoutRootDot(domain string) string {
	if strings.HasSuffix(domain, ".") && !strings.HasSuffix(domain, "..") {
		return domain[:len(domain)-1]
	}
	return domain
}
