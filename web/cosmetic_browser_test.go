package web

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/events"
)

// TestBrowserAdviceAndClient: advice that names a command in backticks
// shows it as code, not with the backticks, in the feed and in a
// message's timeline; and a sink session's client keeps address:port on
// one line in a narrow window.
func TestBrowserAdviceAndClient(t *testing.T) {
	b := newBrowser(t)
	st := openStore(t, clock.Real{})
	sink := newFakeSink()
	now := time.Now()
	sink.sessions = []SinkSession{{ID: "s1", Listener: "mx", Client: "203.0.113.254:54321", HELO: "a-rather-long-helo-name.client.example.test", Start: now, End: now,
		LastReply: "250 2.0.0 accepted as a message with a long reply text that takes its room"}}
	s := listen(t, Options{Store: st, Sink: sink, Relay: newFakeRelay()})
	base := "http://" + s.Addr()
	appendEvents(t, st, events.Event{Kind: events.RelaySuppressed, Message: "sup-1", Recipient: "gone@example.test"}.
		WithPayload(map[string]any{"reason": "on the suppression list since a `550 5.1.1`", "advice": "remove it with `relaylab suppress remove` if it should receive mail again"}))

	for _, pg := range []struct{ name, frag, sel string }{
		{"feed", "feed", "#feed-rows .advice"},
		{"message", "messages/sup-1", "#timeline .advice"},
	} {
		b.do(t, chromedp.Navigate(base+"/#/"+pg.frag))
		b.waitFor(t, pg.name+"'s advice", `document.querySelector("`+pg.sel+`")`)
		if got := b.eval(t, `document.querySelector("`+pg.sel+`").textContent`); got != "What to do: remove it with relaylab suppress remove if it should receive mail again" {
			t.Errorf("%s: advice reads %q", pg.name, got)
		}
		if got := b.eval(t, `document.querySelector("`+pg.sel+` code")?.textContent`); got != "relaylab suppress remove" {
			t.Errorf("%s: the command shows as %v, want it as code", pg.name, got)
		}
	}

	b.do(t, chromedp.EmulateViewport(640, 800), chromedp.Navigate(base+"/#/sink"))
	b.waitFor(t, "the session", `document.querySelector('#session-rows tr[data-id="s1"]')`)
	lines := b.eval(t, `(() => { const r = document.createRange(); r.selectNodeContents(document.querySelector('#session-rows tr td:nth-child(3)')); return r.getClientRects().length; })()`)
	if lines != float64(1) {
		t.Errorf("the client's address:port takes %v lines, want 1", lines)
	}
	b.screenshot(t, "sink-narrow")
	b.do(t, chromedp.ResetViewport())
	if ex := b.exceptions(); len(ex) > 0 {
		t.Fatalf("uncaught errors or stray logs in the page: %v", ex)
	}
}
