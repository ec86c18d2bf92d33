package web

import (
	"net/mail"
	"strconv"
	"strings"

	"github.com/relaylab/relaylab/internal/mailaddr"
)

// addressShape is what an envelope address looks like, said once for
// every error that rejects one.
const addressShape = `an address is local-part@domain, like alice@example.test: no display name, no angle brackets, no spaces except inside a quoted local part ("a b"@example.test); the domain may be an address literal such as [192.0.2.1] (RFC 5321 4.1.2)`

// addressFault explains in plain words why s cannot be an envelope
// address (MAIL FROM or RCPT TO), or returns "". net/mail's own errors
// ("no angle-addr") speak of its grammar, not of what was wrong.
func addressFault(s string) string {
	if why := mailaddr.Fault(s); why != "" {
		return why
	}
	outside := s // s without a quoted local part, which may hold anything below
	if strings.HasPrefix(s, `"`) {
		if end := strings.IndexByte(s[1:], '"'); end >= 0 {
			outside = s[end+2:]
		}
	}
	at := strings.LastIndexByte(s, '@')
	switch {
	case strings.ContainsAny(outside, "<>()"):
		return "give the bare address, without a name, angle brackets or a comment; " + addressShape
	case strings.ContainsAny(outside, " \t"):
		return "a space is allowed only inside a quoted local part; " + addressShape
	case strings.Contains(outside, ","):
		return "one address per entry; " + addressShape
	case at < 0:
		return "there is no @; " + addressShape
	case at == 0:
		return "there is nothing before the @; " + addressShape
	case at == len(s)-1:
		return "there is nothing after the @; " + addressShape
	}
	if local := s[:at]; !strings.HasPrefix(local, `"`) {
		// As the relay's SMTP submission says it: a leading or trailing
		// dot, two in a row, or an @ in the local part need quotes.
		if fault := mailaddr.DotStringFault(local); fault != "" {
			why := "the local part " + strconv.Quote(local) + " " + fault + ": RFC 5321 4.1.2 allows that only within double quotes"
			if q := mailaddr.Quote(s); q != s {
				why += ", as in " + q
			}
			return why + "; " + addressShape
		}
	}
	check := s
	if dom := s[at+1:]; strings.HasPrefix(dom, "[") {
		// net/mail does not read IPv6 literals; LiteralFault (above) has
		// checked the literal, so the local part is checked alone.
		check = s[:at] + "@example.test"
	}
	if a, err := mail.ParseAddress(check); err != nil || a.Name != "" {
		return "this is not an address the relay can take; " + addressShape
	}
	return ""
}

// rawFault explains why raw cannot be sent as a message, or returns "".
// The minimum asked of a message given whole: a header section of
// "name: value" fields (RFC 5322 2.2; a line that starts with a space or
// a tab continues the field before it), then, if there is a body, an
// empty line before it (2.1), the two fields every message must have,
// Date and From (3.6), and no line longer than 998 characters (2.1.1).
// Lines may end in CRLF or LF.
func rawFault(raw string) string {
	if why := longLine(raw); why != "" {
		return why
	}
	const shape = `a message is a header section of "name: value" fields, then an empty line, then the body (RFC 5322 2.1, 2.2)`
	seen := map[string]bool{}
	rest := raw
	for n := 1; rest != ""; n++ {
		line, after, _ := strings.Cut(rest, "\n")
		rest = after
		line = strings.TrimSuffix(line, "\r")
		if line == "" {
			break // the end of the header section
		}
		if line[0] == ' ' || line[0] == '\t' {
			if n == 1 {
				return "line 1 starts with a space, as only the continuation of a header field does; " + shape
			}
			continue
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok || name == "" || !fieldName(name) {
			return "line " + strconv.Itoa(n) + " (" + quoteShort(line) + ") is neither a header field (a name of printable characters without spaces, a colon, a value) nor the empty line that ends the header section; " + shape
		}
		if strings.TrimSpace(value) != "" {
			seen[strings.ToLower(name)] = true
		}
	}
	for _, f := range []string{"From", "Date"} {
		if !seen[strings.ToLower(f)] {
			return "there is no " + f + " field with a value; RFC 5322 3.6 requires a From and a Date field in every message"
		}
	}
	return ""
}

// maxLine is the longest line RFC 5322 2.1.1 allows, without its CRLF.
const maxLine = 998

// longLine names the first line of raw longer than maxLine, or returns "".
// A next hop may refuse such a line (RFC 5321 4.5.3.1.6) or break it where
// it likes, so the message is refused here, where the sender can mend it.
func longLine(raw string) string {
	rest := raw
	for n := 1; rest != ""; n++ {
		line, after, _ := strings.Cut(rest, "\n")
		rest = after
		if l := len(strings.TrimSuffix(line, "\r")); l > maxLine {
			return "line " + strconv.Itoa(n) + " (" + quoteShort(line) + ") is " + strconv.Itoa(l) +
				" characters long, and RFC 5322 2.1.1 allows at most 998 (without the line's end): break it into shorter lines, fold a header field, or encode the body quoted-printable or base64 (RFC 2045 6.7, 6.8)"
		}
	}
	return ""
}

// fieldName reports whether s is a field name: printable US-ASCII
// without the colon (RFC 5322 3.6.8 ftext, %d33-57 / %d59-126).
func fieldName(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 33 || c > 126 || c == ':' {
			return false
		}
	}
	return true
}

// quoteShort quotes s, cut to 60 bytes, for an error message.
func quoteShort(s string) string {
	if len(s) > 60 {
		return strconv.Quote(s[:60]) + "…"
	}
	return strconv.Quote(s)
}
