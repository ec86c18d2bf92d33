package web

import (
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/relaylab/relaylab/internal/events"
)

// TestBrowserInboxLiveOrder: messages the sink stores together come on
// top of the Inbox newest first, each once; when more come than the list
// holds (500), it starts again from the newest, and Older messages reads
// on from the oldest shown with none skipped.
func TestBrowserInboxLiveOrder(t *testing.T) {
	b, st, _, _, base := browserUI(t)
	msg := func(id int64) inboxRow {
		return inboxRow{id: id, session: 1, from: "app@shop.test", rcpts: "r@example.test", code: 250, raw: fmt.Sprintf("Subject: n%d\r\n\r\nx\r\n", id)}
	}
	addInbox(t, st, msg(1), msg(2))
	ids := `[...document.querySelectorAll("#inbox-rows tr")].map(tr => tr.dataset.id)`
	b.do(t, chromedp.Navigate(base+"/#/inbox"))
	b.waitFor(t, "the inbox", ids+`.join(",") === "2,1"`)
	b.waitFor(t, "live", `document.getElementById("status").textContent === "live"`)

	addInbox(t, st, msg(3), msg(4), msg(5))
	appendEvents(t, st, events.Event{Kind: events.SinkMessage, Listener: "mx"}.WithPayload(map[string]any{"id": 5}))
	b.waitFor(t, "three new on top, newest first", ids+`.join(",") === "5,4,3,2,1"`)

	var burst []inboxRow
	for id := int64(6); id <= 705; id++ {
		burst = append(burst, msg(id))
	}
	addInbox(t, st, burst...)
	appendEvents(t, st, events.Event{Kind: events.SinkMessage, Listener: "mx"}.WithPayload(map[string]any{"id": 705}))
	b.waitFor(t, "the newest 500", ids+`[0] === "705" && `+ids+`.length === 500`)
	if got := b.eval(t, ids+`.at(-1) + " " + document.getElementById("inbox-older").hidden`); got != "206 false" {
		t.Errorf("after 700 came: the last row and Older hidden: %v, want 206 false", got)
	}
	b.do(t, chromedp.Click("#inbox-older"))
	b.waitFor(t, "the next page", ids+`.length === 550`)
	if got := b.eval(t, `(() => { const l = `+ids+`.map(Number); return l.every((v, i) => i === 0 || v === l[i - 1] - 1) ? "" : l.join(","); })()`); got != "" {
		t.Errorf("rows skip or repeat: %v", got)
	}
	if ex := b.exceptions(); len(ex) > 0 {
		t.Fatalf("uncaught errors in the page: %v", ex)
	}
}
