package web

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/relaylab/relaylab/internal/events"
)

// TestQueueTried: the queue gives, for a recipient whose last attempt
// failed at two paths, both paths' replies in order (the 535 5.7.8 of
// the primary, then the fallback's TLS failure), not those of an earlier
// attempt; a recipient whose last attempt tried one host has none, its
// last reply being that one.
func TestQueueTried(t *testing.T) {
	t.Parallel()
	relay := newFakeRelay()
	relay.queue = []QueueEntry{{ID: "m-1", Recipients: []string{"p@example.test", "one@example.test"}, Waiting: []QueueRecipient{
		{Address: "p@example.test", State: "deferred", Attempts: 2},
		{Address: "one@example.test", State: "deferred", Attempts: 1},
	}}}
	ts := startServer(t, Options{Relay: relay})
	try := func(rcpt string, n int, path string, code int, text string) events.Event {
		return events.Event{Kind: events.RelayAttempt, Message: "m-1", Recipient: rcpt}.WithPayload(map[string]any{
			"attempt": n, "path": path, "host": "127.0.0.1:44020", "transcript": "C: EHLO x\nS: 250 ok\n",
			"reply": map[string]any{"stage": "auth", "code": code, "enhanced": "5.7.8", "text": text}})
	}
	appendEvents(t, ts.st,
		try("p@example.test", 1, "primary", 421, "first attempt"),
		try("p@example.test", 1, "backup", 421, "first attempt"),
		try("one@example.test", 1, "primary", 451, "only one"),
		try("p@example.test", 2, "primary", 535, "authentication credentials invalid"),
		try("p@example.test", 2, "backup", 0, "TLS handshake failed"),
		try("q@example.test", 2, "primary", 535, "not waiting here"),
	)
	code, _, body := do(t, "GET", ts.url+"/api/v1/queue", "")
	var got struct{ Queue []QueueEntry }
	if err := json.Unmarshal(body, &got); code != http.StatusOK || err != nil || len(got.Queue) != 1 || len(got.Queue[0].Waiting) != 2 {
		t.Fatalf("GET /api/v1/queue: %d %s (%v)", code, body, err)
	}
	p, one := got.Queue[0].Waiting[0], got.Queue[0].Waiting[1]
	if len(p.Tried) != 2 || p.Tried[0].Path != "primary" || p.Tried[0].Reply.Code != 535 || p.Tried[0].Reply.Enhanced != "5.7.8" ||
		p.Tried[0].Reply.Stage != "auth" || p.Tried[1].Path != "backup" || p.Tried[1].Reply.Text != "TLS handshake failed" || p.Tried[1].Host != "127.0.0.1:44020" {
		t.Errorf("tried of p = %+v, want primary's 535 5.7.8 at auth then backup's TLS failure, of attempt 2 only", p.Tried)
	}
	if one.Tried != nil {
		t.Errorf("tried of one = %+v, want none for a last attempt of one host", one.Tried)
	}
}
