package web

import (
	"strings"
	"testing"
)

// TestCheckAllowedOrigin: an entry of web.allowed_origins that no
// browser's Origin can ever equal (a wildcard, a host without its scheme,
// a path, a default port) is refused when the server is made, with what
// to write instead; an origin as browsers send it is taken.
func TestCheckAllowedOrigin(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"*", `"*" is a wildcard, which matches nothing here`},
		{"https://*.corp.test", `"https://*.corp.test" is a wildcard`},
		{"evil.test", `"evil.test" has no scheme: an origin is written whole, as scheme://host[:port], and compared with the browser's Origin whole; write "https://evil.test"`},
		{"evil.test:8080", `write "https://evil.test:8080"`},
		{"http://evil.test/path", `"http://evil.test/path" is more than an origin (a user, a path, a query or a fragment), which a browser's Origin never has: an origin is written whole, as scheme://host[:port], and compared with the browser's Origin whole; write "http://evil.test"`},
		{"http://u@evil.test:8080", `write "http://evil.test:8080"`},
		{"http://evil.test/?x", `write "http://evil.test"`},
		{"https://evil.test:443", `"https://evil.test:443" names the scheme's default port, which a browser leaves out of its Origin: write "https://evil.test"`},
		{"http://evil.test:80/", `write "http://evil.test"`},
		{"http://", `"http://" has no host`},
		{" http://evil.test", `has spaces around it, which a browser's Origin never has: write "http://evil.test"`},
		{"null", `"null" cannot be allowed: "null" is an opaque origin`},
		{"http://127.0.0.1:3000", ""},
		{"https://ui.corp.test:8443/", ""},
		{"HTTP://[::1]:8080", ""},
		{"chrome-extension://abcdef", ""},
	} {
		err := CheckAllowedOrigin(tc.in)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("CheckAllowedOrigin(%q) = %v, want nil", tc.in, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("CheckAllowedOrigin(%q) = %v, want an error holding %q", tc.in, err, tc.want)
		}
	}
	_, err := New(Options{Store: openStore(t, nil), AllowedOrigins: []string{"http://127.0.0.1:3000", "evil.test"}})
	if err == nil || !strings.HasPrefix(err.Error(), `web.allowed_origins[1]: "evil.test" has no scheme`) {
		t.Errorf("New with allowed origin evil.test: %v, want it refused at web.allowed_origins[1]", err)
	}
}
