package web

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/store"
)

// askOpen is true while the page's dialog (dialog.js) is open.
const askOpen = `(document.getElementById("ask-dialog") || {}).open === true`

// wu27Answer waits for the page's dialog, answers it (its button that
// does what it asks, or Cancel) and returns its question: the heading,
// a blank line, and its text as shown.
func wu27Answer(t *testing.T, b *browserPage, yes bool) string {
	t.Helper()
	b.waitFor(t, "the page's dialog", askOpen)
	q := b.eval(t, `document.getElementById("ask-dialog-title").textContent + "\n\n" + document.getElementById("ask-dialog-about").innerText`).(string)
	button := "ask-dialog-cancel"
	if yes {
		button = "ask-dialog-yes"
	}
	b.eval(t, `document.getElementById("`+button+`").click()`)
	b.waitFor(t, "the dialog closed", `!`+askOpen)
	return q
}

// TestWU27QueueDialog: the Queue's Remove and Delete ask in the page's
// dialog, not in window.confirm(): a modal dialog named by its question,
// whose danger button says what it does, with the focus on Cancel. The
// Queue's poll, which draws the suppression list anew every 5 s, leaves
// it open with the focus in it; Escape cancels, removes nothing, and the
// focus goes to the same address's Remove as drawn since (the one pressed
// is gone). Before, confirm() stopped the page's scripts, a screen reader
// read it as bare text, and its OK did not say it deletes.
func TestWU27QueueDialog(t *testing.T) {
	b := fu2Browser(t)
	f := fw3Rests()
	f.queue = fw2Queue(1).queue
	f.sup = []Suppression{{Address: "rcpt550+a@example.test", Reason: "invalid-recipient: 550 5.1.1"}, {Address: "rcpt550+b@example.test", Reason: "invalid-recipient: 550 5.1.1"}}
	s := listen(t, Options{Relay: f})
	b.do(t, chromedp.Navigate("http://"+s.Addr()+"/#/queue"))
	removeA := `document.querySelector('#suppression-rows button[data-rcpt="rcpt550+a@example.test"]')`
	b.waitFor(t, "the page", removeA+` && document.querySelector('#queue-table tr[data-id="q-000"] button.danger')`)

	b.eval(t, removeA+`.focus()`)
	b.do(t, chromedp.KeyEvent(kb.Enter))
	b.waitFor(t, "the question, the focus on Cancel", askOpen+` && document.activeElement.id === "ask-dialog-cancel"`)
	want := "dialog: Remove rcpt550+a@example.test from the suppression list?"
	if missing, named := wh26Unnamed(t, b, []string{want}, "dialog"); len(missing) > 0 {
		t.Errorf("the page's dialogs are %q, want %q", named, want)
	}
	if got := b.eval(t, `[...document.querySelectorAll("#ask-dialog button")].map((x) => x.textContent + (x.classList.contains("danger") ? "!" : "")).join()`); got != "Remove!,Cancel" {
		t.Errorf("the dialog's buttons are %v, want Remove!,Cancel (the danger marked !)", got)
	}
	if got := b.eval(t, `document.getElementById("ask-dialog-about").innerText`).(string); !strings.Contains(got, "Listed for: invalid-recipient") {
		t.Errorf("the dialog's text is %q, want why the address is listed", got)
	}
	b.screenshot(t, "wu27-remove-dialog")

	// The poll draws the list anew under the open dialog.
	b.eval(t, `document.querySelector("#suppression-rows tr").dataset.old = "1"`)
	b.waitFor(t, "a poll's redraw", `document.querySelector("#suppression-rows tr") && !document.querySelector("#suppression-rows tr[data-old]")`)
	if got := b.eval(t, `[`+askOpen+`, document.activeElement.id].join()`); got != "true,ask-dialog-cancel" {
		t.Errorf("after the poll's redraw the dialog is [open, focus] %v, want true,ask-dialog-cancel", got)
	}
	b.do(t, chromedp.KeyEvent(kb.Escape))
	b.waitFor(t, "Escape: closed, the focus on the address's new Remove", `!`+askOpen+` && document.activeElement === `+removeA)
	f.mu.Lock()
	listed := len(f.sup)
	f.mu.Unlock()
	if listed != 2 {
		t.Fatalf("Escape removed an address: %d listed, want 2", listed)
	}

	// Delete: asked, then done on yes.
	b.eval(t, `document.querySelector('#queue-table tr[data-id="q-000"] button.danger').click()`)
	if q := wu27Answer(t, b, true); !strings.HasPrefix(q, "Delete message q-000 from the queue?\n\n") || !strings.Contains(q, "no bounce goes to the sender") {
		t.Errorf("Delete asked %q", q)
	}
	b.waitFor(t, "the delete", `!document.querySelector('#queue-table tr[data-id="q-000"]')`)
	if n := b.dialogs.Load(); n != 0 {
		t.Errorf("the page opened %d window.confirm() or prompt() dialog(s), want none", n)
	}
	if ex := b.exceptions(); len(ex) > 0 {
		t.Fatalf("uncaught errors or stray logs in the page: %v", ex)
	}
}

