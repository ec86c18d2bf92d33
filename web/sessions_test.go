package web

import (
	"crypto/sha256"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/clock"
)

// noRedirect is a client that shows redirects instead of following them.
var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// signInResult is one sign-in's answer: status, Location, and the cookies
// it set by name.
type signInResult struct {
	code     int
	location string
	cookies  map[string]*http.Cookie
	body     string
}

func send(t *testing.T, c *http.Client, method, u, form string, hdr ...string) signInResult {
	t.Helper()
	var req *http.Request
	var err error
	if form != "" {
		req, err = http.NewRequest(method, u, strings.NewReader(form))
		if err == nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
	} else {
		req, err = http.NewRequest(method, u, nil)
	}
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 4096)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	res := signInResult{code: resp.StatusCode, location: resp.Header.Get("Location"), cookies: map[string]*http.Cookie{}, body: b.String()}
	for _, c := range resp.Cookies() {
		res.cookies[c.Name] = c
	}
	return res
}

// signIn opens /?token= as a bookmarked link does and returns the
// session cookie's value.
func signIn(t *testing.T, base, token string) string {
	t.Helper()
	res := send(t, noRedirect, "GET", base+"/?token="+url.QueryEscape(token), "")
	c := res.cookies[sessionCookie]
	if res.code != http.StatusSeeOther || c == nil || c.Value == "" {
		t.Fatalf("sign-in: %d, cookies %v", res.code, res.cookies)
	}
	return c.Value
}

// status is the answer's status to GET path with the session cookie.
func withCookie(t *testing.T, base, path, id string) int {
	t.Helper()
	code, _, _ := do(t, "GET", base+path, "", "Cookie", sessionCookie+"="+id)
	return code
}

// TestSessionCookie: each sign-in gets a session of its own, a random id
// in an HttpOnly, SameSite=Strict cookie for the whole site that the
// browser drops when it closes; the cookie of old, a digest of the token
// that was the same for every browser, forever, is refused.
func TestSessionCookie(t *testing.T) {
	t.Parallel()
	const token = "s3cret-token-0123"
	ts := startServer(t, Options{Auth: Auth{Token: token}})

	sum := sha256.Sum256([]byte("relaylab-session:" + token))
	if code := withCookie(t, ts.url, "/api/v1/events", fmt.Sprintf("%x", sum)); code != http.StatusUnauthorized {
		t.Errorf("the old fixed cookie: %d, want 401", code)
	}

	res := send(t, noRedirect, "GET", ts.url+"/?token="+token, "")
	c := res.cookies[sessionCookie]
	if c == nil {
		t.Fatalf("no session cookie: %v", res.cookies)
	}
	if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/" || c.MaxAge != 0 || !c.Expires.IsZero() || c.Secure {
		t.Errorf("session cookie %q: want HttpOnly, SameSite=Strict, Path=/, no Max-Age or Expires, not Secure over plain HTTP", c.Raw)
	}
	if len(c.Value) != 43 || strings.Contains(c.Value, token) {
		t.Errorf("session id %q: want 32 random bytes as base64url (43 characters)", c.Value)
	}
	if f := res.cookies[signedInCookie]; f == nil || f.Value != "1" || f.HttpOnly || f.SameSite != http.SameSiteStrictMode {
		t.Errorf("the UI's flag: %v, want %s=1, readable by the page's script", f, signedInCookie)
	}
	second := signIn(t, ts.url, token)
	if second == c.Value {
		t.Fatalf("two sign-ins got the same id %q", second)
	}
	for _, id := range []string{c.Value, second} {
		if code := withCookie(t, ts.url, "/api/v1/events", id); code != http.StatusOK {
			t.Errorf("session %q: %d, want 200", id, code)
		}
	}
	if code := withCookie(t, ts.url, "/api/v1/events", c.Value[:42]+"x"); code != http.StatusUnauthorized {
		t.Errorf("a made-up id: %d, want 401", code)
	}
}

