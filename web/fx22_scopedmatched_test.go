package web

import (
	"encoding/json"
	"net/http"
	"testing"
)

// TestFX22SinkDeleteScopedSaysMatched: a scoped DELETE
// /api/v1/sink/messages says how many messages its scope named, 0
// included, for ids as for a query: the answer had matched for a query
// only, and left it out when it was 0, so that a client could not tell
// a query that matched nothing from an old serve that does not count.
func TestFX22SinkDeleteScopedSaysMatched(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, body string
		code       int
		matched    int
	}{
		{"ids", `{"ids":["1","2","1"]}`, http.StatusOK, 2},
		{"no ids", `{"ids":[]}`, http.StatusOK, 0},
		{"an id a bounce quotes", `{"ids":["1","3"]}`, http.StatusConflict, 2},
		{"query", `{"query":"to:carol@shop.test"}`, http.StatusOK, 2},
		{"query, a bounce quotes one", `{"query":"to:bob@shop.test"}`, http.StatusOK, 2},
		{"query that matches none", `{"query":"subject:nothing"}`, http.StatusOK, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ts, _ := scopedSink(t)
			code, _, body := do(t, "DELETE", ts.url+"/api/v1/sink/messages", tc.body, "Content-Type", "application/json")
			var got map[string]json.RawMessage
			if err := json.Unmarshal(body, &got); err != nil {
				t.Fatalf("DELETE %s: %d %s: %v", tc.body, code, body, err)
			}
			var matched int
			raw, has := got["matched"]
			if has {
				has = json.Unmarshal(raw, &matched) == nil
			}
			if code != tc.code || !has || matched != tc.matched {
				t.Errorf("DELETE %s: %d %s; want %d with \"matched\":%d", tc.body, code, body, tc.code, tc.matched)
			}
		})
	}
}
