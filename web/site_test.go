package web

import (
	"net/http"
	"strings"
	"testing"
)

// TestCrossSiteFetchRefused: what a page of another site makes the
// browser fetch (an image, a script, a no-cors fetch, a frame) is refused
// before any work is done; the server's own pages, typed addresses, links
// followed to a page, allowed origins and clients that are no browser are
// answered.
func TestCrossSiteFetchRefused(t *testing.T) {
	t.Parallel()
	relay, sink, probe := filledFakes()
	ts := startServer(t, Options{Relay: relay, Sink: sink, Probe: probe, AllowedOrigins: []string{"https://ui.example:8443"}})
	fetch := func(site, mode, dest, origin string) []string {
		h := []string{"Sec-Fetch-Site", site, "Sec-Fetch-Mode", mode, "Sec-Fetch-Dest", dest}
		if origin != "" {
			h = append(h, "Origin", origin)
		}
		return h
	}
	for _, tc := range []struct {
		name, path string
		hdr        []string
		want       int
	}{
		{"an image of another site", "/api/v1/reports?format=html", fetch("cross-site", "no-cors", "image", ""), 403},
		{"a script of another site", "/api/v1/messages/evil-1", fetch("cross-site", "no-cors", "script", ""), 403},
		{"a fetch of another site", "/api/v1/events?limit=5000", fetch("cross-site", "cors", "empty", "http://evil.example"), 403},
		{"a frame of another site", "/api/v1/messages/evil-1/body.html", fetch("cross-site", "navigate", "iframe", ""), 403},
		{"another port of loopback", "/api/v1/messages/evil-1", fetch("same-site", "no-cors", "image", ""), 403},
		{"our own page", "/api/v1/messages/evil-1", fetch("same-origin", "cors", "empty", ""), 200},
		{"our own frame", "/api/v1/messages/evil-1/body.html", fetch("same-origin", "navigate", "iframe", ""), 200},
		{"a typed address", "/", fetch("none", "navigate", "document", ""), 200},
		{"a link from another site", "/api/v1/reports?format=html", fetch("cross-site", "navigate", "document", ""), 200},
		{"an allowed origin", "/api/v1/messages/evil-1", fetch("cross-site", "cors", "empty", "https://ui.example:8443"), 200},
		{"no browser", "/api/v1/messages/evil-1", nil, 200},
		{"health", "/healthz", fetch("cross-site", "no-cors", "image", ""), 200},
	} {
		code, _, body := do(t, "GET", ts.url+tc.path, "", tc.hdr...)
		if code != tc.want {
			t.Errorf("%s: got %d %.120s, want %d", tc.name, code, body, tc.want)
			continue
		}
		if code == http.StatusForbidden && !strings.Contains(wantAPIError(t, body).Detail, "web.allowed_origins") {
			t.Errorf("%s: the refusal %s does not name web.allowed_origins", tc.name, body)
		}
	}
}
