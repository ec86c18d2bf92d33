package web

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/relaylab/relaylab/internal/events"
)

// TestBrowserHostileLists: the Inbox, Messages and the Queue list three
// messages, one with a subject and addresses hundreds of characters
// long, one whose subject and addresses hold markup, a direction control
// and invisible characters, and one with no subject. Markup stays text;
// each invisible character in an address shows where it stands as a
// marked ⟨U+200B⟩ (pay\u200bpal@ is not paypal@); a message without a
// subject says so; and no page is wider than the window, at 1280 px or on
// a phone.
func TestBrowserHostileLists(t *testing.T) {
	b, st, relay, _, base := browserUI(t)
	now := time.Now().UTC()
	long := longAddress(200)
	longSubject := strings.Repeat("x", 500)
	evilSubject := "<img src=x onerror=alert(1)> \u202egnp.exe"
	evilFrom := "pay\u200bpal@evil.test"
	evilTo := strings.Repeat("\u200b", 40) + "@zw.test" // 40 tokens, wider than any column
	addInbox(t, st,
		inboxRow{id: 1, session: 1, from: long, rcpts: long, raw: "Subject: " + longSubject + "\r\n\r\nx\r\n", code: 250},
		inboxRow{id: 2, session: 1, from: evilFrom, rcpts: evilTo, raw: "Subject: " + evilSubject + "\r\n\r\nx\r\n", code: 550, enhanced: "5.7.1", text: "<b>no</b>"},
		inboxRow{id: 3, session: 1, from: "app@shop.test", rcpts: "r@example.test", raw: "\r\nx\r\n", code: 250})
	relay.mu.Lock()
	for _, m := range []struct{ id, from, to, subject string }{{"long-1", long, long, longSubject}, {"evil-1", evilFrom, evilTo, evilSubject}, {"empty-1", "app@shop.test", "r@example.test", ""}} {
		relay.queue = append(relay.queue, QueueEntry{ID: m.id, From: m.from, Recipients: []string{m.to}, Subject: m.subject, Queued: now, Attempts: 1,
			Waiting: []QueueRecipient{{Address: m.to, State: "deferred", Attempts: 1, NextAttempt: now.Add(time.Minute),
				LastReply: QueueReply{Code: 451, Text: "<img src=x onerror=alert(2)> try later"}}}})
		appendEvents(t, st, events.Event{Kind: events.RelayQueued, Time: now, Message: m.id, Recipient: m.to}.
			WithPayload(map[string]any{"sender": m.from, "subject": m.subject}))
	}
	relay.mu.Unlock()

	// tokens are the marked invisible characters in the cells sel selects.
	tokens := func(sel string) string {
		return b.eval(t, `[...document.querySelectorAll(`+jsString(sel)+`)].map((td) => td.querySelectorAll(".inv-ctl").length + ":" + td.textContent.replace(/⟨U\+200B⟩/g, "").replace(/\s+/g, " ").trim()).join(" | ")`).(string)
	}
	for _, w := range []int64{1280, 390} {
		if w == 390 {
			b.do(t, chromedp.EmulateViewport(w, 844, chromedp.EmulateMobile))
		} else {
			b.do(t, chromedp.EmulateViewport(w, 900))
		}
		for _, pg := range []struct {
			name, frag, ready string
			cells             map[string]string // selector: the tokens and text of its cells
			noSubject         string            // the subject cell of the message without one
		}{
			{"inbox", "inbox", `document.querySelectorAll("#inbox-rows tr").length === 3`,
				map[string]string{`#inbox-rows tr[data-id="2"] td[data-label=from]`: "1:paypal@evil.test", `#inbox-rows tr[data-id="2"] td[data-label=to]`: "40:@zw.test"},
				`#inbox-rows tr[data-id="3"] td[data-label=subject]`},
			{"messages", "messages", `document.querySelectorAll("#messages-rows tr").length === 3`,
				map[string]string{`#messages-rows tr[data-id="evil-1"] td[data-label=from]`: "1:paypal@evil.test", `#messages-rows tr[data-id="evil-1"] td:last-child`: "40:queued @zw.test"},
				`#messages-rows tr[data-id="empty-1"] td[data-label=subject]`},
			{"queue", "queue", `document.querySelectorAll("#queue-table td.reply").length === 3`,
				map[string]string{`#queue-table tr[data-id="evil-1"] td[data-label=from]`: "1:paypal@evil.test", `#queue-table tr[data-id="evil-1"] td[data-label=to]`: "40:@zw.test"},
				""},
		} {
			b.do(t, chromedp.Navigate(base+"/#/"+pg.frag))
			b.waitFor(t, pg.name, pg.ready)
			if pg.name == "messages" {
				// The list learns the states from the event stream too.
				b.waitFor(t, "the states", `document.querySelectorAll("#messages-rows .badge").length === 3`)
			}
			for sel, want := range pg.cells {
				if got := tokens(sel); got != want {
					t.Errorf("%s at %d px: %s shows %q (marked invisible characters: text), want %q", pg.name, w, sel, got, want)
				}
			}
			if pg.noSubject != "" {
				if got := b.eval(t, `document.querySelector(`+jsString(pg.noSubject)+`).textContent`); got != "(no subject)" {
					t.Errorf("%s: a message without a subject shows %q, want (no subject)", pg.name, got)
				}
			}
			if n := b.eval(t, `document.querySelectorAll("#main img, #main b, #main script").length`); n != float64(0) {
				t.Errorf("%s: mail's markup made %v elements", pg.name, n)
			}
			if pg.name != "queue" && !strings.Contains(b.eval(t, `document.getElementById("main").textContent`).(string), "<img src=x onerror=alert(1)> ⟨U+202E⟩gnp.exe") {
				t.Errorf("%s: the hostile subject is not shown as text with its direction control marked", pg.name)
			}
			if page := b.eval(t, `document.documentElement.scrollWidth`).(float64); page > float64(w) {
				t.Errorf("%s at %d px: the page is %v px wide", pg.name, w, page)
			}
			if w == 1280 {
				if wide := b.eval(t, `[...document.querySelectorAll("#main .scroll")].filter((s) => s.scrollWidth > s.clientWidth + 1).map((s) => s.firstChild.id + " " + s.scrollWidth + ">" + s.clientWidth).join(", ")`); wide != "" {
					t.Errorf("%s at %d px: a table runs off its box: %v", pg.name, w, wide)
				}
			}
		}
	}
	b.do(t, chromedp.ResetViewport())
	if n := b.dialogs.Load(); n != 0 {
		t.Fatalf("%d dialogs opened", n)
	}
	if ex := b.exceptions(); len(ex) > 0 {
		t.Fatalf("uncaught errors or stray logs in the page: %v", ex)
	}
}
