package web

import (
	"net/http"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
)

// TestOpenAPICoversRoutes: every endpoint the server routes is in
// openapi.yaml, with its method, and nothing documented is missing.
func TestOpenAPICoversRoutes(t *testing.T) {
	t.Parallel()
	var doc struct {
		OpenAPI string                    `yaml:"openapi"`
		Paths   map[string]map[string]any `yaml:"paths"`
	}
	if err := yaml.Unmarshal(openAPISpec, &doc); err != nil {
		t.Fatalf("openapi.yaml: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.1") {
		t.Fatalf("openapi: %q, want 3.1.x", doc.OpenAPI)
	}
	s, err := New(Options{Store: openStore(t, nil)})
	if err != nil {
		t.Fatal(err)
	}
	routed := map[string]bool{}
	for _, e := range s.endpoints() {
		key := strings.ToLower(e.method) + " " + e.path
		routed[key] = true
		if _, ok := doc.Paths[e.path][strings.ToLower(e.method)]; !ok {
			t.Errorf("%s %s is routed but not in openapi.yaml", e.method, e.path)
		}
	}
	for p, ops := range doc.Paths {
		if !strings.HasPrefix(p, "/api/") {
			continue
		}
		for m := range ops {
			if !routed[m+" "+p] {
				t.Errorf("%s %s is in openapi.yaml but not routed", m, p)
			}
		}
	}
}

// TestWrongMethod: a documented path asked with a method it does not take
// is a 405 naming the methods it does (and Allow), not "no such endpoint".
func TestWrongMethod(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Options{Relay: newFakeRelay()})
	for _, tc := range []struct {
		method, path string
		status       int
		allow        string
	}{
		{"PATCH", "/api/v1/messages", http.StatusMethodNotAllowed, "GET, POST"},
		{"POST", "/api/v1/events", http.StatusMethodNotAllowed, "GET"},
		{"GET", "/api/v1/queue/m1/retry", http.StatusMethodNotAllowed, "POST"},
		{"GET", "/api/v1/nowhere", http.StatusNotFound, ""},
	} {
		code, hdr, body := do(t, tc.method, ts.url+tc.path, "")
		e := wantAPIError(t, body)
		if code != tc.status || hdr.Get("Allow") != tc.allow {
			t.Errorf("%s %s: %d Allow %q, want %d Allow %q (%+v)", tc.method, tc.path, code, hdr.Get("Allow"), tc.status, tc.allow, e)
		}
		if tc.allow != "" && !strings.Contains(e.Detail, tc.allow) {
			t.Errorf("%s %s: detail %q does not name %s", tc.method, tc.path, e.Detail, tc.allow)
		}
	}
}
