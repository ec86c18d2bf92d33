package relay

import (
	"strings"

	"golang.org/x/net/idna"
)

// aLabels is domain d as the DNS knows it: lower case, and an IDN in
// A-labels (RFC 5890 2.3.2.1: "bücher.test" is "xn--bcher-kva.test").
// The U-label spelling of an SMTPUTF8 address is for people; DNS queries,
// routes and the suppression list take the A-label one, so that both
// spellings are one domain. A name that cannot be written in A-labels is
// returned in lower case as it was.
func aLabels(d string) string {
	d = strings.ToLower(d)
	if isASCII(d) {
		return d
	}
	if a, err := idna.Lookup.ToASCII(d); err == nil {
		return a
	}
	return d
}

// asciiAddress is addr with its domain in A-labels, when its local part
// is ASCII and so the whole address can be ASCII (RFC 6531 3.2: a client
// may downgrade the domain of an address whose local part is ASCII for a
// server without SMTPUTF8). ok is false when it cannot.
func asciiAddress(addr string) (string, bool) {
	if isASCII(addr) {
		return addr, true
	}
	i := strings.LastIndexByte(addr, '@')
	if i < 0 || !isASCII(addr[:i]) {
		return addr, false
	}
	a, err := idna.Lookup.ToASCII(addr[i+1:])
	if err != nil {
		return addr, false
	}
	return addr[:i+1] + a, true
}

// domainNamed is how a message names domain d: with its A-label spelling
// beside an IDN, since that is the name the DNS was asked about.
func domainNamed(d string) string {
	if a := aLabels(d); a != strings.ToLower(d) {
		return d + " (" + a + " in the DNS)"
	}
	return d
}
