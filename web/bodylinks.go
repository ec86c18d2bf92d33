package web

import (
	"net/url"
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
// with an href, SVG's a with an xlink:href), each href once, in order: the first maxBodyLinks, more
// saying that there were others. It reads the HTML as the body's frame
// does, scripting off: what a noscript holds is markup. A relative href
// is shown resolved against the message's own <base href>, when it has
// an absolute one, as a browser would read it (resolveHref): "rel" says
// nothing of where it goes.
func bodyLinks(s string) (links []BodyLink, more bool) {
	if !strings.Contains(s, "<") {
		return nil, false
	}
	z := html.NewTokenizer(strings.NewReader(s))
	seen := map[string]bool{}
	open := -1 // the index in links of the a element being read, -1 when none
	var text strings.Builder
	var base *url.URL
	baseSeen := false // the first base with an href is the document's, whatever it holds
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
			return resolveLinks(links, base), more
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
			if a != atom.A && a != atom.Area && (a != atom.Base || baseSeen) {
				continue
			}
			if a == atom.A {
				closeLink() // an a inside an a ends the first
			}
			var href, xhref, alt string
			var ok, xok bool
			for hasAttr {
				var k, v []byte
				k, v, hasAttr = z.TagAttr()
				switch string(k) {
				case "href":
					if !ok { // the first, as the browser takes
						href, ok = string(v), true
					}
				case "xlink:href": // SVG's a, when it has no href
					if !xok {
						xhref, xok = string(v), true
					}
				case "alt":
					alt = string(v)
				}
			}
			if !ok && xok && a == atom.A {
				href, ok = xhref, true
			}
			if a == atom.Base {
				if ok {
					baseSeen, base = true, absBase(href)
				}
				continue
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
			links = append(links, BodyLink{Href: href, Text: cut(strings.Join(strings.Fields(alt), " "), maxLinkText)})
			if a == atom.A {
				open = len(links) - 1
			}
		}
	}
}

// absBase is a <base href> as a URL to resolve links against, nil when
// it is none: only an absolute hierarchical URL (http://host/dir/) says
// where a relative link goes without knowing where the body is served.
func absBase(href string) *url.URL {
	u, err := url.Parse(strings.TrimSpace(href))
	if err != nil || !u.IsAbs() || u.Host == "" {
		return nil
	}
	return u
}

// resolveHref is href as the browser reads it under base: a relative one
// resolved against it, any other as written. Only to be shown: nothing
// is fetched.
func resolveHref(base *url.URL, href string) string {
	if base == nil {
		return href
	}
	ref, err := url.Parse(href)
	if err != nil || ref.IsAbs() {
		return href
	}
	return base.ResolveReference(ref).String()
}

