package web

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/events"
)

// TestBrowserDeletedMessage: the page of a message deleted from the queue
// says that the relay no longer holds it and that its events remain,
// instead of the API's "reading the message: not found: ..." as if the
// page were broken; the timeline still shows its events.
func TestBrowserDeletedMessage(t *testing.T) {
	b := newBrowser(t)
	ts := startServer(t, Options{Store: openStore(t, clock.Real{}), Relay: newFakeRelay(), Sink: newFakeSink()})
	st, url := ts.st, ts.url
	appendEvents(t, st,
		events.Event{Kind: events.RelayQueued, Message: "gone-1", Recipient: "a@example.com"}.WithPayload(map[string]any{"sender": "app@example.org"}),
		events.Event{Kind: events.RelayExpired, Message: "gone-1", Recipient: "a@example.com"}.WithPayload(map[string]any{
			"category": "deleted", "reason": "deleted from the queue by an operator", "attempts": 0}),
	)
	b.do(t, chromedp.Navigate(url+"/#/messages/gone-1"))
	b.waitFor(t, "the note", `document.getElementById("msg-gone") !== null`)
	got := b.eval(t, `[document.getElementById("msg-detail").innerText, document.getElementById("timeline").innerText]`).([]any)
	if d := got[0].(string); !strings.Contains(d, "The relay no longer holds this message") || strings.Contains(d, "not found") {
		t.Errorf("the message's card says %q", d)
	}
	if tl := got[1].(string); !strings.Contains(tl, "deleted from the queue by an operator") {
		t.Errorf("the timeline lacks the deletion: %q", tl)
	}
}
