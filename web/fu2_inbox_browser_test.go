package web

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/events"
)

// TestBrowserInboxWipeOnlyWithSomethingToDelete: the Inbox offers "Clear
// the inbox" only when it holds a message, and "Delete the messages
// found" only for a search that found some: not on an empty store, not
// for a search that found nothing among all the messages, not for one the
// API refused (both showed, and deleted nothing or failed).
func TestBrowserInboxWipeOnlyWithSomethingToDelete(t *testing.T) {
	b := fu2Browser(t)
	st := openStore(t, clock.Real{})
	s := listen(t, Options{Store: st, Relay: newFakeRelay(), Sink: newFakeSink()})
	base := "http://" + s.Addr()
	wipe := `document.getElementById("inbox-clear")`

	b.do(t, chromedp.Navigate(base+"/#/inbox"))
	b.waitFor(t, "the empty inbox", `document.getElementById("inbox-empty") && !document.getElementById("inbox-empty").hidden`)
	if got := b.eval(t, wipe+`.hidden`); got != true {
		t.Errorf("on an empty inbox, Clear the inbox is hidden: %v, want true (it has nothing to delete)", got)
	}

	addInbox(t, st, inboxMessages()...)
	for _, c := range []struct {
		name, hash, ready string
		shown             bool
	}{
		{"a search that finds nothing", "#/inbox/search/nothing-matches-this", `!document.getElementById("inbox-empty").hidden`, false},
		{"a search the API refuses", "#/inbox/search/frm:alice", `!document.getElementById("inbox-q-error").hidden`, false},
		{"a search that finds", "#/inbox/search/invoices", `document.querySelectorAll("#inbox-rows tr").length === 1`, true},
		{"the inbox", "#/inbox", `document.querySelectorAll("#inbox-rows tr").length === 4`, true},
	} {
		b.do(t, chromedp.Navigate(base+"/"+c.hash))
		b.waitFor(t, c.name, c.ready)
		if got := b.eval(t, wipe+`.hidden`); got != !c.shown {
			t.Errorf("%s: the delete button %q is hidden: %v, want %v", c.name, b.eval(t, wipe+`.textContent`), got, !c.shown)
		}
	}
	if ex := b.exceptions(); len(ex) > 0 {
		t.Fatalf("uncaught errors or stray logs in the page: %v", ex)
	}
}

// TestBrowserFeedSinkMessageColumn: the feed's message column names a
// message of the sink the same way in each of its events, by the sink's
// number linked to its page ("message 7"), a sink.message's Message-ID
// under it (which the filter finds): the sink.message row named the
// Message-ID and the sink.bounce row "message 7", two names for one
// message.
func TestBrowserFeedSinkMessageColumn(t *testing.T) {
	b := fu2Browser(t)
	st := openStore(t, clock.Real{})
	s := listen(t, Options{Store: st, Relay: newFakeRelay(), Sink: newFakeSink()})
	appendEvents(t, st,
		events.Event{Kind: events.SinkMessage, Message: "<order-7@shop.test>", Recipient: "bounce0s@example.test", Listener: "mx"}.
			WithPayload(map[string]any{"id": 7, "session": 3, "from": "app@shop.test", "to": []string{"bounce0s@example.test"}, "code": 250}),
		events.Event{Kind: events.SinkBounce, Recipient: "bounce0s@example.test"}.WithPayload(map[string]any{
			"bounce": 1, "message": 7, "to": "app@shop.test", "recipient": "bounce0s@example.test", "action": "failed", "sent": true,
			"reply": "550 5.1.1 The mailbox does not exist", "relay": "127.0.0.1:2587", "error": ""}),
	)
	b.do(t, chromedp.Navigate("http://"+s.Addr()+"/#/feed"))
	b.waitFor(t, "the backlog", `document.querySelectorAll("#feed-rows tr").length === 2`)
	b.do(t, chromedp.Evaluate[chromedp.Void](`document.querySelectorAll(".filters input[type=checkbox]").forEach((cb) => { if (!cb.checked) cb.click(); })`))
	cell := func(kind string) []any {
		return b.eval(t, `(() => { const td = [...document.querySelectorAll("#feed-rows tr")].find((tr) => tr.querySelector(".badge").textContent === "`+kind+`").children[2];
			const a = td.querySelector("a"); return [a ? a.textContent : "", a ? a.getAttribute("href") : "", td.innerText]; })()`).([]any)
	}
	for _, kind := range []string{"sink.message", "sink.bounce"} {
		if got := cell(kind); got[0] != "message 7" || got[1] != "#/sink/messages/7" {
			t.Errorf("the %s row's message column links %q to %v, want \"message 7\" to #/sink/messages/7", kind, got[0], got[1])
		}
	}
	if got := cell("sink.message")[2].(string); !strings.Contains(got, "Message-ID <order-7@shop.test>") {
		t.Errorf("the sink.message row's message column %q lacks its Message-ID", got)
	}
	b.do(t, chromedp.SendKeys(`.filters input[type=search]`, "order-7@"))
	b.waitFor(t, "the filter by Message-ID", `[...document.querySelectorAll("#feed-rows tr")].filter((tr) => !tr.hidden).length === 1`)
	if ex := b.exceptions(); len(ex) > 0 {
		t.Fatalf("uncaught errors or stray logs in the page: %v", ex)
	}
}
