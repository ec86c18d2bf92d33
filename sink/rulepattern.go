package sink

import (
	"fmt"
	"regexp"
	"strings"
)

// nullSender matches only the empty sender of MAIL FROM:<>.
var nullSender = &matcher{regexp.MustCompile(`^$`)}

// isNullSender: p is "<>", as a rule's sender: names the null sender of
// bounces and DSNs (MAIL FROM:<>), as relaylab send --from and expect's
// from: write it. As a glob, "<>" would match no sender at all.
func isNullSender(p string) bool { return strings.TrimSpace(p) == "<>" }

// compileAddrPattern is compilePattern for a rule's recipient:, sender:
// or helo: (name), which match an address or an EHLO name: "<>" as a
// sender is the null sender, and a glob with what no address or name
// has outside quotes, written as a regexp without its slashes ("^bob.*$")
// or as a list ("a@x.test, b@x.test"), is refused, as it would never
// match.
func compileAddrPattern(name, p string) (*matcher, error) {
	if name == "sender" && isNullSender(p) {
		return nullSender, nil
	}
	m, err := compilePattern(p)
	if err != nil {
		if isRegexpPattern(p) && strings.ContainsAny(p, "*?") {
			if inner := p[1 : len(p)-1]; globMistake(name, inner) == "" {
				err = fmt.Errorf("%v (between slashes it is a regexp, where * repeats what comes before it and ? makes it optional; for a glob leave the slashes out: %q)", err, inner)
			}
		}
		return nil, err
	}
	if m == nil || isRegexpPattern(p) {
		return m, nil
	}
	if why := globMistake(name, p); why != "" {
		return nil, fmt.Errorf("%s", why)
	}
	return m, nil
}

// globMistake says why glob p, for a rule's recipient, sender or helo
// (name), can never match an address or an EHLO name, or "": it has
// what no address (outside a quoted local part) or name has, which says
// what was meant. A comma, semicolon or space between two pieces (or a
// |, between two addresses or names) is a list of patterns; $ last, \,
// ( or ), or ^ first with .* or .+ is a regexp without its slashes.
func globMistake(name, p string) string {
	if strings.Contains(p, `"`) {
		return "" // a quoted local part may hold any of them
	}
	seps := ", ;\t"
	if name == "helo" || strings.Count(p, "@") > 1 {
		seps += "|" // a local part may hold a | (RFC 5322 atext)
	}
	pieces := strings.FieldsFunc(p, func(r rune) bool { return strings.ContainsRune(seps, r) })
	regexpish := strings.HasSuffix(p, "$") || strings.ContainsAny(p, `\()`) ||
		strings.HasPrefix(p, "^") && (strings.Contains(p, ".*") || strings.Contains(p, ".+"))
	switch {
	case len(pieces) > 1 && !regexpish:
		alts := make([]string, len(pieces))
		for i, piece := range pieces {
			alts[i] = globRegexp(piece)
		}
		return fmt.Sprintf("%q is one glob, and no address or name has a %s in it, so it never matches: a rule's pattern is one pattern; for several write a regexp between slashes, %q, or a rule each",
			p, listSeparator(p, seps), "/(?i)^("+strings.Join(alts, "|")+")$/")
	case regexpish:
		return fmt.Sprintf("%q is a glob, in which only * and ? are wildcards and ^, $, \\, (, ) and . stand for themselves, so it never matches an address or name: for a regexp put it between slashes, %q", p, "/"+p+"/")
	case strings.ContainsAny(p, seps):
		return fmt.Sprintf("%q has a %s, which no address or name has outside quotes, so it never matches: remove it", p, listSeparator(p, seps))
	}
	return ""
}

// listSeparator names the first character of p of seps.
func listSeparator(p, seps string) string {
	switch p[strings.IndexAny(p, seps)] {
	case ',':
		return "comma"
	case ';':
		return "semicolon"
	case '|':
		return "|"
	}
	return "space"
}

// globRegexp is glob g as the body of a regexp: * is .*, ? is one
// character, the rest stands for itself.
func globRegexp(g string) string {
	var b strings.Builder
	for _, r := range g {
		switch r {
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteString(".")
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	return b.String()
}
