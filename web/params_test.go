package web

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
)

// TestSpecParams: openapi.yaml parses into each operation's query
// parameters, references included.
func TestSpecParams(t *testing.T) {
	t.Parallel()
	if specParamsErr != nil {
		t.Fatal(specParamsErr)
	}
	for op, want := range map[string][]string{
		"get /api/v1/events":        {"after", "kind", "limit", "message", "recipient", "tail", "wait"},
		"get /api/v1/sink/sessions": {"before", "client", "from", "helo", "limit", "listener", "text", "to"},
		"get /api/v1/sink/attempts": {"after", "before", "limit", "recipient"},
		"get /api/v1/sink/rules":    {},
	} {
		if got := specParams[op]; !slices.Equal(got, want) {
			t.Errorf("%s: %v, want %v", op, got, want)
		}
	}
}

// TestUnknownParamRefused: a parameter the operation does not take is a
// 400 naming it and the ones it does; the documented ones and the token
// go through.
func TestUnknownParamRefused(t *testing.T) {
	t.Parallel()
	s, err := New(Options{Store: openStore(t, nil)})
	if err != nil {
		t.Fatal(err)
	}
	h := s.routes()
	get := func(url string) (int, map[string]string) {
		rec := httptest.NewRecorder()
		// By its loopback name: the server answers no other without auth.
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "http://127.0.0.1"+url, nil))
		var body map[string]string
		json.Unmarshal(rec.Body.Bytes(), &body)
		return rec.Code, body
	}
	code, body := get("/api/v1/events?limt=5")
	if code != http.StatusBadRequest || !strings.Contains(body["error"], `"limt"`) || !strings.Contains(body["detail"], "limit") {
		t.Errorf("a misspelt limit: %d %v", code, body)
	}
	if code, body := get("/api/v1/sink/rules?limit=-1"); code != http.StatusBadRequest || !strings.Contains(body["detail"], "no query parameters") {
		t.Errorf("limit where there is none: %d %v", code, body)
	}
	if code, body := get("/api/v1/events?limit=5&after=0&kind=relay."); code != http.StatusOK {
		t.Errorf("documented parameters: %d %v", code, body)
	}
}
