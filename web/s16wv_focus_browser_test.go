package web

import (
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// TestBrowserSearchKeepsFocus: a search submitted from the Inbox's box,
// by Enter or by its button, keeps the focus in the box of the page it
// leads to, its caret after the text, for the next search; a link still
// takes the focus to the new page's h1.
func TestBrowserSearchKeepsFocus(t *testing.T) {
	b, st, _, _, base := browserUI(t)
	addInbox(t, st, inboxMessages()...)
	b.do(t, chromedp.Navigate(base+"/#/inbox"))
	b.waitFor(t, "the inbox", `document.querySelector("#inbox-rows tr a")`)
	focus := `(() => { const f = document.activeElement; return f.id + " " + f.value + " " + f.selectionStart + " " + (f.dataset.old ?? "new"); })()`

	b.eval(t, `(() => { const q = document.getElementById("inbox-q"); q.dataset.old = "old"; q.focus(); })()`)
	b.do(t, chromedp.KeyEvent("is:accepted"), chromedp.KeyEvent(kb.Enter))
	b.waitFor(t, "the search's page", `location.hash.includes("search") && document.getElementById("inbox-q").dataset.old === undefined`)
	if got := b.eval(t, focus); got != "inbox-q is:accepted 11 new" {
		t.Errorf("after Enter in the search box: the focus on %q, want the new page's box, its caret after the text", got)
	}

	b.eval(t, `(() => { const q = document.getElementById("inbox-q"); q.dataset.old = "old"; q.value = "from:app"; document.querySelector("#inbox-find button[type=submit]").focus(); })()`)
	b.do(t, chromedp.KeyEvent(kb.Enter))
	b.waitFor(t, "the second search's page", `document.getElementById("inbox-q").dataset.old === undefined && document.getElementById("inbox-q").value === "from:app"`)
	if got := b.eval(t, focus); got != "inbox-q from:app 8 new" {
		t.Errorf("after the Search button: the focus on %q, want the new page's box", got)
	}

	// A link in the form (All messages) is a link: the h1.
	b.eval(t, `document.getElementById("inbox-all").focus()`)
	b.do(t, chromedp.KeyEvent(kb.Enter))
	b.waitFor(t, "the inbox, all of it", `location.hash === "#/inbox" && document.activeElement === document.querySelector("#main h1")`)
	if ex := b.exceptions(); len(ex) > 0 {
		t.Fatalf("errors in the page: %v", ex)
	}
}
