package web

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/relaylab/relaylab/internal/events"
)

// TestBrowserQueuePaging: the Queue page shows 200 messages a page and
// says how many wait in all and which end it shows; Older and Newer
// page through the rest (the oldest were out of reach: it asked for the
// newest 500 and called them "the first 500"), oldest first at a click,
// and a poll keeps the page; a filter that starts with @ is a domain,
// any other a part of a recipient's address; the state select has held.
func TestBrowserQueuePaging(t *testing.T) {
	b := newBrowser(t)
	p := &pagingRelay{fakeRelay: fw2Queue(450)}
	s := listen(t, Options{Relay: p})
	asked := func() QueueFilter {
		p.mu.Lock()
		defer p.mu.Unlock()
		return p.asked
	}
	rows := `document.querySelectorAll("#queue-table tbody tr").length`
	first := `document.querySelector("#queue-table tbody tr").dataset.id`
	note := `document.getElementById("queue-note").textContent`
	b.do(t, chromedp.Navigate("http://"+s.Addr()+"/#/queue"))
	b.waitFor(t, "the first page", rows+` === 200`)
	if got := b.eval(t, note); got != "450 messages waiting (200 shown, newest first)" {
		t.Errorf("the note says %q", got)
	}
	if got := b.eval(t, `[document.getElementById("queue-newer").hidden, document.getElementById("queue-older").hidden].join()`); got != "true,false" {
		t.Errorf("on the first page, newer/older hidden: %v, want Older alone", got)
	}
	// Older by the keyboard, twice: to the last page, whose Older goes;
	// the focus moves to Newer rather than to <body>.
	for i, want := range []string{"q-200", "q-400"} {
		b.eval(t, `document.getElementById("queue-older").focus()`)
		b.do(t, chromedp.KeyEvent(kb.Enter))
		b.waitFor(t, "older page "+want, first+` === "`+want+`"`)
		if i == 1 {
			b.waitFor(t, "the last page's rows", rows+` === 50`)
		}
	}
	if got := b.eval(t, `document.activeElement.id`); got != "queue-newer" {
		t.Errorf("at the last page the focus is on %q, want queue-newer", got)
	}
	// A poll asks for the same page again.
	p.mu.Lock()
	before := p.pages
	p.mu.Unlock()
	waitUntil(t, "a poll", func() bool { p.mu.Lock(); defer p.mu.Unlock(); return p.pages > before })
	if f := asked(); f.After != "q-399" {
		t.Errorf("the poll asked for %+v, want the page after q-399 still", f)
	}
	b.eval(t, `document.getElementById("queue-newer").click()`)
	b.waitFor(t, "back a page", first+` === "q-200"`)

	// Oldest first: the mail stuck longest on top.
	b.eval(t, `document.getElementById("queue-order").click()`)
	b.waitFor(t, "oldest first", first+` === "q-449"`)
	if got := b.eval(t, note); got != "450 messages waiting (200 shown, oldest first)" {
		t.Errorf("oldest first, the note says %q", got)
	}
	b.eval(t, `document.getElementById("queue-older").hidden || document.getElementById("queue-older").click()`)
	if got := b.eval(t, `document.getElementById("queue-older").hidden`); got != true {
		t.Errorf("oldest first, the first page offers Older")
	}
	b.eval(t, `document.getElementById("queue-newer").click()`)
	b.waitFor(t, "newer, oldest first", first+` === "q-249"`)

	for _, c := range []struct{ text, domain, rcpt string }{{"@r.test", "@r.test", ""}, {"r.test", "", "r.test"}, {"rq-007@r.test", "", "rq-007@r.test"}} {
		b.eval(t, `(() => { const i = document.getElementById("queue-find"); i.value = `+jsString(c.text)+`; i.form.requestSubmit(); return true; })()`)
		waitUntil(t, "the filter "+c.text, func() bool {
			f := asked()
			return f.Domain == c.domain && f.Recipient == c.rcpt && f.After == "" && f.Before == ""
		})
	}
	b.waitFor(t, "one match", rows+` === 1`)
	// The note may be drawn after the rows: wait for it as for them.
	b.waitFor(t, "the one match's note", note+` === "1 message matches"`)
	b.eval(t, `(() => { const s = document.getElementById("queue-state"); s.value = "held"; s.dispatchEvent(new Event("change")); return true; })()`)
	b.waitFor(t, "no held message", note+` === "No message has a recipient held by hand whose address contains \u201crq-007@r.test\u201d (in any case; the box looks at recipients, not at the sender)."`)
	if f := asked(); f.State != "held" {
		t.Errorf("the state select asked state %q, want held", f.State)
	}
	if ex := b.exceptions(); len(ex) > 0 {
		t.Fatalf("uncaught errors or stray logs in the page: %v", ex)
	}
}

