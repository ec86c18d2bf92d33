package reports

import (
	"strings"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// MatchAddress reports whether the expectation's match glob meets the
// address addr, as Evaluate judges it: case ignored, and an
// internationalised domain the same in either spelling (matchForm), so
// that match: "x@bücher.test" finds a record written
// x@xn--bcher-kva.test and the other way round. A glob that meets the
// address as written still does ("*@b*.test" meets y@bücher.test).
func MatchAddress(glob, addr string) bool {
	g, a := strings.ToLower(glob), strings.ToLower(addr)
	if Glob(g, a) {
		return true
	}
	if ascii(g) && ascii(a) {
		return false // matchForm would change neither
	}
	return Glob(matchForm(g), matchForm(a))
}

// matchForm is an address, or a match glob, in the one form expect
// compares: lower case, with its domain in A-labels (RFC 5890 2.3.2.1:
// "bücher.test" is "xn--bcher-kva.test"). A sender may write an IDN
// either way (the U-labels with SMTPUTF8, RFC 6531 3.2, the A-labels
// without), and the sink records what it was sent. A label of a glob
// with * or ? in it, and one IDNA cannot write in A-labels, stays as
// written, in lower case; the local part is only lower-cased.
func matchForm(addr string) string {
	a := strings.ToLower(addr)
	at := strings.LastIndexByte(a, '@')
	if at < 0 || ascii(a[at+1:]) {
		return a
	}
	return a[:at+1] + aLabelDomain(a[at+1:])
}

// aLabelDomain is the lower-case domain d in A-labels, label by label
// where a whole-name conversion fails (a glob's label, or one label
// IDNA refuses).
func aLabelDomain(d string) string {
	if !strings.ContainsAny(d, "*?") {
		if a, err := idna.Lookup.ToASCII(d); err == nil {
			return a
		}
	}
	labels := strings.Split(d, ".")
	for i, l := range labels {
		if ascii(l) || strings.ContainsAny(l, "*?") {
			continue
		}
		if a, err := idna.Lookup.ToASCII(l); err == nil {
			labels[i] = a
		}
	}
	return strings.Join(labels, ".")
}

// ascii reports whether s has no byte beyond US-ASCII.
func ascii(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
