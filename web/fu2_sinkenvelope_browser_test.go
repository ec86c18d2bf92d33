package web

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/relaylab/relaylab/internal/clock"
)

// TestBrowserSinkSessionEnvelope: the Sink's list of sessions shows each
// one's MAIL FROM and RCPT TO (its first recipient, and how many more it
// gave), so that a session refused at RCPT says whose mail it was without
// being opened; a session refused before MAIL has empty cells; on a
// 390px phone the cards keep to the screen and say which cell is which.
func TestBrowserSinkSessionEnvelope(t *testing.T) {
	b := fu2Browser(t)
	sink := newFakeSink()
	now := time.Now().UTC()
	sink.sessions = []SinkSession{
		{ID: "9", Listener: "mx", Client: "127.0.0.1:40891", HELO: "client.test", Start: now, End: now,
			LastReply: "550 5.1.1 no such user (at rcpt)", Category: "invalid-recipient",
			Envelope: &SessionEnvelope{Sender: "newsletter-sender@shop.example.test", Recipient: "a-long-recipient-name@example.test", Recipients: 3}},
		{ID: "8", Listener: "mx", Client: "127.0.0.1:40890", HELO: "bounce.test", Start: now, End: now,
			LastReply: "250 2.0.0 accepted (at data-end)", Envelope: &SessionEnvelope{Sender: "", Recipient: "app@shop.test", Recipients: 100, RecipientsMore: true}},
		{ID: "7", Listener: "mx", Client: "127.0.0.2:40889", Start: now, End: now, LastReply: "554 5.7.1 not welcome (at connect)"},
	}
	s := listen(t, Options{Store: openStore(t, clock.Real{}), Sink: sink})
	base := "http://" + s.Addr()
	cells := func(id string) string {
		return b.eval(t, `[...document.querySelectorAll('#session-rows tr[data-id="`+id+`"] td')].slice(5, 7).map((td) => td.textContent).join(" | ")`).(string)
	}
	b.do(t, chromedp.Navigate(base+"/#/sink"))
	b.waitFor(t, "the sessions", `document.querySelectorAll("#session-rows tr").length === 3`)
	if got := b.eval(t, `[...document.querySelectorAll("#session-table thead th")].map((th) => th.textContent).join(",")`); got != "start,listener,client,HELO,TLS,MAIL FROM,RCPT TO,messages,last reply" {
		t.Errorf("the sessions' columns are %v", got)
	}
	for id, want := range map[string]string{
		"9": "newsletter-sender@shop.example.test | a-long-recipient-name@example.test +2 more",
		"8": "<> | app@shop.test +99 and more",
		"7": " | ",
	} {
		if got := cells(id); got != want {
			t.Errorf("session %s's envelope reads %q, want %q", id, got, want)
		}
	}

	b.do(t, chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile))
	defer b.do(t, chromedp.ResetViewport())
	b.do(t, chromedp.Navigate(base+"/#/feed"), chromedp.Navigate(base+"/#/sink"))
	b.waitFor(t, "the sessions on a phone", `document.querySelectorAll("#session-rows tr").length === 3`)
	if wide := b.eval(t, `(() => { const box = document.getElementById("session-table").parentElement; return box.scrollWidth > box.clientWidth + 1 || document.documentElement.scrollWidth > window.innerWidth; })()`); wide != false {
		t.Errorf("the sessions with their envelope run off the 390px screen")
	}
	// A card's cells flow, each after its label (data-label, which the
	// card's CSS writes before it); a cell left empty has none.
	labels := func(id string) string {
		return b.eval(t, `[...document.querySelectorAll('#session-rows tr[data-id="`+id+`"] td')].slice(5, 7).map((td) => td.dataset.label || "").join(",")`).(string)
	}
	if got := b.eval(t, `getComputedStyle(document.querySelector('#session-rows tr')).display`); got != "flex" {
		t.Errorf("at 390px a session's row is display %v, want a card (flex)", got)
	}
	if got := labels("9"); got != "MAIL FROM,RCPT TO" {
		t.Errorf("a session's envelope cells are labelled %q, want MAIL FROM,RCPT TO", got)
	}
	if got := labels("7"); got != "," {
		t.Errorf("a session refused before MAIL labels its empty envelope cells %q, want none", got)
	}
	b.screenshot(t, "fu2-sink-envelope-phone")
	if ex := b.exceptions(); len(ex) > 0 {
		t.Fatalf("uncaught errors or stray logs in the page: %v", ex)
	}
}
