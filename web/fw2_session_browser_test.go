package web

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/relaylab/relaylab/internal/clock"
)

// fw2ExplainedSink is a faPagingSink whose attempts are explained: every
// one greylisted, with the same reason and advice, but the 250th, whose
// mailbox is full.
type fw2ExplainedSink struct{ *faPagingSink }

func (e fw2ExplainedSink) SessionPage(ctx context.Context, id string, q SessionPageQuery) (SinkSession, error) {
	ss, err := e.faPagingSink.SessionPage(ctx, id, q)
	for i := range ss.Attempts {
		a := &ss.Attempts[i]
		a.Reply, a.Category, a.Reason, a.Advice = "451 4.7.1 greylisted (at rcpt)", "greylisted", "the server greylists unknown senders", "nothing: a relay tries again"
		if a.Recipient == "r250@example.test" {
			a.Reply, a.Category, a.Reason, a.Advice = "452 4.2.2 full (at rcpt)", "mailbox-full", "the mailbox is full", "ask the recipient to make room"
		}
	}
	return ss, err
}

// TestBrowserSessionExplainedOnce: a session of 1,203 deferrals said the
// same reason and advice under each attempt; it is said once above the
// list, each of those attempts saying "explained above", and the one
// attempt explained otherwise keeps its own. Enter on "More attempts"
// left the focus on <body>: it goes to the first attempt it showed.
func TestBrowserSessionExplainedOnce(t *testing.T) {
	b := newBrowser(t)
	ps := fw2ExplainedSink{&faPagingSink{fakeSink: newFakeSink(), n: 1203, m: 0}}
	s := listen(t, Options{Store: openStore(t, clock.Real{}), Sink: ps})
	b.do(t, chromedp.Navigate("http://"+s.Addr()+"/#/sink/sessions/7"))
	items := `document.querySelectorAll("#session-attempts li").length`
	b.waitFor(t, "the first page", items+` === 500`)
	count := func(sel string) any {
		return b.eval(t, `document.querySelectorAll(`+jsString(sel)+`).length`)
	}
	if got := count("#session-attempts li .reason"); got != float64(1) {
		t.Errorf("%v attempts say a reason themselves, want the one mailbox-full", got)
	}
	if got := count("#session-attempts li .explained-ref"); got != float64(499) {
		t.Errorf("%v attempts say \"explained above\", want 499", got)
	}
	got := b.eval(t, `document.getElementById("session-explained").textContent`).(string)
	if strings.Count(got, "the server greylists unknown senders") != 1 || !strings.Contains(got, "(499 attempts)") || !strings.Contains(got, "What to do: nothing: a relay tries again") {
		t.Errorf("the explanation above says %q", got)
	}
	b.eval(t, `document.getElementById("session-attempts-more").focus()`)
	b.do(t, chromedp.KeyEvent(kb.Enter))
	b.waitFor(t, "the second page", items+` === 1000`)
	b.waitFor(t, "the focus on the first new attempt", `document.activeElement.tagName === "LI" && document.activeElement.textContent.startsWith("r501@example.test")`)
	if got := count("#session-attempts li .explained-ref"); got != float64(999) {
		t.Errorf("after More attempts %v attempts say \"explained above\", want 999", got)
	}
	if got := b.eval(t, `document.getElementById("session-explained").textContent`).(string); !strings.Contains(got, "(999 attempts)") {
		t.Errorf("after More attempts the explanation above says %q", got)
	}
	if ex := b.exceptions(); len(ex) > 0 {
		t.Errorf("exceptions: %v", ex)
	}
}
