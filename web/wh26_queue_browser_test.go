package web

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/relaylab/relaylab/internal/clock"
)

// wh26AddRecipient gives message id of p's queue one more deferred
// recipient, as a message whose other recipients the relay has yet to
// list: the row's Hold buttons are drawn again at the next poll.
func wh26AddRecipient(p *pagingRelay, id, rcpt string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := range p.queue {
		if e := &p.queue[i]; e.ID == id {
			w := e.Waiting[0]
			w.Address, w.State, w.OperatorHold = rcpt, "deferred", nil
			e.Waiting = append(e.Waiting, w)
			e.Recipients = append(e.Recipients, rcpt)
		}
	}
}

// wh26Relay is a relay whose Queue page fills its three tables: a
// destination's rest, n messages of one deferred recipient each, and one
// suppressed address.
func wh26Relay(n int) *restsRelay {
	f := fw3Rests()
	f.queue = fw2Queue(n).queue
	since := time.Date(2026, 11, 30, 13, 0, 0, 0, time.UTC)
	f.sup = append(f.sup, Suppression{Address: "rcpt550+a@example.test", Reason: "invalid-recipient: 550 5.1.1", Since: since})
	return f
}

// wh26Unnamed is which of want ("role: name") the page's accessibility
// tree lacks, among its nodes of those roles, once it has them all or
// after a few seconds: Chromium updates the tree after the page changes.
func wh26Unnamed(t *testing.T, b *browserPage, want []string, roles ...string) (missing, named []string) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		named, missing = wa26Named(t, b, roles...), nil
		for _, w := range want {
			if !slices.Contains(named, w) {
				missing = append(missing, w)
			}
		}
		if len(missing) == 0 || time.Now().After(deadline) {
			return missing, named
		}
	}
}

// TestWH26HoldDialog: the Queue's Hold asks in a modal dialog of the
// page, named by its heading, whose note's box has a label of its own
// and takes the focus; Escape cancels it and the focus goes back to the
// Hold. The Queue's poll, which draws a row's buttons again when its
// recipients change, leaves the dialog open with the focus and what was
// typed in it; after that the Hold still holds and the focus moves to the
// recipient's new Release, and a Cancel goes back to the recipient's new
// Hold, not to the document's start. Before, the Hold asked in
// window.prompt(), which a screen reader reads as a bare text box.
func TestWH26HoldDialog(t *testing.T) {
	b := fu2Browser(t)
	p := &pagingRelay{fakeRelay: fw2Queue(3)}
	s := listen(t, Options{Relay: p})
	row := `document.querySelector('#queue-table tr[data-id="q-001"]')`
	holdOf := func(rcpt string) string { return row + `.querySelector('button.hold-act[data-rcpt="` + rcpt + `"]')` }
	open := `document.getElementById("ask-dialog").open`
	holds := func() string {
		p.mu.Lock()
		defer p.mu.Unlock()
		return strings.Join(p.holds, "|")
	}
	press := func(rcpt string) {
		t.Helper()
		b.eval(t, holdOf(rcpt)+`.focus()`)
		b.do(t, chromedp.KeyEvent(kb.Enter))
		b.waitFor(t, "the dialog, with the focus in its box", open+` && document.activeElement.id === "ask-note"`)
	}
	b.do(t, chromedp.Navigate("http://"+s.Addr()+"/#/queue"))
	b.waitFor(t, "the queue", row)

	press("rq-001@r.test")
	want := []string{"dialog: Hold rq-001@r.test of message q-001?", "textbox: Note (optional, shown with the hold)"}
	if missing, named := wh26Unnamed(t, b, want, "dialog", "textbox"); len(missing) > 0 {
		t.Errorf("the page's dialogs and text boxes are %q, want %q among them", named, missing)
	}
	if got := b.eval(t, `[...document.querySelectorAll("#ask-dialog button")].map((b) => b.textContent).join()`); got != "Hold,Cancel" {
		t.Errorf("the dialog's buttons are %v, want Hold,Cancel", got)
	}
	b.do(t, chromedp.KeyEvent(kb.Escape))
	b.waitFor(t, "Escape: closed, the focus on Hold", `!`+open+` && document.activeElement === `+holdOf("rq-001@r.test"))
	if got := holds(); got != "" {
		t.Fatalf("Escape held: %q", got)
	}

	// Cancel, and Hold again at once, before the dialog's close event:
	// the dialog opens again (the message's actions were still busy with
	// the question cancelled, and the Hold did nothing).
	press("rq-001@r.test")
	b.eval(t, `(async () => { document.getElementById("ask-dialog-cancel").click(); for (let i = 0; i < 20; i++) await null;
		`+holdOf("rq-001@r.test")+`.click(); window.reopened = document.getElementById("ask-dialog").open; })(), true`)
	b.waitFor(t, "the second Hold's answer", `window.reopened !== undefined`)
	if got := b.eval(t, `window.reopened`); got != true {
		t.Errorf("Hold pressed right after Cancel: the dialog open is %v, want true", got)
	}
	b.do(t, chromedp.KeyEvent(kb.Escape))
	b.waitFor(t, "Escape: closed", `!`+open+` && document.activeElement === `+holdOf("rq-001@r.test"))

	// A poll draws the row's buttons again while the dialog is open.
	press("rq-001@r.test")
	b.do(t, chromedp.SendKeys("#ask-note", "waiting "))
	b.eval(t, holdOf("rq-001@r.test")+`.setAttribute("data-kind", "old")`)
	wh26AddRecipient(p, "q-001", "second@r.test")
	b.waitFor(t, "the poll's redraw", `!`+row+`.querySelector('button[data-kind="old"]') && `+holdOf("second@r.test"))
	if got := b.eval(t, `[`+open+`, document.activeElement.id, document.getElementById("ask-note").value].join()`); got != "true,ask-note,waiting " {
		t.Errorf("after the poll's redraw the dialog is [open, focus, note] %v, want true,ask-note,waiting ", got)
	}
	b.do(t, chromedp.SendKeys("#ask-note", "for DNS"), chromedp.KeyEvent(kb.Enter))
	b.waitFor(t, "held, the focus on its Release", `document.activeElement === `+holdOf("rq-001@r.test")+` && document.activeElement.textContent === "Release"`)
	if got, want := holds(), "hold q-001 rq-001@r.test the web API waiting for DNS"; got != want {
		t.Errorf("the relay was asked %q, want %q", got, want)
	}

	// Cancel after a redraw: the focus on the recipient's new Hold.
	press("second@r.test")
	b.eval(t, holdOf("second@r.test")+`.setAttribute("data-kind", "old")`)
	wh26AddRecipient(p, "q-001", "third@r.test")
	b.waitFor(t, "the poll's redraw", `!`+row+`.querySelector('button[data-kind="old"]') && `+holdOf("third@r.test"))
	b.eval(t, `document.getElementById("ask-dialog-cancel").click()`)
	b.waitFor(t, "Cancel: closed, the focus on the new Hold", `!`+open+` && document.activeElement === `+holdOf("second@r.test"))
	if got, want := holds(), "hold q-001 rq-001@r.test the web API waiting for DNS"; got != want {
		t.Errorf("after Cancel the relay was asked %q, want %q", got, want)
	}
	if ex := b.exceptions(); len(ex) > 0 {
		t.Fatalf("uncaught errors or stray logs in the page: %v", ex)
	}
}

