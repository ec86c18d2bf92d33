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

// repeatable are the query parameters that may be given more than once,
// as openapi.yaml says of each ("may repeat"): every other takes one
// value.
var repeatable = []string{"kind"}

// knownParams answers 400 to a request with a query parameter that the
// operation does not take, naming it and those it does, instead of
// answering as if the parameter (a misspelt limit, say) were not there;
// and to one that gives a parameter twice (limit=1&limit=2: which one?)
// or empty (recipient=, which filtered nothing, as if it were not there).
// token is the API's credential and goes everywhere.
func knownParams(allowed []string, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		for k, vs := range r.URL.Query() {
			if k == "token" {
				continue
			}
			if slices.Contains(allowed, k) {
				if len(vs) > 1 && !slices.Contains(repeatable, k) {
					writeError(w, http.StatusBadRequest, fmt.Sprintf("query parameter %q given %d times", k, len(vs)),
						fmt.Sprintf("%s takes one value (%s): give it once", k, strings.Join(quoteAll(vs), ", ")))
					return
				}
				if slices.Contains(vs, "") {
					writeError(w, http.StatusBadRequest, fmt.Sprintf("query parameter %q is empty", k),
						fmt.Sprintf("give %s a value, or leave it out to have none (%s= is not taken as no filter or the default)", k, k))
					return
				}
				continue
			}
			takes := "no query parameters"
			if len(allowed) > 0 {
				takes = "only " + strings.Join(allowed, ", ")
			}
			writeError(w, http.StatusBadRequest, fmt.Sprintf("unknown query parameter %q", k),
				fmt.Sprintf("%s %s takes %s; see /openapi.yaml", r.Method, r.URL.Path, takes)+mailpitParamHint(r.Method, r.URL.Path, k))
			return
		}
		h(w, r)
	}
}

// quoteAll quotes each of vs.
func quoteAll(vs []string) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = quoteShort(v)
	}
	return out
}
