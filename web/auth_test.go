package web

import (
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
)

func TestAuth(t *testing.T) {
	t.Parallel()
	basic := func(u, p string) string { return "Basic " + base64.StdEncoding.EncodeToString([]byte(u+":"+p)) }
	open := startServer(t, Options{})
	token := startServer(t, Options{Auth: Auth{Token: "s3cret"}})
	both := startServer(t, Options{Auth: Auth{Token: "s3cret", User: "ops", Password: "pw"}})
	// The cookie a browser gets from /?token=.
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.Get(token.url + "/?token=s3cret")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var cookie string
	for _, c := range resp.Cookies() {
		if c.Name == sessionCookie && c.HttpOnly && c.SameSite == http.SameSiteStrictMode {
			cookie = c.Name + "=" + c.Value
		}
	}
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" || cookie == "" || strings.Contains(cookie, "s3cret") {
		t.Fatalf("token login: %d to %q, cookie %q", resp.StatusCode, resp.Header.Get("Location"), cookie)
	}

	for _, tc := range []struct {
		name      string
		ts        *testServer
		path      string
		hdr       []string
		want      int
		wantBasic bool // a WWW-Authenticate: Basic challenge
	}{
		{"open api", open, "/api/v1/events", nil, 200, false},
		{"open ui", open, "/", nil, 200, false},
		{"open metrics", open, "/metrics", nil, 200, false},
		{"token none", token, "/api/v1/events", nil, 401, false},
		{"token ui none", token, "/", nil, 401, false},
		{"token metrics none", token, "/metrics", nil, 401, false},
		{"token openapi none", token, "/openapi.yaml", nil, 401, false},
		{"token wrong", token, "/api/v1/events", []string{"Authorization", "Bearer nope"}, 401, false},
		{"token right", token, "/api/v1/events", []string{"Authorization", "Bearer s3cret"}, 200, false},
		{"token in api query refused", token, "/api/v1/events?token=s3cret", nil, 401, false},
		{"token cookie", token, "/api/v1/events", []string{"Cookie", cookie}, 200, false},
		{"token cookie ui", token, "/app.js", []string{"Cookie", cookie}, 200, false},
		{"token bad cookie", token, "/api/v1/events", []string{"Cookie", sessionCookie + "=s3cret"}, 401, false},
		{"token health open", token, "/healthz", nil, 200, false},
		{"token ready open", token, "/readyz", nil, 200, false},
		{"basic none", both, "/api/v1/events", nil, 401, true},
		{"basic wrong", both, "/api/v1/events", []string{"Authorization", basic("ops", "nope")}, 401, true},
		{"basic right", both, "/api/v1/events", []string{"Authorization", basic("ops", "pw")}, 200, false},
		{"basic or token", both, "/api/v1/events", []string{"Authorization", "Bearer s3cret"}, 200, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, hdr, body := do(t, "GET", tc.ts.url+tc.path, "", tc.hdr...)
			if code != tc.want {
				t.Fatalf("got %d %s, want %d", code, body, tc.want)
			}
			if code == 401 {
				wantAPIError(t, body)
			}
			if got := strings.HasPrefix(hdr.Get("WWW-Authenticate"), "Basic"); got != tc.wantBasic {
				t.Fatalf("WWW-Authenticate %q", hdr.Get("WWW-Authenticate"))
			}
		})
	}

	// The websocket is covered too.
	for _, tc := range []struct {
		name string
		hdr  http.Header
		want int
	}{
		{"ws none", nil, 401},
		{"ws bearer", http.Header{"Authorization": {"Bearer s3cret"}}, 101},
		{"ws cookie", http.Header{"Cookie": {cookie}}, 101},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conn, resp, _ := dialStream(t, token.url, "", tc.hdr)
			if conn != nil {
				conn.Close()
			}
			if resp == nil || resp.StatusCode != tc.want {
				t.Fatalf("got %v, want %d", resp, tc.want)
			}
		})
	}
}

// TestCrossOriginWrites: a page of another origin cannot make the browser
// change anything.
func TestCrossOriginWrites(t *testing.T) {
	t.Parallel()
	ts, relay, _ := componentServer(t)
	for _, tc := range []struct {
		origin string
		want   int
	}{
		{"http://evil.example", 403},
		{"null", 403},
		{"", 202},
		{ts.url, 202},
	} {
		code, _, body := do(t, "POST", ts.url+"/api/v1/queue/order-2/retry", "", "Origin", tc.origin)
		if code != tc.want {
			t.Errorf("origin %q: got %d %s, want %d", tc.origin, code, body, tc.want)
		}
		switch {
		case code != 403:
		case tc.origin == "null":
			// An opaque origin can never be allowed (TestNullOrigin).
			if d := wantAPIError(t, body).Detail; !strings.Contains(d, "opaque origin") || strings.Contains(d, "add it to web.allowed_origins") {
				t.Errorf("origin %q: the refusal %s advises allowing it, or does not say it is opaque", tc.origin, body)
			}
		case !strings.Contains(wantAPIError(t, body).Detail, "add it to web.allowed_origins"):
			t.Errorf("origin %q: the refusal %s does not name web.allowed_origins", tc.origin, body)
		}
	}
	relay.mu.Lock()
	defer relay.mu.Unlock()
	if len(relay.retried) != 2 {
		t.Fatalf("retried %v, want two (the same-origin ones)", relay.retried)
	}
}

