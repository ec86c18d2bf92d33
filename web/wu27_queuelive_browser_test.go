package web

import (
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/events"
)

// TestWU27QueueFollowsEvents: the Queue page reads the queue again when
// the relay's events commit, not only at its 5 s poll: with the page's
// timers stopped (no poll can run), a message queued and a delivery show
// on the page, and the pill says it is live. Before, the page polled
// only, and showed a change up to 5 s late.
func TestWU27QueueFollowsEvents(t *testing.T) {
	b := fu2Browser(t)
	st := openStore(t, clock.Real{})
	f := fw2Queue(1)
	s := listen(t, Options{Store: st, Relay: f})
	b.do(t, chromedp.Navigate("http://"+s.Addr()+"/#/feed"))
	b.waitFor(t, "the UI", `document.querySelector("main h1")`)
	// No poll: only the stream can make the page read the queue again.
	b.eval(t, `(() => { window.setInterval = () => 0; location.hash = "#/queue"; return true; })()`)
	row := func(id string) string { return `document.querySelector('#queue-table tr[data-id="` + id + `"]')` }
	b.waitFor(t, "the queue, live", row("q-000")+` && document.getElementById("status").textContent === "live"`)

	more := fw2Queue(2).queue[1]
	more.ID = "q-new"
	f.mu.Lock()
	f.queue = append([]QueueEntry{more}, f.queue...)
	f.mu.Unlock()
	appendEvents(t, st, events.Event{Kind: events.RelayQueued, Message: "q-new", Recipient: "rq-001@r.test"}.WithPayload(map[string]any{"sender": "app@s.test"}))
	b.waitFor(t, "the message queued", row("q-new"))

	f.mu.Lock()
	f.queue = f.queue[:1]
	f.mu.Unlock()
	appendEvents(t, st, events.Event{Kind: events.RelayDelivered, Message: "q-000", Recipient: "rq-000@r.test"})
	b.waitFor(t, "the message delivered gone", `!`+row("q-000")+` && `+row("q-new"))
	if ex := b.exceptions(); len(ex) > 0 {
		t.Fatalf("uncaught errors or stray logs in the page: %v", ex)
	}
}
