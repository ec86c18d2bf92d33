package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/web"
)

// TestBuildWebMessageBoundaryInText: text that holds what a fixed
// boundary was ("--relaylab-web-alternative") and a part of its own stays
// text; the real HTML is the message's HTML (RFC 2046 5.1.1: the
// boundary must not occur in the parts).
func TestBuildWebMessageBoundaryInText(t *testing.T) {
	t.Parallel()
	text := "line1\n--relaylab-web-alternative\nContent-Type: text/html\n\n<b>injected</b>\n--relaylab-web-alternative--\nafter"
	b := mustBuild(t, web.EnqueueRequest{From: "a@x.test", To: []string{"b@y.test"}, Text: text, HTML: "<p>real html</p>"})
	d := messageDetail(b)
	if d.HTML != "<p>real html</p>" {
		t.Errorf("html %q, want the real one", d.HTML)
	}
	if !strings.Contains(d.Text, "<b>injected</b>") || !strings.Contains(d.Text, "after") || !strings.HasPrefix(d.Text, "line1") {
		t.Errorf("text %q, want all of it as text", d.Text)
	}
	// Two builds, two boundaries: none can be known in advance.
	if a, b := boundaryOf(t, b), boundaryOf(t, mustBuild(t, web.EnqueueRequest{From: "a@x.test", To: []string{"b@y.test"}, Text: "t", HTML: "h"})); a == b {
		t.Errorf("the same boundary %q twice", a)
	}
}

// TestMIMEBoundaryDrawnAgain: a boundary a part holds is drawn again.
func TestMIMEBoundaryDrawnAgain(t *testing.T) {
	t.Parallel()
	random := bytes.NewReader(append(bytes.Repeat([]byte{0}, 12), bytes.Repeat([]byte{1}, 12)...))
	part := []byte("x --relaylab-000000000000000000000000 y")
	if got, want := mimeBoundary(random, []byte("other"), part), "relaylab-010101010101010101010101"; got != want {
		t.Errorf("boundary %q, want %q (the second drawn)", got, want)
	}
}

func boundaryOf(t *testing.T, msg []byte) string {
	t.Helper()
	_, rest, ok := strings.Cut(string(msg), `multipart/alternative; boundary="`)
	b, _, ok2 := strings.Cut(rest, `"`)
	if !ok || !ok2 {
		t.Fatalf("no boundary in %q", msg)
	}
	return b
}
