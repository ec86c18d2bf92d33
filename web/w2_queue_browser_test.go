package web

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
)

// queueOf is n messages of one recipient each, named prefix-00 on.
func queueOf(prefix string, n int, now time.Time) []QueueEntry {
	var q []QueueEntry
	for i := range n {
		id := fmt.Sprintf("%s-%02d", prefix, i)
		q = append(q, QueueEntry{ID: id, From: "app@shop.test", Recipients: []string{"r" + id + "@example.test"}, Queued: now, Attempts: 1,
			Waiting: []QueueRecipient{{Address: "r" + id + "@example.test", State: "deferred", Attempts: 1, NextAttempt: now.Add(time.Minute),
				LastReply: QueueReply{Stage: "rcpt", Code: 451, Enhanced: "4.7.1", Text: "greylisted"}}}})
	}
	return q
}

// TestBrowserQueueKeepsPlace: the queue's poll every 5 s updates its rows
// in place. A "Retry now" that has the keyboard's focus keeps it (it was
// BODY's after each poll), a message that changed shows its change, a
// new message appears on top, and the row under the pointer stays under
// it, at the top of the page as further down.
func TestBrowserQueueKeepsPlace(t *testing.T) {
	b, _, relay, _, base := browserUI(t)
	now := time.Now().UTC()
	relay.mu.Lock()
	relay.queue = queueOf("q", 30, now)
	relay.mu.Unlock()
	// push puts a new message on top, as the relay lists its newest
	// first, and gives q-05 a second attempt.
	push := func(id string) {
		t.Helper()
		relay.mu.Lock()
		defer relay.mu.Unlock()
		relay.queue = append(queueOf(id, 1, now), relay.queue...)
		for i := range relay.queue {
			if relay.queue[i].ID == "q-05" {
				relay.queue[i].Waiting[0].Attempts++
			}
		}
	}
	row := func(id string) string { return `document.querySelector('#queue-table tr[data-id="` + id + `"]')` }

	b.do(t, chromedp.Navigate(base+"/#/queue"))
	b.waitFor(t, "the queue", `document.querySelectorAll("#queue-table tbody tr").length === 30`)
	b.eval(t, row("q-05")+`.querySelector("button").focus()`)
	push("new1")
	b.waitFor(t, "the new message", row("new1-00"))
	if got := b.eval(t, `(() => { const f = document.activeElement; return f.tagName === "BUTTON" ? "BUTTON " + f.textContent + " " + f.closest("tr").dataset.id : f.tagName; })()`); got != "BUTTON Retry now q-05" {
		t.Errorf("after a poll the focus is on %v, want q-05's Retry now, where it was", got)
	}
	b.waitFor(t, "q-05's second attempt", row("q-05")+`.querySelector('td[data-label=attempts]').textContent === "2"`)
	if got := b.eval(t, `[...document.querySelectorAll("#queue-table tbody tr")].slice(0, 2).map((tr) => tr.dataset.id).join(" ")`); got != "new1-00 q-00" {
		t.Errorf("the first rows are %v, want the new message on top", got)
	}

	// The pointer on a row, at the page's top and further down: a new
	// message on top leaves that row where it was, under the pointer.
	for _, c := range []struct {
		id, new string
		scroll  int
	}{{"q-02", "new2", 0}, {"q-20", "new3", 700}} {
		b.eval(t, `document.activeElement.blur(); window.scrollTo(0, `+itoa(int64(c.scroll))+`)`)
		xy := b.eval(t, `(() => { const r = `+row(c.id)+`.querySelector("td[data-label=to]").getBoundingClientRect(); return [r.left + r.width / 2, r.top + r.height / 2]; })()`).([]any)
		x, y := xy[0].(float64), xy[1].(float64)
		b.do(t, chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, x, y))
		b.waitFor(t, "the pointer on "+c.id, row(c.id)+`.matches(":hover")`)
		push(c.new)
		b.waitFor(t, "the new message "+c.new, row(c.new+"-00"))
		got := b.eval(t, `(() => { const r = `+row(c.id)+`.querySelector("td[data-label=to]").getBoundingClientRect(); const under = document.elementFromPoint(`+
			fmt.Sprint(x)+`, `+fmt.Sprint(y)+`); return [r.top + r.height / 2, (under && under.closest("tr") || {dataset: {}}).dataset.id || ""]; })()`).([]any)
		if top, under := got[0].(float64), got[1].(string); math.Abs(top-y) > 1 || under != c.id {
			t.Errorf("scrolled to %d, the pointer on %s: after a new message its row is at %v px (was %v), and the pointer is on %q", c.scroll, c.id, top, y, under)
		}
	}
	b.screenshot(t, "queue-keeps-place")
	if ex := b.exceptions(); len(ex) > 0 {
		t.Fatalf("uncaught errors or stray logs in the page: %v", ex)
	}
}

// refusingRelay refuses every retry, as a relay does for a message none
// of whose recipients waits any more.
type refusingRelay struct{ *fakeRelay }

func (refusingRelay) RetryNow(ctx context.Context, id string) error {
	return fmt.Errorf("%w: %s is delivered, not waiting; nothing to retry", ErrInvalid, id)
}

