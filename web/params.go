package web

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/goccy/go-yaml"
)

// specParams are the query parameters of each operation in openapi.yaml.
var specParams, specParamsErr = queryParams(openAPISpec)

// queryParams reads, from the OpenAPI document, the query parameters each
// operation takes ("get /api/v1/events" → after, kind, ...), following
// references to components/parameters.
func queryParams(spec []byte) (map[string][]string, error) {
	type param struct {
		Ref  string `yaml:"$ref"`
		Name string `yaml:"name"`
		In   string `yaml:"in"`
	}
	var doc struct {
		Paths      map[string]map[string]yaml.RawMessage `yaml:"paths"`
		Components struct {
			Parameters map[string]param `yaml:"parameters"`
		} `yaml:"components"`
	}
	if err := yaml.Unmarshal(spec, &doc); err != nil {
		return nil, err
	}
	out := map[string][]string{}
	for path, ops := range doc.Paths {
		for method, raw := range ops {
			var op struct {
				Parameters []param `yaml:"parameters"`
			}
			if err := yaml.Unmarshal(raw, &op); err != nil {
				return nil, fmt.Errorf("%s %s: %w", method, path, err)
			}
			names := []string{}
			for _, p := range op.Parameters {
				if p.Ref != "" {
					p = doc.Components.Parameters[strings.TrimPrefix(p.Ref, "#/components/parameters/")]
				}
				if p.In == "query" {
					names = append(names, p.Name)
				}
			}
			slices.Sort(names)
			out[method+" "+path] = names
		}
	}
	return out, nil
}

// knownParams answers 400 to a request with a query parameter that the
// operation does not take, naming it and those it does, instead of
// answering as if the parameter (a misspelt limit, say) were not there.
// token is the API's credential and goes everywhere.
func knownParams(allowed []string, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		for k := range r.URL.Query() {
			if k == "token" || slices.Contains(allowed, k) {
				continue
			}
			takes := "no query parameters"
			if len(allowed) > 0 {
				takes = "only " + strings.Join(allowed, ", ")
			}
			writeError(w, http.StatusBadRequest, fmt.Sprintf("unknown query parameter %q", k),
				fmt.Sprintf("%s %s takes %s; see /openapi.yaml", r.Method, r.URL.Path, takes))
			return
		}
		h(w, r)
	}
}
