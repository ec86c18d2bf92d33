package web

import (
	"net/http"
	"testing"
)

// TestS27DoubledSlashesServed: a path with doubled slashes, as a script
// writes it when it joins ready.json's web (which ends in /) to /api/...,
// is served as its clean form, not redirected: curl -f took the router's
// 307 of a DELETE for success, and nothing was cleared. A UI path keeps
// its trailing slash.
func TestS27DoubledSlashesServed(t *testing.T) {
	t.Parallel()
	sk := newClearingSink()
	ts := startServer(t, Options{Sink: sk})
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, tc := range []struct {
		method, path string
		code         int
	}{
		{"DELETE", "//api/v1/sink/messages", http.StatusOK},
		{"POST", "/api//v1/sink/reset", http.StatusOK},
		{"GET", "//api/v1/stats", http.StatusOK},
		{"GET", "//", http.StatusOK},
	} {
		req, err := http.NewRequest(tc.method, ts.url+tc.path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Origin", ts.url)
		resp, err := noFollow.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.code {
			t.Errorf("%s %s: %d (Location %q), want %d", tc.method, tc.path, resp.StatusCode, resp.Header.Get("Location"), tc.code)
		}
	}
	if r, c, _ := sk.calls(); r != 1 || c != 1 {
		t.Errorf("the sink saw %d resets and %d clears, want one each", r, c)
	}
}
