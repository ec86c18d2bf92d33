package web

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/events"
)

// TestBrowserFeedFilterSaysWhatItSearched: the feed's filter searches
// only the events the feed holds. When the log is longer than that, a
// filter that matches none of them says it looked at the latest 500 only
// and where older mail is (for an address, the page of every message to
// it, which finds the old one), not that no event matches; when the
// feed holds the whole log, that nothing in the log matches.
func TestBrowserFeedFilterSaysWhatItSearched(t *testing.T) {
	b, st, _, _, base := browserUI(t)
	evs := []events.Event{events.Event{Kind: events.RelayQueued, Message: "old-1", Recipient: "needle@example.test"}.
		WithPayload(map[string]any{"sender": "app@shop.test"})}
	for i := range 520 {
		evs = append(evs, events.Event{Kind: events.RelayDelivered, Message: fmt.Sprintf("fill-%03d", i), Recipient: "user@example.test"}.
			WithPayload(map[string]any{"reply": map[string]any{"code": 250, "text": "ok"}}))
	}
	appendEvents(t, st, evs...)
	filter := func(text string) {
		t.Helper()
		b.eval(t, `(() => { const i = document.querySelector(".filters input[type=search]"); i.value = `+"`"+text+"`"+`; i.dispatchEvent(new Event("input")); })()`)
	}

	b.do(t, chromedp.Navigate(base+"/#/feed"))
	b.waitFor(t, "the feed", `document.querySelectorAll("#feed-rows tr").length === 500`)
	filter("needle@example.test")
	b.waitFor(t, "the empty state", `!document.getElementById("feed-empty").hidden`)
	got := b.eval(t, `document.getElementById("feed-empty").textContent`).(string)
	for _, w := range []string{"None of the latest 500 events matches the filters", "for older mail, every message to needle@example.test is on its own page"} {
		if !strings.Contains(got, w) {
			t.Errorf("a filter that matches only an older event says %q, without %q", got, w)
		}
	}
	filter("greylisted")
	if got := b.eval(t, `document.getElementById("feed-empty").textContent`).(string); !strings.Contains(got, "find the message by its id or a recipient's address on the Messages page") {
		t.Errorf("a filter by a word says %q, want it to point to the Messages page", got)
	}
	if href := b.eval(t, `document.querySelector("#feed-empty a").getAttribute("href")`); href != "#/messages" {
		t.Errorf("its link goes to %v, want #/messages", href)
	}
	filter("needle@example.test")
	b.do(t, chromedp.Evaluate[chromedp.Void](`document.querySelector("#feed-empty a").click()`))
	b.waitFor(t, "the recipient's messages", `document.querySelector('#timeline a[href="#/messages/old-1"]')`)

	// A log shorter than the feed: the filter searched all of it.
	st2 := openStore(t, clock.Real{})
	s2 := listen(t, Options{Store: st2, Relay: newFakeRelay(), Sink: newFakeSink()})
	appendEvents(t, st2, evs[:3]...)
	b.do(t, chromedp.Navigate("http://"+s2.Addr()+"/#/feed"))
	b.waitFor(t, "the short feed", `document.querySelectorAll("#feed-rows tr").length === 3`)
	filter("nothing like it")
	b.waitFor(t, "the empty state", `!document.getElementById("feed-empty").hidden`)
	if got := b.eval(t, `document.getElementById("feed-empty").textContent`); got != "No event in the log matches the filters: tick more kinds (not ticked: queued (1)) or clear the text." {
		t.Errorf("a filter that matches nothing in a short log says %q", got)
	}
	if ex := b.exceptions(); len(ex) > 0 {
		t.Fatalf("uncaught errors or stray logs in the page: %v", ex)
	}
}
