package web

import (
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/events"
)

// TestWU27MessagesFindSubject: the Messages page's Find takes words of a
// subject, besides a message's id and a recipient's address: the words
// list the messages whose subject holds them, in any case (a page of its
// own, #/messages/find/WORDS, with the way back to all), and a message
// queued meanwhile joins the list only when its subject holds them; an
// id still opens its message. Before, any text without an @ was taken for
// a message's id, and "invoice" opened a page that found no message.
// (It needs subject= in openapi.yaml's GET /api/v1/messages, which lists
// the parameters the route takes.)
func TestWU27MessagesFindSubject(t *testing.T) {
	b := fu2Browser(t)
	st := openStore(t, clock.Real{})
	queued := func(id, subject string) events.Event {
		return events.Event{Kind: events.RelayQueued, Message: id, Recipient: "a@example.test"}.WithPayload(map[string]any{"sender": "app@shop.test", "subject": subject})
	}
	appendEvents(t, st, queued("m-1", "Your Invoice 12"), queued("m-2", "Weekly news"), queued("m-3", "invoice 13, overdue"))
	s := listen(t, Options{Store: st})
	b.do(t, chromedp.Navigate("http://"+s.Addr()+"/#/messages"))
	rows := `[...document.querySelectorAll("#messages-rows tr")].map((tr) => tr.dataset.id).join()`
	b.waitFor(t, "the list", rows+` === "m-3,m-2,m-1"`)

	find := func(text string) {
		t.Helper()
		b.eval(t, `(() => { const q = document.getElementById("find-text"); q.value = `+jsString(text)+`; document.getElementById("find").requestSubmit(); return true; })()`)
	}
	find("INVOICE")
	b.waitFor(t, "the messages found", `location.hash === "#/messages/find/INVOICE" && `+rows+` === "m-3,m-1" && document.getElementById("status").textContent === "live"`)
	if got := b.eval(t, `document.getElementById("find-note").textContent + " | " + document.title`); got != "Messages whose subject contains INVOICE, in any case, newest first. | Messages: INVOICE · relaylab" {
		t.Errorf("the page says %q", got)
	}
	appendEvents(t, st, queued("m-4", "no match here"), queued("m-5", "invoice 14"))
	b.waitFor(t, "the new match on top", rows+` === "m-5,m-3,m-1"`)

	find("m-2")
	b.waitFor(t, "the message's page", `location.hash === "#/messages/m-2"`)
	b.do(t, chromedp.Navigate("http://"+s.Addr()+"/#/messages/find/nothing-like-it"))
	b.waitFor(t, "none found", `!document.getElementById("messages-empty").hidden`)
	if got := b.eval(t, `document.getElementById("messages-empty").textContent`); got != "No message's subject contains nothing-like-it, and no message has it as its id." {
		t.Errorf("none found says %q", got)
	}
	if ex := b.exceptions(); len(ex) > 0 {
		t.Fatalf("uncaught errors or stray logs in the page: %v", ex)
	}
}
