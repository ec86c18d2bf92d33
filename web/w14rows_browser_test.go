package web

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/relaylab/relaylab/internal/clock"
)

// TestBrowserW14LongRows: a row does not grow with its list. The Inbox
// shows a message to 100 recipients as the first three and "and 97 more
// recipients"; the sink's sessions page shows a reused connection's 100
// messages so too, pages back with "Older sessions" past the first 200
// sessions, and says how many it shows of how many; the Queue says a
// hold and a category's reason and advice that many rows share once,
// above the table, with a short marker on each row; and "Retry now" on a
// held message says which recipient stays held, and until when.
func TestBrowserW14LongRows(t *testing.T) {
	b := newBrowser(t)
	st := openStore(t, clock.Real{})
	relay, sink := newFakeRelay(), newFakeSink()
	s := listen(t, Options{Store: st, Relay: holdingRelay{relay, 1}, Sink: sink})
	base := "http://" + s.Addr()
	now := time.Now().UTC()

	var rcpts, msgs []string
	for i := range 100 {
		rcpts = append(rcpts, fmt.Sprintf("r%03d@example.test", i))
		msgs = append(msgs, fmt.Sprint(1000+i))
	}
	addInbox(t, st, inboxRow{id: 1, session: 1, from: "a@shop.test", rcpts: strings.Join(rcpts, "\n"), raw: "Subject: many\r\n\r\nx\r\n", code: 250})
	b.do(t, chromedp.Navigate(base+"/#/inbox"))
	b.waitFor(t, "the inbox", `document.querySelectorAll("#inbox-rows tr").length === 1`)
	to := `document.querySelector("#inbox-rows td[data-label=to]")`
	if got := b.eval(t, `[`+to+`.querySelectorAll(":scope > div").length, `+to+`.querySelector("details > summary").textContent, `+to+`.querySelector("details").open].join(" ")`); got != "3 and 97 more recipients false" {
		t.Errorf("the inbox's recipients cell: %v, want 3 shown, \"and 97 more recipients\" closed", got)
	}

	sink.mu.Lock()
	for id := 205; id >= 1; id-- {
		ss := SinkSession{ID: fmt.Sprint(id), Listener: "mx", Client: "127.0.0.1:5000", Start: now, End: now, LastReply: "250 ok"}
		if id == 205 {
			ss.Messages = msgs
		}
		sink.sessions = append(sink.sessions, ss)
	}
	sink.mu.Unlock()
	b.do(t, chromedp.Navigate(base+"/#/sink"))
	b.waitFor(t, "the sessions", `document.querySelectorAll("#session-rows tr").length === 200`)
	if got := b.eval(t, `document.getElementById("session-note").textContent + " | " + !document.getElementById("sessions-older").hidden`); got != "200 session(s), the newest: Older sessions shows more | true" {
		t.Errorf("sessions note and button: %v", got)
	}
	cell := `document.querySelector('#session-rows tr[data-id="205"] td[data-label=messages]')`
	if got := b.eval(t, `[`+cell+`.querySelectorAll(":scope > div").length, `+cell+`.querySelector("details > summary").textContent].join(" ")`); got != "3 and 97 more messages" {
		t.Errorf("the reused connection's messages: %v, want 3 shown and \"and 97 more messages\"", got)
	}
	b.do(t, chromedp.Click("#sessions-older"))
	b.waitFor(t, "the older sessions", `document.querySelectorAll("#session-rows tr").length === 205`)
	if got := b.eval(t, `document.getElementById("session-note").textContent + " | " + document.getElementById("sessions-older").hidden`); got != "205 session(s) | true" {
		t.Errorf("after Older sessions: %v, want 205 and no more button", got)
	}

	const hold = "not tried: destination path:p:yahoo.test rests until 2030-01-01T00:00:00Z after 421 4.7.0 slow down to x@yahoo.test (message m-0)"
	const reason = "nothing was sent to this recipient; its destination answered another message with a 421"
	relay.mu.Lock()
	for i := range 5 {
		id := fmt.Sprintf("held-%d", i)
		relay.queue = append(relay.queue, QueueEntry{ID: id, From: "a@shop.test", Recipients: []string{"b@yahoo.test"}, Queued: now,
			Waiting: []QueueRecipient{{Address: "b@yahoo.test", State: "queued", NextAttempt: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC),
				Hold: hold, Category: "destination-backoff", Reason: reason, Advice: "nothing for this message"}}})
	}
	relay.mu.Unlock()
	b.do(t, chromedp.Navigate(base+"/#/queue"))
	b.waitFor(t, "the queue", `document.querySelectorAll("#queue-table tbody tr").length === 5`)
	if got := b.eval(t, `[document.querySelectorAll("#queue-explained .hold").length, document.querySelectorAll("#queue-explained .reason").length,
		document.querySelectorAll("#queue-table .hold, #queue-table .reason, #queue-table .advice").length,
		document.querySelectorAll("#queue-table .hold-ref").length, document.querySelectorAll("#queue-table .explained-ref").length].join(" ")`); got != "1 1 0 5 5" {
		t.Errorf("holds above, reasons above, explanations in the table, hold markers, explanation markers: %v, want 1 1 0 5 5", got)
	}
	b.do(t, chromedp.Click(`#queue-table tr[data-id="held-0"] button`))
	b.waitFor(t, "the retry's answer", `document.querySelector('#queue-table tr[data-id="held-0"] .act-note').textContent.includes("still holds")`)
	if got := b.eval(t, `document.querySelector('#queue-table tr[data-id="held-0"] .act-note').textContent`).(string); !strings.Contains(got, "b@yahoo.test until 2030-01-01 00:00:00Z") {
		t.Errorf("after Retry now the row says %q, want the held recipient and the hold's end", got)
	}
	if ex := b.exceptions(); len(ex) > 0 {
		t.Fatalf("uncaught errors or stray logs in the page: %v", ex)
	}
}
