package web

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// maxHTMLText bounds the text htmlText makes of one HTML body.
const maxHTMLText = 1 << 20

// htmlText is the text an HTML body shows, as a reader sees it: its text
// nodes, character references decoded, without what no one sees (script,
// style, title, template, a comment), white space collapsed within a line,
// and a line break after each block (a paragraph, a div, a row, a list
// item, br). A link's text is kept, its address is not (the message's
// links list them). It is for the search and for the text of a message
// that has HTML only, not for showing the HTML.
func htmlText(s string) string {
	var t textLines
	if !strings.ContainsAny(s, "<&") {
		t.write([]byte(s))
		return t.String()
	}
	z := html.NewTokenizer(strings.NewReader(s))
	hidden := 0 // depth inside elements whose text is not shown
	for t.b.Len() < maxHTMLText {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return t.String()
		case html.TextToken:
			if hidden == 0 {
				t.write(z.Text())
			}
		case html.StartTagToken, html.SelfClosingTagToken, html.EndTagToken:
			name, _ := z.TagName()
			a := atom.Lookup(name)
			switch a {
			case atom.Script, atom.Style, atom.Template, atom.Title:
				if tt == html.StartTagToken {
					hidden++
				} else if tt == html.EndTagToken && hidden > 0 {
					hidden--
				}
				continue
			case atom.Noscript:
				if tt == html.StartTagToken {
					z.NextIsNotRawText() // scripting off, as in the sandbox
				}
			case atom.Td, atom.Th:
				t.write([]byte{' '}) // cells side by side
			}
			if blockElement[a] {
				t.newline()
			}
		}
	}
	return t.String()
}

// textLines collects text in lines, white space collapsed to one space
// within a line and none at either end, empty lines left out.
type textLines struct {
	b       strings.Builder
	space   bool // white space was seen since the last text of the line
	started bool // the line has text
}

func (t *textLines) write(p []byte) {
	for len(p) > 0 {
		r, n := rune(p[0]), 1
		if r >= utf8.RuneSelf {
			r, n = utf8.DecodeRune(p)
		}
		if unicode.IsSpace(r) {
			t.space = t.started
		} else {
			if t.space {
				t.b.WriteByte(' ')
				t.space = false
			}
			t.b.Write(p[:n])
			t.started = true
		}
		p = p[n:]
	}
}

func (t *textLines) newline() {
	if t.started {
		t.b.WriteByte('\n')
	}
	t.started, t.space = false, false
}

func (t *textLines) String() string { return strings.TrimRight(t.b.String(), "\n") }

// blockElement are the elements that start a new line of the text.
var blockElement = map[atom.Atom]bool{
	atom.P: true, atom.Div: true, atom.Br: true, atom.Tr: true, atom.Li: true, atom.H1: true, atom.H2: true,
	atom.H3: true, atom.H4: true, atom.H5: true, atom.H6: true, atom.Table: true, atom.Ul: true, atom.Ol: true,
	atom.Blockquote: true, atom.Pre: true, atom.Hr: true, atom.Section: true, atom.Article: true, atom.Header: true,
	atom.Footer: true, atom.Body: true, atom.Html: true, atom.Dd: true, atom.Dt: true, atom.Center: true,
}
