package web

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserInboxCopies: the Inbox marks a later copy of a message from
// the same sender (copy 2 of 2 of <Message-ID>, the sender delivered it
// again), and so does the message's page; a single message has no mark.
func TestBrowserInboxCopies(t *testing.T) {
	b, st, _, sink, base := browserUI(t)
	addCopy(t, st, 1, "x@s.test", "a@s.test")
	addCopy(t, st, 2, "x@s.test", "b@s.test")
	addCopy(t, st, 3, "x@s.test", "a@s.test")
	sink.mu.Lock()
	sink.msgs["3"] = MessageDetail{ID: "3", From: "x@s.test", Subject: "again"}
	sink.mu.Unlock()
	b.do(t, chromedp.Navigate(base+"/#/inbox"))
	b.waitFor(t, "the inbox", `document.querySelectorAll("#inbox-rows tr").length === 3`)
	marks := b.eval(t, `[...document.querySelectorAll("#inbox-rows tr")].map((tr) => tr.dataset.id + ":" + (tr.querySelector(".copy-note") || {textContent: ""}).textContent).join(" | ")`).(string)
	want := "3:copy 2 of 2 of <a@s.test>: the sender delivered it again, likely after a dropped connection or lost 250 | 2: | 1:copy 1 of 2 of <a@s.test>: the sender delivered it again later (1 more copy)"
	if marks != want {
		t.Errorf("the Inbox marks %q, want %q", marks, want)
	}
	b.do(t, chromedp.Navigate(base+"/#/sink/messages/3"))
	b.waitFor(t, "the message's page", `document.querySelector(".copy-note")`)
	if got := b.eval(t, `document.querySelector(".copy-note").textContent`).(string); !strings.HasPrefix(got, "copy 2 of 2 of <a@s.test>: the sender delivered it again") {
		t.Errorf("the message's page says %q", got)
	}
	if ex := b.exceptions(); len(ex) > 0 {
		t.Fatalf("uncaught errors or stray logs in the page: %v", ex)
	}
}
