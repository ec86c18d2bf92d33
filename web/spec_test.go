package web

import (
	"testing"

	"github.com/goccy/go-yaml"
)

// TestSpecJSONBodies: every operation that takes a JSON request body is
// read with readJSON, which answers 415 to another content type and 400 to
// JSON that does not parse, and a cross-origin write is a 403; the spec
// must list those answers for each such operation.
func TestSpecJSONBodies(t *testing.T) {
	var doc struct {
		Paths map[string]map[string]struct {
			RequestBody struct {
				Content map[string]any `yaml:"content"`
			} `yaml:"requestBody"`
			Responses map[string]any `yaml:"responses"`
		} `yaml:"paths"`
	}
	if err := yaml.Unmarshal(openAPISpec, &doc); err != nil {
		t.Fatal(err)
	}
	n := 0
	for path, ops := range doc.Paths {
		for method, op := range ops {
			if _, ok := op.RequestBody.Content["application/json"]; !ok {
				continue
			}
			n++
			for _, code := range []string{"400", "403", "415"} {
				if _, ok := op.Responses[code]; !ok {
					t.Errorf("%s %s takes a JSON body but its responses leave out %s", method, path, code)
				}
			}
		}
	}
	if n < 2 {
		t.Fatalf("found %d operations with JSON bodies; the spec's shape changed under this test", n)
	}
}
