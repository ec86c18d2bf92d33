package web

import (
	"net/http"
	"strings"
	"testing"
)

// TestRawMessage: a relay's and a sink's message download as the exact
// bytes held (CRLFs, 8-bit bytes and HTML as they are), as message/rfc822
// in an attachment named after the id, under nosniff and a CSP that lets
// nothing run, with the API's credentials; an unknown id is the API's 404.
func TestRawMessage(t *testing.T) {
	t.Parallel()
	// Hostile content: HTML that would run if a browser rendered it, and
	// bytes that are not UTF-8.
	raw := []byte("From: a@shop.test\r\nSubject: =?utf-8?q?x?=\r\nContent-Type: text/html\r\n\r\n<script>alert(1)</script>\xff\xfe\r\n.\r\n")
	relay, sink := newFakeRelay(), newFakeSink()
	relay.raw = map[string][]byte{"m-1": raw}
	sink.raw = map[string][]byte{"7": raw}
	ts := startServer(t, Options{Relay: relay, Sink: sink, Auth: Auth{Token: "tok"}})
	for _, tc := range []struct{ path, file string }{
		{"/api/v1/messages/m-1/raw", "m-1.eml"},
		{"/api/v1/sink/messages/7/raw", "7.eml"},
	} {
		code, hdr, body := do(t, "GET", ts.url+tc.path, "", "Authorization", "Bearer tok")
		if code != http.StatusOK || string(body) != string(raw) {
			t.Errorf("GET %s: %d %q, want 200 and the stored bytes %q", tc.path, code, body, raw)
		}
		for k, want := range map[string]string{
			"Content-Type":            "message/rfc822",
			"Content-Disposition":     `attachment; filename="` + tc.file + `"`,
			"X-Content-Type-Options":  "nosniff",
			"Content-Security-Policy": rawCSP,
		} {
			if got := hdr.Get(k); got != want {
				t.Errorf("GET %s: %s %q, want %q", tc.path, k, got, want)
			}
		}
		if !strings.Contains(hdr.Get("Content-Security-Policy"), "sandbox") {
			t.Errorf("GET %s: CSP %q does not sandbox the answer", tc.path, hdr.Get("Content-Security-Policy"))
		}
		if code, _, _ := do(t, "GET", ts.url+tc.path, ""); code != http.StatusUnauthorized {
			t.Errorf("GET %s without credentials: %d, want 401", tc.path, code)
		}
	}
	for _, p := range []string{"/api/v1/messages/nope/raw", "/api/v1/sink/messages/99/raw"} {
		code, hdr, body := do(t, "GET", ts.url+p, "", "Authorization", "Bearer tok")
		if e := wantAPIError(t, body); code != http.StatusNotFound || !strings.Contains(e.Detail, "no message") || hdr.Get("Content-Disposition") != "" {
			t.Errorf("GET %s: %d %+v (Content-Disposition %q), want the API's 404 naming the message and no attachment", p, code, e, hdr.Get("Content-Disposition"))
		}
	}
}

// TestEMLName: an id becomes a file name that cannot end the quoted
// filename of Content-Disposition nor name a directory.
func TestEMLName(t *testing.T) {
	t.Parallel()
	for id, want := range map[string]string{
		"01JABC-def_9": "01JABC-def_9.eml",
		"42":           "42.eml",
		`a"b\c/../d`:   "a_b_c_.._d.eml",
		".hidden":      "_hidden.eml",
		"x\r\nSet: y":  "x__Set__y.eml",
		"":             "message.eml",
		"caf\u00e9":    "caf__.eml",
	} {
		if got := emlName(id); got != want {
			t.Errorf("emlName(%q) = %q, want %q", id, got, want)
		}
	}
}
