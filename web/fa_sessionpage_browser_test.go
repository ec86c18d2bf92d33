package web

import (
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/relaylab/relaylab/internal/clock"
)

// TestBrowserFASessionMore: the page of a session with 1,203 attempts
// shows the first 500, says "500 of 1203 attempts shown", and its "More
// attempts" button appends the next pages, in order, until it has them
// all, when the note and the button go; a session's few messages need
// no button. It rendered every attempt at once before.
func TestBrowserFASessionMore(t *testing.T) {
	b := newBrowser(t)
	ps := &faPagingSink{fakeSink: newFakeSink(), n: 1203, m: 3}
	s := listen(t, Options{Store: openStore(t, clock.Real{}), Sink: ps})
	b.do(t, chromedp.Navigate("http://"+s.Addr()+"/#/sink/sessions/7"))
	items := `document.querySelectorAll("#session-attempts li").length`
	state := `[` + items + `, document.getElementById("session-attempts-note").textContent.trim(), document.getElementById("session-attempts-more").hidden].join(" | ")`
	b.waitFor(t, "the first page", items+` === 500`)
	if got := b.eval(t, state); got != "500 | 500 of 1203 attempts shown, oldest first: More attempts shows the next 500 | false" {
		t.Errorf("the first page: %v", got)
	}
	if got := b.eval(t, `[document.querySelectorAll("#session-messages a").length, document.getElementById("session-messages-more").hidden, document.getElementById("session-messages-note").textContent].join(" | ")`); got != "3 | true | " {
		t.Errorf("the messages: %v, want 3, no button and no note", got)
	}
	b.do(t, chromedp.Click("#session-attempts-more"))
	b.waitFor(t, "the second page", items+` === 1000`)
	if got := b.eval(t, state); got != "1000 | 1000 of 1203 attempts shown, oldest first: More attempts shows the next 203 | false" {
		t.Errorf("after one More attempts: %v", got)
	}
	b.do(t, chromedp.Click("#session-attempts-more"))
	b.waitFor(t, "every attempt", items+` === 1203`)
	if got := b.eval(t, state); got != "1203 |  | true" {
		t.Errorf("after the last page: %v, want no note and no button", got)
	}
	order := `(() => { const l = [...document.querySelectorAll("#session-attempts li")]; return l.every((li, i) => li.textContent.startsWith("r" + (i + 1) + "@example.test")); })()`
	if ok, _ := b.eval(t, order).(bool); !ok {
		t.Errorf("the attempts are not r1 to r1203 in order")
	}
	if ex := b.exceptions(); len(ex) > 0 {
		t.Errorf("exceptions: %v", ex)
	}
}
