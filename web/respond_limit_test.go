package web

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// TestBodyOverLimitIs413: a request body over the 10 MiB the API reads is
// answered 413 with the limit in bytes, on each endpoint that takes a
// body, instead of 400 "the body is not valid JSON" with net/http's
// "request body too large"; a body just under it is read.
func TestBodyOverLimitIs413(t *testing.T) {
	t.Parallel()
	ts, _, _ := componentServer(t)
	if !strings.Contains(string(openAPISpec), "("+strconv.Itoa(maxBody)+" bytes)") {
		t.Errorf("openapi.yaml does not give the limit, %d bytes", maxBody)
	}
	big := func(n int) string {
		head := `{"from":"a@example.org","to":["b@example.com"],"text":"`
		return head + strings.Repeat("x", n-len(head)-2) + `"}`
	}
	for _, tc := range []struct {
		method, path, body string
		want               int
	}{
		{"POST", "/api/v1/messages", big(maxBody + 1), http.StatusRequestEntityTooLarge},
		{"POST", "/api/v1/messages", `{"from":"a@example.org","to":["b@example.com"]}` + strings.Repeat(" ", maxBody), http.StatusRequestEntityTooLarge},
		{"PUT", "/api/v1/sink/rules", `{"yaml":"` + strings.Repeat("#", maxBody) + `"}`, http.StatusRequestEntityTooLarge},
		{"POST", "/api/v1/messages", big(maxBody), http.StatusAccepted},
	} {
		code, _, b := do(t, tc.method, ts.url+tc.path, tc.body)
		if code != tc.want {
			t.Errorf("%s %s of %d bytes: %d %.200s, want %d", tc.method, tc.path, len(tc.body), code, b, tc.want)
			continue
		}
		if code != http.StatusRequestEntityTooLarge {
			continue
		}
		var e apiError
		if err := json.Unmarshal(b, &e); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		if !strings.Contains(e.Error, "10 MiB") || !strings.Contains(e.Detail, "10485760 bytes") || !strings.Contains(e.Detail, tc.path) {
			t.Errorf("%s %s: %+v, want the limit (10 MiB, 10485760 bytes) and the path said", tc.method, tc.path, e)
		}
	}
}
