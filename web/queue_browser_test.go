package web

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/events"
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
			"Held by the relay's shaping: destination path:direct rests until 17:20, after 421 4.7.0 to r1@yahoo.test in message m-2.", "held by shaping after 1 attempt(s), not tried since"},
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

// TestBrowserQueueHeldAndPaths: a recipient the relay's shaping holds
// before any attempt shows as held, its hold said once (the relay gives
// the hold as its last reply too, which showed it twice under "deferred");
// a recipient whose last attempt failed at two paths, a 535 5.7.8 at the
// primary and a TLS failure at the fallback, shows both, as relaylab queue
// show does, not the fallback's alone.
func TestBrowserQueueHeldAndPaths(t *testing.T) {
	b := newBrowser(t)
	st := openStore(t, clock.Real{})
	relay := newFakeRelay()
	now := time.Date(2026, 11, 28, 17, 0, 0, 0, time.UTC)
	const holdText = "outside the sending windows of route office; the next opens at 2026-11-29T09:00:00Z"
	relay.queue = []QueueEntry{
		{ID: "held-1", From: "app@example.org", Recipients: []string{"w@example.test"}, Queued: now, NextAttempt: now.Add(16 * time.Hour),
			Waiting: []QueueRecipient{{Address: "w@example.test", State: "deferred", NextAttempt: now.Add(16 * time.Hour), Path: "direct",
				LastReply: QueueReply{Stage: "shaping", Text: holdText}, Hold: holdText, Category: "shaping",
				Reason: "nothing was sent; the relay's own shaping held the message back: it is outside its route's sending windows"}}},
		{ID: "paths-1", From: "app@example.org", Recipients: []string{"p@example.test"}, Queued: now, NextAttempt: now.Add(5 * time.Minute), Attempts: 1,
			Waiting: []QueueRecipient{{Address: "p@example.test", State: "deferred", Attempts: 1, NextAttempt: now.Add(5 * time.Minute),
				Path: "backup", Host: "127.0.0.1:44011", LastReply: QueueReply{Stage: "tls", Text: "TLS handshake failed: certificate signed by unknown authority"},
				Category: "tls-failure"}}},
	}
	appendEvents(t, st,
		// An earlier attempt, which is not the last one's.
		events.Event{Kind: events.RelayAttempt, Message: "paths-1", Recipient: "p@example.test"}.WithPayload(map[string]any{
			"attempt": 0, "path": "old", "host": "127.0.0.1:44019", "reply": map[string]any{"stage": "connect", "code": 0, "text": "connection refused"}}),
		events.Event{Kind: events.RelayAttempt, Message: "paths-1", Recipient: "p@example.test"}.WithPayload(map[string]any{
			"attempt": 1, "path": "primary", "host": "127.0.0.1:44010", "reply": map[string]any{"stage": "auth", "code": 535, "enhanced": "5.7.8", "text": "authentication credentials invalid"}}),
		events.Event{Kind: events.RelayAttempt, Message: "paths-1", Recipient: "p@example.test"}.WithPayload(map[string]any{
			"attempt": 1, "path": "backup", "host": "127.0.0.1:44011", "reply": map[string]any{"stage": "tls", "code": 0, "text": "TLS handshake failed: certificate signed by unknown authority"}}),
	)
	s := listen(t, Options{Store: st, Relay: relay})
	b.do(t, chromedp.Navigate("http://"+s.Addr()+"/#/queue"))
	b.waitFor(t, "the queue", `document.querySelectorAll("#queue-table tbody tr").length === 2`)
	rows := b.eval(t, `[...document.querySelectorAll("#queue-table tbody tr")].map((tr) => [tr.children[3].innerText.trim(), tr.innerText.replace(/\s+/g, " ").trim()])`).([]any)
	held := rows[0].([]any)
	if state, text := held[0].(string), held[1].(string); state != "held" || strings.Count(text, holdText) != 1 ||
		!strings.Contains(text, "outside its route's sending windows") || !strings.Contains(text, "held by shaping, not tried yet") {
		t.Errorf("the held recipient's row shows state %q and %q; want \"held\", its hold once and its reason", state, text)
	}
	paths := rows[1].([]any)
	text := paths[1].(string)
	for _, w := range []string{"Tried in its last attempt", "path primary host 127.0.0.1:44010: 535 5.7.8 authentication credentials invalid (at auth)",
		"path backup host 127.0.0.1:44011: TLS handshake failed"} {
		if !strings.Contains(text, w) {
			t.Errorf("the row of a recipient that failed at two paths lacks %q: %q", w, text)
		}
	}
	if strings.Contains(text, "connection refused") {
		t.Errorf("the row shows a try of an earlier attempt as the last one's: %q", text)
	}
	b.screenshot(t, "queue-held-and-paths")
	if ex := b.exceptions(); len(ex) > 0 {
		t.Fatalf("uncaught errors or stray logs in the page: %v", ex)
	}
}