// resolveLinks resolves the links' hrefs against base and cuts them to
// maxLinkHref, each resolved href once.
func resolveLinks(links []BodyLink, base *url.URL) []BodyLink {
	seen := map[string]bool{}
	out := links[:0]
	for _, l := range links {
		l.Href = resolveHref(base, l.Href)
		if seen[l.Href] {
			continue
		}
		seen[l.Href] = true
		l.Href = cut(l.Href, maxLinkHref)
		out = append(out, l)
	}
	return out
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

// baseTarget is a message's HTML as its frame is served it: with no
// link left to follow (unlinkHTML) and <base target="_blank"> first.
func baseTarget(s string) string {
	return putBaseTarget(unlinkHTML(s))
}

// putBaseTarget puts <base target="_blank"> at the start of a message's
// HTML, after any comments, <?xml ...?> and doctype (before the doctype
// it would put the document in quirks mode): a link clicked in the body's frame then
// asks for a new window, which the sandbox refuses (no allow-popups),
// and the body stays shown, where following the link in the frame would
// replace it with the browser's page for a load the CSP blocks. A link
// with a target of its own is refused by the CSP or the sandbox still.
// The message's own base comes after, so ours is the one that counts.
// unlinkHTML has left no link to click; this stays for one it missed.
func putBaseTarget(s string) string {
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

// unlinkHTML is a message's HTML with nothing in it that a click can
// follow. The sandbox refuses the window a plain click on a link asks
// for, but a middle click, or a click with Ctrl, Shift or Alt held, is
// the reader's own "open in a new tab" (or "save"), which the browser
// carries out for a sandboxed frame too: the URL loads, and whoever
// serves it learns that the message was read, when and from where. So
// each a and area (SVG's a too) loses its href (xlink:href), ping and
// download, and its title says where it went instead; its text stays,
// and the page lists the links under the body (bodyLinks). An href on
// any other element goes too (some browsers follow one on MathML), but
// for SVG's references to a gradient, a pattern or a symbol (svgRef);
// so do an iframe's srcdoc (a document of its own, links and all, that
// no CSP stops) and a form's action (the sandbox refuses to submit it
// anyway). An SVG animation (set, animate) of an href, which would give
// an SVG a the address to follow while it runs, loses its attributeName
// and the values it sets (to, from, by, values). The rest is left byte for byte.
//
// The tags are read by the tokenizer, which knows where raw text is (a
// style, a title) in HTML but not inside SVG or MathML, where the browser
// reads such an element's text as markup. So the result is parsed as the
// browser parses it, scripting off, and if a link is left there it is
// unlinked again with every raw text read as markup and every href
// taken; if one is still left, the body is not served (unlinkFailed).
func unlinkHTML(s string) string {
	if !strings.Contains(s, "<") {
		return s
	}
	base := docBase(s)
	out := unlinkTags(s, base, false)
	if !hasLink(out) {
		return out
	}
	if out = unlinkTags(out, base, true); !hasLink(out) {
		return out
	}
	return unlinkFailed
}

// unlinkFailed stands for a body that unlinkHTML could not rid of its
// links.
const unlinkFailed = `<!doctype html><p>relaylab does not show this HTML body: it could not take its links out, and a click on one would load it. ` +
	`The message's page lists its links as text; its raw source has the whole body.</p>`

// svgRef are the SVG elements whose href refers to a part of the drawing
// (a gradient, a pattern, a path, a symbol to use) or an image, and
// is no link: nothing follows it on a click.
var svgRef = map[string]bool{
	"use": true, "image": true, "feimage": true, "pattern": true, "lineargradient": true, "radialgradient": true,
	"textpath": true, "filter": true, "mpath": true, "tref": true, "animate": true, "animatemotion": true,
	"animatetransform": true, "animatecolor": true, "set": true, "discard": true, "cursor": true,
}

// svgAnimation are SVG's animation elements, which set an attribute of
// an element (theirs, or the one their href names) for a time: set to
// "to", animate through "values", "from", "to" and "by".
var svgAnimation = map[string]bool{
	"set": true, "animate": true, "animatemotion": true, "animatetransform": true, "animatecolor": true,
}

// animatedValue are the attributes of an animation element that say what
// it sets the attribute it animates (its attributeName) to; unlinkTag
// drops them, and the attributeName, from one that animates an href.
var animatedValue = map[string]bool{"attributename": true, "to": true, "from": true, "by": true, "values": true}

// namesHref says whether an animation's attributeName names an href
// (href, xlink:href, any prefix:href), in any case and with any white
// space around it: read loosely, as what a browser might take for one.
func namesHref(v string) bool {
	v = strings.ToLower(strings.TrimSpace(v))
	return v == "href" || strings.HasSuffix(v, ":href")
}

// unlinkTags rewrites the start tags of s that hold something to follow
// (unlinkTag), and copies the rest as it is. everywhere reads the text of
// every element as markup (a style's, a title's) and takes every href.
func unlinkTags(s string, base *url.URL, everywhere bool) string {
	z := html.NewTokenizer(strings.NewReader(s))
	var b strings.Builder
	b.Grow(len(s) + 64)
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			b.Write(z.Raw()) // what is left of a tag cut short: the browser drops it too
			return b.String()
		case html.StartTagToken, html.SelfClosingTagToken:
			raw := string(z.Raw()) // before TagName and TagAttr lower the names in place
			name, rewritten := unlinkTag(z, tt, base, everywhere)
			if rewritten == "" {
				b.WriteString(raw)
			} else {
				b.WriteString(rewritten)
			}
			if everywhere || name == "noscript" {
				z.NextIsNotRawText() // scripting is off in the sandbox
			}
		default:
			b.Write(z.Raw())
		}
	}
}