// TestSessionSecureOverTLS: a cookie set over TLS is sent back only over
// TLS.
func TestSessionSecureOverTLS(t *testing.T) {
	t.Parallel()
	s, err := New(Options{Store: openStore(t, nil), Auth: Auth{Token: "s3cret-token-0123"}})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewTLSServer(s.Handler())
	defer hs.Close()
	c := hs.Client()
	c.CheckRedirect = noRedirect.CheckRedirect
	res := send(t, c, "GET", hs.URL+"/?token=s3cret-token-0123", "")
	if sc := res.cookies[sessionCookie]; sc == nil || !sc.Secure || !res.cookies[signedInCookie].Secure {
		t.Fatalf("over TLS: cookies %v, want Secure", res.cookies)
	}
	// Behind a TLS-terminating proxy (the UI has no TLS listener of its
	// own), the proxy's X-Forwarded-Proto says so; plain HTTP gets no
	// Secure, or the browser would never send the cookie back (walk V2:
	// "Secure over TLS" could never happen).
	ts := startServer(t, Options{Auth: Auth{Token: "s3cret-token-0123"}})
	for proto, want := range map[string]bool{"https": true, "": false, "http": false} {
		args := []string{}
		if proto != "" {
			args = []string{"X-Forwarded-Proto", proto}
		}
		res := send(t, noRedirect, "GET", ts.url+"/?token=s3cret-token-0123", "", args...)
		if sc := res.cookies[sessionCookie]; sc == nil || sc.Secure != want {
			t.Errorf("X-Forwarded-Proto %q: session cookie %v, want Secure %v", proto, sc, want)
		}
	}
}

// TestSessionSignOut: POST /signout ends this browser's session (its
// cookie then gets 401) and no other, clears the cookies, and lands on
// the sign-in page, which says so; a page of another site cannot sign a
// browser out.
func TestSessionSignOut(t *testing.T) {
	t.Parallel()
	const token = "s3cret-token-0123"
	ts := startServer(t, Options{Auth: Auth{Token: token}})
	mine, other := signIn(t, ts.url, token), signIn(t, ts.url, token)

	res := send(t, noRedirect, "POST", ts.url+signOutPath, "", "Cookie", sessionCookie+"="+mine, "Origin", "http://evil.example")
	if res.code != http.StatusForbidden || withCookie(t, ts.url, "/api/v1/events", mine) != http.StatusOK {
		t.Fatalf("sign-out from another site: %d, and the session no longer works", res.code)
	}
	res = send(t, noRedirect, "POST", ts.url+signOutPath, "", "Cookie", sessionCookie+"="+mine, "Origin", ts.url)
	if res.code != http.StatusSeeOther || res.location != "/?signed-out" {
		t.Fatalf("sign-out: %d to %q, want 303 to /?signed-out", res.code, res.location)
	}
	for _, name := range []string{sessionCookie, signedInCookie} {
		if c := res.cookies[name]; c == nil || c.MaxAge >= 0 || c.Value != "" {
			t.Errorf("sign-out does not clear %s: %v", name, c)
		}
	}
	if code := withCookie(t, ts.url, "/api/v1/events", mine); code != http.StatusUnauthorized {
		t.Errorf("after sign-out the cookie gets %d, want 401", code)
	}
	if code := withCookie(t, ts.url, "/api/v1/events", other); code != http.StatusOK {
		t.Errorf("another browser's session after this one signed out: %d, want 200", code)
	}
	page := send(t, noRedirect, "GET", ts.url+"/?signed-out", "", "Accept", "text/html")
	if page.code != http.StatusUnauthorized || !strings.Contains(page.body, `id="signed-out"`) {
		t.Errorf("the page after sign-out: %d\n%s", page.code, page.body)
	}
}

// TestSignOutPage: GET /signout shows a signed-in browser a button that
// posts to /signout; a request signed in by a header is told there is no
// session; one not signed in gets the sign-in page, whose form does not
// post to /signout.
func TestSignOutPage(t *testing.T) {
	t.Parallel()
	const token = "s3cret-token-0123"
	ts := startServer(t, Options{Auth: Auth{Token: token}})
	id := signIn(t, ts.url, token)
	for _, tc := range []struct {
		name string
		hdr  []string
		code int
		want []string
	}{
		{"cookie", []string{"Cookie", sessionCookie + "=" + id}, 200, []string{`<form method="post" action="/signout"`, "2026-01-02 15:04 UTC"}},
		{"bearer", []string{"Authorization", "Bearer " + token}, 200, []string{`id="signout-none"`}},
		{"none", []string{"Accept", "text/html"}, 401, []string{`<form method="post" action="/"`}},
	} {
		res := send(t, noRedirect, "GET", ts.url+signOutPath, "", tc.hdr...)
		if res.code != tc.code {
			t.Errorf("%s: %d, want %d", tc.name, res.code, tc.code)
		}
		for _, w := range tc.want {
			if !strings.Contains(res.body, w) {
				t.Errorf("%s: the page does not have %s:\n%s", tc.name, w, res.body)
			}
		}
	}
}

