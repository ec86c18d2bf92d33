package web

import (
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserQueueTotal: the Queue page, shown 200 of 900 waiting
// messages, says "900 messages waiting (200 shown, newest first)",
// instead of "500 message(s) waiting"; from a relay that cannot count its
// messages, that more than 500 wait and how many recipients; a queue
// shown whole, how many messages it holds.
func TestBrowserQueueTotal(t *testing.T) {
	b := newBrowser(t)
	for _, c := range []struct {
		name  string
		relay RelayAPI
		rows  int
		want  string
	}{
		{"counted", &countingRelay{fakeRelay: longQueue(900, 1400)}, 200, "900 messages waiting (200 shown, newest first)"},
		{"uncounted", longQueue(900, 1400), 200, "More than 200 messages waiting, to 1400 recipients in all (200 shown, newest first)"},
		{"whole", longQueue(1, 1), 1, "1 message waiting"},
	} {
		s := listen(t, Options{Relay: c.relay})
		b.do(t, chromedp.Navigate("http://"+s.Addr()+"/#/queue"))
		b.waitFor(t, "the queue of "+c.name, `document.querySelectorAll("#queue-table tbody tr").length > 0 && document.getElementById("queue-note").textContent !== ""`)
		if got := b.eval(t, `document.getElementById("queue-note").textContent`); got != c.want {
			t.Errorf("%s: the Queue page says %q, want %q", c.name, got, c.want)
		}
		if got := b.eval(t, `document.querySelectorAll("#queue-table tbody tr").length`); got != float64(c.rows) {
			t.Errorf("%s: the Queue page shows %v rows, want %d", c.name, got, c.rows)
		}
	}
	b.screenshot(t, "queue-total")
	if ex := b.exceptions(); len(ex) > 0 {
		t.Fatalf("uncaught errors or stray logs in the page: %v", ex)
	}
}
