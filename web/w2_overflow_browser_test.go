package web

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/relaylab/relaylab/internal/events"
)

// longSubject is a subject of 300 characters with no place to break, and
// a direction control in front, which puts the warning banner on the
// message's page.
var longSubject = "Invoice \u202efdp.exe " + strings.Repeat("B", 300)

// TestBrowserLongSubjectFits: a message whose subject is 300 characters
// with no space makes no page wider than the window, on a phone (390 px)
// or a desktop (1280 px): the timeline's "queued" line, the warning
// banner, the envelope and the lists wrap the subject inside their cards
// instead of running off them and widening the page.
func TestBrowserLongSubjectFits(t *testing.T) {
	b, st, relay, sink, base := browserUI(t)
	now := time.Now().UTC()
	const to = "reader@example.test"
	detail := MessageDetail{ID: "long-1", From: "news@shop.test", To: []string{to}, Subject: longSubject, Received: now, Size: 1234,
		Text:        "hello " + strings.Repeat("A", 300),
		Notes:       []string{"The subject is " + strings.Repeat("C", 200) + " and goes on"},
		Attachments: []Attachment{{Part: "2", Filename: strings.Repeat("D", 200) + ".pdf", ContentType: "application/pdf", Size: 10, Disposition: "attachment"}}}
	relay.mu.Lock()
	relay.msgs["long-1"] = detail
	relay.queue = []QueueEntry{{ID: "long-1", From: "news@shop.test", Recipients: []string{to}, Subject: longSubject, Queued: now, Attempts: 1,
		Waiting: []QueueRecipient{{Address: to, State: "deferred", Attempts: 1, NextAttempt: now.Add(time.Minute),
			LastReply: QueueReply{Stage: "rcpt", Code: 451, Enhanced: "4.7.1", Text: "greylisted " + strings.Repeat("E", 200)}}}}}
	relay.mu.Unlock()
	sink.mu.Lock()
	sink.msgs["9"] = detail
	sink.mu.Unlock()
	appendEvents(t, st,
		events.Event{Kind: events.RelayQueued, Time: now, Message: "long-1", Recipient: to}.
			WithPayload(map[string]any{"sender": "news@shop.test", "subject": longSubject}),
		events.Event{Kind: events.RelayDeferred, Time: now, Message: "long-1", Recipient: to}.
			WithPayload(map[string]any{"reply": map[string]any{"stage": "rcpt", "code": 451, "enhanced": "4.7.1", "text": "greylisted " + strings.Repeat("E", 200)}}))

	pages := []struct{ name, frag, ready string }{
		{"message", "messages/long-1", `document.querySelector('#timeline li[data-kind="relay.queued"]') && document.getElementById("msg-subject") && document.getElementById("msg-bidi")`},
		{"recipient", "recipients/" + to, `document.querySelector('#timeline li[data-kind="relay.queued"]')`},
		{"sink message", "sink/messages/9", `document.getElementById("msg-subject")`},
		{"messages", "messages", `document.querySelector('#messages-rows tr[data-id="long-1"]')`},
		{"feed", "feed", `document.querySelectorAll("#feed-rows tr").length === 2`},
		{"queue", "queue", `document.querySelector("#queue-table td.reply")`},
	}
	for _, w := range []int64{390, 1280} {
		if w == 390 {
			b.do(t, chromedp.EmulateViewport(w, 844, chromedp.EmulateMobile))
		} else {
			b.do(t, chromedp.EmulateViewport(w, 900))
		}
		for _, pg := range pages {
			b.do(t, chromedp.Navigate(base+"/#/"+pg.frag))
			b.waitFor(t, pg.name, pg.ready)
			// The page, and each card in it, as wide as the window at most.
			got := b.eval(t, `(() => {
				const out = [];
				const page = document.documentElement.scrollWidth;
				if (page > `+itoa(w)+`) out.push("the page is " + page + " px wide");
				for (const c of document.querySelectorAll("#main .card, #main .bidi-note, #main .msg-notes, #main ol.steps li")) {
					if (c.scrollWidth > c.clientWidth + 1) out.push((c.id || c.className || c.tagName) + " holds " + c.scrollWidth + " px in " + c.clientWidth);
				}
				return out.join("; ");
			})()`)
			if got != "" {
				t.Errorf("%s at %d px with a 300-character subject: %v", pg.name, w, got)
				b.screenshot(t, "w2-long-subject-"+strings.ReplaceAll(pg.name, " ", "-")+"-"+itoa(w))
			}
		}
	}
	b.do(t, chromedp.ResetViewport())
	if ex := b.exceptions(); len(ex) > 0 {
		t.Fatalf("uncaught errors or stray logs in the page: %v", ex)
	}
}

