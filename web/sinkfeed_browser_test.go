package web

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/events"
)

// TestBrowserFeedShowsSinkRefusals: the sink's refusal of mail sent to it
// directly (the tour's greylist 451) shows on the feed, where the UI
// opens, without ticking anything, with its category, reason and "What
// to do", as the Sink page shows them; the sink's other events stay off,
// and a feed that holds only those says which kinds are not ticked
// instead of "no event matches". A recipient the sink deferred twice and
// then accepted has one timeline as the sink saw it, accepted.
func TestBrowserFeedShowsSinkRefusals(t *testing.T) {
	b := newBrowser(t)
	st := openStore(t, clock.Real{})
	s := listen(t, Options{Store: st, Sink: explainingSink{newFakeSink()}})
	base := "http://" + s.Addr()
	now := time.Now().UTC()
	const rcpt = "defer2+t1@example.test"
	appendEvents(t, st,
		events.Event{Kind: events.SinkSession, Time: now, Listener: "mx"}.WithPayload(map[string]any{"id": 1, "helo": "client.test", "codes": "220 250 451"}),
		events.Event{Kind: events.SinkReply, Time: now, Recipient: "greylist@example.test", Listener: "mx"}.
			WithPayload(map[string]any{"session": 1, "stage": "rcpt", "code": 451, "enhanced": "4.7.1", "text": "greylisted"}),
		sinkReplyEvent(now, rcpt, 452),
		sinkReplyEvent(now, rcpt, 452),
		events.Event{Kind: events.SinkMessage, Time: now, Message: "1@vm", Recipient: rcpt, Listener: "mx"}.WithPayload(map[string]any{"id": 7, "code": 250, "from": "a@shop.test"}),
	)
	b.do(t, chromedp.Navigate(base+"/#/feed"))
	row := `[...document.querySelectorAll("#feed-rows tr")].find((tr) => tr.textContent.includes("greylist@example.test"))`
	b.waitFor(t, "the sink's 451", row+` && !`+row+`.hidden`)
	got := b.eval(t, `(() => { const tr = `+row+`; return [tr.querySelector("td:nth-child(5)").textContent, tr.querySelector(".reason")?.textContent ?? "", tr.querySelector(".advice")?.textContent ?? ""]; })()`).([]any)
	if !strings.Contains(got[0].(string), "451 4.7.1 greylisted [greylisted] at rcpt") || got[1] != "the server <greylists> new senders" || got[2] != "What to do: retry in a few minutes; relaylab does" {
		t.Errorf("the sink's 451 on the feed reads %q, want its reply with [greylisted], its reason and what to do", got)
	}
	if hidden := b.eval(t, `[...document.querySelectorAll("#feed-rows tr")].filter((tr) => tr.hidden).map((tr) => tr.dataset.group).join(" ")`); hidden != "sink. sink." {
		t.Errorf("hidden rows by group: %q, want the session and the message (sink.)", hidden)
	}

	// Only a session and a message the sink accepted: nothing of the
	// ticked kinds, and the feed says what ticking would show.
	st2 := openStore(t, clock.Real{})
	s2 := listen(t, Options{Store: st2, Sink: newFakeSink()})
	appendEvents(t, st2,
		events.Event{Kind: events.SinkSession, Time: now, Listener: "mx"}.WithPayload(map[string]any{"id": 1}),
		events.Event{Kind: events.SinkMessage, Time: now, Message: "2@vm", Recipient: "alice@example.test"}.WithPayload(map[string]any{"id": 8}),
	)
	b.do(t, chromedp.Navigate("http://"+s2.Addr()+"/#/feed"))
	b.waitFor(t, "the empty state", `document.querySelectorAll("#feed-rows tr").length === 2 && !document.getElementById("feed-empty").hidden`)
	if got := b.eval(t, `document.getElementById("feed-empty").textContent`); got != "No event of the ticked kinds yet. The log holds 2 event(s) of kinds not ticked: sink sessions & messages (2); tick them to show them." {
		t.Errorf("the feed of sink sessions alone says %q", got)
	}

	b.do(t, chromedp.Navigate(base+"/#/recipients/"+rcpt))
	b.waitFor(t, "the recipient's timeline", `document.querySelector("#timeline .rcpt")`)
	got = b.eval(t, `[...document.querySelectorAll("#timeline .rcpt")].map((d) => [d.classList.contains("side-sink") ? "sink" : "relay", d.querySelector("h3").textContent, d.querySelectorAll("li.step").length])`).([]any)
	if len(got) != 1 {
		t.Fatalf("timelines %v, want one, as the sink saw it", got)
	}
	one := got[0].([]any)
	if one[0] != "sink" || one[1] != rcpt+" accepted as the sink saw it (Message-ID 1@vm)" || one[2] != 3.0 {
		t.Errorf("the sink's timeline %v, want side sink, heading %q and 3 steps", one, rcpt+" accepted as the sink saw it (Message-ID 1@vm)")
	}
	if ex := b.exceptions(); len(ex) > 0 {
		t.Fatalf("uncaught errors or stray logs in the page: %v", ex)
	}
}
