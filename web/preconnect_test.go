package web

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// preconnectHTML opens connections to remote in Chromium whatever the CSP
// says, unless the body is made inert: each variant a <link> the browser
// reads as a preconnect.
func preconnectHTML(remote string) string {
	return `<html><head><link rel="preconnect" href="` + remote + `/plain">` +
		`<LINK REL=PRECONNECT HREF="` + remote + `/upper">` +
		`<noscript><link rel=preconnect href="` + remote + `/noscript"></noscript>` +
		`<lInK rel=dns-prefetch href="` + remote + `/dns"></head>` +
		`<body><p>Hi<link rel=preconnect href="` + remote + `/body"></p>` +
		`<p title="<link">a title is text</p></body></html>`
}

func TestInertHTML(t *testing.T) {
	t.Parallel()
	utf16 := "\xff\xfe<\x00l\x00i\x00n\x00k\x00 \x00r\x00e\x00l\x00=\x00p\x00r\x00e\x00c\x00o\x00n\x00n\x00e\x00c\x00t\x00>\x00"
	for _, tc := range []struct{ name, in, want string }{
		{"every case and place", preconnectHTML("http://192.0.2.1"), ""},
		{"nothing to do", "<p>hello <b>world</b></p>", "<p>hello <b>world</b></p>"},
		{"a link at the very end", "x<link", "x<x-link"},
		{"near misses, and a longer name", "<lin k><linx><linkx>", "<lin k><linx><x-linkx>"},
		{"a UTF-16 byte-order mark", utf16, ""},
		{"invalid UTF-8", "caf\xe9 <b>ok</b>", "caf\uFFFD <b>ok</b>"},
	} {
		got := inertHTML(tc.in)
		if tc.want != "" && got != tc.want {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
		if i := indexLinkTag(got); i >= 0 {
			t.Errorf("%s: a <link tag is left at %d: %q", tc.name, i, got)
		}
		if !utf8.ValidString(got) || strings.HasPrefix(got, "\xff\xfe") {
			t.Errorf("%s: not valid UTF-8, or a UTF-16 byte-order mark left: %q", tc.name, got)
		}
	}
}

// TestBodyServedInert: the body endpoints serve the message's HTML inert,
// and still as HTML under the sandbox CSP.
func TestBodyServedInert(t *testing.T) {
	t.Parallel()
	ts, relay, _ := componentServer(t)
	relay.mu.Lock()
	relay.msgs["pre-1"] = MessageDetail{ID: "pre-1", HTML: preconnectHTML("http://192.0.2.1") + "\xff\xfe"}
	relay.mu.Unlock()
	code, hdr, body := do(t, "GET", ts.url+"/api/v1/messages/pre-1/body.html", "")
	if code != 200 || hdr.Get("Content-Security-Policy") != bodyCSP {
		t.Fatalf("got %d, CSP %q", code, hdr.Get("Content-Security-Policy"))
	}
	if strings.Contains(strings.ToLower(string(body)), "<link") || !utf8.Valid(body) {
		t.Fatalf("the body keeps a <link tag or is not UTF-8: %q", body)
	}
	if !strings.Contains(string(body), `<x-link rel="preconnect"`) || !strings.Contains(string(body), "a title is text") {
		t.Fatalf("the body lost more than its link tags: %q", body)
	}
}
