package web

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/events"
)

// TestBrowserDSNAbout: the events of a DSN the relay wrote carry dsn_for,
// the message the DSN reports on; the feed's rows for them and the DSN's
// message page say "DSN about" that message with a link to it, instead of
// a delivery to the sender that nothing ties to its bounce. A hostile id
// stays text, and its link stays a path of the UI.
func TestBrowserDSNAbout(t *testing.T) {
	b := newBrowser(t)
	st := openStore(t, clock.Real{})
	s, err := New(Options{Store: st, Relay: newFakeRelay(), Sink: newFakeSink(), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); s.Run(ctx) }()
	hs := httptest.NewServer(s.Handler())
	defer func() { cancel(); <-done; hs.Close() }()

	const hostile = `x"><img src=/nope onerror=alert(1)>/../../#/feed`
	reply := map[string]any{"stage": "dot", "code": 250, "text": "ok"}
	appendEvents(t, st,
		events.Event{Kind: events.RelayBounced, Message: "b-1", Recipient: "gone@example.com"}.WithPayload(map[string]any{"category": "invalid-recipient"}),
		events.Event{Kind: events.RelayDSN, Message: "b-1", Recipient: "gone@example.com"}.WithPayload(map[string]any{"action": "failed", "to": "app@example.org", "dsn_message": "dsn-1"}),
		events.Event{Kind: events.RelayQueued, Message: "dsn-1", Recipient: "app@example.org"}.WithPayload(map[string]any{"sender": "", "dsn": true, "dsn_for": "b-1"}),
		events.Event{Kind: events.RelayAttempt, Message: "dsn-1", Recipient: "app@example.org"}.WithPayload(map[string]any{"attempt": 1, "reply": reply, "dsn_for": "b-1"}),
		events.Event{Kind: events.RelayDelivered, Message: "dsn-1", Recipient: "app@example.org"}.WithPayload(map[string]any{"attempts": 1, "reply": reply, "dsn_for": "b-1"}),
		events.Event{Kind: events.RelayDelivered, Message: "m-2", Recipient: "someone@example.com"}.WithPayload(map[string]any{"attempts": 1, "reply": reply}),
		events.Event{Kind: events.RelayDeferred, Message: "dsn-2", Recipient: "app@example.org"}.WithPayload(map[string]any{"attempts": 1, "dsn_for": hostile}),
	)

	t.Run("the feed", func(t *testing.T) {
		b.do(t, chromedp.Navigate(hs.URL+"/#/feed"))
		row := func(msg, kind string) string {
			return `[...document.querySelectorAll("#feed-rows tr")].find(tr => tr.children[2].textContent === ` + jsString(msg) + ` && tr.children[1].textContent === ` + jsString(kind) + `)`
		}
		b.waitFor(t, "the rows", row("dsn-2", "relay.deferred"))
		for _, kind := range []string{"relay.queued", "relay.attempt", "relay.delivered"} {
			b.do(t, chromedp.Evaluate[chromedp.Void](`document.querySelectorAll("input[data-kind]").forEach(cb => { if (!cb.checked) cb.click(); })`))
			b.waitFor(t, "the DSN's "+kind, row("dsn-1", kind)+` && !`+row("dsn-1", kind)+`.hidden`)
			got := b.eval(t, `(() => { const a = `+row("dsn-1", kind)+`.querySelector(".dsn-about"); return a ? [a.innerText, a.querySelector("a").getAttribute("href")] : null; })()`)
			if g, ok := got.([]any); !ok || g[0] != "DSN about b-1" || g[1] != "#/messages/b-1" {
				t.Errorf("the DSN's %s row says %v, want \"DSN about b-1\" linking to #/messages/b-1", kind, got)
			}
		}
		if got := b.eval(t, row("m-2", "relay.delivered")+`.querySelector(".dsn-about") === null`); got != true {
			t.Error("a delivery that is no DSN says it is one")
		}
		got := b.eval(t, `(() => { const a = `+row("dsn-2", "relay.deferred")+`.querySelector(".dsn-about a"); return [a.textContent, a.getAttribute("href"), document.querySelectorAll("#feed-rows img").length]; })()`).([]any)
		if got[0] != hostile || !strings.HasPrefix(got[1].(string), "#/messages/") || strings.ContainsAny(got[1].(string)[len("#/messages/"):], `"<>/#`) || got[2] != float64(0) {
			t.Errorf("a hostile dsn_for came out as text %q, href %q, %v img elements; want it as text, one escaped path, none", got[0], got[1], got[2])
		}
		// Filtering by the original message finds its DSN's rows too.
		b.do(t, chromedp.Evaluate[chromedp.Void](`(() => { const q = document.querySelector('input[type="search"]'); q.value = "b-1"; q.dispatchEvent(new Event("input")); })()`))
		if got := b.eval(t, `!`+row("dsn-1", "relay.delivered")+`.hidden && `+row("m-2", "relay.delivered")+`.hidden`); got != true {
			t.Error("filtering the feed by b-1 does not show its DSN's delivery (or shows an unrelated one)")
		}
	})

	t.Run("the DSN's message page", func(t *testing.T) {
		b.do(t, chromedp.Navigate(hs.URL+"/#/messages/dsn-1"))
		b.waitFor(t, "the note", `document.getElementById("dsn-about") && !document.getElementById("dsn-about").hidden`)
		got := b.eval(t, `[document.getElementById("dsn-about").innerText, document.querySelector("#dsn-about a").getAttribute("href")]`).([]any)
		if !strings.Contains(got[0].(string), "DSN (a bounce or delay notice the relay wrote) about message b-1") || got[1] != "#/messages/b-1" {
			t.Errorf("the DSN's page says %q linking to %v, want it about b-1, linking to #/messages/b-1", got[0], got[1])
		}
		b.do(t, chromedp.Navigate(hs.URL+"/#/messages/m-2"))
		b.waitFor(t, "the timeline", `document.querySelector('#timeline li[data-kind="relay.delivered"]')`)
		if got := b.eval(t, `document.getElementById("dsn-about").hidden`); got != true {
			t.Error("a message that is no DSN says it is one")
		}
	})

	if ex := b.exceptions(); len(ex) > 0 || b.dialogs.Load() > 0 {
		t.Fatalf("uncaught errors or stray logs in the page: %v; %d dialogs", ex, b.dialogs.Load())
	}
}
