package web

import (
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/relaylab/relaylab/internal/events"
)

// TestBrowserInboxCopiesLive: a later copy of a message that arrives
// while the Inbox is open is marked "copy 2 of 2", and the earlier copy,
// already shown unmarked, is marked "copy 1 of 2" in place, without a
// reload (it was marked only once the page was loaded again).
func TestBrowserInboxCopiesLive(t *testing.T) {
	b, st, _, _, base := browserUI(t)
	addCopy(t, st, 1, "x@s.test", "a@s.test")
	addCopy(t, st, 2, "x@s.test", "b@s.test")
	marks := `[...document.querySelectorAll("#inbox-rows tr")].map((tr) => tr.dataset.id + ":" + ((tr.querySelector(".copy-note") || {textContent: ""}).textContent.slice(0, 11))).join(" | ")`
	b.do(t, chromedp.Navigate(base+"/#/inbox"))
	b.waitFor(t, "the inbox", `document.querySelectorAll("#inbox-rows tr").length === 2`)
	b.waitFor(t, "live", `document.getElementById("status").textContent === "live"`)
	b.eval(t, `document.querySelector('#inbox-rows tr[data-id="1"] a').focus()`)
	addCopy(t, st, 3, "x@s.test", "a@s.test")
	appendEvents(t, st, events.Event{Kind: events.SinkMessage, Listener: "mx"}.WithPayload(map[string]any{"id": 3}))
	want := "3:copy 2 of 2 | 2: | 1:copy 1 of 2"
	b.waitFor(t, "both copies marked", marks+` === `+jsString(want))
	if got := b.eval(t, `document.activeElement.closest("tr") && document.activeElement.closest("tr").dataset.id`); got != "1" {
		t.Errorf("the focus moved to row %v, want it kept in row 1", got)
	}
	if ex := b.exceptions(); len(ex) > 0 {
		t.Fatalf("uncaught errors or stray logs in the page: %v", ex)
	}
}
