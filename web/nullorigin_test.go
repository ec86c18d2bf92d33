package web

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestNullOrigin: a write from the opaque origin "null" (a sandboxed
// frame, a file: page) is refused with why it can never be allowed, not
// with advice to add "null" to web.allowed_origins; and "null" in
// web.allowed_origins is refused when the server is made.
func TestNullOrigin(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Options{Relay: newFakeRelay()})
	req, err := http.NewRequest("DELETE", ts.url+"/api/v1/queue/m-1", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Origin", "null")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	body := string(raw)
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "opaque origin") || !strings.Contains(body, "sandboxed frame") ||
		strings.Contains(body, `allowed_origins: [\"null\"]`) {
		t.Errorf("DELETE with Origin: null: %d %s; want 403 saying null is an opaque origin, without advice to allow it", resp.StatusCode, body)
	}
	for _, o := range []string{"null", " NULL "} {
		_, err := New(Options{Store: openStore(t, nil), AllowedOrigins: []string{"http://ui.test", o}})
		if err == nil || !strings.Contains(err.Error(), "web.allowed_origins[1]") || !strings.Contains(err.Error(), "opaque origin") {
			t.Errorf("allowed_origins with %q: %v; want it refused at web.allowed_origins[1] as an opaque origin", o, err)
		}
	}
}
