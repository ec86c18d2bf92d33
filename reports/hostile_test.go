package reports

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// hostileData has values a stranger chose in every field that comes from
// mail: markup, a bidirectional override that shows a domain backwards,
// terminal escapes and a carriage return.
func hostileData() *Data {
	q := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	return &Data{First: q, Last: q.Add(time.Minute), Recipients: []*Recipient{{
		Address: "<script>alert(1)</script>@x.test", Sender: "a\u202emoc.elgoog@x.test", Message: `"><script>m</script>`, Domain: "x.test",
		Status: "bounced", Category: `<svg onload=alert(2)>`, Reason: "no \x1b]0;pwned\x07 user", Advice: "see <a href=javascript:alert(3)>",
		Queued: q, Done: q.Add(time.Minute), Path: "<b>p</b>",
		Attempts: []Attempt{{Time: q.Add(time.Minute), Try: 1, Host: "h\u202e", Code: 550, Enhanced: "5.1.1", Text: "</code><img src=x onerror=alert(4)>\r| fake | row |"}},
	}}}
}

// TestHTMLHostileContent: the HTML report escapes markup from mail,
// shows control and bidirectional characters as escapes instead of
// obeying them, and forbids scripts, forms and a base URL in its CSP.
func TestHTMLHostileContent(t *testing.T) {
	t.Parallel()
	d := hostileData()
	var rep, ver bytes.Buffer
	if err := WriteHTML(&rep, d); err != nil {
		t.Fatal(err)
	}
	if err := WriteVerdictsHTML(&ver, []Verdict{NewVerdict("<script>v</script>", "", d, []Result{{Name: "<script>n</script>", Message: "got \x1b[2J <img src=x>"}})}); err != nil {
		t.Fatal(err)
	}
	for name, out := range map[string]string{"report": rep.String(), "verdicts": ver.String()} {
		// "<a href=javascript": the advice's link; the contents' own
		// links (href="#...") are the report's.
		for _, bad := range []string{"<script", "<img", "<svg onload", "<a href=javascript", "<b>p", "\x1b", "\x07", "\r", "\u202e"} {
			if strings.Contains(out, bad) {
				t.Errorf("%s: %q raw in the HTML", name, bad)
			}
		}
		for _, want := range []string{`\u202emoc.elgoog`, `no \x1b]0;pwned\x07 user`, "&lt;script&gt;alert(1)&lt;/script&gt;@x.test",
			`content="default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"`} {
			if !strings.Contains(out, want) {
				t.Errorf("%s: lacks %q", name, want)
			}
		}
	}
}

// TestMarkdownAndTextHostileContent: a carriage return in a reply cannot
// end a Markdown table's row and start a line of its own, and neither
// the Markdown nor the text obeys a bidirectional override.
func TestMarkdownAndTextHostileContent(t *testing.T) {
	t.Parallel()
	d := hostileData()
	for _, f := range []string{"markdown", "text"} {
		var b bytes.Buffer
		if err := Write(&b, f, d); err != nil {
			t.Fatal(err)
		}
		if out := b.String(); strings.ContainsAny(out, "\r\x1b\u202e") || !strings.Contains(out, `\u202emoc.elgoog`) {
			t.Errorf("%s: raw control or bidi characters:\n%q", f, out)
		}
	}
	var md bytes.Buffer
	if err := WriteVerdictsMarkdown(&md, []Verdict{NewVerdict("v", "", d, []Result{{Name: "n\r| x |", Message: "a\rb"}})}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(md.String(), "\r") {
		t.Errorf("verdicts markdown: raw carriage return:\n%q", md.String())
	}
}