// TestSessionExpires: a session ends 12 hours after its sign-in, however
// busy it was meanwhile.
func TestSessionExpires(t *testing.T) {
	t.Parallel()
	const token = "s3cret-token-0123"
	vc := clock.NewVirtual(testEpoch)
	ts := startServer(t, Options{Store: openStore(t, vc), Clock: vc, Auth: Auth{Token: token}})
	id := signIn(t, ts.url, token)
	vc.Advance(sessionTTL - time.Second)
	if code := withCookie(t, ts.url, "/api/v1/events", id); code != http.StatusOK {
		t.Fatalf("a second before it ends: %d, want 200", code)
	}
	vc.Advance(time.Second)
	if code := withCookie(t, ts.url, "/api/v1/events", id); code != http.StatusUnauthorized {
		t.Fatalf("12 hours after the sign-in: %d, want 401", code)
	}
}

// TestSessionRestart: sessions live in the serve's memory: a restart
// (which a new web.token takes) ends them, with the same token or another.
func TestSessionRestart(t *testing.T) {
	t.Parallel()
	st := openStore(t, nil)
	first := startServer(t, Options{Store: st, Auth: Auth{Token: "s3cret-token-0123"}})
	id := signIn(t, first.url, "s3cret-token-0123")
	for _, token := range []string{"s3cret-token-0123", "another-token-4567"} {
		again := startServer(t, Options{Store: st, Auth: Auth{Token: token, User: "ops", Password: "pw-0123456789"}})
		if code := withCookie(t, again.url, "/api/v1/events", id); code != http.StatusUnauthorized {
			t.Errorf("after a restart with token %q: %d, want 401", token, code)
		}
		// A page asked for tells the browser to drop the cookie of the
		// session that ended, and the flag that shows "Sign out", also
		// when it signs in another way; an API call does not (walk V2's
		// CI run: the answer to an old page's call, still on its way
		// when the browser signed in again, cleared the new cookie).
		for _, hdr := range [][]string{nil, {"Authorization", "Basic b3BzOnB3LTAxMjM0NTY3ODk="}} {
			cookies := append([]string{"Cookie", sessionCookie + "=" + id + "; " + signedInCookie + "=1"}, hdr...)
			res := send(t, noRedirect, "GET", again.url+"/", "", append(cookies, "Accept", "text/html")...)
			for _, name := range []string{sessionCookie, signedInCookie} {
				if c := res.cookies[name]; c == nil || c.MaxAge >= 0 {
					t.Errorf("after a restart, a page: %d with %q: %s not cleared (%v)", res.code, hdr, name, c)
				}
			}
			res = send(t, noRedirect, "GET", again.url+"/api/v1/events", "", cookies...)
			if len(res.cookies) != 0 {
				t.Errorf("after a restart, an API call: %d with %q: cookies %v set, want none", res.code, hdr, res.cookies)
			}
		}
	}
}

