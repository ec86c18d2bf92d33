package web

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/relaylab/relaylab/internal/clock"
)

// TestBrowserSmallNotes: a message's HTML view says that remote content
// is blocked; a message id that neither the relay nor the event log knows
// reads "No message with id …", not as a message that was deleted; a
// suppression without an end says "never".
func TestBrowserSmallNotes(t *testing.T) {
	b := newBrowser(t)
	st := openStore(t, clock.Real{})
	relay := newFakeRelay()
	s := listen(t, Options{Store: st, Relay: relay})
	base := "http://" + s.Addr()
	now := time.Now().UTC()
	relay.mu.Lock()
	relay.msgs["html-1"] = MessageDetail{ID: "html-1", From: "a@shop.test", To: []string{"b@example.test"}, Received: now,
		HTML: `<p>hi <img src="http://127.0.0.1:44699/pixel.gif"></p>`}
	relay.sup = []Suppression{{Address: "gone@example.test", Reason: "550 5.1.1 no such user", Since: now.Add(-time.Hour)}}
	relay.mu.Unlock()

	b.do(t, chromedp.Navigate(base+"/#/messages/html-1"))
	b.waitFor(t, "the HTML body", `document.querySelector("iframe.body")`)
	if got := b.eval(t, `(document.getElementById("html-blocked") || {textContent: ""}).textContent`).(string); !strings.Contains(got, "remote images, scripts and forms are blocked") {
		t.Errorf("the HTML view's note: %q, want it to say remote images, scripts and forms are blocked", got)
	}

	b.do(t, chromedp.Navigate(base+"/#/messages/nosuch-1"))
	b.waitFor(t, "the missing message", `document.getElementById("msg-none") || document.getElementById("msg-gone")`)
	if got := b.eval(t, `document.getElementById("msg-detail").textContent`).(string); !strings.Contains(got, "No message with id nosuch-1") || strings.Contains(got, "no longer holds") {
		t.Errorf("an unknown id's page: %q, want \"No message with id nosuch-1\"", got)
	}

	b.do(t, chromedp.Navigate(base+"/#/queue"))
	b.waitFor(t, "the suppression", `document.querySelector("#suppression-rows tr")`)
	if got := b.eval(t, `document.querySelector("#suppression-rows td[data-label=until]").textContent`).(string); got != "never" {
		t.Errorf("a suppression without an end: until %q, want \"never\"", got)
	}
	if ex := b.exceptions(); len(ex) > 0 {
		t.Fatalf("uncaught errors or stray logs in the page: %v", ex)
	}
}
