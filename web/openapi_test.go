package web

import (
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
