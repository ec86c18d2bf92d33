package web

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/events"
)

// TestBrowserMessageRelayNotes: the notes the relay wrote on a message it
// queued to sign (relay.queued's notes: a line a next hop may wrap,
// breaking the signature) show on the message's page, as text; a message
// without notes shows none. The relay wrote them, and only its log and
// queue show said them.
func TestBrowserMessageRelayNotes(t *testing.T) {
	b := newBrowser(t)
	st := openStore(t, clock.Real{})
	url := "http://" + listen(t, Options{Store: st, Relay: newFakeRelay(), Sink: newFakeSink()}).Addr()

	const note = `line 3 has 1,200 octets <img src=/nope onerror=alert(1)>: a next hop that wraps it breaks the DKIM signature`
	appendEvents(t, st,
		events.Event{Kind: events.RelayQueued, Message: "n-1", Recipient: "a@example.com"}.WithPayload(map[string]any{"sender": "app@shop.test", "subject": "long", "notes": []string{note}}),
		events.Event{Kind: events.RelayQueued, Message: "n-2", Recipient: "a@example.com"}.WithPayload(map[string]any{"sender": "app@shop.test", "subject": "short"}),
	)
	b.do(t, chromedp.Navigate(url+"/#/messages/n-1"))
	b.waitFor(t, "the notes", `document.getElementById("msg-relay-notes") && !document.getElementById("msg-relay-notes").hidden`)
	got := b.eval(t, `[document.getElementById("msg-relay-notes").innerText, document.querySelectorAll("#msg-relay-notes img").length]`).([]any)
	if !strings.Contains(got[0].(string), "The relay noted, when it queued this message:") || !strings.Contains(got[0].(string), note) || got[1] != float64(0) {
		t.Errorf("the notes say %q with %v img elements; want the note as text", got[0], got[1])
	}
	b.do(t, chromedp.Navigate(url+"/#/messages/n-2"))
	b.waitFor(t, "the other message's timeline", `document.querySelector("#timeline li, #timeline tr, #timeline .step")`)
	if got := b.eval(t, `document.getElementById("msg-relay-notes").hidden`); got != true {
		t.Error("a message without notes shows the notes box")
	}
	if ex := b.exceptions(); len(ex) > 0 {
		t.Fatalf("uncaught errors or stray logs in the page: %v", ex)
	}
}