// unlinkTag reads the tag z is at and returns its name and, when it holds
// something to follow, the tag without it: "" when it holds nothing.
func unlinkTag(z *html.Tokenizer, tt html.TokenType, base *url.URL, everywhere bool) (name, rewritten string) {
	n, more := z.TagName()
	name = string(n)
	link := name == "a" || name == "area"
	type attr struct{ k, v string }
	var attrs []attr
	var href string
	hasHref, drop := false, false
	for more {
		var k, v []byte
		k, v, more = z.TagAttr()
		a := attr{string(k), string(v)}
		if link && (a.k == "href" || strings.HasSuffix(a.k, ":href")) && !hasHref {
			href, hasHref = a.v, true
		}
		if followable(name, a.k, everywhere) {
			drop = true
			continue
		}
		attrs = append(attrs, a)
	}
	if svgAnimation[name] {
		// An animation of an href gives an SVG a an address to follow
		// while the animation runs: it loses what it would animate.
		for _, a := range attrs {
			if a.k == "attributename" && namesHref(a.v) {
				drop = true
			}
		}
		if drop {
			kept := attrs[:0]
			for _, a := range attrs {
				if !animatedValue[a.k] {
					kept = append(kept, a)
				}
			}
			attrs = kept
		}
	}
	if !drop {
		return name, ""
	}
	var b strings.Builder
	b.WriteString("<" + name)
	if hasHref {
		title := "not followed: " + cut(resolveHref(base, strings.TrimSpace(href)), maxLinkHref)
		b.WriteString(` title="` + html.EscapeString(title) + `"`)
	}
	for _, a := range attrs {
		if hasHref && a.k == "title" {
			continue // ours says where the link went; the first counts
		}
		b.WriteString(" " + a.k + `="` + html.EscapeString(a.v) + `"`)
	}
	if tt == html.SelfClosingTagToken {
		b.WriteString("/")
	}
	b.WriteString(">")
	return name, b.String()
}

// followable says whether attribute key of an element named name is
// something to follow, which unlinkHTML takes out.
func followable(name, key string, everywhere bool) bool {
	switch key {
	case "srcdoc", "action", "formaction":
		return true
	case "ping", "download":
		return name == "a" || name == "area"
	case "href":
	default:
		if !strings.HasSuffix(key, ":href") {
			return false
		}
	}
	return everywhere || !svgRef[name]
}

// docBase is the message's own <base href>, when it is absolute: the
// first base element with an href, read as the frame reads it.
func docBase(s string) *url.URL {
	z := html.NewTokenizer(strings.NewReader(s))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return nil
		case html.StartTagToken, html.SelfClosingTagToken:
			name, more := z.TagName()
			a := atom.Lookup(name)
			if a == atom.Noscript {
				z.NextIsNotRawText()
			}
			for a == atom.Base && more {
				var k, v []byte
				k, v, more = z.TagAttr()
				if string(k) == "href" {
					return absBase(string(v))
				}
			}
		}
	}
}

// hasLink says whether the document s, parsed as the body's frame parses
// it (scripting off), holds a link to follow: an a or area with an href
// (SVG's a with one, MathML's any element), an iframe with a srcdoc, or
// an animation that gives an element an href.
func hasLink(s string) bool {
	doc, err := html.ParseWithOptions(strings.NewReader(s), html.ParseOptionEnableScripting(false))
	if err != nil {
		return true
	}
	for n := range doc.Descendants() {
		if n.Type != html.ElementNode {
			continue
		}
		for _, a := range n.Attr {
			switch {
			case a.Key == "href" && (n.Namespace == "math" ||
				n.Namespace == "svg" && n.Data == "a" ||
				n.Namespace == "" && (n.DataAtom == atom.A || n.DataAtom == atom.Area)):
				return true
			case a.Key == "srcdoc" && n.Namespace == "" && n.DataAtom == atom.Iframe:
				return true
			case strings.EqualFold(a.Key, "attributename") && svgAnimation[strings.ToLower(n.Data)] && namesHref(a.Val):
				return true // it gives an href to an SVG a (unlinkTag)
			}
		}
	}
	return false
}
