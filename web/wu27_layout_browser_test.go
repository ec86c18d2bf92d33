package web

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/events"
)

// TestWU27MessagesCardLabels: on a phone, where the Messages table is
// cards with no header row, every cell says what it is, the time it was
// queued, the message's id and its recipients as well as its sender and
// subject. Before, the queued time, the id and the recipients' states
// stood unlabelled.
func TestWU27MessagesCardLabels(t *testing.T) {
	b := fu2Browser(t)
	st := openStore(t, clock.Real{})
	appendEvents(t, st, events.Event{Kind: events.RelayQueued, Message: "m-1", Recipient: "a@example.test"}.WithPayload(map[string]any{"sender": "app@shop.test", "subject": "Hello"}))
	s := listen(t, Options{Store: st})
	b.do(t, chromedp.EmulateViewport(400, 800))
	defer b.do(t, chromedp.ResetViewport())
	b.do(t, chromedp.Navigate("http://"+s.Addr()+"/#/messages"))
	b.waitFor(t, "the list", `document.querySelector('#messages-rows tr[data-id="m-1"]')`)
	got := b.eval(t, `[...document.querySelector('#messages-rows tr').cells].map((td) => getComputedStyle(td, "::before").content).join(" ")`)
	if want := `"queued: " "message: " "from: " "subject: " "recipients: "`; got != want {
		t.Errorf("the card's labels are %v, want %s", got, want)
	}
}

// TestWU27QueueActionsNarrow: as a table (1,280 px) the Queue's buttons
// stand on one line while the rows' replies are short, and, beside long
// replies (a server's paragraph, as Gmail's 550 is), one under the other,
// a column narrower than the three on one line and than the reply; at
// 800 px, as cards, the buttons stay on the screen. Before, Retry now,
// Delete and Hold stood on one line whatever the reply, a column of 240
// px beside a reply squeezed to a few words a line.
func TestWU27QueueActionsNarrow(t *testing.T) {
	b := fu2Browser(t)
	short, long := fw2Queue(3), fw2Queue(3)
	for i := range long.queue {
		long.queue[i].Waiting[0].LastReply.Text = longReply
	}
	measure := `(() => { const td = document.querySelector("#queue-table td.actions"), pad = 2 * parseFloat(getComputedStyle(td).paddingLeft);
		const bs = [...td.querySelectorAll("button")].filter((x) => !x.hidden), sum = bs.reduce((n, x) => n + x.getBoundingClientRect().width, 0);
		const reply = document.querySelector("#queue-table td.reply").getBoundingClientRect().width;
		const lines = new Set(bs.map((x) => Math.round(x.getBoundingClientRect().top))).size;
		const onScreen = bs.every((x) => x.getBoundingClientRect().right <= window.innerWidth);
		return { cell: Math.round(td.getBoundingClientRect().width - pad), sum: Math.round(sum), reply: Math.round(reply), lines, onScreen }; })()`
	defer b.do(t, chromedp.ResetViewport())
	for _, c := range []struct {
		name  string
		relay *fakeRelay
	}{{"short replies", short}, {"long replies", long}} {
		s := listen(t, Options{Relay: c.relay})
		b.do(t, chromedp.Navigate("http://"+s.Addr()+"/#/queue"))
		for _, w := range []int64{1280, 800} {
			b.do(t, chromedp.EmulateViewport(w, 900))
			b.waitFor(t, "the queue", `document.querySelectorAll("#queue-table td.actions button").length >= 9 && window.innerWidth === `+fmt.Sprint(w))
			got := b.eval(t, measure).(map[string]any)
			t.Logf("%s at %d px: %v", c.name, w, got)
			if got["onScreen"] != true {
				t.Errorf("%s at %d px: a button of the queue is off the screen: %v", c.name, w, got)
			}
			if w < 1100 {
				continue
			}
			cell, sum, reply := got["cell"].(float64), got["sum"].(float64), got["reply"].(float64)
			switch {
			case c.relay == short && got["lines"] != float64(1):
				t.Errorf("%s at %d px: the buttons are on %v lines, want one (the rows as low as they can be): %v", c.name, w, got["lines"], got)
			case c.relay == long && (cell >= sum || reply <= cell):
				t.Errorf("%s at %d px: the column of buttons is %v px wide, want less than the buttons on one line (%v px) and than the reply (%v px)", c.name, w, cell, sum, reply)
			}
		}
		b.screenshot(t, "wu27-queue-actions-"+strings.Fields(c.name)[0])
	}
}
