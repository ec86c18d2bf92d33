package web

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/relaylab/relaylab/internal/events"
)

// TestBrowserPhoneCards: on a 390px phone the sink's sessions and the
// messages list are cards, as the feed and the queue are: nothing runs off
// the screen (their scroll box does not scroll sideways) and a HELO or a
// sender reads on a line or two, not a few letters per line.
func TestBrowserPhoneCards(t *testing.T) {
	b, st, _, sink, base := browserUI(t)
	now := time.Now().UTC()
	sink.mu.Lock()
	sink.sessions = []SinkSession{{ID: "7", Listener: "mx", Client: "127.0.0.1:40890", HELO: "mail-relay-01.outbound.example.test", TLS: true,
		Start: now, End: now, Messages: []string{"57"}, LastReply: "500 5.4.0 Line too long in the message (at data-end)"}}
	sink.mu.Unlock()
	appendEvents(t, st, events.Event{Kind: events.RelayQueued, Time: now, Message: "m-phone-1", Recipient: "a-long-recipient-name@example.test"}.
		WithPayload(map[string]any{"sender": "newsletter-sender@shop.example.test", "subject": "A subject long enough to need more than one line on a phone"}))

	b.do(t, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	defer b.do(t, chromedp.ResetViewport())
	for _, pg := range []struct{ name, frag, table string }{
		{"the sink's sessions", "sink", "session-table"},
		{"the messages list", "messages", "messages-table"},
	} {
		b.do(t, chromedp.Navigate(base+"/#/"+pg.frag))
		b.waitFor(t, pg.name, `document.querySelectorAll("#`+pg.table+` tbody tr").length > 0`)
		if wide := b.eval(t, `(() => { const box = document.getElementById("`+pg.table+`").parentElement; return box.scrollWidth > box.clientWidth + 1 || document.documentElement.scrollWidth > window.innerWidth; })()`); wide != false {
			t.Errorf("%s runs off the 390px screen", pg.name)
		}
		b.screenshot(t, "phone-cards-"+pg.frag)
	}
	b.do(t, chromedp.Navigate(base+"/#/sink"))
	b.waitFor(t, "the session", `document.querySelector("#session-table tbody td:nth-child(4)")`)
	if lines := b.eval(t, `(() => { const r = document.createRange(); r.selectNodeContents(document.querySelector("#session-table tbody td:nth-child(4)")); return r.getClientRects().length; })()`).(float64); lines > 2 {
		t.Errorf("the HELO takes %v lines, want at most 2", lines)
	}
	b.do(t, chromedp.Navigate(base+"/#/messages"))
	b.waitFor(t, "the message", `document.querySelector("#messages-table tbody tr td:nth-child(3)")`)
	if lines := b.eval(t, `(() => { const r = document.createRange(); r.selectNodeContents(document.querySelector("#messages-table tbody tr td:nth-child(3)")); return r.getClientRects().length; })()`).(float64); lines > 2 {
		t.Errorf("the sender takes %v lines, want at most 2", lines)
	}
	if ex := b.exceptions(); len(ex) > 0 {
		t.Fatalf("uncaught errors or stray logs in the page: %v", ex)
	}
}