// TestWU27MessageDeleteDialog: a received message's Delete asks in the
// page's dialog, named by its question, its text the message's From, To
// and Subject each on a line; Cancel deletes nothing and gives the focus
// back to Delete; yes deletes.
func TestWU27MessageDeleteDialog(t *testing.T) {
	b, st, base := wu27SinkPage(t)
	b.do(t, chromedp.Navigate(base+"/#/sink/messages/2"))
	b.waitFor(t, "the Delete button", `!document.getElementById("msg-delete").hidden`)
	b.eval(t, `document.getElementById("msg-delete").focus()`)
	b.do(t, chromedp.KeyEvent(kb.Enter))
	b.waitFor(t, "the question", askOpen)
	if missing, named := wh26Unnamed(t, b, []string{"dialog: Delete received message 2?"}, "dialog"); len(missing) > 0 {
		t.Errorf("the page's dialogs are %q, want the Delete's", named)
	}
	q := wu27Answer(t, b, false)
	if lines := strings.Split(q, "\n"); !slices.Contains(lines, "From: a@shop.test") || !slices.Contains(lines, "Subject: order 2") {
		t.Errorf("Delete asked %q, want its From and Subject each on a line", q)
	}
	if got := b.eval(t, `document.activeElement.id`); got != "msg-delete" {
		t.Errorf("after Cancel the focus is on %q, want msg-delete", got)
	}
	if held := heldIDs(t, st); held != "1,2" {
		t.Fatalf("after Cancel the sink holds %s, want 1,2", held)
	}
	b.eval(t, `document.getElementById("msg-delete").click()`)
	wu27Answer(t, b, true)
	b.waitFor(t, "the deleted note", `document.getElementById("msg-deleted") !== null`)
	if held := heldIDs(t, st); held != "1" {
		t.Errorf("after the Delete the sink holds %s, want 1", held)
	}
	if n := b.dialogs.Load(); n != 0 {
		t.Errorf("the page opened %d window.confirm() dialog(s), want none", n)
	}
}

// wu27SinkPage is a browser and a server whose sink holds messages 1
// and 2 (to bob and carol, "order 1" and "order 2"), and the server's
// base URL.
func wu27SinkPage(t *testing.T) (*browserPage, *store.Store, string) {
	t.Helper()
	b := fu2Browser(t)
	st := openStore(t, clock.Real{})
	sk := &storeSink{fakeSink: newFakeSink(), st: st}
	for i, to := range []string{"bob@shop.test", "carol@shop.test"} {
		addSinkRaw(t, st, int64(i+1), to, fmt.Sprintf("From: a@shop.test\r\nTo: %s\r\nSubject: order %d\r\n\r\nhi\r\n", to, i+1))
	}
	sk.msgs["2"] = MessageDetail{ID: "2", From: "a@shop.test", To: []string{"carol@shop.test"}, Subject: "order 2"}
	s := listen(t, Options{Store: st, Sink: sk})
	return b, st, "http://" + s.Addr()
}
