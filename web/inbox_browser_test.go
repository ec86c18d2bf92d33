package web

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/relaylab/relaylab/internal/events"
)

// TestBrowserInbox: the Inbox page lists what the sink received, newest
// first, with sender, recipients, subject, size and the sink's reply,
// each message linked to its page; it shows a new message on top as the
// sink stores it; a search keeps the matches, the live ones too; and a
// hostile subject is text, its direction control shown, not applied.
func TestBrowserInbox(t *testing.T) {
	b, st, _, sink, base := browserUI(t)
	rows := inboxMessages()
	rows[1].raw = "From: Billing <billing@shop.test>\r\nSubject: =?UTF-8?B?PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0PiDigK5mZHAuZXhl?= invoice 42\r\n\r\nhi\r\n"
	addInbox(t, st, rows...)
	sink.mu.Lock()
	sink.msgs["2"] = MessageDetail{ID: "2", From: "billing@shop.test", To: []string{"carol@example.test"}, Subject: "invoice 42"}
	sink.mu.Unlock()
	ids := `[...document.querySelectorAll("#inbox-rows tr")].map(tr => tr.dataset.id).join(",")`
	status := `document.getElementById("status").textContent`

	b.do(t, chromedp.Navigate(base+"/#/inbox"))
	b.waitFor(t, "the inbox", `document.querySelectorAll("#inbox-rows tr").length === 4`)
	if got := b.eval(t, ids); got != "4,3,2,1" {
		t.Errorf("rows %v, want newest first: 4,3,2,1", got)
	}
	if b.eval(t, `document.querySelector('#nav a[href="#/inbox"]').classList.contains("active")`) != true {
		t.Errorf("the nav's Inbox entry is not marked active")
	}
	row := func(id string) string {
		return b.eval(t, fmt.Sprintf(`document.querySelector('#inbox-rows tr[data-id=%q]').textContent`, id)).(string)
	}
	for id, want := range map[string][]string{
		"1": {"Café Shop <news@shop.test>", "envelope app@shop.test", "alice@example.test", "bob@example.test", "Édition d'été", "250 2.0.0 Message accepted as 1", "session 10"},
		"2": {"Billing <billing@shop.test>", "carol@example.test", "<script>alert(1)</script> ⟨U+202E⟩fdp.exe invoice 42"},
		"3": {"MAILER-DAEMON@mx.example.test", "envelope <>", "Undelivered Mail"},
		"4": {"app@shop.test", "dropped", "no reply"},
	} {
		got := row(id)
		for _, w := range want {
			if !strings.Contains(got, w) {
				t.Errorf("row %s: %q lacks %q", id, got, w)
			}
		}
	}
	if b.eval(t, `document.querySelector('#inbox-rows tr[data-id="2"] td[data-label="subject"] a').getAttribute("href")`) != "#/sink/messages/2" {
		t.Errorf("the subject does not link to the message's page")
	}
	if b.eval(t, bidiControl+`.test(document.getElementById("main").textContent)`) != false || b.eval(t, `!!document.querySelector("#inbox-rows script")`) != false {
		t.Errorf("a subject's direction control is applied, or its markup is markup")
	}

	b.screenshot(t, "inbox")

	// Live: a message stored now comes on top.
	b.waitFor(t, "live", status+` === "live"`)
	addInbox(t, st, inboxRow{id: 5, session: 13, from: "app@shop.test", rcpts: "erin@example.test", raw: "Subject: Fresh\r\n\r\nx\r\n", code: 250, text: "ok"})
	appendEvents(t, st, events.Event{Kind: events.SinkMessage, Listener: "mx"}.WithPayload(map[string]any{"id": 5}))
	b.waitFor(t, "the new message on top", ids+` === "5,4,3,2,1"`)

	// A search keeps the matches, and a live message only if it matches.
	b.do(t, chromedp.SetValue("#inbox-q", "INVOICE"), chromedp.Click("#inbox-find button"))
	b.waitFor(t, "the search", `location.hash === "#/inbox/search/INVOICE" && document.getElementById("inbox-q").value === "INVOICE"`)
	b.waitFor(t, "its result", ids+` === "2,1"`) // 1's body says "invoices"
	b.waitFor(t, "live", status+` === "live"`)
	addInbox(t, st,
		inboxRow{id: 6, session: 14, from: "app@shop.test", rcpts: "f@example.test", raw: "Subject: not this one\r\n\r\nx\r\n", code: 250},
		inboxRow{id: 7, session: 14, from: "app@shop.test", rcpts: "g@example.test", raw: "Subject: Invoice 43\r\n\r\nx\r\n", code: 250})
	appendEvents(t, st,
		events.Event{Kind: events.SinkMessage, Listener: "mx"}.WithPayload(map[string]any{"id": 6}),
		events.Event{Kind: events.SinkMessage, Listener: "mx"}.WithPayload(map[string]any{"id": 7}))
	b.waitFor(t, "the new match on top", ids+` === "7,2,1"`)
	if note := b.eval(t, `document.getElementById("inbox-note").textContent`).(string); !strings.Contains(note, "3 found among all 7") {
		t.Errorf("the note says %q, want 3 found among all 7", note)
	}

	b.do(t, chromedp.Click(`#inbox-rows tr[data-id="2"] td[data-label="subject"] a`))
	b.waitFor(t, "the message's page", `location.hash === "#/sink/messages/2" && document.getElementById("msg-subject")`)
	if ex := b.exceptions(); len(ex) > 0 {
		t.Fatalf("uncaught errors in the page: %v", ex)
	}
}
