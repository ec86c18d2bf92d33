package web

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/relaylab/relaylab/internal/clock"
)

// TestBrowserSinkDelete: a received message's page deletes it after a
// confirmation (none: nothing deleted); the Inbox's button deletes the
// messages a search finds, and without a search clears the inbox.
func TestBrowserSinkDelete(t *testing.T) {
	b := newBrowser(t)
	st := openStore(t, clock.Real{})
	sk := &storeSink{fakeSink: newFakeSink(), st: st}
	for i, to := range []string{"bob@shop.test", "carol@shop.test", "bob@shop.test", "carol@shop.test"} {
		addSinkRaw(t, st, int64(i+1), to, fmt.Sprintf("From: a@shop.test\r\nTo: %s\r\nSubject: order %d\r\n\r\nhi\r\n", to, i+1))
	}
	sk.msgs["2"] = MessageDetail{ID: "2", From: "a@shop.test", To: []string{"carol@shop.test"}, Subject: "order 2"}
	s := listen(t, Options{Store: st, Sink: sk})
	base := "http://" + s.Addr()

	b.do(t, chromedp.Navigate(base+"/#/sink/messages/2"))
	b.waitFor(t, "the Delete button", `!document.getElementById("msg-delete").hidden`)
	b.eval(t, `document.getElementById("msg-delete").click()`)
	if q := wu27Answer(t, b, false); !strings.Contains(fmt.Sprint(q), "Delete received message 2?") || !strings.Contains(fmt.Sprint(q), "Subject: order 2") {
		t.Errorf("the confirmation asked %q", q)
	}
	if held := heldIDs(t, st); held != "1,2,3,4" {
		t.Errorf("after a Delete not confirmed, the sink holds %s; want 1,2,3,4", held)
	}
	b.eval(t, `document.getElementById("msg-delete").click()`)
	wu27Answer(t, b, true)
	b.waitFor(t, "the deleted note", `document.getElementById("msg-deleted") !== null`)
	if held := heldIDs(t, st); held != "1,3,4" {
		t.Errorf("after the Delete, the sink holds %s; want 1,3,4", held)
	}

	b.do(t, chromedp.Navigate(base+"/#/inbox/search/"+url.PathEscape("to:carol@shop.test")))
	b.waitFor(t, "the search", `document.querySelectorAll("#inbox-rows tr").length === 1`)
	b.eval(t, `document.getElementById("inbox-clear").click()`)
	asked := wu27Answer(t, b, true)
	b.waitFor(t, "the search's deletion", `document.getElementById("inbox-clear-note").textContent.startsWith("Deleted 1 message")`)
	if held := heldIDs(t, st); held != "1,3" || !strings.Contains(asked, "to:carol@shop.test") {
		t.Errorf("after deleting what to:carol@shop.test finds, the sink holds %s (want 1,3); asked %q", held, asked)
	}
	if n := b.eval(t, `document.querySelectorAll("#inbox-rows tr").length`); n != float64(0) {
		t.Errorf("the search still lists %v rows", n)
	}

	b.do(t, chromedp.Navigate(base+"/#/inbox"))
	b.waitFor(t, "the inbox", `document.querySelectorAll("#inbox-rows tr").length === 2`)
	b.eval(t, `document.getElementById("inbox-clear").click()`)
	wu27Answer(t, b, true)
	b.waitFor(t, "the clear", `document.getElementById("inbox-clear-note").textContent.startsWith("Deleted")`)
	if held := heldIDs(t, st); held != "" || sk.clears != 1 {
		t.Errorf("after Clear the inbox, the sink holds %q after %d clears; want none after one", held, sk.clears)
	}
	if n := b.eval(t, `document.querySelectorAll("#inbox-rows tr").length`); n != float64(0) {
		t.Errorf("the inbox still lists %v rows", n)
	}
}
