package web

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserSinkMessageMailDeclared: a sink message's page says what
// its MAIL declared, both things always (BODY=8BITMIME or no BODY=,
// SMTPUTF8 or not, as the API's mail object has both keys; not recorded
// for a message an older build stored) and shows the sink's notes on it.
func TestBrowserSinkMessageMailDeclared(t *testing.T) {
	b, _, _, sink, base := browserUI(t)
	sink.mu.Lock()
	sink.msgs["31"] = MessageDetail{ID: "31", From: "x@s.test", Subject: "declared", Mail: &MailDeclared{Body: "8BITMIME", SMTPUTF8: true}}
	sink.msgs["32"] = MessageDetail{ID: "32", From: "x@s.test", Subject: "undeclared", Mail: &MailDeclared{},
		SinkNotes: []string{"8-bit data in the body (line 3) without BODY=8BITMIME"}}
	sink.msgs["33"] = MessageDetail{ID: "33", From: "x@s.test", Subject: "old", Mail: &MailDeclared{Unknown: true}}
	sink.msgs["34"] = MessageDetail{ID: "34", From: "x@s.test", Subject: "utf8 only", Mail: &MailDeclared{SMTPUTF8: true}}
	sink.mu.Unlock()
	for _, c := range []struct{ id, subject, mail, notes string }{
		{"31", "declared", "BODY=8BITMIME, SMTPUTF8", ""},
		{"32", "undeclared", "no BODY= (7-bit), no SMTPUTF8", "8-bit data in the body (line 3) without BODY=8BITMIME"},
		{"33", "old", "not recorded (stored before the sink kept it)", ""},
		{"34", "utf8 only", "no BODY= (7-bit), SMTPUTF8", ""},
	} {
		b.do(t, chromedp.Navigate(base+"/#/sink/messages/"+c.id))
		b.waitFor(t, "message "+c.id, `document.getElementById("msg-mail") && (document.getElementById("msg-subject") || {}).textContent === `+jsString(c.subject))
		if got := b.eval(t, `document.getElementById("msg-mail").textContent`); got != c.mail {
			t.Errorf("message %s: MAIL declared %q, want %q", c.id, got, c.mail)
		}
		notes, _ := b.eval(t, `(document.getElementById("msg-sink-notes") || {textContent: ""}).textContent`).(string)
		if (c.notes == "") != (notes == "") || !strings.Contains(notes, c.notes) {
			t.Errorf("message %s: the sink's notes %q, want %q", c.id, notes, c.notes)
		}
	}
	if ex := b.exceptions(); len(ex) > 0 {
		t.Fatalf("uncaught errors or stray logs in the page: %v", ex)
	}
}
