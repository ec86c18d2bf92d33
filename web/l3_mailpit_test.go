package web

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestL3MailpitListHint: GET /api/v1/messages, which a client ported
// from Mailpit calls for the mail it caught, answers with the relay's
// outgoing messages (or none) and says, in X-Relaylab-Hint, that the
// sink's caught mail is GET /api/v1/sink/messages; the list's bytes are
// those of the list alone, so a client that parses it reads it as before.
// The header's value is one line of ASCII, as a header must be.
func TestL3MailpitListHint(t *testing.T) {
	t.Parallel()
	const list = `{"messages":[]}` + "\n"
	h := hintMailpitList(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(list))
	})
	rec := httptest.NewRecorder()
	h(rec, httptest.NewRequest("GET", "/api/v1/messages", nil))
	hint := rec.Header().Get("X-Relaylab-Hint")
	for _, w := range []string{"/api/v1/messages here is the relay's outgoing messages", "Mailpit's GET /api/v1/messages is relaylab's GET /api/v1/sink/messages"} {
		if !strings.Contains(hint, w) {
			t.Errorf("X-Relaylab-Hint %q lacks %q: a Mailpit client finding the relay's list is not told where the caught mail is", hint, w)
		}
	}
	for _, c := range hint {
		if c < 0x20 || c > 0x7e {
			t.Errorf("X-Relaylab-Hint has %q, not printable ASCII: %q", c, hint)
		}
	}
	var v struct {
		Messages []MessageSummary `json:"messages"`
	}
	if rec.Body.String() != list || json.Unmarshal(rec.Body.Bytes(), &v) != nil || v.Messages == nil {
		t.Errorf("the list was changed: %q, want %q", rec.Body.String(), list)
	}
}