// TestBrowserShortValuesStayWhole: in narrow columns, a short address, a
// MIME type and a disposition keep their words whole ("news@shop.test",
// not "news@s" over "hop.te" over "st"), while a reply hundreds of
// characters long beside them still wraps inside the table.
func TestBrowserShortValuesStayWhole(t *testing.T) {
	b, st, relay, _, base := browserUI(t)
	now := time.Now().UTC()
	long := "550 5.7.1 " + strings.Repeat("policy-rejection-reason-", 20) + " and then some ordinary words that go on for a while as servers' replies do"
	relay.mu.Lock()
	relay.msgs["parts-1"] = MessageDetail{ID: "parts-1", From: "news@shop.test", To: []string{"b@example.test"}, Received: now, Size: 10,
		Attachments: []Attachment{{Part: "2", Filename: "a-file-name-that-is-long-enough-to-take-room-" + strings.Repeat("x", 120) + ".pdf", ContentType: "text/plain", Size: 10, Disposition: "attachment"}}}
	relay.queue = []QueueEntry{{ID: "q-short-1", From: "news@shop.test", Recipients: []string{"b@example.test"}, Queued: now, Attempts: 1,
		Waiting: []QueueRecipient{{Address: "b@example.test", State: "deferred", Attempts: 1, NextAttempt: now.Add(time.Minute),
			LastReply: QueueReply{Stage: "rcpt", Code: 550, Text: long}, Reason: long, Advice: long}}}}
	relay.mu.Unlock()
	appendEvents(t, st, events.Event{Kind: events.RelayQueued, Time: now, Message: "q-short-1", Recipient: "b@example.test"}.
		WithPayload(map[string]any{"sender": "news@shop.test", "subject": strings.Repeat("S", 250)}))

	// lines is, for each cell sel selects, its text and how many lines
	// it takes (the distinct tops of its text's boxes).
	lines := func(sel string) []any {
		return b.eval(t, `[...document.querySelectorAll(`+"`"+sel+"`"+`)].map((td) => {
			const tops = new Set();
			const walk = document.createTreeWalker(td, NodeFilter.SHOW_TEXT);
			for (let n = walk.nextNode(); n; n = walk.nextNode()) {
				const r = document.createRange(); r.selectNodeContents(n);
				for (const b of r.getClientRects()) tops.add(Math.round(b.top));
			}
			return td.textContent + ": " + tops.size;
		})`).([]any)
	}
	// At 800 px the queue's eight columns scroll in their box, as they
	// did before: there the words alone are checked.
	for _, w := range []int64{1280, 1024, 800, 390} {
		if w == 390 {
			b.do(t, chromedp.EmulateViewport(w, 844, chromedp.EmulateMobile))
		} else {
			b.do(t, chromedp.EmulateViewport(w, 900))
		}
		for _, pg := range []struct{ name, frag, ready, cells string }{
			{"queue", "queue", `document.querySelector("#queue-table td.reply")`, `#queue-table td[data-label=from]`},
			{"messages", "messages", `document.querySelector('#messages-rows tr[data-id="q-short-1"]')`, `#messages-rows td[data-label=from]`},
			{"parts", "messages/parts-1", `document.querySelector("#msg-parts tbody tr")`, `#msg-parts td[data-label=type], #msg-parts td[data-label=disposition]`},
		} {
			b.do(t, chromedp.Navigate(base+"/#/"+pg.frag))
			b.waitFor(t, pg.name, pg.ready)
			for _, c := range lines(pg.cells) {
				if s := c.(string); !strings.HasSuffix(s, ": 1") {
					t.Errorf("%s at %d px: a short value breaks over lines (text: lines): %q", pg.name, w, s)
				}
			}
			if page := b.eval(t, `document.documentElement.scrollWidth`).(float64); page > float64(w) {
				t.Errorf("%s at %d px: the page is %v px wide", pg.name, w, page)
			}
			if w == 1280 || w == 390 {
				b.screenshot(t, "short-values-"+pg.name+"-"+itoa(w))
			}
			if w == 800 {
				continue
			}
			if wide := b.eval(t, `[...document.querySelectorAll("#main .scroll")].filter((s) => s.scrollWidth > s.clientWidth + 1).map((s) => s.firstChild.id + " " + s.scrollWidth + ">" + s.clientWidth).join(", ")`); wide != "" {
				t.Errorf("%s at %d px: a table runs off its box: %v", pg.name, w, wide)
			}
		}
	}
	b.do(t, chromedp.ResetViewport())
	if ex := b.exceptions(); len(ex) > 0 {
		t.Fatalf("uncaught errors or stray logs in the page: %v", ex)
	}
}
