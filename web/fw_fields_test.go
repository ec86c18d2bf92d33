package web

import (
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestMessageFields: a message's From, To, Cc and Reply-To fields come as
// names and addresses (encoded-words decoded, in charsets net/mail does
// not know too), with its Message-ID without brackets and its Date.
func TestMessageFields(t *testing.T) {
	t.Parallel()
	raw := "From: =?UTF-8?B?Wm/DqyDDhW5nc3Ryw7Zt?= <zoe@app.test>\r\nTo: Bob Smith <bob+t1@shop.test>, carol@shop.test\r\n" +
		"Cc: =?windows-1252?Q?=93Boss=94?= <boss@shop.test>\r\nReply-To: \"Help, desk\" <help@app.test>\r\n" +
		"Message-ID: <abc.123@app.test>\r\nDate: Mon, 2 Feb 2026 10:11:12 +0100\r\nSubject: s\r\n\r\nhi\r\n"
	d := DecodeMessage([]byte(raw))
	want := &MessageFields{
		From:      &MailAddress{Name: "Zoë Ångström", Address: "zoe@app.test"},
		To:        []MailAddress{{"Bob Smith", "bob+t1@shop.test"}, {"", "carol@shop.test"}},
		Cc:        []MailAddress{{"“Boss”", "boss@shop.test"}},
		ReplyTo:   []MailAddress{{"Help, desk", "help@app.test"}},
		MessageID: "abc.123@app.test",
		Date:      time.Date(2026, 2, 2, 10, 11, 12, 0, time.FixedZone("", 3600)),
	}
	if d.Fields == nil || !reflect.DeepEqual(d.Fields.From, want.From) || !reflect.DeepEqual(d.Fields.To, want.To) || !reflect.DeepEqual(d.Fields.Cc, want.Cc) ||
		!reflect.DeepEqual(d.Fields.ReplyTo, want.ReplyTo) || d.Fields.MessageID != want.MessageID || !d.Fields.Date.Equal(want.Date) {
		t.Errorf("fields %+v\nwant %+v", d.Fields, want)
	}
	if d := DecodeMessage([]byte("From: not an address\r\nDate: yesterday\r\n\r\nx")); d.Fields != nil {
		t.Errorf("fields that do not parse: %+v; want none", d.Fields)
	}
}

// TestDerivedText: a message with an HTML body only has the text of that
// body as its text, marked derived; one with a text part has its own.
func TestDerivedText(t *testing.T) {
	t.Parallel()
	d := DecodeMessage([]byte("Subject: s\r\nContent-Type: text/html\r\n\r\n<p>Hi <b>Zo&euml;</b>,</p><p>code T1-123456</p><style>x{}</style>"))
	if d.Text != "Hi Zoë,\ncode T1-123456" || !d.TextDerived {
		t.Errorf("HTML only: text %q derived %v; want the HTML's text, derived", d.Text, d.TextDerived)
	}
	d = DecodeMessage([]byte("Subject: s\r\nContent-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nplain\r\n--b\r\nContent-Type: text/html\r\n\r\n<p>html</p>\r\n--b--\r\n"))
	if d.Text != "plain" || d.TextDerived {
		t.Errorf("with a text part: text %q derived %v; want its own, not derived", d.Text, d.TextDerived)
	}
}

// TestInboxAttachmentCount: the inbox gives each message's count of
// attachments and inline parts, a search's too, and for a message larger
// than the head the list reads.
func TestInboxAttachmentCount(t *testing.T) {
	t.Parallel()
	st := openStore(t, nil)
	part := func(name, body string) string {
		return "--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=" + name + "\r\n\r\n" + body + "\r\n"
	}
	head := "From: a@shop.test\r\nSubject: s\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n"
	addInbox(t, st,
		inboxRow{id: 1, session: 1, from: "a@shop.test", rcpts: "b@shop.test", code: 250, raw: "Subject: none\r\n\r\nhi\r\n"},
		inboxRow{id: 2, session: 1, from: "a@shop.test", rcpts: "b@shop.test", code: 250, raw: head + part("a.bin", "x") + part("b.bin", "y") + "--b--\r\n"},
		inboxRow{id: 3, session: 1, from: "a@shop.test", rcpts: "b@shop.test", code: 250,
			raw: head + part("big.bin", strings.Repeat("z", inboxHead)) + part("after.bin", "w") + "--b--\r\n"},
	)
	ts := startServer(t, Options{Store: st, Sink: newFakeSink()})
	for _, q := range []string{"", "?q=" + url.QueryEscape("from:a@shop.test"), "?q=hi"} {
		p := inbox(t, ts.url, q)
		var got []int
		for _, m := range p.Messages {
			got = append(got, m.Attachments)
		}
		if !reflect.DeepEqual(got, []int{2, 2, 0}) {
			t.Errorf("inbox%s: attachments %v; want [2 2 0] (3, 2, 1)", q, got)
		}
	}
}

// TestMessageFieldsSpec: the new schemas' fields are the spec's.
func TestMessageFieldsSpec(t *testing.T) {
	t.Parallel()
	for name, v := range map[string]any{"MessageFields": MessageFields{}, "MailAddress": MailAddress{}} {
		props, ok := specProperties(t, name)
		if !ok {
			t.Errorf("openapi.yaml has no schema %s", name)
			continue
		}
		fields := jsonFields(v)
		for key := range fields {
			if _, ok := props[key]; !ok {
				t.Errorf("%s.%s is not in the spec", name, key)
			}
		}
		for key := range props {
			if _, ok := fields[key]; !ok {
				t.Errorf("the spec's %s.%s is no field", name, key)
			}
		}
	}
}
