package web

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestMailpitPaths: Mailpit's paths, which a suite ported from Mailpit
// calls first, answer with relaylab's equivalent in the detail.
func TestMailpitPaths(t *testing.T) {
	t.Parallel()
	_, sink, _ := filledFakes()
	ts := startServer(t, Options{Sink: sink})
	for _, tc := range []struct {
		method, path string
		code         int
		want         string
	}{
		{"GET", "/api/v1/message/latest", http.StatusNotFound, "GET /api/v1/sink/messages/latest"},
		{"GET", "/api/v1/message/12/raw", http.StatusNotFound, "GET /api/v1/sink/messages/12/raw"},
		{"GET", "/api/v1/message/12/part/2", http.StatusNotFound, "GET /api/v1/sink/messages/12/parts/2"},
		{"GET", "/api/v1/message/12/part/2/thumb", http.StatusNotFound, "no thumbnails; GET /api/v1/sink/messages/12/parts/2 downloads the part"},
		{"GET", "/api/v1/message/12/headers", http.StatusNotFound, "GET /api/v1/sink/messages/12"},
		{"GET", "/api/v1/search?query=to:bob", http.StatusNotFound, "GET /api/v1/sink/messages?q="},
		{"DELETE", "/api/v1/search?query=to:bob", http.StatusNotFound, `{"query": "..."}`},
		{"GET", "/api/v1/messages?query=to:bob", http.StatusBadRequest, "GET /api/v1/sink/messages?q="},
		{"DELETE", "/api/v1/messages", http.StatusMethodNotAllowed, "DELETE /api/v1/sink/messages"},
		{"GET", "/api/v1/nothing", http.StatusNotFound, "see /openapi.yaml"},
	} {
		code, _, body := do(t, tc.method, ts.url+tc.path, "")
		if e := wantAPIError(t, body); code != tc.code || !strings.Contains(e.Detail, tc.want) {
			t.Errorf("%s %s: %d %+v; want %d with %q", tc.method, tc.path, code, e, tc.code, tc.want)
		}
	}
}

// TestSearchIsUnread: is:unread, Mailpit's, is a 400 that says the sink
// keeps no read state and what to use instead.
func TestSearchIsUnread(t *testing.T) {
	t.Parallel()
	_, sink, _ := filledFakes()
	ts := startServer(t, Options{Sink: sink})
	code, _, body := do(t, "GET", ts.url+"/api/v1/sink/messages?q="+url.QueryEscape("is:unread"), "")
	if e := wantAPIError(t, body); code != http.StatusBadRequest || !strings.Contains(e.Detail, "keeps no read state") || !strings.Contains(e.Detail, "after=") {
		t.Errorf("is:unread: %d %+v; want 400 saying the sink keeps no read state", code, e)
	}
}

// TestSinkMessageTime: a sink message's detail gives its time under the
// inbox's name, time, as well as received.
func TestSinkMessageTime(t *testing.T) {
	t.Parallel()
	_, sink, _ := filledFakes()
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	sink.mu.Lock()
	sink.msgs["77"] = MessageDetail{ID: "77", From: "a@shop.test", To: []string{"b@shop.test"}, Received: at}
	sink.mu.Unlock()
	ts := startServer(t, Options{Sink: sink})
	code, _, body := do(t, "GET", ts.url+"/api/v1/sink/messages/77", "")
	var d struct{ Time, Received time.Time }
	if err := json.Unmarshal(body, &d); code != 200 || err != nil || !d.Time.Equal(at) || !d.Received.Equal(at) {
		t.Errorf("sink message 77: %d %s; want time and received %s", code, body, at)
	}
}
