package web

import (
	"slices"
	"testing"
)

// TestAuthChallengeAndSchemeCase: every 401 carries a challenge for each
// scheme the server takes (RFC 9110 11.6.1: a Bearer one for web.token,
// Basic first for web.user, which a browser can answer), and the Bearer
// scheme is taken in any case with one or more spaces before the token
// (RFC 9110 11.1, 11.4), where "bearer TOKEN" was refused.
func TestAuthChallengeAndSchemeCase(t *testing.T) {
	t.Parallel()
	token := startServer(t, Options{Auth: Auth{Token: "s3cret-token-0123"}})
	user := startServer(t, Options{Auth: Auth{User: "ops", Password: "pw-0123456789"}})
	both := startServer(t, Options{Auth: Auth{Token: "s3cret-token-0123", User: "ops", Password: "pw-0123456789"}})
	const bearer, basic = `Bearer realm="relaylab"`, `Basic realm="relaylab", charset="UTF-8"`
	for _, tc := range []struct {
		name       string
		ts         *testServer
		path, auth string
		want       int
		challenges []string
	}{
		{"token none", token, "/api/v1/events", "", 401, []string{bearer}},
		{"token ui none", token, "/", "", 401, []string{bearer}},
		{"token wrong", token, "/api/v1/events", "Bearer nope", 401, []string{bearer}},
		{"user none", user, "/api/v1/events", "", 401, []string{basic}},
		{"both none", both, "/api/v1/events", "", 401, []string{basic, bearer}},
		{"lower case", token, "/api/v1/events", "bearer s3cret-token-0123", 200, nil},
		{"upper case", token, "/api/v1/events", "BEARER s3cret-token-0123", 200, nil},
		{"two spaces", token, "/api/v1/events", "Bearer  s3cret-token-0123", 200, nil},
		{"no token", token, "/api/v1/events", "Bearer ", 401, []string{bearer}},
		{"glued", token, "/api/v1/events", "Bearers3cret-token-0123", 401, []string{bearer}},
	} {
		var hdr []string
		if tc.auth != "" {
			hdr = []string{"Authorization", tc.auth}
		}
		code, h, body := do(t, "GET", tc.ts.url+tc.path, "", hdr...)
		if code != tc.want {
			t.Errorf("%s: %d %s, want %d", tc.name, code, body, tc.want)
			continue
		}
		if got := h.Values("WWW-Authenticate"); !slices.Equal(got, tc.challenges) {
			t.Errorf("%s: WWW-Authenticate %q, want %q", tc.name, got, tc.challenges)
		}
	}
}
