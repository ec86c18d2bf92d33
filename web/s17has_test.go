package web

import (
	"net/url"
	"strings"
	"testing"
)

// TestInboxHasAttachment: has:attachment keeps the messages whose page
// lists a part besides the text and HTML bodies, whether the part comes
// after a text body larger than the 64 KiB the inbox reads otherwise,
// is an inline image of a multipart/related, or is the whole of a
// one-part message; plain, alternative and broken messages are left out,
// and -has:attachment keeps those. The search answered 400 before.
func TestInboxHasAttachment(t *testing.T) {
	t.Parallel()
	st := openStore(t, nil)
	_, sink, _ := filledFakes()
	ts := startServer(t, Options{Store: st, Sink: sink})
	head := "From: a@shop.test\r\nSubject: s\r\n"
	mixed := func(first string) string {
		return head + "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n" + first +
			"\r\n--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=\"invoice.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0=\r\n--b--\r\n"
	}
	addInbox(t, st,
		inboxRow{id: 1, session: 1, from: "a@shop.test", rcpts: "b@example.test", code: 250, raw: head + "\r\nplain\r\n"},
		inboxRow{id: 2, session: 1, from: "a@shop.test", rcpts: "b@example.test", code: 250, raw: mixed("see the invoice")},
		inboxRow{id: 3, session: 1, from: "a@shop.test", rcpts: "b@example.test", code: 250, raw: mixed(strings.Repeat("long text line\r\n", 8000))},
		inboxRow{id: 4, session: 1, from: "a@shop.test", rcpts: "b@example.test", code: 250,
			raw: head + "Content-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n--b\r\nContent-Type: text/html\r\n\r\n<p>hi</p>\r\n--b--\r\n"},
		inboxRow{id: 5, session: 1, from: "a@shop.test", rcpts: "b@example.test", code: 250,
			raw: head + "Content-Type: multipart/related; boundary=b\r\n\r\n--b\r\nContent-Type: text/html\r\n\r\n<img src=cid:logo>\r\n--b\r\nContent-Type: image/png\r\nContent-ID: <logo>\r\n\r\nPNG\r\n--b--\r\n"},
		inboxRow{id: 6, session: 1, from: "a@shop.test", rcpts: "b@example.test", code: 250,
			raw: head + "Content-Type: application/zip; name=x.zip\r\nContent-Transfer-Encoding: base64\r\n\r\nUEsFBg==\r\n"},
		inboxRow{id: 7, session: 1, from: "a@shop.test", rcpts: "b@example.test", code: 550, raw: "not a message at all"},
	)
	for q, want := range map[string]string{
		"has:attachment":              "6,5,3,2",
		"HAS:Attachments":             "6,5,3,2",
		"-has:attachment":             "7,4,1",
		"has:attachment invoice":      "2", // the word in the body's text
		"has:attachment code:2xx":     "6,5,3,2",
		"is:refused -has:attachment":  "7",
		"has:attachment smaller:1000": "6,5,2",
	} {
		if p := inbox(t, ts.url, "?q="+url.QueryEscape(q)); p.ids() != want {
			t.Errorf("q=%s: %s, want %s", q, p.ids(), want)
		}
	}
}
