package web

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/relaylab/relaylab/internal/events"
)

// TestWU27FeedPairsSinkRefusal: a refusal of the relay's mail by
// relaylab's own sink shows in the Feed as the sink's reply and as the
// relay's deferral; each row now says it is the same refusal as the
// other and links to what the other is about (the sink's row to the
// relay's message, the relay's to the sink's session), and a filter by
// the message's id finds both. A retry's refusal a minute later pairs
// with its own rows, and a refusal of a recipient the relay never tried
// stays alone. Before, the two rows said nothing of each other, and the
// sink's row named no message.
func TestWU27FeedPairsSinkRefusal(t *testing.T) {
	b, st, _, _, base := browserUI(t)
	t0 := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	reply := map[string]any{"stage": "rcpt", "code": 451, "enhanced": "4.7.1", "text": "Deferred on request: try again later"}
	relay := func(kind string, at time.Time) events.Event {
		return events.Event{Kind: kind, Time: at, Message: "m-1", Recipient: "defer2+bob@example.test"}.WithPayload(map[string]any{"reply": reply, "category": "policy"})
	}
	sinkReply := func(rcpt string, session int, at time.Time) events.Event {
		return events.Event{Kind: events.SinkReply, Time: at, Recipient: rcpt}.WithPayload(map[string]any{"session": session, "stage": "rcpt", "code": 451,
			"enhanced": "4.7.1", "text": "Deferred on request: try again later", "recipient": rcpt})
	}
	appendEvents(t, st,
		relay(events.RelayAttempt, t0), relay(events.RelayDeferred, t0), sinkReply("defer2+bob@example.test", 2, t0.Add(5*time.Millisecond)),
		sinkReply("defer2+bob@example.test", 5, t0.Add(time.Minute)), relay(events.RelayAttempt, t0.Add(time.Minute+time.Millisecond)),
		relay(events.RelayDeferred, t0.Add(time.Minute+time.Millisecond)),
		sinkReply("someone-else@example.test", 7, t0.Add(time.Minute)))
	b.do(t, chromedp.Navigate(base+"/#/feed"))
	b.waitFor(t, "the feed", `document.querySelectorAll("#feed-rows tr").length === 7`)
	got := b.eval(t, `[...document.querySelectorAll("#feed-rows tr")].map((tr) => tr.children[1].textContent + ": " +
		[...tr.querySelectorAll(".same-event")].map((d) => d.textContent + " [" + [...d.querySelectorAll("a")].map((a) => a.getAttribute("href")).join() + "]").join(" / ")).join("\n")`).(string)
	want := strings.Join([]string{
		"sink.reply: ",
		"relay.deferred: The same refusal as the sink's reply in session 5: relaylab's sink refused this attempt. [#/sink/sessions/5]",
		"relay.attempt: The same refusal as the sink's reply in session 5: relaylab's sink refused this attempt. [#/sink/sessions/5]",
		"sink.reply: The same refusal as the relay's attempt to deliver message m-1: the sink's side of it. [#/messages/m-1]",
		"sink.reply: The same refusal as the relay's attempt to deliver message m-1: the sink's side of it. [#/messages/m-1]",
		"relay.deferred: The same refusal as the sink's reply in session 2: relaylab's sink refused this attempt. [#/sink/sessions/2]",
		"relay.attempt: The same refusal as the sink's reply in session 2: relaylab's sink refused this attempt. [#/sink/sessions/2]",
	}, "\n")
	if got != want {
		t.Errorf("the feed's rows (newest first) and what they say of each other:\n%s\nwant:\n%s", got, want)
	}
	// The filter by the message's id finds the sink's rows too.
	b.do(t, chromedp.SendKeys(`input[aria-label="filter"]`, "m-1"))
	if n := b.eval(t, `[...document.querySelectorAll("#feed-rows tr:not([hidden])")].filter((tr) => tr.children[1].textContent === "sink.reply").length`); n != float64(2) {
		t.Errorf("filtered by m-1, the feed shows %v of the sink's replies, want 2", n)
	}
	if ex := b.exceptions(); len(ex) > 0 {
		t.Fatalf("uncaught errors or stray logs in the page: %v", ex)
	}
}
