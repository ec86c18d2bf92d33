package web

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserQueueFinishedHasNoActions: under the "all" filter the Queue
// lists finished messages too; the relay refuses to retry or delete one
// with no recipient waiting, so its row offers neither button, while a
// waiting message's row keeps both.
func TestBrowserQueueFinishedHasNoActions(t *testing.T) {
	b := newBrowser(t)
	f := newFakeRelay()
	now := time.Date(2026, 11, 30, 1, 0, 0, 0, time.UTC)
	f.queue = []QueueEntry{
		{ID: "q-done", From: "app@s.test", Recipients: []string{"a@r.test"}, Queued: now, Attempts: 1,
			Waiting: []QueueRecipient{{Address: "a@r.test", State: "delivered", Attempts: 1,
				LastReply: QueueReply{Stage: "data", Code: 250, Text: "ok"}}}},
		{ID: "q-wait", From: "app@s.test", Recipients: []string{"b@r.test"}, Queued: now, Attempts: 1,
			Waiting: []QueueRecipient{{Address: "b@r.test", State: "deferred", Attempts: 1, NextAttempt: now.Add(time.Hour),
				LastReply: QueueReply{Stage: "rcpt", Code: 451, Text: "greylisted"}}}},
	}
	f.depth = 1
	s := listen(t, Options{Relay: f})
	b.do(t, chromedp.Navigate("http://"+s.Addr()+"/#/queue"))
	b.waitFor(t, "both rows", `document.querySelectorAll("#queue-table tbody tr[data-id]").length === 2`)
	shown := func(id, label string) any {
		return b.eval(t, `(() => { const tr = document.querySelector('#queue-table tbody tr[data-id="`+id+`"]');
			const btn = [...tr.querySelectorAll("td.actions > button")].find((x) => x.textContent === "`+label+`");
			return !!btn && !btn.hidden; })()`)
	}
	for _, c := range []struct {
		id, label string
		want      bool
	}{{"q-done", "Retry now", false}, {"q-done", "Delete", false}, {"q-wait", "Retry now", true}, {"q-wait", "Delete", true}} {
		if got := shown(c.id, c.label); got != c.want {
			t.Errorf("%s: %s shown %v, want %v", c.id, c.label, got, c.want)
		}
	}
}
