package web

import (
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// BodyLink is a link of a message's HTML body. The body's frame follows
// none (its CSP allows no load, and the sandbox no popup), so the page
// lists them as text: where each goes is seen without going there.
type BodyLink struct {
	Href string `json:"href"`           // as written, cut at maxLinkHref bytes
	Text string `json:"text,omitempty"` // the link's text (an area's alt), white space collapsed
}

const (
	maxBodyLinks = 100
	maxLinkHref  = 2048
	maxLinkText  = 200
)

// withLinks is m with the links of its HTML body.
func withLinks(m MessageDetail) MessageDetail {
	m.Links, m.LinksMore = bodyLinks(m.HTML)
	return m
}

// bodyLinks lists the links of a message's HTML (a and area elements
// with an href), each href once, in order: the first maxBodyLinks, more
// saying that there were others. It reads the HTML as the body's frame
// does, scripting off: what a noscript holds is markup.
func bodyLinks(s string) (links []BodyLink, more bool) {
	if !strings.Contains(s, "<") {
		return nil, false
	}
	z := html.NewTokenizer(strings.NewReader(s))
	seen := map[string]bool{}
	open := -1 // the index in links of the a element being read, -1 when none
	var text strings.Builder
	closeLink := func() {
		if open >= 0 {
			links[open].Text = cut(strings.Join(strings.Fields(text.String()), " "), maxLinkText)
		}
		open = -1
		text.Reset()
	}
	for {
		switch z.Next() {
		case html.ErrorToken:
			closeLink()
			return links, more
		case html.TextToken:
			if open >= 0 && text.Len() < 4*maxLinkText {
				text.Write(z.Text())
			}
		case html.EndTagToken:
			if name, _ := z.TagName(); atom.Lookup(name) == atom.A {
				closeLink()
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			name, hasAttr := z.TagName()
			a := atom.Lookup(name)
			if a == atom.Noscript {
				z.NextIsNotRawText() // scripting is off in the sandbox
			}
			if a != atom.A && a != atom.Area {
				continue
			}
			if a == atom.A {
				closeLink() // an a inside an a ends the first
			}
			var href, alt string
			var ok bool
			for hasAttr {
				var k, v []byte
				k, v, hasAttr = z.TagAttr()
				switch string(k) {
				case "href":
					if !ok { // the first, as the browser takes
						href, ok = string(v), true
					}
				case "alt":
					alt = string(v)
				}
			}
			href = strings.TrimSpace(href)
			if !ok || href == "" || seen[href] {
				continue
			}
			if len(links) == maxBodyLinks {
				more = true
				continue
			}
			seen[href] = true
			links = append(links, BodyLink{Href: cut(href, maxLinkHref), Text: cut(strings.Join(strings.Fields(alt), " "), maxLinkText)})
			if a == atom.A {
				open = len(links) - 1
			}
		}
	}
}

// cut is s cut to at most max bytes at a character boundary, with "…"
// after when it was longer.
func cut(s string, max int) string {
	if len(s) <= max {
		return s
	}
	for max > 0 && !utf8.RuneStart(s[max]) {
		max--
	}
	return s[:max] + "…"
}

// baseTarget puts <base target="_blank"> at the start of a message's
// HTML, after any comments, <?xml ...?> and doctype (before the doctype
// it would put the document in quirks mode): a link clicked in the body's frame then
// asks for a new window, which the sandbox refuses (no allow-popups),
// and the body stays shown, where following the link in the frame would
// replace it with the browser's page for a load the CSP blocks. A link
// with a target of its own is refused by the CSP or the sandbox still.
// The message's own base comes after, so ours is the one that counts.
func baseTarget(s string) string {
	i := 0
	if strings.HasPrefix(s, "\uFEFF") { // a byte-order mark is no text
		i = len("\uFEFF")
	}
	for {
		for i < len(s) && strings.ContainsRune(" \t\r\n\f", rune(s[i])) {
			i++
		}
		rest := s[i:]
		switch {
		case strings.HasPrefix(rest, "<!--"):
			end := strings.Index(rest[4:], "-->")
			if end < 0 {
				return `<base target="_blank">` + s
			}
			i += 4 + end + 3
			continue
		case strings.HasPrefix(rest, "<?"), len(rest) >= 9 && strings.EqualFold(rest[:9], "<!doctype"):
			// <?xml ...?> before an XHTML doctype: a bogus comment to
			// the parser, up to its first ">".
			end := strings.IndexByte(rest, '>')
			if end < 0 {
				return `<base target="_blank">` + s
			}
			i += end + 1
			continue
		}
		return s[:i] + `<base target="_blank">` + s[i:]
	}
}
