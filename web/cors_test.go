package web

import (
	"net/http"
	"slices"
	"strings"
	"testing"
)

// TestCORSForAllowedOrigins: a page of a web.allowed_origins origin may
// use the API from the browser: its preflight is answered (204, its
// exact origin, the path's methods, Content-Type and Authorization, a
// max age) without credentials, and the real answers, a 401 included,
// name its origin; another origin's preflight and writes are refused
// (403) and its reads name no origin, so the browser keeps them from
// its page. Never "*".
func TestCORSForAllowedOrigins(t *testing.T) {
	t.Parallel()
	const page, other, token = "http://127.0.0.1:3000", "http://127.0.0.1:3001", "s3cret-token-0123"
	relay, sink, probe := filledFakes()
	ts := startServer(t, Options{Relay: relay, Sink: sink, Probe: probe, Auth: Auth{Token: token},
		AllowedOrigins: []string{page + "/"}})
	bearer := "Bearer " + token
	for _, tc := range []struct {
		name, method, path, body string
		hdr                      []string
		want                     int
		allow                    string            // Access-Control-Allow-Origin wanted
		more                     map[string]string // other headers wanted
	}{
		{"preflight of a write", "OPTIONS", "/api/v1/sink/rules", "",
			[]string{"Origin", page, "Access-Control-Request-Method", "PUT", "Access-Control-Request-Headers", "authorization,content-type", "Sec-Fetch-Site", "same-site", "Sec-Fetch-Mode", "cors"},
			204, page, map[string]string{"Access-Control-Allow-Methods": "GET, PUT, HEAD", "Access-Control-Allow-Headers": "Content-Type, If-Match, Authorization", "Access-Control-Max-Age": "600"}},
		{"preflight of a read", "OPTIONS", "/api/v1/events", "",
			[]string{"Origin", page, "Access-Control-Request-Method", "GET", "Access-Control-Request-Headers", "authorization"},
			204, page, map[string]string{"Access-Control-Allow-Methods": "GET, HEAD"}},
		{"read", "GET", "/api/v1/sink/messages", "", []string{"Origin", page, "Authorization", bearer, "Sec-Fetch-Site", "same-site", "Sec-Fetch-Mode", "cors"},
			200, page, map[string]string{"Access-Control-Expose-Headers": "Location, Allow, WWW-Authenticate, Content-Disposition, ETag, X-Relaylab-Hint"}},
		{"read without the token", "GET", "/api/v1/sink/messages", "", []string{"Origin", page, "Sec-Fetch-Site", "same-site"}, 401, page, nil},
		{"write", "PUT", "/api/v1/sink/rules", `{"yaml": "rules: []"}`, []string{"Origin", page, "Authorization", bearer, "Sec-Fetch-Site", "same-site"}, 200, page, nil},
		{"other's preflight", "OPTIONS", "/api/v1/sink/rules", "", []string{"Origin", other, "Access-Control-Request-Method", "PUT"}, 403, "", nil},
		{"other's write", "PUT", "/api/v1/sink/rules", `{"yaml": "rules: []"}`, []string{"Origin", other, "Authorization", bearer}, 403, "", nil},
		{"other's read, not from a browser page", "GET", "/api/v1/sink/messages", "", []string{"Origin", other, "Authorization", bearer}, 200, "", nil},
		{"other's read from a page", "GET", "/api/v1/sink/messages", "", []string{"Origin", other, "Authorization", bearer, "Sec-Fetch-Site", "same-site"}, 403, "", nil},
		{"no origin", "GET", "/api/v1/sink/messages", "", []string{"Authorization", bearer}, 200, "", nil},
	} {
		code, h, b := do(t, tc.method, ts.url+tc.path, tc.body, tc.hdr...)
		if code != tc.want {
			t.Errorf("%s: %d %s, want %d", tc.name, code, b, tc.want)
			continue
		}
		if got := h.Values("Access-Control-Allow-Origin"); tc.allow == "" && len(got) > 0 || tc.allow != "" && !slices.Equal(got, []string{tc.allow}) {
			t.Errorf("%s: Access-Control-Allow-Origin %q, want %q", tc.name, got, tc.allow)
		}
		for k, v := range tc.more {
			if got := h.Get(k); got != v {
				t.Errorf("%s: %s %q, want %q", tc.name, k, got, v)
			}
		}
		if code != 403 && !slices.Contains(h.Values("Vary"), "Origin") {
			t.Errorf("%s: Vary %q, want Origin among them", tc.name, h.Values("Vary"))
		}
		if tc.allow == "" && h.Get("Access-Control-Allow-Methods") != "" {
			t.Errorf("%s: Access-Control-Allow-Methods %q for an origin not allowed", tc.name, h.Get("Access-Control-Allow-Methods"))
		}
	}

	// Without web.token, a preflight does not offer Authorization.
	open := startServer(t, Options{Sink: newFakeSink(), AllowedOrigins: []string{page}})
	code, h, _ := do(t, "OPTIONS", open.url+"/api/v1/sink/rules", "", "Origin", page, "Access-Control-Request-Method", "PUT")
	if code != 204 || h.Get("Access-Control-Allow-Headers") != "Content-Type, If-Match" || strings.Contains(h.Get("Access-Control-Allow-Origin"), "*") {
		t.Errorf("open server's preflight: %d, Allow-Headers %q, Allow-Origin %q", code, h.Get("Access-Control-Allow-Headers"), h.Get("Access-Control-Allow-Origin"))
	}
	// Without allowed origins, a page of this very server needs no CORS,
	// and nothing says otherwise.
	plain := startServer(t, Options{Sink: newFakeSink()})
	code, h, _ = do(t, "OPTIONS", plain.url+"/api/v1/sink/rules", "", "Origin", page, "Access-Control-Request-Method", "PUT")
	if code != http.StatusForbidden || h.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("a preflight with no allowed origins: %d, Allow-Origin %q", code, h.Get("Access-Control-Allow-Origin"))
	}
}
