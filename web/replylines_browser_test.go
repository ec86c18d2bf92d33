package web

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/relaylab/relaylab/internal/events"
)

// A reply of several lines as the sink and the relay record it: the
// texts of its lines joined by a line break ("550-5.7.1 first line",
// "550 5.7.1 second line" on the wire).
const (
	lineOne   = "first line of the reply"
	lineTwo   = "second line of the reply"
	multiText = lineOne + "\n" + lineTwo
)

// TestBrowserReplyOfSeveralLines: wherever the UI shows a reply (the
// sink's sessions, a session's last reply and attempts, a message's
// timeline with the sink's side of each attempt, the attempts and copies
// the sink received, the Inbox, the queue, the feed and a received
// message's page), a reply of several lines shows each on a line of its
// own (its text's line boxes, and innerText, keep the break), not run
// together as "first line second line"; and no table runs off its box,
// at 1280 px or on a phone.
func TestBrowserReplyOfSeveralLines(t *testing.T) {
	b, st, relay, sink, base := browserUI(t)
	now := time.Now().UTC()
	const rcpt = "multi@dest.test"

	sinkLine := "550 5.7.1 " + multiText + " (at rcpt)"
	sink.mu.Lock()
	sink.sessions = []SinkSession{{ID: "9", Listener: "mx", Client: "127.0.0.1:40000", HELO: "relay.test", Start: now, End: now.Add(time.Second),
		Messages: []string{"13"}, LastReply: sinkLine, Category: "policy", Reason: "the receiver's policy refused the message",
		Attempts:   []SessionAttempt{{Recipient: rcpt, Reply: sinkLine, Category: "policy", By: `rule "multi"`}},
		Transcript: []Line{{Dir: "c", Text: "RCPT TO:<" + rcpt + ">"}, {Dir: "s", Text: "550-5.7.1 " + lineOne}, {Dir: "s", Text: "550 5.7.1 " + lineTwo}}}}
	sink.msgs["13"] = MessageDetail{ID: "13", Session: "9", From: "app@shop.test", To: []string{"ok@dest.test"}, Subject: "Copy", Text: "x"}
	sink.mu.Unlock()
	addInbox(t, st, inboxRow{id: 13, session: 9, from: "app@shop.test", rcpts: "ok@dest.test", raw: "Subject: refused\r\n\r\nx\r\n",
		code: 550, enhanced: "5.7.1", text: multiText})

	reply := map[string]any{"stage": "rcpt", "code": 550, "enhanced": "5.7.1", "text": multiText}
	relay.mu.Lock()
	relay.msgs["ml-1"] = MessageDetail{ID: "ml-1", From: "app@shop.test", To: []string{rcpt}, Subject: "Refused", Received: now}
	relay.queue = []QueueEntry{{ID: "ml-2", From: "app@shop.test", Recipients: []string{rcpt}, Queued: now, Attempts: 1, NextAttempt: now.Add(time.Minute),
		LastReply: "451 4.7.1 " + multiText,
		Waiting: []QueueRecipient{{Address: rcpt, State: "deferred", Attempts: 1, NextAttempt: now.Add(time.Minute),
			LastReply: QueueReply{Stage: "rcpt", Code: 451, Enhanced: "4.7.1", Text: multiText}, Category: "policy"}}}}
	relay.mu.Unlock()
	evs := appendEvents(t, st,
		events.Event{Kind: events.RelayQueued, Time: now, Message: "ml-1", Recipient: rcpt}.WithPayload(map[string]any{"sender": "app@shop.test"}),
		events.Event{Kind: events.RelayAttempt, Time: now, Message: "ml-1", Recipient: rcpt, Target: "127.0.0.1"}.
			WithPayload(map[string]any{"host": "127.0.0.1:2525", "reply": reply, "path": "local-sink", "attempt": 1}),
		events.Event{Kind: events.RelayBounced, Time: now, Message: "ml-1", Recipient: rcpt}.
			WithPayload(map[string]any{"host": "127.0.0.1:2525", "reply": reply, "category": "policy", "reason": "the receiver's policy refused the message"}))
	sink.mu.Lock()
	sink.received = Received{
		Copies: []SinkCopy{{ID: "13", Session: "9", Listener: "mx", Time: now, From: "app@shop.test", To: []string{rcpt}, Code: 550,
			Reply: "550 5.7.1 " + multiText + " (at data-end)", Copy: 1}},
		Attempts: []ReceivedAttempt{{SinkAttempt: SinkAttempt{Time: now, Listener: "mx", Sender: "app@shop.test", Recipient: rcpt,
			Stage: "rcpt", Code: 550, Enhanced: "5.7.1", Text: multiText, Session: 9}, Session: "9", RelayAttempt: evs[1].ID}},
	}
	sink.mu.Unlock()

	// lines says, for each element sel finds that shows the reply (a
	// row the feed's filters hide shows nothing),
	// whether its second line is on a line box below its first, and its
	// innerText (which follows the page's line breaks).
	lines := `(sel) => [...document.querySelectorAll(sel)].filter((el) => el.getClientRects().length && el.textContent.includes(` + jsString(lineOne) + `)).map((el) => {
		const box = (s) => {
			const w = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
			for (let n = w.nextNode(); n; n = w.nextNode()) {
				const at = n.data.indexOf(s);
				if (at < 0) continue;
				const r = document.createRange(); r.setStart(n, at); r.setEnd(n, at + s.length);
				return r.getClientRects()[0];
			}
			return null;
		};
		const one = box(` + jsString(lineOne) + `), two = box(` + jsString(lineTwo) + `);
		return { below: !!(one && two && two.top >= one.bottom - 1), text: el.innerText };
	})`
	pages := []struct {
		name, frag, ready string
		sels              []string
	}{
		{"sink", "sink", `document.querySelector("#session-rows tr")`, []string{`#session-rows td[data-label="last reply"]`}},
		{"session", "sink/sessions/9", `document.getElementById("session-attempts")`, []string{"#session-last", "#session-attempts li"}},
		{"message", "messages/ml-1", `document.querySelector("#received-attempts li") && document.querySelector('#timeline li[data-kind="relay.bounced"]') && document.querySelector("#timeline .sink-side")`,
			[]string{`#timeline li[data-kind="relay.attempt"] .what`, `#timeline li[data-kind="relay.bounced"] .what`, "#timeline .sink-side", "#received-attempts li", "#received-copies td.wide"}},
		{"inbox", "inbox", `document.querySelector("#inbox-rows tr")`, []string{"#inbox-rows td.reply"}},
		{"queue", "queue", `document.querySelector("#queue-table td.reply")`, []string{"#queue-table td.reply"}},
		{"feed", "feed", `[...document.querySelectorAll("#feed-rows tr")].some((tr) => tr.textContent.includes("ml-1"))`, []string{"#feed-rows td:nth-child(5)"}},
		{"received message", "sink/messages/13", `document.querySelector("#msg-session a")`, []string{"#msg-session"}},
	}
	for _, w := range []int64{1280, 390} {
		if w == 390 {
			b.do(t, chromedp.EmulateViewport(w, 844, chromedp.EmulateMobile))
		} else {
			b.do(t, chromedp.EmulateViewport(w, 900))
		}
		for _, pg := range pages {
			b.do(t, chromedp.Navigate(base+"/#/feed"), chromedp.Navigate(base+"/#/"+pg.frag))
			b.waitFor(t, pg.name, pg.ready)
			for _, sel := range pg.sels {
				got, _ := b.eval(t, "("+lines+")("+jsString(sel)+")").([]any)
				if len(got) == 0 {
					t.Errorf("%s at %d px: no %s shows the reply", pg.name, w, sel)
				}
				for _, g := range got {
					m := g.(map[string]any)
					text, _ := m["text"].(string)
					if m["below"] != true || !strings.Contains(text, lineOne+"\n"+lineTwo) {
						t.Errorf("%s at %d px, %s: the reply's two lines run together (second line below the first: %v); shown as %q",
							pg.name, w, sel, m["below"], text)
					}
				}
			}
			if page := b.eval(t, `document.documentElement.scrollWidth`).(float64); page > float64(w) {
				t.Errorf("%s at %d px: the page is %v px wide", pg.name, w, page)
			}
			if wide := b.eval(t, `[...document.querySelectorAll("#main .scroll")].filter((s) => s.scrollWidth > s.clientWidth + 1).map((s) => s.firstChild.id).join(", ")`); wide != "" && w == 1280 {
				t.Errorf("%s at %d px: a table runs off its box: %v", pg.name, w, wide)
			}
		}
	}
	b.do(t, chromedp.ResetViewport())
	if ex := b.exceptions(); len(ex) > 0 {
		t.Fatalf("uncaught errors or stray logs in the page: %v", ex)
	}
}
