package web

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserInboxQualifiers: the Inbox page's search box takes the API's
// qualifiers, quotes and negation; a search the API cannot read says why
// beside the box, which is marked invalid, instead of "No message found";
// and the search help's examples run their search.
func TestBrowserInboxQualifiers(t *testing.T) {
	b, st, _, _, base := browserUI(t)
	rows := inboxMessages()
	rows[1].code, rows[1].enhanced, rows[1].text = 451, "4.7.1", "greylisted"
	addInbox(t, st, rows...)
	ids := `[...document.querySelectorAll("#inbox-rows tr")].map(tr => tr.dataset.id).join(",")`
	search := func(q string) {
		t.Helper()
		b.do(t, chromedp.SetValue("#inbox-q", q), chromedp.Click("#inbox-find button"))
		b.waitFor(t, "the search "+q, `document.getElementById("inbox-q").value === `+jsString(q)+` && !document.getElementById("inbox-older").disabled`)
	}

	b.do(t, chromedp.Navigate(base+"/#/inbox"))
	b.waitFor(t, "the inbox", `document.querySelectorAll("#inbox-rows tr").length === 4`)

	search("from:billing is:deferred")
	b.waitFor(t, "the deferred message from billing", ids+` === "2"`)
	search(`-from:app@shop subject:"returned to"`)
	b.waitFor(t, "the bounce", ids+` === "3"`)
	if b.eval(t, `document.getElementById("inbox-q").getAttribute("aria-invalid")`) != nil {
		t.Errorf("a search that reads is marked invalid")
	}

	search("frm:app")
	b.waitFor(t, "the error beside the box", `!document.getElementById("inbox-q-error").hidden`)
	msg := b.eval(t, `document.getElementById("inbox-q-error").textContent`).(string)
	for _, want := range []string{`unknown qualifier "frm:"`, "from:, to:", `"frm:app"`} {
		if !strings.Contains(msg, want) {
			t.Errorf("the error %q lacks %q", msg, want)
		}
	}
	if b.eval(t, `document.getElementById("inbox-q").getAttribute("aria-invalid")`) != "true" || b.eval(t, `document.getElementById("inbox-empty").hidden`) != true {
		t.Errorf("the box is not marked invalid, or the page says no message was found")
	}

	b.do(t, chromedp.Click("#inbox-help summary"))
	b.screenshot(t, "inbox-search-error")
	b.do(t, chromedp.Click(`#inbox-help a[href="#/inbox/search/is%3Arefused"]`))
	b.waitFor(t, "the example's search", `location.hash === "#/inbox/search/is%3Arefused" && document.getElementById("inbox-q").value === "is:refused"`)
	b.waitFor(t, "its result: none refused", `!document.getElementById("inbox-empty").hidden`)
	if b.eval(t, `document.getElementById("inbox-q-error").hidden`) != true {
		t.Errorf("the error of the search before stays")
	}
	if ex := b.exceptions(); len(ex) > 0 {
		t.Fatalf("uncaught errors in the page: %v", ex)
	}
}