// TestWH26QueueNamesStartWithVisibleText: every button of the Queue page
// has a name that starts with the words it shows (WCAG 2.5.3, label in
// name), so that a voice command that says them finds it. Before, Retry
// now was "Retry message ID now" and End the rest now "End the rest of
// DESTINATION now".
func TestWH26QueueNamesStartWithVisibleText(t *testing.T) {
	b := fu2Browser(t)
	s := listen(t, Options{Relay: wh26Relay(2)})
	b.do(t, chromedp.Navigate("http://"+s.Addr()+"/#/queue"))
	b.waitFor(t, "the three tables", `document.querySelector("#suppression-rows button") && document.querySelector("#rest-rows button") && document.querySelector('#queue-table tr[data-id="q-000"] button')`)
	got := b.eval(t, `[...document.querySelectorAll("#main button")].filter((b) => b.getClientRects().length).flatMap((b) => {
		const shown = b.innerText.trim().replace(/\s+/g, " "), name = (b.getAttribute("aria-label") || shown).replace(/\s+/g, " ");
		return name.toLowerCase().startsWith(shown.toLowerCase()) ? [] : [JSON.stringify(shown) + " named " + JSON.stringify(name)];
	}).join("; ")`).(string)
	if got != "" {
		t.Errorf("buttons whose name does not start with their text: %s", got)
	}
	want := []string{"button: Retry now: message q-000", "button: Delete message q-000", "button: End the rest now: path:local-sink:example.test"}
	if missing, named := wh26Unnamed(t, b, want, "button"); len(missing) > 0 {
		t.Errorf("no %q among %q", missing, named)
	}
	if ex := b.exceptions(); len(ex) > 0 {
		t.Fatalf("uncaught errors or stray logs in the page: %v", ex)
	}
}

