package web

import (
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/events"
)

// TestWU27MessagesBySubject: the list of the relay's messages takes
// subject=, and lists only the messages whose subject holds the text, in
// any case, newest first and paged by before= as the whole list is;
// without it, every message. Before, the Messages page could find a
// message by its id or a recipient only. The handler is called as the
// route calls it once openapi.yaml lists subject= for GET
// /api/v1/messages (the route takes only the parameters the spec lists).
func TestWU27MessagesBySubject(t *testing.T) {
	t.Parallel()
	st := openStore(t, clock.Real{})
	for _, m := range [][2]string{{"m-1", "Your Invoice 12"}, {"m-2", "Weekly news"}, {"m-3", "invoice 13, overdue"}, {"m-4", ""}} {
		appendEvents(t, st, events.Event{Kind: events.RelayQueued, Message: m[0], Recipient: "a@example.test"}.WithPayload(map[string]any{"sender": "app@shop.test", "subject": m[1]}))
	}
	s, err := New(Options{Store: st, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	list := func(query string) []MessageSummary {
		t.Helper()
		rec := httptest.NewRecorder()
		s.listMessages(rec, httptest.NewRequest("GET", "/api/v1/messages"+query, nil))
		var d struct{ Messages []MessageSummary }
		if err := json.Unmarshal(rec.Body.Bytes(), &d); rec.Code != 200 || err != nil {
			t.Fatalf("GET /api/v1/messages%s: %d %s (%v)", query, rec.Code, rec.Body, err)
		}
		return d.Messages
	}
	ids := func(query string) string {
		t.Helper()
		var out []string
		for _, m := range list(query) {
			out = append(out, m.ID)
		}
		return strings.Join(out, ",")
	}
	for _, c := range []struct{ query, want string }{
		{"?subject=invoice", "m-3,m-1"},
		{"?subject=INVOICE%2013", "m-3"},
		{"?subject=invoice&limit=1", "m-3"},
		{"?subject=nothing-like-it", ""},
		{"", "m-4,m-3,m-2,m-1"},
	} {
		if got := ids(c.query); got != c.want {
			t.Errorf("GET /api/v1/messages%s lists %q, want %q", c.query, got, c.want)
		}
	}
	first := list("?subject=invoice&limit=1")
	if got := ids("?subject=invoice&before=" + itoa(first[0].EventID)); got != "m-1" {
		t.Errorf("the next page of subject=invoice lists %q, want m-1", got)
	}
}
