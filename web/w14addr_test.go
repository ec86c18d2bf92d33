package web

import (
	"slices"
	"strings"
	"testing"
)

// TestW14AddressFieldSpoof: a display name that decodes (RFC 2047) to
// something shaped as an address is quoted, so that the real address is
// the one in angle brackets, in the inbox's header_from, the message's
// header rows and an attached message's From; an address field that is
// not an address list is shown as written, with a note.
func TestW14AddressFieldSpoof(t *testing.T) {
	t.Parallel()
	spoof := "=?UTF-8?Q?ceo=40bank.test_=3Cceo=40bank.test=3E?= <attacker@evil.test>"
	for _, tc := range []struct{ in, want string }{
		{spoof, `"ceo@bank.test <ceo@bank.test>" <attacker@evil.test>`},
		{"=?UTF-8?Q?Caf=C3=A9_Shop?= <news@shop.test>", "Café Shop <news@shop.test>"},
		{"a@shop.test", "a@shop.test"},
		{"<a@shop.test>", "a@shop.test"},
		{`"x\"y" <a@shop.test>, b@shop.test`, `"x\"y" <a@shop.test>, b@shop.test`},
		{"=?UTF-8?Q?a=2C_b?= <a@shop.test>", `"a, b" <a@shop.test>`},
		{`=?UTF-8?Q?back=5Cslash=22?= <a@shop.test>`, `"back\\slash\"" <a@shop.test>`},
		{"=?UTF-8?Q?=E2=80=AEgnp?= <a@shop.test>", "\u202egnp <a@shop.test>"}, // marked by the page as elsewhere
		{"=?UTF-8?Q?Ann?= =?UTF-8?Q?_Lee?= <a@shop.test>", "Ann Lee <a@shop.test>"},
		{"=?x-unknown?Q?zz?= <a@shop.test>", "=?x-unknown?Q?zz?= <a@shop.test>"},
		{"undisclosed-recipients:;", "undisclosed-recipients:;"},
	} {
		if got, ok := showAddresses(tc.in); got != tc.want || !ok {
			t.Errorf("showAddresses(%q) = %q, %v; want %q, true", tc.in, got, ok, tc.want)
		}
	}
	// Not an address list: as written, encoded-words and all.
	broken := "=?UTF-8?Q?ceo=40bank.test?= <attacker@evil.test> <x"
	if got, ok := showAddresses(broken); got != broken || ok {
		t.Errorf("showAddresses(%q) = %q, %v; want it as written, false", broken, got, ok)
	}

	raw := "From: " + spoof + "\r\nTo: =?UTF-8?Q?bob=40shop.test?= <carol@example.test>\r\nCc: " + broken +
		"\r\nSubject: =?UTF-8?Q?a=40b?=\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n" +
		"--b\r\nContent-Type: message/rfc822\r\n\r\nFrom: " + spoof + "\r\nSubject: fw\r\n\r\nx\r\n--b--\r\n"
	d := DecodeMessage([]byte(raw))
	want := map[string]string{
		"From":    `"ceo@bank.test <ceo@bank.test>" <attacker@evil.test>`,
		"To":      `"bob@shop.test" <carol@example.test>`,
		"Cc":      broken,
		"Subject": "a@b", // not an address field: decoded as it is
	}
	for _, h := range d.Headers {
		if w, ok := want[h.Name]; ok && h.Value != w {
			t.Errorf("header %s: %q, want %q", h.Name, h.Value, w)
		}
	}
	if !slices.ContainsFunc(d.Notes, func(n string) bool { return strings.Contains(n, "the Cc field is not a list of addresses") }) {
		t.Errorf("notes %q: want one saying the Cc field is shown as written", d.Notes)
	}
	if len(d.Attachments) != 1 || d.Attachments[0].Message == nil || d.Attachments[0].Message.From != want["From"] {
		t.Errorf("attachments %+v: want the attached message's From %q", d.Attachments, want["From"])
	}

	st := openStore(t, nil)
	_, sink, _ := filledFakes()
	ts := startServer(t, Options{Store: st, Sink: sink})
	addInbox(t, st, inboxRow{id: 1, session: 1, from: "attacker@evil.test", rcpts: "bob@example.test", raw: raw, code: 250})
	p := inbox(t, ts.url, "")
	if len(p.Messages) != 1 || p.Messages[0].HeaderFrom != want["From"] {
		t.Errorf("inbox %+v: want header_from %q", p.Messages, want["From"])
	}
}