// TestBrowserQueueHold: a waiting recipient's Hold asks, in the page's
// dialog, for an optional note (Cancel holds nothing and gives the focus
// back to Hold), then the row says who held it, since when and the
// note, with a Release that has the focus; Release asks first, as Delete
// does, and the row waits again.
func TestBrowserQueueHold(t *testing.T) {
	b := fu2Browser(t)
	p := &pagingRelay{fakeRelay: fw2Queue(3)}
	s := listen(t, Options{Relay: p})
	row := `document.querySelector('#queue-table tr[data-id="q-001"]')`
	heading := `document.getElementById("ask-dialog-title").textContent`
	b.do(t, chromedp.Navigate("http://"+s.Addr()+"/#/queue"))
	b.waitFor(t, "the queue", row)
	b.eval(t, `(() => { const btn = `+row+`.querySelector("button.hold-act"); btn.focus(); btn.click(); return true; })()`)
	b.waitFor(t, "the Hold dialog", `document.querySelector("dialog#ask-dialog").open`)
	if got := b.eval(t, heading).(string); got != "Hold rq-001@r.test of message q-001?" {
		t.Errorf("Hold asked %q", got)
	}
	if got := b.eval(t, `document.querySelector('label[for="ask-note"]').textContent`).(string); !strings.Contains(got, "Note") {
		t.Errorf("the note's box is labelled %q", got)
	}
	b.eval(t, `document.querySelector("dialog#ask-dialog #ask-dialog-cancel").click()`)
	b.waitFor(t, "the dialog closed, the focus on Hold", `!document.querySelector("dialog#ask-dialog").open && document.activeElement === `+row+`.querySelector("button.hold-act")`)
	p.mu.Lock()
	n := len(p.holds)
	p.mu.Unlock()
	if n != 0 {
		t.Fatalf("a cancelled Hold held: %v", p.holds)
	}
	b.eval(t, `(() => { const btn = `+row+`.querySelector("button.hold-act"); btn.focus(); return true; })()`)
	b.do(t, chromedp.KeyEvent(kb.Enter))
	b.waitFor(t, "the Hold dialog again", `document.querySelector("dialog#ask-dialog").open && document.activeElement.id === "ask-note"`)
	b.do(t, chromedp.SendKeys("#ask-note", "waiting for DNS"))
	b.eval(t, `document.querySelector("dialog#ask-dialog #ask-dialog-yes").click()`)
	b.waitFor(t, "the hold shown", row+`.textContent.includes("Held by the web API since")`)
	if got := b.eval(t, row+`.textContent`).(string); !strings.Contains(got, "(waiting for DNS)") || !strings.Contains(got, "held by hand") || !strings.Contains(got, "when released") {
		t.Errorf("the held row says %q", got)
	}
	b.waitFor(t, "the focus on Release", `document.activeElement.textContent === "Release" && document.activeElement.dataset.rcpt === "rq-001@r.test"`)
	b.eval(t, `document.activeElement.click()`)
	asked := wu27Answer(t, b, true)
	b.waitFor(t, "released", `!`+row+`.textContent.includes("Held by") && `+row+`.querySelector("button.hold-act").textContent === "Hold"`)
	if got := asked; !strings.Contains(got, "Release rq-001@r.test of message q-001?") || !strings.Contains(got, "(waiting for DNS)") {
		t.Errorf("Release asked %q", got)
	}
	p.mu.Lock()
	got := strings.Join(p.holds, "|")
	p.mu.Unlock()
	if want := "hold q-001 rq-001@r.test the web API waiting for DNS|release q-001 rq-001@r.test the web API"; got != want {
		t.Errorf("the relay was asked %q, want %q", got, want)
	}
	if ex := b.exceptions(); len(ex) > 0 {
		t.Fatalf("uncaught errors or stray logs in the page: %v", ex)
	}
}

// waitUntil waits for cond; the timeout only ends a hang.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); !cond(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: never happened", what)
		}
	}
}

// TestBrowserFeedHolds: a hold by hand and its release are rows of the
// feed, each under its own box, saying who held it and the note, and who
// released it (the reason's "put on hold by hand by ..." not repeated,
// nor the next attempt the hold put off).
func TestBrowserFeedHolds(t *testing.T) {
	b, st, _, _, base := browserUI(t)
	appendEvents(t, st,
		events.Event{Kind: events.RelayHeld, Message: "m-1", Recipient: "b@r.test"}.WithPayload(map[string]any{
			"by": "relaylab queue hold, user alice", "note": "bad DNS", "reason": "put on hold by hand by relaylab queue hold, user alice",
			"next_attempt": "2026-11-30T03:00:00Z"}),
		events.Event{Kind: events.RelayReleased, Message: "m-1", Recipient: "b@r.test"}.WithPayload(map[string]any{
			"by": "the web API", "reason": "released from hold by the web API"}))
	b.do(t, chromedp.Navigate(base+"/#/feed"))
	b.waitFor(t, "the feed", `document.querySelectorAll("#feed-rows tr").length === 2`)
	got := b.eval(t, `[...document.querySelectorAll("#feed-rows tr")].map((tr) => tr.lastElementChild.textContent).join(" | ")`).(string)
	if want := "released by the web API | held by relaylab queue hold, user alice: bad DNS"; got != want {
		t.Errorf("the feed's details: %q, want %q", got, want)
	}
	for _, k := range []string{"relay.held", "relay.released"} {
		if got := b.eval(t, `!!document.querySelector('input[data-kind="`+k+`"]')?.checked`); got != true {
			t.Errorf("the feed has no box, checked, for %s", k)
		}
	}
	if ex := b.exceptions(); len(ex) > 0 {
		t.Fatalf("uncaught errors or stray logs in the page: %v", ex)
	}
}