// TestBrowserQueueActionsSay: "Retry now" says at once on its row that
// a retry was asked for, then that the relay has it, or why the API
// refused it (an error that stays above the table when the message has
// left the queue, and its row with it); Delete asks about the message by
// its id, sender and first recipients, not "Delete this message from the
// queue?", and says above the table that the message was deleted.
func TestBrowserQueueActionsSay(t *testing.T) {
	now := time.Now().UTC()
	for _, mode := range []string{"ok", "refused", "gone"} {
		t.Run(mode, func(t *testing.T) { queueAction(t, mode, now) })
	}
}

// queueAction clicks Retry now, and Delete, on a message of the queue:
// mode ok, or refused (a relay that refuses the retry), or gone (the
// message left the queue before the click).
func queueAction(t *testing.T, mode string, now time.Time) {
	b := newBrowser(t)
	defer func() {
		if ex := b.exceptions(); len(ex) > 0 {
			t.Errorf("uncaught errors or stray logs in the page: %v", ex)
		}
	}()
	relay := newFakeRelay()
	relay.queue = []QueueEntry{{ID: "act-1", From: "news@shop.test", Subject: "Your \u202eexe.pdf weekly news",
		Recipients: []string{"a@example.test", "b@example.test", "c@example.test", "d@example.test"}, Queued: now, Attempts: 1}}
	opts := Options{Relay: relay}
	if mode == "refused" {
		opts.Relay = refusingRelay{relay}
	}
	s := listen(t, opts)
	b.do(t, chromedp.Navigate("http://"+s.Addr()+"/#/queue"))
	b.waitFor(t, "the queue", `document.querySelector('#queue-table tr[data-id="act-1"] button')`)
	if mode == "gone" {
		relay.mu.Lock()
		relay.queue = nil // delivered meanwhile: its retry is a 404
		relay.mu.Unlock()
	}
	// The note shows as the click returns, before the API answers.
	said := b.eval(t, `(() => { const tr = document.querySelector('#queue-table tr[data-id="act-1"]'); tr.querySelector("button").click(); return tr.querySelector(".act-note")?.textContent ?? "nothing"; })()`).(string)
	if !strings.HasPrefix(said, "Retry asked for at ") {
		t.Errorf("%s: right after Retry now, its row says %q, want \"Retry asked for at …\"", mode, said)
	}
	note := `document.querySelector('#queue-table tr[data-id="act-1"] .act-note')`
	switch mode {
	case "refused":
		b.waitFor(t, "the refusal", note+`?.classList.contains("error")`)
		const want = "The retry was refused: act-1 is delivered, not waiting; nothing to retry."
		if got := b.eval(t, note+`.textContent`).(string); got != want {
			t.Errorf("a refused retry says %q on its row, want %q", got, want)
		}
		if got := b.eval(t, `document.getElementById("queue-note").textContent`).(string); got != "Message act-1: "+want {
			t.Errorf("a refused retry says %q above the table", got)
		}
		return
	case "gone":
		b.waitFor(t, "the 404", note+`?.classList.contains("error")`)
		b.waitFor(t, "the next poll", `!document.querySelector('#queue-table tr[data-id="act-1"]')`)
		if got := b.eval(t, `document.getElementById("queue-said").textContent`).(string); !strings.HasPrefix(got, "Message act-1: The retry found no such message in the queue") ||
			!strings.Contains(got, "it left the queue meanwhile") {
			t.Errorf("after the row of a message that left went, the page says %q", got)
		}
		return
	}
	b.waitFor(t, "the retry's answer", note+`.textContent.includes("the relay tries")`)
	b.screenshot(t, "queue-retry-asked")
	relay.mu.Lock()
	retried := strings.Join(relay.retried, " ")
	relay.mu.Unlock()
	if retried != "act-1" {
		t.Errorf("the relay retried %q, want act-1", retried)
	}

	b.eval(t, `document.querySelector('#queue-table tr[data-id="act-1"] button.danger').click()`)
	asked := wu27Answer(t, b, false)
	for _, w := range []string{"Delete message act-1 from the queue?", "From: news@shop.test", "To: a@example.test, b@example.test, c@example.test and 1 more",
		"Subject: Your ⟨U+202E⟩exe.pdf weekly news", "no bounce goes to the sender"} {
		if !strings.Contains(asked, w) {
			t.Errorf("Delete asks %q, without %q", asked, w)
		}
	}
	relay.mu.Lock()
	deleted := len(relay.deleted)
	relay.mu.Unlock()
	if deleted != 0 {
		t.Fatalf("a delete answered no went through")
	}
	b.eval(t, `document.querySelector('#queue-table tr[data-id="act-1"] button.danger').click()`)
	wu27Answer(t, b, true)
	b.waitFor(t, "the delete", `!document.querySelector('#queue-table tr[data-id="act-1"]')`)
	if got := b.eval(t, `document.getElementById("queue-said").textContent`).(string); !strings.HasPrefix(got, "Message act-1 deleted from the queue at ") {
		t.Errorf("after the delete the page says %q", got)
	}
}
