package web

import (
	"strings"
	"testing"
)

// TestL3MailpitListHintServed: the server's GET /api/v1/messages says
// where the sink's caught mail is, in X-Relaylab-Hint, beside its list.
func TestL3MailpitListHintServed(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Options{})
	code, hdr, body := do(t, "GET", ts.url+"/api/v1/messages", "")
	if code != 200 || !strings.Contains(hdr.Get("X-Relaylab-Hint"), "is relaylab's GET /api/v1/sink/messages") || strings.TrimSpace(string(body)) != `{"messages":[]}` {
		t.Errorf("GET /api/v1/messages: %d, X-Relaylab-Hint %q, body %s; want 200, the hint and the list alone", code, hdr.Get("X-Relaylab-Hint"), body)
	}
}
