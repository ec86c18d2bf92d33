package web

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/relaylab/relaylab/internal/store"
)

// M7 on the page: each message the sink checked shows its SPF, DKIM and
// DMARC results in the Inbox list, a failure marked, each linked to the
// search for it; one it did not check shows none.
func TestBrowserFD24InboxAuth(t *testing.T) {
	b, st, _, base := fd24Browser(t)
	addInbox(t, st, inboxMessages()...)
	err := st.Write(context.Background(), func(tx *store.Tx) error {
		_, err := tx.Exec(`UPDATE sink_messages SET spf = 'softfail', dkim = 'fail', dmarc = 'pass' WHERE id = 2`)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	b.do(t, chromedp.Navigate(base+"/#/inbox"))
	b.waitFor(t, "the inbox rows", `document.querySelectorAll("#inbox-rows tr").length === 4`)
	got := b.eval(t, `[...document.querySelectorAll("#inbox-rows tr")].map(tr => tr.dataset.id + ":" + [...tr.querySelectorAll(".auth-results a")].map(a => a.textContent + "/" + a.className + "/" + a.getAttribute("href")).join(" ")).join("|")`).(string)
	want := "4:|3:|2:spf=softfail/error/#/inbox/search/spf%3Asoftfail dkim=fail/error/#/inbox/search/dkim%3Afail dmarc=pass/muted/#/inbox/search/dmarc%3Apass|1:"
	if got != want {
		t.Errorf("inbox auth lines\n%s\nwant\n%s", strings.ReplaceAll(got, "|", "\n"), strings.ReplaceAll(want, "|", "\n"))
	}
	b.do(t, chromedp.Navigate(base+"/#/inbox/search/dkim%3Afail"))
	b.waitFor(t, "the search's rows", `document.querySelectorAll("#inbox-rows tr").length === 1`)
	if id := b.eval(t, `document.querySelector("#inbox-rows tr").dataset.id`); id != "2" {
		t.Errorf("dkim:fail shows message %v, want 2", id)
	}
	if ex := b.exceptions(); len(ex) > 0 {
		t.Fatalf("uncaught errors in the page: %v", ex)
	}
}
