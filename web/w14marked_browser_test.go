package web

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserW14MessagePageMarks: on a received message's page, the
// envelope sender, the From field and each header row show an invisible
// character where it stands as a marked ⟨U+200B⟩, as the lists do, and a
// session's transcript and HELO do too; a display name that decodes to an
// address shows quoted before the real address, in the Inbox and on the
// message page, with a direction control in it marked.
func TestBrowserW14MessagePageMarks(t *testing.T) {
	b, st, _, sink, base := browserUI(t)
	now := time.Now().UTC()
	raw := "From: =?UTF-8?Q?ceo=40bank.test_=3Cceo=40bank.test=3E?= <attacker@evil.test>\r\n" +
		"Reply-To: =?UTF-8?Q?=E2=80=AEmoc.knab?= <pay\u200bpal@evil.test>\r\nSubject: hi\r\n\r\nx\r\n"
	d := DecodeMessage([]byte(raw))
	d.ID, d.From, d.To, d.Received, d.Session = "7", "pay\u200bpal@evil.test", []string{"bob@example.test"}, now, "3"
	sink.mu.Lock()
	sink.msgs["7"] = d
	sink.sessions = append(sink.sessions, SinkSession{ID: "3", Listener: "mx", Client: "127.0.0.1:5000", HELO: "mx\u200b.evil.test", Start: now, End: now,
		Messages: []string{"7"}, LastReply: "250 2.0.0 ok",
		Transcript: []Line{{Time: now, Dir: "c", Text: "MAIL FROM:<pay\u200bpal@evil.test>"}, {Time: now, Dir: "s", Text: "250 2.1.0 ok"}}})
	sink.mu.Unlock()
	addInbox(t, st, inboxRow{id: 7, session: 3, from: "attacker@evil.test", rcpts: "bob@example.test", raw: raw, code: 250})

	count := func(sel string) any {
		return b.eval(t, `(() => { const el = document.querySelector(`+jsString(sel)+`); return el ? el.querySelectorAll(".inv-ctl").length + ":" + el.textContent : "missing"; })()`)
	}
	b.do(t, chromedp.Navigate(base+"/#/sink/messages/7"))
	b.waitFor(t, "the message", `document.getElementById("msg-envelope-from") !== null`)
	if got := count("#msg-envelope-from"); got != "1:pay⟨U+200B⟩pal@evil.test" {
		t.Errorf("envelope from: %v, want the zero width space marked", got)
	}
	if got := count("#msg-header-from"); got != `0:"ceo@bank.test <ceo@bank.test>" <attacker@evil.test>` {
		t.Errorf("From field: %v, want the name quoted before the real address", got)
	}
	rows := b.eval(t, `[...document.querySelectorAll("table.headers tr")].map((tr) => tr.querySelectorAll(".inv-ctl").length + tr.querySelectorAll(".bidi-ctl").length * 10 + " " + tr.textContent).join(" | ")`)
	if want := `0 From"ceo@bank.test <ceo@bank.test>" <attacker@evil.test> | 11 Reply-To"⟨U+202E⟩moc.knab" <pay⟨U+200B⟩pal@evil.test> | 0 Subjecthi`; rows != want {
		t.Errorf("header rows: %v\nwant %v", rows, want)
	}

	b.do(t, chromedp.Navigate(base+"/#/sink/sessions/3"))
	b.waitFor(t, "the transcript", `document.querySelector("pre.transcript") !== null`)
	if got := b.eval(t, `document.querySelector("pre.transcript").querySelectorAll(".inv-ctl").length`); got != float64(1) {
		t.Errorf("transcript: %v marked invisible characters, want 1", got)
	}
	if got := b.eval(t, `[...document.querySelectorAll("dd")].find((dd) => dd.previousSibling.textContent === "HELO").textContent`); got != "mx⟨U+200B⟩.evil.test" {
		t.Errorf("HELO %v, want the zero width space marked", got)
	}

	b.do(t, chromedp.Navigate(base+"/#/inbox"))
	b.waitFor(t, "the inbox", `document.querySelectorAll("#inbox-rows tr").length === 1`)
	if got := b.eval(t, `document.querySelector("#inbox-rows td[data-label=from]").textContent`); got != `"ceo@bank.test <ceo@bank.test>" <attacker@evil.test>` {
		t.Errorf("inbox From: %v, want the name quoted and the envelope (the same address) not repeated", got)
	}
	if ex := b.exceptions(); len(ex) > 0 {
		t.Fatalf("uncaught errors or stray logs in the page: %v", ex)
	}
}
