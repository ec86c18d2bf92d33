package web

import (
	"fmt"
	"testing"

	"github.com/goccy/go-yaml"
)

// TestOpenAPIDescriptionsWhole: every description in openapi.yaml is one
// string and no key is null: an unquoted comma in a flow mapping
// ({description: why, and what to do}) cuts the description short and
// makes the rest a key without a value.
func TestOpenAPIDescriptionsWhole(t *testing.T) {
	t.Parallel()
	var doc any
	if err := yaml.Unmarshal(openAPISpec, &doc); err != nil {
		t.Fatalf("openapi.yaml: %v", err)
	}
	var walk func(at string, v any)
	walk = func(at string, v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				where := at + "." + k
				switch {
				case x == nil:
					t.Errorf("openapi.yaml %s: a key without a value (an unquoted comma in a flow mapping?)", where)
				case k == "description":
					if _, ok := x.(string); !ok {
						t.Errorf("openapi.yaml %s: %v, want one string", where, x)
					}
				}
				walk(where, x)
			}
		case []any:
			for i, x := range v {
				walk(fmt.Sprintf("%s[%d]", at, i), x)
			}
		}
	}
	walk("", doc)
}
