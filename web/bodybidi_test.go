package web

import (
	"html"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/textsafe"
)

// hasBidi says whether s, read as HTML (its character references
// decoded), holds a direction control.
func hasBidi(s string) bool {
	return strings.ContainsFunc(html.UnescapeString(s), isBidiControl)
}

// TestBodyBidiMarked: a direction control in a message's HTML, written as
// a character or as a character reference, is served in body.html as the
// token ⟨U+202E⟩ the rest of the UI shows, in text and in attribute
// values alike; references to other characters, and text that only looks
// like a reference, are left alone.
func TestBodyBidiMarked(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"<h1>Hostile HTML \u202egnp.exe</h1>", "<h1>Hostile HTML ⟨U+202E⟩gnp.exe</h1>"},
		{"a&#x202E;b &#X202e;c &#8238;d &#x000202e;e &#08238f", "a⟨U+202E⟩b ⟨U+202E⟩c ⟨U+202E⟩d ⟨U+202E⟩e ⟨U+202E⟩f"},
		{"&lrm;&rlm;&#x2066;x&#x2069;&#1564;", "⟨U+200E⟩⟨U+200F⟩⟨U+2066⟩x⟨U+2069⟩⟨U+061C⟩"},
		{`<img alt="&#x202E;gnp.exe" title="` + "\u202b" + `x">`, `<img alt="⟨U+202E⟩gnp.exe" title="⟨U+202B⟩x">`},
		{"&#x202E1; &#82381; &amp;#x202e; &LRM; &#x41; &lrm", "&#x202E1; &#82381; &amp;#x202e; &LRM; &#x41; &lrm"},
		{"&#x99999999999999999999;&#", "&#x99999999999999999999;&#"},
	} {
		got := inertHTML(tc.in)
		if got != tc.want {
			t.Errorf("inertHTML(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if hasBidi(got) {
			t.Errorf("inertHTML(%q) = %q still holds a direction control", tc.in, got)
		}
	}
	// The set is internal/textsafe's, as the UI's is (TestBrowserBidi);
	// textsafe escapes some invisible characters too, which a body
	// keeps (a preheader's run of zero width spaces is no direction
	// control).
	for r := rune(0xa0); r <= 0xffff; r++ {
		if want := textsafe.IsBidiControl(r); isBidiControl(r) != want {
			t.Errorf("isBidiControl(%U) = %v, textsafe.IsBidiControl: %v", r, !want, want)
		}
	}
}

// TestBodyBidiServed: both body endpoints serve the marked HTML, and a
// text-only body with its controls marked too.
func TestBodyBidiServed(t *testing.T) {
	t.Parallel()
	ts, relay, sink := componentServer(t)
	relay.mu.Lock()
	relay.msgs["bidi-h"] = MessageDetail{ID: "bidi-h", HTML: "<h1>Hostile HTML \u202egnp.exe &#8238;fdp.exe</h1>"}
	relay.msgs["bidi-t"] = MessageDetail{ID: "bidi-t", Text: "user\u202egnp.exe"}
	relay.mu.Unlock()
	sink.mu.Lock()
	sink.msgs["77"] = MessageDetail{ID: "77", HTML: "<p title=\"&rlm;\">x\u2067y</p>"}
	sink.mu.Unlock()
	for _, path := range []string{"/api/v1/messages/bidi-h/body.html", "/api/v1/sink/messages/77/body.html", "/api/v1/messages/bidi-t/body.html"} {
		code, _, body := do(t, "GET", ts.url+path, "")
		if code != 200 || hasBidi(string(body)) || !strings.Contains(string(body), "⟨U+") {
			t.Errorf("%s: %d %q, want the controls shown as ⟨U+...⟩ tokens", path, code, body)
		}
	}
}