// TestWH26CardLabels: where a table of cards hides its header row (the
// Queue's, the Inbox's and the suppression list's below 1,100 px, every
// one of them, the rests' too, below 640 px), each cell that shows a
// value says what it is, as the header would: the message id, the
// recipient's state, the last reply, the received time, the suppressed
// address and its reason had no label. Cells of buttons alone name
// themselves.
func TestWH26CardLabels(t *testing.T) {
	b := fu2Browser(t)
	st := openStore(t, clock.Real{})
	addInbox(t, st, inboxRow{id: 1, session: 1, from: "a@shop.test", rcpts: "b@example.test", raw: "From: a@shop.test\r\nTo: b@example.test\r\nSubject: hi\r\n\r\nhi\r\n",
		code: 250, enhanced: "2.0.0", text: "ok", listener: "mx"})
	s := listen(t, Options{Store: st, Relay: wh26Relay(2), Sink: newFakeSink()})
	defer b.do(t, chromedp.ResetViewport())
	unlabelled := func(tables string) string {
		return b.eval(t, `[...document.querySelectorAll(`+jsString(tables)+`)].flatMap((td) => {
			if (!td.textContent.trim() || td.querySelector("button")) return [];
			const c = getComputedStyle(td, "::before").content;
			return c && c !== "none" && c !== "normal" ? [] : [td.closest("table").id + " " + JSON.stringify(td.textContent.trim().slice(0, 30))];
		}).join("; ")`).(string)
	}
	for _, c := range []struct {
		width  int64
		tables string
	}{{1000, "#queue-table tbody td, #suppression-table tbody td"}, {600, "#queue-table tbody td, #suppression-table tbody td, #rest-table tbody td"}} {
		b.do(t, chromedp.EmulateViewport(c.width, 900))
		b.do(t, chromedp.Navigate("about:blank"), chromedp.Navigate("http://"+s.Addr()+"/#/queue"))
		b.waitFor(t, "the queue's tables", `document.querySelector("#suppression-rows td") && document.querySelector("#rest-rows td") && document.querySelector('#queue-table tr[data-id="q-000"] td')`)
		if got := unlabelled(c.tables); got != "" {
			t.Errorf("at %d px, cells without a label: %s", c.width, got)
		}
		b.do(t, chromedp.Navigate("http://"+s.Addr()+"/#/inbox"))
		b.waitFor(t, "the inbox", `document.querySelector("#inbox-rows td")`)
		if got := unlabelled("#inbox-table tbody td"); got != "" {
			t.Errorf("at %d px, inbox cells without a label: %s", c.width, got)
		}
	}
	if ex := b.exceptions(); len(ex) > 0 {
		t.Fatalf("uncaught errors or stray logs in the page: %v", ex)
	}
}

// TestWH26HoldDialogColours: the Hold dialog reads in both colour
// schemes: its heading, its text and its buttons at 4.5:1 on the dialog,
// its note's box edged at 3:1 (WCAG 1.4.11), as the page's own fields.
func TestWH26HoldDialogColours(t *testing.T) {
	b := fu2Browser(t)
	s := listen(t, Options{Relay: &pagingRelay{fakeRelay: fw2Queue(1)}})
	for _, scheme := range []string{"light", "dark"} {
		if _, err := chromedp.Call(b.ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}}); err != nil {
			t.Fatalf("emulate %s: %v", scheme, err)
		}
		b.do(t, chromedp.Navigate("about:blank"), chromedp.Navigate("http://"+s.Addr()+"/#/queue"))
		b.waitFor(t, "the queue", `document.querySelector("#queue-table button.hold-act")`)
		b.eval(t, `document.querySelector("#queue-table button.hold-act").click()`)
		b.waitFor(t, "the dialog", `document.getElementById("ask-dialog").open`)
		got := b.eval(t, contrastJS+`;(() => {
			const d = document.getElementById("ask-dialog"), out = [];
			for (const el of d.querySelectorAll("h2, p, label, button")) {
				const r = contrastOf(el);
				if (r < 4.5) out.push(el.tagName + " " + el.textContent.slice(0, 20) + ": " + r.toFixed(2) + ":1");
			}
			const box = document.getElementById("ask-note"), s = getComputedStyle(box);
			const edge = ratio(parseColour(s.borderTopColor), parseColour(backgroundOf(d)));
			if (edge < 3 || parseFloat(s.borderTopWidth) < 1) out.push("the note's edge " + s.borderTopColor + ": " + edge.toFixed(2) + ":1");
			return [out.join("; "), backgroundOf(d)];
		})()`).([]any)
		if bad := got[0].(string); bad != "" {
			t.Errorf("%s scheme (dialog on %s): %s", scheme, got[1], bad)
		}
		b.screenshot(t, "wh26-hold-dialog-"+scheme)
	}
	if ex := b.exceptions(); len(ex) > 0 {
		t.Fatalf("uncaught errors or stray logs in the page: %v", ex)
	}
}
