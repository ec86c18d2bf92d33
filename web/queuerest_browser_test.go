package web

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/events"
)

// TestBrowserQueueRestAfterServerReply: a recipient that a server's 421
// deferred, then held by its destination's rest, shows that reply with
// the reply's category, reason and advice (the server throttles us), not
// the rest's "nothing was sent to this recipient"; the hold says once, on
// its own line in the small print of the rest, when the rest ends (as
// the page writes times, not ISO) and links the message that met the 421.
// A recipient held before any attempt keeps the rest's own reason.
func TestBrowserQueueRestAfterServerReply(t *testing.T) {
	b := newBrowser(t)
	st := openStore(t, clock.Real{})
	relay := newFakeRelay()
	now := time.Date(2026, 11, 28, 20, 0, 0, 0, time.UTC)
	const r421 = "421 4.7.0 [TSS04] Messages from your address are deferred for now"
	const hold = "not tried: destination path:local-sink:yahoo.test rests until 2026-11-28T20:24:16Z after " + r421 + " to deferred@yahoo.test (message 2e5slcuslme7pz35)"
	const restReason = "nothing was sent to this recipient; its destination answered another message with a 421 or a rate limit, so the relay rests it and holds all its mail until the rest ends"
	relay.queue = []QueueEntry{
		{ID: "def-1", From: "news@shop.test", Recipients: []string{"deferred@yahoo.test"}, Queued: now, Attempts: 3,
			Waiting: []QueueRecipient{{Address: "deferred@yahoo.test", State: "deferred", Attempts: 3, NextAttempt: now.Add(24 * time.Minute), Path: "local-sink",
				LastReply: QueueReply{Stage: "rcpt", Code: 421, Enhanced: "4.7.0", Text: "[TSS04] Messages from your address are deferred for now"},
				Hold:      hold, Category: "destination-backoff", Reason: restReason, Advice: "nothing for this message, it is tried when the rest ends"}}},
		{ID: "held-0", From: "news@shop.test", Recipients: []string{"deferred@yahoo.test"}, Queued: now,
			Waiting: []QueueRecipient{{Address: "deferred@yahoo.test", State: "deferred", NextAttempt: now.Add(24 * time.Minute), Path: "local-sink",
				LastReply: QueueReply{Stage: "shaping", Text: hold}, Hold: hold, Category: "destination-backoff", Reason: restReason}}},
	}
	deferral := func(code int, text, category, reason, advice string) events.Event {
		return events.Event{Kind: events.RelayDeferred, Message: "def-1", Recipient: "deferred@yahoo.test"}.WithPayload(map[string]any{
			"reply": map[string]any{"stage": "rcpt", "code": code, "enhanced": "4.7.0", "text": text}, "category": category, "reason": reason, "advice": advice})
	}
	appendEvents(t, st,
		deferral(451, "try later", "temporary", "an earlier reply", "an earlier advice"),
		deferral(421, "[TSS04] Messages from your address are deferred for now", "rate-limited", "the receiver is throttling us", "lower the path's rate or connections for this destination"),
		events.Event{Kind: events.RelayDeferred, Message: "def-1", Recipient: "deferred@yahoo.test"}.WithPayload(map[string]any{
			"reply": map[string]any{"stage": "shaping", "code": 0, "text": hold}, "category": "destination-backoff", "reason": restReason}),
	)
	s := listen(t, Options{Store: st, Relay: relay})
	b.do(t, chromedp.Navigate("http://"+s.Addr()+"/#/queue"))
	b.waitFor(t, "the queue", `document.querySelectorAll("#queue-table tbody tr .hold").length === 2`)
	rows := b.eval(t, `[...document.querySelectorAll("#queue-table tbody tr")].map((tr) => tr.innerText.replace(/\s+/g, " ").trim())`).([]any)
	first := rows[0].(string)
	for _, w := range []string{"rate-limited", "the receiver is throttling us", "What to do: lower the path's rate",
		"rests until 2026-11-28 20:24:16Z", "after that reply to deferred@yahoo.test in message 2e5slcuslme7pz35"} {
		if !strings.Contains(first, w) {
			t.Errorf("the deferred and held row lacks %q: %q", w, first)
		}
	}
	for _, bad := range []string{"destination-backoff", "nothing was sent", "2026-11-28T20:24:16Z"} {
		if strings.Contains(first, bad) {
			t.Errorf("the deferred and held row says %q: %q", bad, first)
		}
	}
	if n := strings.Count(first, "Messages from your address"); n != 1 {
		t.Errorf("the 421's text is shown %d times, want once: %q", n, first)
	}
	if second := rows[1].(string); !strings.Contains(second, "destination-backoff") || !strings.Contains(second, "nothing was sent") ||
		!strings.Contains(second, "421 4.7.0 [TSS04]") {
		t.Errorf("the row held before any attempt: %q, want the rest's category and reason, and the 421 that began the rest", second)
	}
	if href := b.eval(t, `document.querySelector("#queue-table .hold a").getAttribute("href")`).(string); href != "#/messages/2e5slcuslme7pz35" {
		t.Errorf("the hold's message link is %q, want #/messages/2e5slcuslme7pz35", href)
	}
	if larger := b.eval(t, `parseFloat(getComputedStyle(document.querySelector("#queue-table .hold")).fontSize) > parseFloat(getComputedStyle(document.querySelector("#queue-table .reason")).fontSize)`).(bool); larger {
		t.Errorf("the hold is in a larger font than the reason")
	}
	if ex := b.exceptions(); len(ex) > 0 {
		t.Fatalf("uncaught errors or stray logs in the page: %v", ex)
	}
}