// TestSignInPost: the sign-in page's form POSTs the token to the page
// it stands on, which sends the browser back there (on this host, whatever
// the path) without the token in any address; a wrong token shows the page
// again, saying so; a form posted from another site signs nobody in (login
// CSRF). The link relaylab prints, /?token=, works as it did.
func TestSignInPost(t *testing.T) {
	t.Parallel()
	const token = "s3cret-token-0123"
	ts := startServer(t, Options{Auth: Auth{Token: token}})
	form := "token=" + url.QueryEscape(token)

	page := send(t, noRedirect, "GET", ts.url+"/", "", "Accept", "text/html")
	if !strings.Contains(page.body, `<form method="post" action="/"`) || strings.Contains(page.body, `method="get"`) {
		t.Errorf("the sign-in form does not POST:\n%s", page.body)
	}

	for _, tc := range []struct {
		name, path, form string
		hdr              []string
		code             int
		location         string
		wrong            bool
	}{
		{"right", "/", form, []string{"Origin", ts.url}, 303, "/", false},
		{"deep page", "/openapi.yaml", form, nil, 303, "/openapi.yaml", false},
		{"no origin", "/", form, nil, 303, "/", false},
		{"wrong", "/", "token=nope", []string{"Accept", "text/html", "Origin", ts.url}, 401, "", true},
		{"wrong, a script", "/", "token=nope", nil, 401, "", false},
		// The path names another host, as browsers read "/\host": the
		// answer stays on this one.
		{"another host", `/%5C127.0.0.1:43310/x`, form, nil, 303, `/%5C127.0.0.1:43310/x`, false},
		{"another host, tab", `/%09/127.0.0.1:43310/x`, form, nil, 303, `/%09/127.0.0.1:43310/x`, false},
		{"cross-site", "/", form, []string{"Origin", "http://evil.example", "Sec-Fetch-Site", "cross-site", "Sec-Fetch-Mode", "navigate", "Sec-Fetch-Dest", "document"}, 403, "", false},
		{"null origin", "/", form, []string{"Origin", "null"}, 403, "", false},
		{"cross-site, old browser", "/", form, []string{"Referer", "http://evil.example/login.html"}, 403, "", false},
	} {
		res := send(t, noRedirect, "POST", ts.url+tc.path, tc.form, tc.hdr...)
		if res.code != tc.code || res.location != tc.location {
			t.Errorf("%s: %d to %q, want %d to %q\n%s", tc.name, res.code, res.location, tc.code, tc.location, res.body)
			continue
		}
		c := res.cookies[sessionCookie]
		if (c != nil) != (tc.code == 303) {
			t.Errorf("%s: session cookie %v", tc.name, c)
		}
		if c != nil && withCookie(t, ts.url, "/api/v1/events", c.Value) != 200 {
			t.Errorf("%s: the session does not work", tc.name)
		}
		if got := strings.Contains(res.body, `id="wrong-token"`); got != tc.wrong {
			t.Errorf("%s: wrong-token note %v, want %v:\n%s", tc.name, got, tc.wrong, res.body)
		}
		if tc.wrong && !strings.Contains(res.body, `<form method="post"`) {
			t.Errorf("%s: no form to try again:\n%s", tc.name, res.body)
		}
		if strings.HasPrefix(res.location, "//") || strings.HasPrefix(res.location, `/\`) || strings.Contains(res.location, "token") {
			t.Errorf("%s: Location %q leaves this host or names the token", tc.name, res.location)
		}
	}

	// The link: a redirect at once, the token gone, the rest of the
	// query kept.
	res := send(t, noRedirect, "GET", ts.url+"/?token="+token+"&x=1", "")
	if res.code != 303 || res.location != "/?x=1" || res.cookies[sessionCookie] == nil {
		t.Errorf("GET /?token=: %d to %q, cookies %v", res.code, res.location, res.cookies)
	}
	if res := send(t, noRedirect, "GET", ts.url+"/?token=nope", "", "Accept", "text/html"); res.code != 401 || !strings.Contains(res.body, `id="wrong-token"`) {
		t.Errorf("GET /?token=nope: %d\n%s", res.code, res.body)
	}
}

// TestSessionsBounded: sign-ins past maxSessions push out the oldest
// ones, not the memory's limit.
func TestSessionsBounded(t *testing.T) {
	t.Parallel()
	vc := clock.NewVirtual(testEpoch)
	ss := newSessions(vc)
	first, _ := ss.start()
	vc.Advance(time.Second)
	second, _ := ss.start()
	for range maxSessions - 1 {
		vc.Advance(time.Millisecond)
		ss.start()
	}
	if len(ss.until) != maxSessions {
		t.Fatalf("%d sessions held, want %d", len(ss.until), maxSessions)
	}
	if _, ok := ss.valid(first); ok {
		t.Errorf("the oldest session stays")
	}
	if _, ok := ss.valid(second); !ok {
		t.Errorf("the second session is gone too")
	}
}
