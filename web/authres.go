package web

import "strings"

// arResult is one resinfo of an Authentication-Results field (RFC 8601
// 2.2): a method, its result, and its reason and properties by their
// lower-case names ("reason", "smtp.mailfrom", "header.d"), each value
// unquoted.
type arResult struct {
	method, result string
	params         map[string]string
}

// parseAuthResults reads an Authentication-Results field's value as RFC
// 8601 2.2 writes it: the authserv-id, an optional version, then one
// resinfo after each ";". A value is a token or a quoted-string (RFC
// 2045 5.1, RFC 5322 3.2.4): "dns TXT _dmarc.shop.test.: nothing answers
// at 127.0.0.1:53" is one reason, spaces, colons, semicolons and
// quoted-pairs included, where splitting at spaces and semicolons (as
// go-msgauth's authres.Parse does) cut it to `"dns`. Comments (RFC 5322
// 3.2.2, nested) count as white space. A resinfo that does not parse
// ends the reading: what came before it stands.
func parseAuthResults(v string) (id string, results []arResult) {
	p := arParser{s: v}
	p.cfws()
	id = p.value()
	p.cfws()
	for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' { // authres-version
		p.i++
	}
	for {
		p.cfws()
		if !p.eat(';') {
			return id, results
		}
		p.cfws()
		method, ok := p.key()
		if !ok {
			return id, results // "none", or what does not parse
		}
		method, _, _ = strings.Cut(method, "/") // a method-version: dkim/1
		r := arResult{method: method, result: strings.ToLower(p.value()), params: map[string]string{}}
		for {
			p.cfws()
			if p.i >= len(p.s) || p.s[p.i] == ';' {
				break
			}
			k, ok := p.key()
			if !ok {
				return id, append(results, r)
			}
			r.params[k] = p.value()
		}
		results = append(results, r)
	}
}

// arParser reads an Authentication-Results value from s at i.
type arParser struct {
	s string
	i int
}

func (p *arParser) eat(c byte) bool {
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

// cfws skips white space and comments, which nest and hold quoted-pairs.
func (p *arParser) cfws() {
	depth := 0
	for p.i < len(p.s) {
		switch c := p.s[p.i]; {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
		case c == '(':
			depth++
		case c == ')' && depth > 0:
			depth--
		case c == '\\' && depth > 0:
			p.i++
		case depth == 0:
			return
		}
		p.i++
	}
}

// key reads a name and its "=" (with CFWS around it): a method, "reason",
// or a ptype.property; it is lower-cased. ok is false when no name and
// "=" stand at i.
func (p *arParser) key() (k string, ok bool) {
	start := p.i
	for p.i < len(p.s) && !strings.ContainsRune(" \t\r\n();=\"", rune(p.s[p.i])) {
		p.i++
	}
	k = strings.ToLower(p.s[start:p.i])
	p.cfws()
	if k == "" || !p.eat('=') {
		return "", false
	}
	p.cfws()
	return k, true
}

// value reads a token or a quoted-string, the latter unquoted; a
// quoted-string with "@domain" after it (a pvalue's quoted local-part)
// keeps both. An unclosed quote runs to the end.
func (p *arParser) value() string {
	if p.i < len(p.s) && p.s[p.i] == '"' {
		var b strings.Builder
		for p.i++; p.i < len(p.s); p.i++ {
			c := p.s[p.i]
			if c == '"' {
				p.i++
				break
			}
			if c == '\\' && p.i+1 < len(p.s) {
				p.i++
				c = p.s[p.i]
			}
			b.WriteByte(c)
		}
		if p.i < len(p.s) && p.s[p.i] == '@' {
			return b.String() + p.token()
		}
		return b.String()
	}
	return p.token()
}

// token reads up to white space, a comment, a ";" or a quote.
func (p *arParser) token() string {
	start := p.i
	for p.i < len(p.s) && !strings.ContainsRune(" \t\r\n();\"", rune(p.s[p.i])) {
		p.i++
	}
	return p.s[start:p.i]
}
