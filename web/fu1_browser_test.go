package web

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/events"
	"github.com/relaylab/relaylab/internal/store"
)

// fu1UI is browserUI with Chromium kept off the network: every name but
// the loopback address fails to resolve.
func fu1UI(t *testing.T) (b *browserPage, st *store.Store, relay *fakeRelay, sink *fakeSink, s *Server) {
	t.Helper()
	b = newBrowser(t, chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"))
	st = openStore(t, clock.Real{})
	relay, sink = newFakeRelay(), newFakeSink()
	relay.raw, sink.raw = map[string][]byte{}, map[string][]byte{}
	return b, st, relay, sink, listen(t, Options{Store: st, Relay: relay, Sink: sink})
}

// TestBrowserCopiesByRecipient: the Inbox marks a copy only when its
// recipients overlap another's: a fan-out to two domains and a fixture
// sent to two addresses under one Message-ID are not "delivered again",
// and a retry to one of two recipients says which it repeats.
func TestBrowserCopiesByRecipient(t *testing.T) {
	b, st, _, sink, s := fu1UI(t)
	base := "http://" + s.Addr()
	addCopyTo(t, st, 1, "app@shop.test", "fan@shop.test", "a@one.test")
	addCopyTo(t, st, 2, "app@shop.test", "fan@shop.test", "b@two.test")
	addCopyTo(t, st, 3, "app@shop.test", "part@shop.test", "p@s.test", "q@s.test")
	addCopyTo(t, st, 4, "app@shop.test", "part@shop.test", "p@s.test")
	sink.mu.Lock()
	sink.msgs["4"] = MessageDetail{ID: "4", From: "app@shop.test", To: []string{"p@s.test"}, Subject: "retry"}
	sink.mu.Unlock()
	b.do(t, chromedp.Navigate(base+"/#/inbox"))
	b.waitFor(t, "the inbox", `document.querySelectorAll("#inbox-rows tr").length === 4`)
	marks := b.eval(t, `[...document.querySelectorAll("#inbox-rows tr")].map((tr) => tr.dataset.id + ":" + (tr.querySelector(".copy-note") || {textContent: ""}).textContent).join(" | ")`).(string)
	want := "4:copy 2 of 2 of <part@shop.test>: the sender delivered it again to p@s.test, likely after a dropped connection or lost 250 | " +
		"3:copy 1 of 2 of <part@shop.test>: the sender delivered it again later to p@s.test (1 more copy) | 2: | 1:"
	if marks != want {
		t.Errorf("the Inbox marks\n%q, want\n%q", marks, want)
	}
	b.do(t, chromedp.Navigate(base+"/#/sink/messages/4"))
	b.waitFor(t, "the message's page", `document.querySelector(".copy-note")`)
	if got := b.eval(t, `document.querySelector(".copy-note").textContent`).(string); !strings.HasPrefix(got, "copy 2 of 2 of <part@shop.test>: the sender delivered it again to p@s.test") {
		t.Errorf("the message's page says %q", got)
	}
	if ex := b.exceptions(); len(ex) > 0 {
		t.Fatalf("uncaught errors or stray logs in the page: %v", ex)
	}
}

// TestBrowserLateBounceDSN: a late bounce's DSN, which the relay carries
// on to the sender (relayed_as), has its step in the timeline as the
// relay's own DSN after a refusal has, "DSN (failed) sent to <sender>:
// 5.1.1 ..." with a link to the DSN, where the page said only "bounced ...
// (in a bounce after delivery)"; the relay's own DSN reads "DSN (failed)
// sent to", not "failed DSN to"; the sink's copy of the bounced message
// says when the sink bounced it, to whom and for which reply, where it
// said only "accepted 250".
func TestBrowserLateBounceDSN(t *testing.T) {
	b, st, _, sink, s := fu1UI(t)
	base := "http://" + s.Addr()
	ok := map[string]any{"stage": "dot", "code": 250, "enhanced": "2.0.0", "text": "Message accepted as 7"}
	late := map[string]any{"stage": "async", "code": 550, "enhanced": "5.1.1", "text": "The mailbox does not exist"}
	now := map[string]any{"stage": "rcpt", "code": 550, "enhanced": "5.1.1", "text": "No such user here"}
	appendEvents(t, st,
		events.Event{Kind: events.RelayQueued, Message: "orig-1", Recipient: "bounce@example.test"}.WithPayload(map[string]any{"sender": "app@shop.test", "subject": "late one"}),
		events.Event{Kind: events.RelayDelivered, Message: "orig-1", Recipient: "bounce@example.test"}.WithPayload(map[string]any{"attempts": 1, "reply": ok}),
		events.Event{Kind: events.SinkBounce, Recipient: "bounce@example.test"}.WithPayload(map[string]any{
			"bounce": 1, "message": 7, "to": "app@shop.test", "recipient": "bounce@example.test", "action": "failed", "sent": true,
			"reply": "550 5.1.1 The mailbox does not exist", "relay": "relaylab's own relay (queued in process)", "error": ""}),
		events.Event{Kind: events.RelayQueued, Message: "lb-1", Recipient: "app@shop.test"}.
			WithPayload(map[string]any{"sender": "", "client": "sink", "dsn": false, "subject": "Undelivered Mail Returned to Sender", "bounce_for": "orig-1"}),
		events.Event{Kind: events.RelayBounced, Message: "orig-1", Recipient: "bounce@example.test"}.WithPayload(map[string]any{"async": true,
			"category": "invalid-recipient", "previous_state": "delivered", "relayed_as": "lb-1", "reply": late}),
		events.Event{Kind: events.RelayQueued, Message: "now-1", Recipient: "gone@example.test"}.WithPayload(map[string]any{"sender": "app@shop.test", "subject": "now one"}),
		events.Event{Kind: events.RelayBounced, Message: "now-1", Recipient: "gone@example.test"}.WithPayload(map[string]any{"attempts": 1, "category": "invalid-recipient", "reply": now}),
		events.Event{Kind: events.RelayDSN, Message: "now-1", Recipient: "gone@example.test"}.WithPayload(map[string]any{"action": "failed", "dsn_message": "dsn-1", "status": "5.1.1", "to": "app@shop.test"}),
	)
	addSinkMessage(t, st, 7, 1)
	sink.mu.Lock()
	sink.msgs["7"] = MessageDetail{ID: "7", From: "app@shop.test", To: []string{"bounce@example.test"}, Subject: "late one"}
	sink.mu.Unlock()

	b.do(t, chromedp.Navigate(base+"/#/messages/orig-1"))
	b.waitFor(t, "the late bounce's DSN step", `document.querySelector("#timeline li[data-kind=dsn-carried]")`)
	step := b.eval(t, `document.querySelector("#timeline li[data-kind=dsn-carried]").innerText.replace(/\s+/g, " ")`).(string)
	if !strings.Contains(step, "dsn DSN (failed) sent to <app@shop.test>: 5.1.1 The mailbox does not exist") || !strings.Contains(step, "The DSN itself: lb-1") {
		t.Errorf("the late bounce's DSN step reads %q", step)
	}
	if got := b.eval(t, `document.querySelector("#timeline li[data-kind=dsn-carried] a.dsn-link").getAttribute("href")`); got != "#/messages/lb-1" {
		t.Errorf("the late bounce's DSN links %q, want #/messages/lb-1", got)
	}
	if got := b.eval(t, `[...document.querySelectorAll("#timeline li")].map((li) => li.dataset.kind).join(",")`); got != "relay.queued,relay.delivered,relay.bounced,dsn-carried" {
		t.Errorf("the timeline's steps are %v, want the DSN's step after the bounce", got)
	}

	b.do(t, chromedp.Navigate(base+"/#/messages/now-1"))
	b.waitFor(t, "the DSN's step", `document.querySelector("#timeline li[data-kind='relay.dsn'] .what")`)
	if got := b.eval(t, `document.querySelector("#timeline li[data-kind='relay.dsn'] .what").textContent`); got != "DSN (failed) sent to <app@shop.test>: 5.1.1 No such user here" {
		t.Errorf("the relay's DSN step reads %q", got)
	}

	b.do(t, chromedp.Navigate(base+"/#/sink/messages/7"))
	b.waitFor(t, "the late bounce on the sink's copy", `document.querySelector("#msg-reply #msg-late-bounces li")`)
	got := b.eval(t, `document.querySelector("#msg-late-bounces li").textContent`).(string)
	if !strings.HasPrefix(got, "bounced later: DSN (failed) sent to <app@shop.test> at 20") || !strings.HasSuffix(got, "Z for 550 5.1.1 The mailbox does not exist") {
		t.Errorf("the sink's copy says %q", got)
	}
	if ex := b.exceptions(); len(ex) > 0 {
		t.Fatalf("uncaught errors or stray logs in the page: %v", ex)
	}
}

// fu1DSN is a DSN as relaylab's sink writes one and the relay carries it
// (its Received field names the relay's message lb-1), returning the
// header of relay message orig-1, with a field that holds HTML.
const fu1DSN = "Received: from local (Go API, client sink)\r\n\tby relaylab.localhost (relaylab) id lb1\r\n\tfor <app@shop.test>;\r\n\tMon, 30 Nov 2026 06:58:06 +0000\r\n" +
	"From: Mail Delivery System <MAILER-DAEMON@sink.relaylab.test>\r\nTo: app@shop.test\r\nSubject: Undelivered Mail Returned to Sender\r\n" +
	"Message-ID: <sink-bounce-1.x@sink.relaylab.test>\r\nMIME-Version: 1.0\r\n" +
	"Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\r\n\r\n" +
	"--b\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\nYour message could not be delivered.\r\n" +
	"--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; sink.relaylab.test\r\n\r\n" +
	"Final-Recipient: rfc822; bounce@example.test\r\nAction: failed\r\nStatus: 5.1.1\r\nDiagnostic-Code: smtp; 550 5.1.1 The mailbox does not exist\r\n" +
	"--b\r\nContent-Type: text/rfc822-headers\r\n\r\n" +
	"Received: from client.test ([127.0.0.1])\r\n\tby relaylab.localhost (relaylab) with ESMTP id orig1\r\n\tfor <bounce@example.test>;\r\n\tMon, 30 Nov 2026 06:58:04 +0000\r\n" +
	"From: app@shop.test\r\nSubject: <img src=x onerror=alert(1)>late one\r\n" +
	"--b\r\nContent-Type: application/pdf; name=\"invoice.pdf\"\r\nContent-Disposition: attachment; filename=\"invoice.pdf\"\r\n\r\n%PDF\r\n" +
	"--b--\r\n"

// TestBrowserDSNParts: a DSN's delivery-status and returned header parts
// are shown as text on the sink's page and on the relay's, where both
// said only that the .eml holds them, and markup in them stays text; a
// part with a file name downloads by its name, not its number; the
// sink's copy of a DSN says which relay message it reports on, through
// the relay message that carried it, or else through the relay's
// Received field in the header it returns.
func TestBrowserDSNParts(t *testing.T) {
	b, st, relay, sink, s := fu1UI(t)
	base := "http://" + s.Addr()
	d := DecodeMessage([]byte(fu1DSN))
	d.ID, d.From, d.To, d.Received, d.Size = "8", "", []string{"app@shop.test"}, time.Now().UTC(), int64(len(fu1DSN))
	other := strings.Replace(fu1DSN, "Received: from local (Go API, client sink)\r\n\tby relaylab.localhost (relaylab) id lb1\r\n\tfor <app@shop.test>;\r\n\tMon, 30 Nov 2026 06:58:06 +0000\r\n", "", 1)
	d9 := DecodeMessage([]byte(other))
	d9.ID, d9.From, d9.To = "9", "", []string{"app@shop.test"}
	dr := d
	dr.ID = "lb1"
	sink.mu.Lock()
	sink.msgs["8"], sink.raw["8"] = d, []byte(fu1DSN)
	sink.msgs["9"], sink.raw["9"] = d9, []byte(other)
	sink.mu.Unlock()
	relay.mu.Lock()
	relay.msgs["lb1"], relay.raw["lb1"] = dr, []byte(fu1DSN)
	relay.mu.Unlock()
	addSinkMessage(t, st, 8, 1)
	addSinkMessage(t, st, 9, 1)
	appendEvents(t, st,
		events.Event{Kind: events.RelayQueued, Message: "orig1", Recipient: "bounce@example.test"}.WithPayload(map[string]any{"sender": "app@shop.test", "subject": "late one"}),
		events.Event{Kind: events.RelayQueued, Message: "lb1", Recipient: "app@shop.test"}.
			WithPayload(map[string]any{"sender": "", "client": "sink", "subject": "Undelivered Mail Returned to Sender", "bounce_for": "orig1"}))

	parts := func(where string) {
		t.Helper()
		b.waitFor(t, where+": the report's parts as text", `document.querySelectorAll("#msg-part-texts section").length === 2`)
		got := b.eval(t, `[...document.querySelectorAll("#msg-part-texts section")].map((s) => s.dataset.id + " " + s.querySelector("h3").textContent + ": " + s.querySelector("pre").textContent.replace(/\r?\n/g, "|")).join("\n")`).(string)
		if !strings.Contains(got, "2 Part 2, message/delivery-status: Reporting-MTA: dns; sink.relaylab.test||Final-Recipient: rfc822; bounce@example.test|Action: failed|Status: 5.1.1") ||
			!strings.Contains(got, "3 Part 3, text/rfc822-headers: Received: from client.test") || !strings.Contains(got, "Subject: <img src=x onerror=alert(1)>late one") {
			t.Errorf("%s: the parts shown as text:\n%s", where, got)
		}
		if b.eval(t, `!!document.querySelector("#msg-part-texts img, img[src=x]")`) == true {
			t.Errorf("%s: markup in a part became an element", where)
		}
	}
	b.do(t, chromedp.Navigate(base+"/#/sink/messages/8"))
	parts("the sink's page")
	if got := b.eval(t, `[...document.querySelectorAll("#msg-parts tbody tr")].map((tr) => tr.cells[0].textContent + "=" + (tr.querySelector("a.part-dl") || {textContent: "-"}).textContent).join(" ")`); got != "2=2 3=3 4=invoice.pdf" {
		t.Errorf("the parts' download links read %v, want the number of a part without a file name and the name of one with", got)
	}
	b.waitFor(t, "what the DSN reports on", `!document.getElementById("dsn-about").hidden`)
	about := b.eval(t, `document.getElementById("dsn-about").textContent + " | " + [...document.querySelectorAll("#dsn-about a")].map((a) => a.getAttribute("href")).join(" ")`).(string)
	if !strings.Contains(about, "a bounce (a DSN) about this relaylab's relay's message orig1") || !strings.HasSuffix(about, "| #/messages/orig1 #/messages/lb1") {
		t.Errorf("the sink's copy of the DSN says %q", about)
	}

	b.do(t, chromedp.Navigate(base+"/#/sink/messages/9"))
	b.waitFor(t, "what the DSN reports on", `!document.getElementById("dsn-about").hidden`)
	about = b.eval(t, `document.getElementById("dsn-about").textContent + " | " + [...document.querySelectorAll("#dsn-about a")].map((a) => a.getAttribute("href")).join(" ")`).(string)
	if !strings.Contains(about, "This DSN reports on this relaylab's relay's message orig1: the headers it returns hold the relay's Received field") || !strings.HasSuffix(about, "| #/messages/orig1") {
		t.Errorf("the sink's copy of a DSN with no carrier says %q", about)
	}

	b.do(t, chromedp.Navigate(base+"/#/messages/lb1"))
	parts("the relay's page")
	if note := b.eval(t, `document.getElementById("msg-parts-note").textContent`).(string); !strings.Contains(note, "The delivery report's parts are shown below as text") {
		t.Errorf("the relay page's note under the parts: %q", note)
	}
	if ex := b.exceptions(); len(ex) > 0 {
		t.Fatalf("uncaught errors or stray logs in the page: %v", ex)
	}
}

// TestBrowserSubjectHeading: a message's page names its subject under its
// heading, the relay's and the sink's, where it showed the id alone; a
// zero-width space in a subject is marked there and in the envelope, as
// one in an address is, while an emoji's joiners and a Persian word's
// non-joiner are kept, and markup stays text.
func TestBrowserSubjectHeading(t *testing.T) {
	b, st, relay, sink, s := fu1UI(t)
	base := "http://" + s.Addr()
	subject := "pay\u200bpal <b>invoice</b> \U0001F469\u200d\U0001F4BB \u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"
	relay.mu.Lock()
	relay.msgs["m-1"] = MessageDetail{ID: "m-1", From: "a@shop.test", To: []string{"b@example.test"}, Subject: subject}
	relay.mu.Unlock()
	sink.mu.Lock()
	sink.msgs["5"] = MessageDetail{ID: "5", From: "a@shop.test", To: []string{"b@example.test"}, Subject: subject}
	sink.mu.Unlock()
	addSinkMessage(t, st, 5, 1)
	appendEvents(t, st, events.Event{Kind: events.RelayQueued, Message: "m-1", Recipient: "b@example.test"}.WithPayload(map[string]any{"sender": "a@shop.test", "subject": subject}))
	want := "pay⟨U+200B⟩pal <b>invoice</b> \U0001F469\u200d\U0001F4BB \u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"
	for _, page := range []string{"#/messages/m-1", "#/sink/messages/5"} {
		b.do(t, chromedp.Navigate(base+"/"+page))
		b.waitFor(t, page+": the subject", `document.querySelector("hgroup #msg-heading-subject") && document.getElementById("msg-subject")`)
		got := b.eval(t, `[document.querySelector("hgroup #msg-heading-subject").textContent, document.getElementById("msg-subject").textContent,
			String(document.querySelectorAll("#msg-heading-subject .inv-ctl").length), String(!!document.querySelector("#msg-heading-subject b, #msg-subject b")),
			document.querySelector("#main h1").textContent]`).([]any)
		if got[0] != want || got[1] != want || got[2] != "1" || got[3] != "false" || !strings.HasSuffix(got[4].(string), "essage "+strings.TrimPrefix(strings.TrimPrefix(page, "#/sink/messages/"), "#/messages/")) {
			t.Errorf("%s: heading subject %q, envelope subject %q, %s marked, markup an element %s, h1 %q; want %q with the zero-width space alone marked, under an h1 of the id", page, got[0], got[1], got[2], got[3], got[4], want)
		}
	}
	if ex := b.exceptions(); len(ex) > 0 {
		t.Fatalf("uncaught errors or stray logs in the page: %v", ex)
	}
}
