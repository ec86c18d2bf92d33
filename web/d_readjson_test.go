package web

import (
	"net/http"
	"strings"
	"testing"
)

// TestReadJSONSaysWhatShapeIsWanted: a body whose value has the wrong
// JSON type gets a 400 naming the field's path, the type given and the
// shape wanted in JSON's terms, not Go's "cannot unmarshal object into Go
// struct field EnqueueRequest.headers of type []web.Header"; broken JSON
// says where.
func TestReadJSONSaysWhatShapeIsWanted(t *testing.T) {
	t.Parallel()
	ts, _, _ := componentServer(t)
	for _, tc := range []struct {
		name, body string
		want       []string
	}{
		{"headers as an object", `{"from":"a@example.org","to":["b@example.com"],"headers":{"X-A":"1"}}`,
			[]string{`"headers": a JSON object was given, where a list of {"name": string, "value": string} is wanted`, "/openapi.yaml"}},
		{"a header value as a number", `{"from":"a@example.org","to":["b@example.com"],"headers":[{"name":"X-A","value":1}]}`,
			[]string{`"headers.value": a number was given, where a string is wanted`}},
		{"to as a string", `{"from":"a@example.org","to":"b@example.com"}`,
			[]string{`"to": a JSON string was given, where a list of strings is wanted`}},
		{"the body a list", `[1]`, []string{`the body: a JSON array was given, where {"from": string, "to": list of strings`}},
		{"broken", `{"from": "a@example.org",}`, []string{"the body is not JSON: invalid character '}'", "at byte 26"}},
		{"cut short", `{"from": "a@example.org"`, []string{"the body ends inside its JSON value"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, body := do(t, "POST", ts.url+"/api/v1/messages", tc.body)
			e := wantAPIError(t, body)
			if code != http.StatusBadRequest || strings.Contains(e.Detail, "Go struct") || strings.Contains(e.Detail, "web.Header") {
				t.Errorf("status %d, detail %q: want 400 in JSON's terms", code, e.Detail)
			}
			for _, w := range tc.want {
				if !strings.Contains(e.Detail, w) {
					t.Errorf("detail %q lacks %q", e.Detail, w)
				}
			}
		})
	}
}
