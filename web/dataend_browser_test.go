package web

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/relaylab/relaylab/internal/events"
)

// TestBrowserSinkDataEndWording: the sink's pages say the reply to a
// message's end as the feed and the timelines do, "(after the message's
// final dot)", not by the stage's name "data-end": the feed's sink.reply
// events, the session list, a
// received message's session line, the copies' replies and each attempt
// as the sink saw it.
func TestBrowserSinkDataEndWording(t *testing.T) {
	b, st, relay, sink, base := browserUI(t)
	now := time.Now().UTC()
	at := func(ms int) time.Time { return now.Add(time.Duration(ms) * time.Millisecond) }
	sink.mu.Lock()
	sink.sessions = []SinkSession{
		{ID: "5", Listener: "mx", Client: "127.0.0.1:4005", Start: now, End: now, Messages: []string{"21"}, LastReply: "250 2.0.0 queued as 21 (at data-end)"},
		{ID: "4", Listener: "mx", Client: "127.0.0.1:4004", Start: now, End: now, LastReply: "no reply (dropped or hung) at data-end"},
	}
	sink.msgs["21"] = MessageDetail{ID: "21", From: "a@shop.test", To: []string{"b@example.test"}, Subject: "Hi", Received: now, Size: 10}
	sink.received = Received{
		Copies: []SinkCopy{{ID: "21", Session: "5", Time: at(900), To: []string{"b@example.test"}, Code: 250, Reply: "250 2.0.0 queued as 21 (at data-end)"}},
		Attempts: []ReceivedAttempt{
			{SinkAttempt: SinkAttempt{Time: at(800), Recipient: "b@example.test", Stage: "data-end"}, Session: "4"},
			{SinkAttempt: SinkAttempt{Time: at(900), Recipient: "b@example.test", Stage: "data-end", Code: 250, Enhanced: "2.0.0", Text: "queued as 21"}, Session: "5", Copy: "21"},
		},
	}
	sink.mu.Unlock()
	addSinkMessage(t, st, 21, 5)
	relay.mu.Lock()
	relay.msgs["de-1"] = MessageDetail{ID: "de-1", From: "a@shop.test", To: []string{"b@example.test"}, Subject: "Hi", Received: now,
		Headers: []Header{{"Message-Id", "<de-1@shop.test>"}}}
	relay.mu.Unlock()
	appendEvents(t, st, events.Event{Kind: events.RelayQueued, Time: now, Message: "de-1", Recipient: "b@example.test"}.WithPayload(map[string]any{"sender": "a@shop.test"}))

	appendEvents(t, st, events.Event{Kind: events.SinkReply, Listener: "mx"}.WithPayload(map[string]any{"stage": "data-end", "code": 250, "enhanced": "2.0.0", "text": "queued as 21"}))

	const said = "(after the message's final dot)"
	check := func(where, js string, wants ...string) {
		t.Helper()
		got := b.eval(t, js).(string)
		if strings.Contains(got, "data-end") {
			t.Errorf("%s says the stage's name: %q", where, got)
		}
		for _, w := range wants {
			if !strings.Contains(got, w) {
				t.Errorf("%s: %q, want it to say %q", where, got, w)
			}
		}
	}

	b.do(t, chromedp.Navigate(base+"/#/feed"))
	b.waitFor(t, "the sink's reply", `[...document.querySelectorAll("#feed-rows tr")].some(tr => tr.textContent.includes("sink.reply"))`)
	check("the feed's sink.reply", `[...document.querySelectorAll("#feed-rows tr")].find(tr => tr.textContent.includes("sink.reply")).textContent`,
		"250 2.0.0 queued as 21 after the message's final dot")

	b.do(t, chromedp.Navigate(base+"/#/sink"))
	b.waitFor(t, "the sessions", `document.querySelectorAll("#session-rows tr").length === 2`)
	check("the session list", `document.getElementById("session-rows").textContent`,
		"250 2.0.0 queued as 21 "+said, "no reply (dropped or hung) after the message's final dot")

	b.do(t, chromedp.Navigate(base+"/#/sink/messages/21"))
	b.waitFor(t, "the session line", `document.querySelector('#msg-session a[href="#/sink/sessions/5"]')`)
	check("the received message's session line", `document.getElementById("msg-session").textContent`, "its last reply: 250 2.0.0 queued as 21 "+said)

	b.do(t, chromedp.Navigate(base+"/#/messages/de-1"))
	b.waitFor(t, "the attempts", `document.querySelectorAll("#received-attempts li").length === 2`)
	check("the copies", `document.getElementById("received-copies").textContent`, "250 2.0.0 queued as 21 "+said)
	check("each attempt as the sink saw it", `document.getElementById("received-attempts").textContent`,
		"no reply after the message's final dot", "250 2.0.0 queued as 21 "+said)
}
