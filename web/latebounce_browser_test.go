package web

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/events"
)

// TestBrowserSinkLateBounce: relaylab serve hands the sink's late bounces
// to its relay in process. The feed's sink.bounce row says what was sent
// to whom for which reply and links to the sink's copy of the bounced
// message, instead of an empty detail and no link; the relay's rows of the
// bounce it queued (relay.queued with the client "sink") say it is the
// sink's late bounce, and so does its message page, instead of a delivery
// to the sender that nothing ties to a bounce. The asynchronous bounce of
// the original reads "in a bounce after delivery", not "at async".
func TestBrowserSinkLateBounce(t *testing.T) {
	b := newBrowser(t)
	st := openStore(t, clock.Real{})
	s := listen(t, Options{Store: st, Relay: newFakeRelay(), Sink: newFakeSink()})
	base := "http://" + s.Addr()
	ok := map[string]any{"stage": "dot", "code": 250, "enhanced": "2.0.0", "text": "Message accepted as 2"}
	appendEvents(t, st,
		events.Event{Kind: events.RelayQueued, Message: "lb-1", Recipient: "app@shop.test"}.
			WithPayload(map[string]any{"sender": "", "client": "sink", "dsn": false, "subject": "Undelivered Mail Returned to Sender", "bounce_for": "orig-1"}),
		events.Event{Kind: events.SinkBounce, Recipient: "bounce0s@example.test"}.WithPayload(map[string]any{
			"bounce": 1, "message": 7, "to": "app@shop.test", "recipient": "bounce0s@example.test", "action": "failed", "sent": true,
			"reply": "550 5.1.1 The mailbox does not exist", "relay": "relaylab's own relay (queued in process)", "error": ""}),
		events.Event{Kind: events.RelayDelivered, Message: "lb-1", Recipient: "app@shop.test"}.WithPayload(map[string]any{"attempts": 1, "reply": ok}),
		events.Event{Kind: events.RelayBounced, Message: "orig-1", Recipient: "bounce0s@example.test"}.WithPayload(map[string]any{"async": true, "category": "invalid-recipient",
			"reply": map[string]any{"stage": "async", "code": 550, "enhanced": "5.1.1", "text": "The mailbox does not exist"}}),
	)

	b.do(t, chromedp.Navigate(base+"/#/feed"))
	b.waitFor(t, "the backlog", `document.querySelectorAll("#feed-rows tr").length === 4`)
	b.do(t, chromedp.Evaluate[chromedp.Void](`document.querySelectorAll(".filters input[type=checkbox]").forEach((cb) => { if (!cb.checked) cb.click(); })`))
	rows := map[string]string{}
	for _, kind := range []string{"sink.bounce", "relay.queued", "relay.delivered", "relay.bounced"} {
		rows[kind] = b.eval(t, `[...document.querySelectorAll("#feed-rows tr")].find((tr) => tr.querySelector(".badge").textContent === "`+kind+`").innerText.replace(/\s+/g, " ")`).(string)
	}
	for kind, want := range map[string]string{
		"sink.bounce":     "DSN (failed) sent to <app@shop.test> for 550 5.1.1 The mailbox does not exist via relaylab's own relay (queued in process)",
		"relay.queued":    "Undelivered Mail Returned to Sender Bounce of orig-1, relayed on to its sender",
		"relay.delivered": "The sink's late bounce (a DSN), on its way back to the sender",
		// An asynchronous bounce has no SMTP stage to be "at".
		"relay.bounced": "550 5.1.1 The mailbox does not exist (in a bounce after delivery)",
	} {
		if !strings.Contains(rows[kind], want) {
			t.Errorf("the feed's %s row lacks %q: %q", kind, want, rows[kind])
		}
	}
	// The relay's stage "dot" reads as the moment it is.
	if !strings.Contains(rows["relay.delivered"], "250 2.0.0 Message accepted as 2 (after the message's final dot)") {
		t.Errorf("the feed's relay.delivered row does not say the reply came after the final dot: %q", rows["relay.delivered"])
	}
	if !strings.Contains(rows["relay.queued"], "(a late bounce from relaylab's sink, queued in process)") {
		t.Errorf("the feed's relay.queued row does not say it is the sink's late bounce: %q", rows["relay.queued"])
	}
	if got := b.eval(t, `[...document.querySelectorAll("#feed-rows tr")].find((tr) => tr.textContent.includes("sink.bounce")).querySelector("td:nth-child(3) a")?.getAttribute("href") ?? ""`); got != "#/sink/messages/7" {
		t.Errorf("the sink.bounce row links to %q, want the sink's copy #/sink/messages/7", got)
	}
	if got := b.eval(t, `[...document.querySelectorAll("#feed-rows tr")].find((tr) => tr.textContent.includes("sink.bounce")).querySelector("td:nth-child(3)").textContent`); got != "message 7" {
		t.Errorf("the sink.bounce row's link reads %q, want \"message 7\"", got)
	}
	b.screenshot(t, "feed-sink-late-bounce")

	b.do(t, chromedp.Navigate(base+"/#/messages/lb-1"))
	b.waitFor(t, "the note", `!document.getElementById("dsn-about").hidden`)
	if got := b.eval(t, `document.getElementById("dsn-about").textContent`).(string); !strings.Contains(got, "late bounce (a DSN) that relaylab's sink sent") {
		t.Errorf("the message page says %q, want that it is the sink's late bounce", got)
	}
	if got := b.eval(t, `document.querySelector("#dsn-about a")?.getAttribute("href") ?? ""`); got != "#/messages/orig-1" {
		t.Errorf("the message page links to %q, want the bounced message #/messages/orig-1", got)
	}
	if ex := b.exceptions(); len(ex) > 0 {
		t.Fatalf("uncaught errors or stray logs in the page: %v", ex)
	}
}
