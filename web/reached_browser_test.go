package web

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/events"
)

// TestBrowserHostOnlyWhereReached: the Queue page and the feed name a host
// only where an attempt reached it and a server replied. A recipient that
// the relay's shaping held before any attempt (which the relay reports
// with the path's host all the same) reads "held by shaping, not tried
// yet", one never tried "not tried yet", instead of "host 127.0.0.1:44026"
// and "via 127.0.0.1:44026" as if mail had gone there.
func TestBrowserHostOnlyWhereReached(t *testing.T) {
	b := newBrowser(t)
	st := openStore(t, clock.Real{})
	relay := newFakeRelay()
	now := time.Date(2026, 11, 28, 17, 0, 0, 0, time.UTC)
	const host = "127.0.0.1:44026"
	hold := QueueReply{Stage: "shaping", Text: "not tried: destination path:sinkpath rests until 2026-11-28T17:02:00Z after a 421 or rate limit"}
	relay.queue = []QueueEntry{{ID: "held-1", From: "app@example.org", Recipients: []string{"held@yahoo.test", "new@yahoo.test", "later@yahoo.test", "seen@yahoo.test", "down@yahoo.test"},
		Queued: now.Add(-time.Minute), NextAttempt: now.Add(2 * time.Minute),
		Waiting: []QueueRecipient{
			{Address: "held@yahoo.test", State: "deferred", Attempts: 0, NextAttempt: now.Add(2 * time.Minute), Path: "sinkpath", Host: host,
				LastReply: hold, Category: "destination-backoff", Reason: "nothing was sent to this recipient"},
			{Address: "new@yahoo.test", State: "queued", Path: "sinkpath", Host: host},
			{Address: "later@yahoo.test", State: "deferred", Attempts: 1, NextAttempt: now.Add(2 * time.Minute), Path: "sinkpath", Host: host,
				LastReply: hold, Category: "destination-backoff"},
			{Address: "seen@yahoo.test", State: "deferred", Attempts: 1, NextAttempt: now.Add(time.Minute), Path: "sinkpath", Host: host,
				LastReply: QueueReply{Stage: "rcpt", Code: 421, Enhanced: "4.7.0", Text: "[TSS04] Messages temporarily deferred"}, Category: "rate-limited"},
			{Address: "down@yahoo.test", State: "deferred", Attempts: 1, NextAttempt: now.Add(time.Minute), Path: "sinkpath", Host: host,
				LastReply: QueueReply{Stage: "connect", Text: "connection refused"}, Category: "connection"},
			// An MX host without an address: nothing was dialled (walk M:
			// it read "gave no SMTP reply").
			// In flight, but waiting for its turn in the rate (walk M: it
			// read "sending now" for minutes).
			{Address: "turn@yahoo.test", State: "inflight", Path: "sinkpath", Host: host,
				Hold: "waiting for its turn in the rate of destination path:sinkpath (2 a second): it goes out at 2026-11-28T17:00:05Z", Category: "shaping"},
			{Address: "nodns@yahoo.test", State: "deferred", Attempts: 1, NextAttempt: now.Add(time.Minute), Path: "sinkpath", Host: "ghost.noaddr.test",
				LastReply: QueueReply{Stage: "dns", Enhanced: "4.4.4", Text: "address lookup for ghost.noaddr.test: no address"}, Category: "dns-failure"},
		}}}
	appendEvents(t, st,
		events.Event{Kind: events.RelayDeferred, Message: "held-1", Recipient: "held@yahoo.test"}.WithPayload(map[string]any{"attempts": 0, "host": host,
			"reply": map[string]any{"stage": "shaping", "code": 0, "text": hold.Text}, "category": "destination-backoff"}),
		events.Event{Kind: events.RelayAttempt, Message: "held-1", Recipient: "seen@yahoo.test", Target: host}.WithPayload(map[string]any{"attempt": 1, "host": host, "path": "sinkpath",
			"reply": map[string]any{"stage": "rcpt", "code": 421, "enhanced": "4.7.0", "text": "[TSS04] Messages temporarily deferred"}}),
		events.Event{Kind: events.RelayAttempt, Message: "held-1", Recipient: "down@yahoo.test", Target: host}.WithPayload(map[string]any{"attempt": 1, "host": host, "path": "sinkpath",
			"reply": map[string]any{"stage": "connect", "code": 0, "text": "connection refused"}}),
		events.Event{Kind: events.RelayAttempt, Message: "held-1", Recipient: "nodns@yahoo.test", Target: "ghost.noaddr.test"}.WithPayload(map[string]any{"attempt": 1, "host": "ghost.noaddr.test", "path": "sinkpath",
			"reply": map[string]any{"stage": "dns", "code": 0, "enhanced": "4.4.4", "text": "address lookup for ghost.noaddr.test: no address"}}),
	)
	s := listen(t, Options{Store: st, Relay: relay})
	base := "http://" + s.Addr()

	b.do(t, chromedp.Navigate(base+"/#/queue"))
	b.waitFor(t, "the queue", `document.querySelectorAll("#queue-table tbody tr .via").length === 7`)
	vias := b.eval(t, `[...document.querySelectorAll("#queue-table tbody tr .via")].map((d) => d.textContent)`).([]any)
	for i, want := range []string{
		"path sinkpath · held by shaping, not tried yet",
		"path sinkpath · not tried yet",
		"path sinkpath · held by shaping after 1 attempt(s), not tried since",
		"path sinkpath · host " + host,
		"path sinkpath · host " + host + " gave no SMTP reply",
		"path sinkpath · held by shaping, not tried yet",
		"path sinkpath · host ghost.noaddr.test not reached: its DNS lookup failed",
	} {
		if got := vias[i].(string); got != want {
			t.Errorf("recipient %d: %q, want %q", i, got, want)
		}
	}

	if got := b.eval(t, `document.querySelector('#queue-table tbody tr[data-rcpt="turn@yahoo.test"]').innerText`).(string); !strings.Contains(got, "waiting for its turn") || strings.Contains(got, "sending now") {
		t.Errorf("a recipient in flight waiting for its rate turn: %q, want \"waiting for its turn\", not \"sending now\"", got)
	}

	b.do(t, chromedp.Navigate(base+"/#/feed"))
	b.waitFor(t, "the backlog", `document.querySelectorAll("#feed-rows tr").length === 4`)
	row := func(rcpt string) string {
		return b.eval(t, `[...document.querySelectorAll("#feed-rows tr")].find((tr) => tr.innerText.includes("`+rcpt+`")).innerText.replace(/\s+/g, " ")`).(string)
	}
	if got := row("held@yahoo.test"); strings.Contains(got, host) {
		t.Errorf("the feed's row of a hold names the host nothing went to: %q", got)
	}
	if got := row("seen@yahoo.test"); !strings.Contains(got, "via "+host) {
		t.Errorf("the feed's row of an attempt that %s answered lacks \"via %s\": %q", host, host, got)
	}
	if got := row("down@yahoo.test"); !strings.Contains(got, "tried "+host+", no SMTP reply") || strings.Contains(got, "via") {
		t.Errorf("the feed's row of an attempt that reached no server: %q", got)
	}
	if got := row("nodns@yahoo.test"); !strings.Contains(got, "not reached: the DNS lookup for ghost.noaddr.test failed") || strings.Contains(got, "tried") {
		t.Errorf("the feed's row of an attempt whose lookup failed: %q", got)
	}
	if ex := b.exceptions(); len(ex) > 0 {
		t.Fatalf("uncaught errors or stray logs in the page: %v", ex)
	}
}
