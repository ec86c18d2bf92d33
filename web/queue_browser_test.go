package web

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/relaylab/relaylab/internal/clock"
)

// TestBrowserQueueRecipients: a queued message with two waiting
// recipients, one at a full mailbox (452) and one greylisted (451), shows
// each recipient's state, last reply with its enhanced code, category,
// reason, advice, path and host, and next attempt, as relaylab queue show
// does, instead of one of the two replies with nothing to say what it
// means.
func TestBrowserQueueRecipients(t *testing.T) {
	b := newBrowser(t)
	st := openStore(t, clock.Real{})
	relay := newFakeRelay()
	now := time.Date(2026, 11, 28, 17, 0, 0, 0, time.UTC)
	relay.queue = []QueueEntry{{ID: "two-1", From: "app@example.org", Recipients: []string{"full@example.test", "rcpt451x3+q@example.test"},
		Queued: now.Add(-time.Minute), NextAttempt: now.Add(5 * time.Minute), Attempts: 1, LastReply: "451 4.7.1 greylisted, try again later",
		Waiting: []QueueRecipient{
			{Address: "full@example.test", State: "deferred", Attempts: 1, NextAttempt: now.Add(10 * time.Minute), Path: "direct", Host: "127.0.0.1:2525",
				LastReply: QueueReply{Stage: "rcpt", Code: 452, Enhanced: "4.2.2", Text: "mailbox full"},
				Category:  "mailbox-full", Reason: "the recipient's mailbox is over its quota", Advice: "nothing unless it lasts; then ask the recipient to make room"},
			{Address: "rcpt451x3+q@example.test", State: "deferred", Attempts: 1, NextAttempt: now.Add(5 * time.Minute), Path: "direct", Host: "127.0.0.1:2525",
				LastReply: QueueReply{Stage: "rcpt", Code: 451, Enhanced: "4.7.1", Text: "greylisted, try again later"},
				Category:  "greylisted", Reason: "the receiver greylists first attempts", Advice: "nothing; the next attempt after the greylist delay passes",
				Hold: "not tried: destination path:direct rests until 17:20 after 421 4.7.0 to r1@yahoo.test (message m-2)"},
		}}}
	s := listen(t, Options{Store: st, Relay: relay})
	base := "http://" + s.Addr()

	b.do(t, chromedp.Navigate(base+"/#/queue"))
	b.waitFor(t, "the queue", `document.querySelector("#queue-table tbody tr .actions")`)
	rows := b.eval(t, `[...document.querySelectorAll("#queue-table tbody tr")].map((tr) => tr.innerText.replace(/\s+/g, " ").trim())`).([]any)
	if len(rows) != 2 {
		t.Fatalf("the queue shows %d row(s) for a message with two waiting recipients, want one each: %q", len(rows), rows)
	}
	for i, want := range [][]string{
		{"two-1", "app@example.org", "full@example.test", "deferred", "2026-11-28 17:10:00Z", "452 4.2.2 mailbox full (at rcpt)", "mailbox-full",
			"the recipient's mailbox is over its quota", "What to do: nothing unless it lasts", "path direct · host 127.0.0.1:2525", "Retry now"},
		{"rcpt451x3+q@example.test", "deferred", "2026-11-28 17:05:00Z", "451 4.7.1 greylisted, try again later (at rcpt)", "greylisted",
			"the receiver greylists first attempts", "What to do: nothing; the next attempt",
			// Its hold, apart from its last server reply, and no host named.
			"Held by the relay's shaping: not tried: destination path:direct rests until 17:20 after 421 4.7.0", "held by shaping after 1 attempt(s), not tried since"},
	} {
		got := rows[i].(string)
		for _, w := range want {
			if !strings.Contains(got, w) {
				t.Errorf("row %d lacks %q: %q", i, w, got)
			}
		}
	}
	// The message's id, sender and buttons span its recipients' rows.
	if n := b.eval(t, `document.querySelector('#queue-table tbody tr td:first-child').rowSpan`); n != float64(2) {
		t.Errorf("the message id spans %v rows, want 2", n)
	}
	b.screenshot(t, "queue-recipients")

	b.do(t, chromedp.EmulateViewport(400, 900, chromedp.EmulateMobile), chromedp.Navigate(base+"/#/queue"))
	defer b.do(t, chromedp.ResetViewport())
	b.waitFor(t, "the queue on a phone", `document.querySelectorAll("#queue-table td.reply").length === 2`)
	if in := b.eval(t, `[...document.querySelectorAll("#queue-table td.reply")].every((td) => { const r = td.getBoundingClientRect(); return r.width > 0 && r.left >= 0 && r.right <= window.innerWidth; })`); in != true {
		t.Errorf("a recipient's reply is not within the 400px screen")
	}
	b.screenshot(t, "queue-recipients-phone")
	if ex := b.exceptions(); len(ex) > 0 {
		t.Fatalf("uncaught errors or stray logs in the page: %v", ex)
	}
}
