package web

import (
	"net/url"
	"strings"
	"testing"
)

// TestWriteWithForeignReferer: a browser too old to send Sec-Fetch-Site
// (and sending no Origin) still says in Referer which page made it send a
// write: one from a page of another origin is refused, one from the UI's
// own pages or an allowed origin goes through, and so does a request with
// none of the three (curl, CI) or a read (a link followed from elsewhere).
func TestWriteWithForeignReferer(t *testing.T) {
	t.Parallel()
	relay, sink, probe := filledFakes()
	ts := startServer(t, Options{Relay: relay, Sink: sink, Probe: probe, AllowedOrigins: []string{"https://ui.example:8443"}})
	u, err := url.Parse(ts.url)
	if err != nil {
		t.Fatal(err)
	}
	own := "http://" + u.Host + "/#/queue"
	for _, tc := range []struct {
		name, method, path string
		hdr                []string
		refused            bool
	}{
		{"a form posted from another site", "POST", "/api/v1/queue/q1/retry", []string{"Referer", "http://evil.example/page"}, true},
		{"a delete from another site", "DELETE", "/api/v1/queue/q1", []string{"Referer", "https://evil.example:8443/x?y"}, true},
		{"a put from another port of loopback", "PUT", "/api/v1/sink/rules", []string{"Referer", "http://127.0.0.1:1/"}, true},
		{"our own page", "POST", "/api/v1/queue/q1/retry", []string{"Referer", own}, false},
		{"an allowed origin", "POST", "/api/v1/queue/q1/retry", []string{"Referer", "https://ui.example:8443/app"}, false},
		{"an Origin of our own, which says better", "POST", "/api/v1/queue/q1/retry", []string{"Referer", "http://evil.example/", "Origin", "http://" + u.Host}, false},
		{"none of the three", "POST", "/api/v1/queue/q1/retry", nil, false},
		{"a Referer that is no page's address", "POST", "/api/v1/queue/q1/retry", []string{"Referer", "ci-script"}, false},
		{"a link followed from another site", "GET", "/api/v1/queue", []string{"Referer", "http://evil.example/page"}, false},
	} {
		code, _, body := do(t, tc.method, ts.url+tc.path, "", tc.hdr...)
		if refused := code == 403; refused != tc.refused {
			t.Errorf("%s: %s %s: %d %s; refused %v, want %v", tc.name, tc.method, tc.path, code, body, refused, tc.refused)
		} else if refused && !strings.Contains(string(body), "another site") {
			t.Errorf("%s: refused with %s; want it to say the request came from another site", tc.name, body)
		}
	}
}
