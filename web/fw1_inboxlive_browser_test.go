package web

import (
	"context"
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/sink"
)

// TestBrowserInboxDropsDeleted: an open Inbox follows deletions made
// elsewhere (another tab, curl, relaylab sink clear): the rows of the
// messages a sink.deleted names go and the count follows, and a clear's
// sink.reset empties the list. It kept them until reloaded.
func TestBrowserInboxDropsDeleted(t *testing.T) {
	b := newBrowser(t)
	ctx := context.Background()
	st := openStore(t, clock.Real{})
	sk := &storeSink{fakeSink: newFakeSink(), st: st}
	for i := range 4 {
		addSinkRaw(t, st, int64(i+1), "bob@shop.test", fmt.Sprintf("From: a@shop.test\r\nTo: bob@shop.test\r\nSubject: order %d\r\n\r\nhi\r\n", i+1))
	}
	s := listen(t, Options{Store: st, Sink: sk})

	b.do(t, chromedp.Navigate("http://"+s.Addr()+"/#/inbox"))
	b.waitFor(t, "the inbox", `document.querySelectorAll("#inbox-rows tr").length === 4 && document.getElementById("status").textContent.includes("live")`)
	if _, err := sink.DeleteMessages(ctx, st, []int64{2, 3}); err != nil {
		t.Fatal(err)
	}
	b.waitFor(t, "messages 2 and 3 gone", `[...document.querySelectorAll("#inbox-rows tr")].map((tr) => tr.dataset.id).join(",") === "4,1"`)
	b.waitFor(t, "the count", `document.getElementById("inbox-note").textContent === "2 shown of 2 received"`)

	if _, err := sink.Clear(ctx, st); err != nil {
		t.Fatal(err)
	}
	b.waitFor(t, "the cleared inbox", `document.querySelectorAll("#inbox-rows tr").length === 0 && !document.getElementById("inbox-empty").hidden`)
}
