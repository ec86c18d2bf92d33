package web

import (
	"fmt"
	"math"
	"net/url"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/relaylab/relaylab/internal/clock"
)

// TestWU27InboxBackKeepsPlace: a reader who searched the Inbox, read on
// with Older messages, and opened a message far down comes back, by the
// message page's "Back to the inbox" and by the browser's Back, to the
// same search with as many rows read, the row they opened where it was
// on the screen and the focus on its link. Before, the way back was the
// Inbox's first 50 rows from the top, the focus on the heading. Opened
// from the header instead, the Inbox starts at its top.
func TestWU27InboxBackKeepsPlace(t *testing.T) {
	b := fu2Browser(t)
	st := openStore(t, clock.Real{})
	var rows []inboxRow
	for i := int64(1); i <= 130; i++ {
		rows = append(rows, inboxRow{id: i, session: 1, from: "shop@shop.test", rcpts: "bob@example.test", code: 250, text: "ok",
			raw: fmt.Sprintf("From: shop@shop.test\r\nTo: bob@example.test\r\nSubject: order %d\r\n\r\nhi\r\n", i)})
	}
	rows[0].raw = "From: shop@shop.test\r\nTo: bob@example.test\r\nSubject: invoice\r\n\r\nhi\r\n" // not found by the search
	addInbox(t, st, rows...)
	s := listen(t, Options{Store: st, Sink: &storeSink{fakeSink: newFakeSink(), st: st}})
	search := "#/inbox/search/" + url.PathEscape("subject:order")
	b.do(t, chromedp.Navigate("http://"+s.Addr()+"/"+search))
	count := `document.querySelectorAll("#inbox-rows tr").length`
	b.waitFor(t, "the first page", count+` === 50`)
	for _, n := range []int{100, 129} {
		b.eval(t, `document.getElementById("inbox-older").click()`)
		b.waitFor(t, "the next page", fmt.Sprintf("%s === %d", count, n))
	}
	row := `document.querySelector('#inbox-rows tr[data-id="20"]')`
	top := func() float64 { return b.eval(t, row+`.getBoundingClientRect().top`).(float64) }
	b.eval(t, row+`.scrollIntoView({ block: "center" })`)
	was := top()
	b.eval(t, row+`.querySelector('td[data-label="subject"] a').click()`)
	b.waitFor(t, "the message's page", `location.hash === "#/sink/messages/20" && document.querySelector("#msg-back a")`)

	back := func(how, js string) {
		t.Helper()
		b.eval(t, js)
		b.waitFor(t, how+": the search, read as far as before", `location.hash === `+fmt.Sprintf("%q", search)+` && `+count+` === 129 && document.activeElement === `+row+`.querySelector("a")`)
		if now := top(); math.Abs(now-was) > 2 {
			t.Errorf("%s: the row opened is at %.0f px from the top, want %.0f as before", how, now, was)
		}
	}
	back("Back to the inbox", `document.querySelector("#msg-back a").click()`)
	b.eval(t, row+`.querySelector('td[data-label="subject"] a').click()`)
	b.waitFor(t, "the message's page", `location.hash === "#/sink/messages/20"`)
	back("the browser's Back", `history.back()`)

	// From the header, the Inbox starts at its top, its first page.
	b.eval(t, `document.querySelector('#nav a[href="#/inbox"]').click()`)
	b.waitFor(t, "the inbox", `location.hash === "#/inbox" && `+count+` === 50`)
	if y := b.eval(t, `window.scrollY`); y != float64(0) {
		t.Errorf("the Inbox opened from the header is scrolled to %v, want its top", y)
	}
	if ex := b.exceptions(); len(ex) > 0 {
		t.Fatalf("uncaught errors or stray logs in the page: %v", ex)
	}
}
