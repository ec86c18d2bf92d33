package mailaddr

import (
	"strings"

	"golang.org/x/net/idna"
)

// Key is addr in the one form that compares addresses: lower case, with
// its domain in A-labels (RFC 5890 2.3.2.1), so that "bücher.test" and
// "xn--bcher-kva.test", which a client may write either way (in UTF-8
// only under SMTPUTF8, RFC 6531 3.2), are one domain. A domain that IDNA
// refuses stays as written, in lower case. What is recorded keeps the
// client's spelling; Key is for counting and looking up.
func Key(addr string) string {
	addr = strings.ToLower(addr)
	at := strings.LastIndexByte(addr, '@')
	if at < 0 || isASCII(addr[at+1:]) {
		return addr
	}
	a, err := idna.Lookup.ToASCII(addr[at+1:])
	if err != nil {
		return addr
	}
	return addr[:at+1] + strings.ToLower(a)
}

// isASCII reports whether s has no byte beyond US-ASCII.
func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