func TestNewRejects(t *testing.T) {
	t.Parallel()
	st := openStore(t, nil)
	for _, tc := range []struct {
		name string
		opts Options
	}{
		{"no store", Options{}},
		{"user without password", Options{Store: st, Auth: Auth{User: "ops"}}},
	} {
		if _, err := New(tc.opts); err == nil {
			t.Errorf("%s: New accepted it", tc.name)
		}
	}
}

// TestAuthEveryEndpoint: with auth on, no endpoint answers without
// credentials.
func TestAuthEveryEndpoint(t *testing.T) {
	t.Parallel()
	relay, sink, probe := newFakeRelay(), newFakeSink(), &fakeProbe{}
	ts := startServer(t, Options{Relay: relay, Sink: sink, Probe: probe, Auth: Auth{User: "ops", Password: "pw"}})
	for _, e := range ts.endpoints() {
		path := strings.NewReplacer("{id}", "x", "{address}", "a@example.com").Replace(e.path)
		t.Run(e.method+" "+path, func(t *testing.T) {
			t.Parallel()
			code, hdr, body := do(t, e.method, ts.url+path, "")
			if code != http.StatusUnauthorized || hdr.Get("WWW-Authenticate") == "" {
				t.Fatalf("without credentials: %d %s", code, body)
			}
			wantAPIError(t, body)
		})
	}
}

// TestUnauthorizedPage: a browser that opens a page without credentials
// gets a page saying how to get in, with no script but its own file; a script or a fetch
// gets the JSON error, whose detail reads "<token>", not "\u003ctoken\u003e".
func TestUnauthorizedPage(t *testing.T) {
	t.Parallel()
	token := startServer(t, Options{Auth: Auth{Token: "s3cret"}})
	basic := startServer(t, Options{Auth: Auth{User: "ops", Password: "pw"}})
	const browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
	for _, tc := range []struct {
		name   string
		ts     *testServer
		path   string
		accept string
		html   bool
		want   []string
	}{
		{"token page", token, "/", browser, true, []string{"web.token", `name="token"`, `action="/"`, "/?token=&lt;token&gt;", "RELAYLAB_TOKEN"}},
		{"token wrong", token, "/?token=nope", browser, true, []string{"That token is not this serve's web.token"}},
		{"token deep path", token, "/openapi.yaml", browser, true, []string{`action="/openapi.yaml"`}},
		{"basic page", basic, "/", browser, true, []string{"web.user", "web.password"}},
		{"token api from a browser", token, "/api/v1/events", browser, false, []string{`"detail":"send Authorization: Bearer <token> with the serve's web.token, or open the UI once as /?token=<token>"`}},
		{"token script", token, "/", "*/*", false, []string{"Bearer <token>"}},
		{"basic script", basic, "/", "", false, []string{"web.user and web.password"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, hdr, body := do(t, "GET", tc.ts.url+tc.path, "", "Accept", tc.accept)
			if code != http.StatusUnauthorized {
				t.Fatalf("got %d %s, want 401", code, body)
			}
			if ct := hdr.Get("Content-Type"); strings.HasPrefix(ct, "text/html") != tc.html {
				t.Fatalf("content type %q, want html %v", ct, tc.html)
			}
			if tc.html {
				// No inline script: the sign-in page's own file alone,
				// which keeps the view's fragment (signInScriptPath).
				page := strings.Replace(string(body), `<script src="`+signInScriptPath+`" defer></script>`, "", 1)
				if strings.Contains(page, "<script") || strings.Contains(page, "style=") || hdr.Get("Content-Security-Policy") != pageCSP {
					t.Fatalf("the page has script or inline style, or not our CSP (%q):\n%s", hdr.Get("Content-Security-Policy"), body)
				}
			} else {
				wantAPIError(t, body)
			}
			for _, w := range tc.want {
				if !strings.Contains(string(body), w) {
					t.Errorf("the answer does not say %q:\n%s", w, body)
				}
			}
		})
	}
}
