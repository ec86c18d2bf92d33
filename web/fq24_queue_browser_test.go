package web

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserQueueFinishedAndNotBegun: under the "all" filter the Queue
// page shows a message's finished recipients, which the API lists under
// finished, each on its own row with its state and last reply, beside
// those still waiting; a message whose recipients are all finished
// offers no retry or delete. A recipient waiting for its turn at the
// relay's shaping (not_begun) reads "in flight" and "not begun", with
// its wait and "no connection is made for it yet" as relaylab queue show
// says it, not as a hold of the relay's shaping.
func TestBrowserQueueFinishedAndNotBegun(t *testing.T) {
	b := fu2Browser(t)
	s := listen(t, Options{Relay: fq24Queue()})
	b.do(t, chromedp.Navigate("http://"+s.Addr()+"/#/queue"))
	b.waitFor(t, "the queue", `document.querySelectorAll("#queue-table tbody tr[data-id]").length === 3`)
	b.eval(t, `(() => { const s = document.getElementById("queue-state"); s.value = "all"; s.dispatchEvent(new Event("change")); return true; })()`)
	// A message's first recipient shares the message's row.
	row := func(rcpt string) string {
		return `[...document.querySelectorAll("#queue-table tbody tr")].find((tr) => tr.querySelector('td[data-label="to"]')?.textContent === "` + rcpt + `")`
	}
	b.waitFor(t, "the finished recipients' rows", row("gone@r.test")+` && `+row("got@r.test"))

	text := func(rcpt string) string {
		return b.eval(t, row(rcpt)+`.innerText.replace(/\s+/g, " ")`).(string)
	}
	if got := b.eval(t, row("gone@r.test")+`.querySelector(".badge.s-bounced") !== null`); got != true {
		t.Errorf("the bounced recipient's row has no bounced badge: %q", text("gone@r.test"))
	}
	if got := text("gone@r.test"); !strings.Contains(got, "550 5.1.1 no such user") || !strings.Contains(got, "invalid-recipient") || !strings.Contains(got, "remove the address from the list") {
		t.Errorf("the bounced recipient's row: %q, want its 550, category and advice", got)
	}
	if got := text("late@r.test"); !strings.Contains(got, "deferred") || !strings.Contains(got, "greylisted") {
		t.Errorf("the waiting recipient beside it: %q", got)
	}
	if got := text("got@r.test"); !strings.Contains(got, "delivered") || !strings.Contains(got, "250 ok") {
		t.Errorf("the delivered recipient's row: %q, want delivered and its 250", got)
	}
	// The buttons a message's row shows: none to retry or delete mail
	// that is all finished.
	for id, want := range map[string]string{"q-done": "", "q-mixed": "Retry now,Delete"} {
		got := b.eval(t, `[...document.querySelectorAll('#queue-table tbody tr[data-id="`+id+`"] td.actions > button')].filter((x) => !x.hidden).map((x) => x.textContent).join(",")`)
		if got != want {
			t.Errorf("%s shows the buttons %q, want %q", id, got, want)
		}
	}

	turn := text("turn@r.test")
	badges := b.eval(t, `[...`+row("turn@r.test")+`.querySelectorAll(".badge")].map((x) => x.textContent).join(",")`).(string)
	if !strings.HasPrefix(badges, "inflight,not begun") {
		t.Errorf("the recipient waiting for its turn has badges %q, want inflight and not begun", badges)
	}
	for _, want := range []string{"Not begun: waiting for its turn in the rate of destination path:smart", "attempt 1 begins then (no connection is made for it yet)",
		"not begun: no connection made for it yet"} {
		if !strings.Contains(turn, want) {
			t.Errorf("the recipient waiting for its turn: %q, want %q in it", turn, want)
		}
	}
	if strings.Contains(turn, "Held by the relay's shaping") || strings.Contains(turn, "sending now") || strings.Contains(turn, "held by shaping") {
		t.Errorf("the recipient waiting for its turn reads as held or being sent: %q", turn)
	}
	if ex := b.exceptions(); len(ex) > 0 {
		t.Fatalf("uncaught errors or stray logs in the page: %v", ex)
	}
}
