package web

import (
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/relaylab/relaylab/internal/clock"
)

// wa26Focus is where the keyboard's focus is: the element's tag, id and
// text, or "BODY" when it fell to the document.
const wa26Focus = `(() => { const f = document.activeElement;
	if (!f || f === document.body) return "BODY";
	return f.tagName + "#" + f.id + " " + (f.getAttribute("aria-label") || f.textContent.trim().slice(0, 60)); })()`

// wa26Press puts the focus on the element sel names and presses Enter on
// it, as a keyboard user does; the question it asks in the page's dialog
// is answered yes, by keyboard too.
func wa26Press(t *testing.T, b *browserPage, sel string) {
	t.Helper()
	b.eval(t, `(() => { document.querySelector(`+fmt.Sprintf("%q", sel)+`).focus(); return true; })()`)
	b.do(t, chromedp.KeyEvent(kb.Enter))
	b.waitFor(t, "the question", askOpen)
	b.eval(t, `document.getElementById("ask-dialog-yes").focus()`)
	b.do(t, chromedp.KeyEvent(kb.Enter))
}

// TestWA26QueueFocusAfterRemovals: on the Queue page, a keyboard user who
// removes a suppressed address, empties the list, ends a destination's
// rest or deletes the last message keeps a place in the page (and one
// who waits on a Remove keeps it through the page's polls): the focus
// goes to the next control of the same kind, or to what says what was
// done, never to the document's start (where the reader would have to Tab
// through the header again, and a screen reader says nothing of where it
// is). Before, each of those redrew or hid the button that had the focus
// and the focus fell to <body>.
func TestWA26QueueFocusAfterRemovals(t *testing.T) {
	b := fu2Browser(t)
	f := fw3Rests()
	q := fw2Queue(1)
	f.queue = q.queue
	since := time.Date(2026, 11, 30, 13, 0, 0, 0, time.UTC)
	f.sup = []Suppression{{Address: "rcpt550+a@example.test", Reason: "invalid-recipient: 550 5.1.1", Since: since},
		{Address: "rcpt550+b@example.test", Reason: "invalid-recipient: 550 5.1.1", Since: since},
		{Address: "rcpt550+c@example.test", Reason: "invalid-recipient: 550 5.1.1", Since: since}}
	s := listen(t, Options{Relay: f})
	b.do(t, chromedp.Navigate("http://"+s.Addr()+"/#/queue"))
	b.waitFor(t, "the page", `document.querySelectorAll("#suppression-rows tr").length === 3 && document.querySelector("#rest-rows button") && document.querySelector('#queue-table tr[data-id="q-000"] button')`)

	// A poll draws the list anew every 5 s: the focus stays on its Remove.
	b.eval(t, `(() => { document.querySelector("#suppression-rows tr").dataset.old = "1"; document.querySelector('#suppression-rows button[data-rcpt="rcpt550+b@example.test"]').focus(); return true; })()`)
	b.waitFor(t, "a poll's redraw", `!document.querySelector("#suppression-rows tr[data-old]")`)
	if got := b.eval(t, wa26Focus); got != "BUTTON# Remove rcpt550+b@example.test" {
		t.Errorf("after a poll, the focus is on %q, want the same address's Remove", got)
	}
	// Remove on the first address: the focus on the next address's Remove.
	wa26Press(t, b, "#suppression-rows tr button")
	b.waitFor(t, "one address removed", `document.querySelectorAll("#suppression-rows tr").length === 2`)
	if got := b.eval(t, wa26Focus); got != "BUTTON# Remove rcpt550+b@example.test" {
		t.Errorf("after Remove, the focus is on %q, want the next address's Remove", got)
	}
	// Remove on the last address of the list: the one before it.
	wa26Press(t, b, "#suppression-rows tr:last-child button")
	b.waitFor(t, "another removed", `document.querySelectorAll("#suppression-rows tr").length === 1`)
	if got := b.eval(t, wa26Focus); got != "BUTTON# Remove rcpt550+b@example.test" {
		t.Errorf("after Remove on the last row, the focus is on %q, want the Remove of the row before", got)
	}
	// Remove all: the button goes with the list; the focus to the list's
	// heading.
	wa26Press(t, b, "#suppression-clear")
	b.waitFor(t, "the list emptied", `document.getElementById("suppression-clear").hidden && !document.getElementById("suppression-empty").hidden`)
	if got := b.eval(t, wa26Focus); got != "H2#suppression-heading Suppression list" {
		t.Errorf("after Remove all, the focus is on %q, want the list's heading", got)
	}

	// End the rest now: the section goes; the focus to what says it ended.
	wa26Press(t, b, "#rest-rows button.rest-end")
	b.waitFor(t, "the rest ended", `document.getElementById("queue-rests").hidden && /ended at/.test(document.getElementById("rest-said").textContent)`)
	if got := b.eval(t, wa26Focus); got != "P#rest-said "+fmt.Sprint(b.eval(t, `document.getElementById("rest-said").textContent.trim().slice(0, 60)`)) {
		t.Errorf("after End the rest now, the focus is on %q, want the line that says what it did", got)
	}

	// Delete of the page's last message: the focus to the line that says
	// it was deleted.
	wa26Press(t, b, `#queue-table tr[data-id="q-000"] button.danger`)
	b.waitFor(t, "the message gone", `!document.querySelector('#queue-table tr[data-id="q-000"]') && /deleted/.test(document.getElementById("queue-said").textContent)`)
	if got := b.eval(t, wa26Focus); got != "P#queue-said "+fmt.Sprint(b.eval(t, `document.getElementById("queue-said").textContent.trim().slice(0, 60)`)) {
		t.Errorf("after Delete of the last message, the focus is on %q, want the line that says it was deleted", got)
	}
	if ex := b.exceptions(); len(ex) > 0 {
		t.Fatalf("uncaught errors or stray logs in the page: %v", ex)
	}
}

// TestWA26SinkDeleteFocus: a received message deleted from its page
// leaves the focus on what says so (with its link back to the Inbox), not
// on <body>: the Delete button that had it is gone.
func TestWA26SinkDeleteFocus(t *testing.T) {
	b := fu2Browser(t)
	st := openStore(t, clock.Real{})
	sk := &storeSink{fakeSink: newFakeSink(), st: st}
	addSinkRaw(t, st, 1, "bob@shop.test", "From: a@shop.test\r\nTo: bob@shop.test\r\nSubject: order 1\r\n\r\nhi\r\n")
	sk.msgs["1"] = MessageDetail{ID: "1", From: "a@shop.test", To: []string{"bob@shop.test"}, Subject: "order 1"}
	s := listen(t, Options{Store: st, Sink: sk})
	b.do(t, chromedp.Navigate("http://"+s.Addr()+"/#/sink/messages/1"))
	b.waitFor(t, "the Delete button", `!document.getElementById("msg-delete").hidden`)
	wa26Press(t, b, "#msg-delete")
	b.waitFor(t, "the deleted note", `document.getElementById("msg-deleted") !== null`)
	if got := b.eval(t, wa26Focus); got != "P#msg-deleted Message 1 was deleted. Back to the inbox" {
		t.Errorf("after Delete, the focus is on %q, want the note that says the message was deleted", got)
	}
	if ex := b.exceptions(); len(ex) > 0 {
		t.Fatalf("uncaught errors or stray logs in the page: %v", ex)
	}
}
