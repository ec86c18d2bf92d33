package web

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserFW3RestsAndRemoveAll: the Queue page lists a resting
// destination with its end, its cause and how much mail it holds, and
// "End the rest now" asks first, then ends it and says what follows; the
// suppression list's "Remove all" asks, saying what it does, then empties
// the list. Before, no page showed a rest or ended one, and the list's
// only button removed one address at a time.
func TestBrowserFW3RestsAndRemoveAll(t *testing.T) {
	b := fu2Browser(t)
	f := fw3Rests()
	f.sup = []Suppression{{Address: "rcpt550+a@example.test", Reason: "invalid-recipient: 550 5.1.1", Since: time.Date(2026, 11, 30, 13, 0, 0, 0, time.UTC)},
		{Address: "rcpt550+b@example.test", Reason: "invalid-recipient: 550 5.1.1", Since: time.Date(2026, 11, 30, 13, 0, 0, 0, time.UTC)}}
	s := listen(t, Options{Relay: f})
	b.do(t, chromedp.Navigate("http://"+s.Addr()+"/#/queue"))
	b.waitFor(t, "the rest's row", `document.querySelectorAll("#rest-rows tr").length === 1 && !document.getElementById("queue-rests").hidden`)
	row := b.eval(t, `document.querySelector("#rest-rows tr").innerText.replace(/\s+/g, " ")`).(string)
	for _, want := range []string{"path:local-sink:example.test", "3 recipient(s)", "Deferred on request", "End the rest now"} {
		if !strings.Contains(row, want) {
			t.Errorf("the rest's row %q lacks %q", row, want)
		}
	}
	b.eval(t, `document.querySelector("#rest-rows button.rest-end").click()`)
	asked := wu27Answer(t, b, true)
	b.waitFor(t, "the rest ended", `document.getElementById("queue-rests").hidden && /ended at/.test(document.getElementById("rest-said").textContent)`)
	if !strings.Contains(asked, "End the rest of path:local-sink:example.test now?") || !strings.Contains(asked, "3 waiting recipient(s)") {
		t.Errorf("the end of a rest asked %q, want the destination and the mail it holds", asked)
	}
	if len(f.ended) != 1 {
		t.Errorf("rests ended %q, want one", f.ended)
	}

	b.waitFor(t, "Remove all", `!document.getElementById("suppression-clear").hidden`)
	b.eval(t, `document.getElementById("suppression-clear").click()`)
	asked = wu27Answer(t, b, true)
	b.waitFor(t, "the list emptied", `!document.getElementById("suppression-empty").hidden && document.getElementById("suppression-clear").hidden`)
	if !strings.Contains(asked, "Remove all 2 address(es) from the suppression list?") || !strings.Contains(asked, "sends mail to every one of them again") {
		t.Errorf("Remove all asked %q, want how many and what it does", asked)
	}
	if said := b.eval(t, `document.getElementById("suppression-said").textContent`).(string); !strings.Contains(said, "2 address(es) removed") {
		t.Errorf("after Remove all the page says %q", said)
	}
	if ex := b.exceptions(); len(ex) > 0 {
		t.Fatalf("uncaught errors or stray logs in the page: %v", ex)
	}
}
