package web

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestUnauthorizedFormStaysOnThisHost: the sign-in form sends the token to
// a path of this serve whatever the address asked for. A path of
// "/\host" or "//host" copied into action as it came is read by
// browsers as another host, which would get the token.
func TestUnauthorizedFormStaysOnThisHost(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ target, want string }{
		{"/%5C127.0.0.1:43310/x", `action="/%5C127.0.0.1:43310/x"`},
		{`/\127.0.0.1:43310/x`, `action="/%5C127.0.0.1:43310/x"`},
		{"//127.0.0.1:43310/x", `action="/127.0.0.1:43310/x"`},
		{"///127.0.0.1:43310/x", `action="/127.0.0.1:43310/x"`},
		{"/%2F127.0.0.1:43310/x", `action="/%2F127.0.0.1:43310/x"`},
		{"/%09/127.0.0.1:43310/x", `action="/%09/127.0.0.1:43310/x"`},
		{"/openapi.yaml?token=nope", `action="/openapi.yaml"`},
	} {
		r := httptest.NewRequest("GET", tc.target, nil)
		r.Header.Set("Accept", "text/html")
		w := httptest.NewRecorder()
		unauthorized(w, r, Auth{Token: "s3cret"})
		body := w.Body.String()
		if w.Code != http.StatusUnauthorized || !strings.Contains(body, tc.want) {
			t.Errorf("GET %s: %d, want %s in:\n%s", tc.target, w.Code, tc.want, body)
		}
	}
}
