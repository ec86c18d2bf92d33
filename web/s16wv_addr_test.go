package web

import (
	"testing"
)

// TestS16WVQuotedLocalPart: a quoted local part keeps its quotes where
// the page and the API show an address field (the message's header
// rows, the inbox's header_from), so that one holding an address, a
// comma or a space cannot pass for something else: net/mail gives the
// local part's value, quotes taken off.
func TestS16WVQuotedLocalPart(t *testing.T) {
	t.Parallel()
	spoof := `"ceo@bank.test <ceo@bank.test>, x"@evil.test`
	for _, tc := range []struct{ in, want string }{
		{spoof, spoof},
		{`"a b"@shop.test`, `"a b"@shop.test`},
		{`"q\"uote"@shop.test`, `"q\"uote"@shop.test`},
		{`Ann <"a b"@shop.test>, "c.d"@shop.test`, `Ann <"a b"@shop.test>, c.d@shop.test`}, // a dot-atom needs no quotes
		{`"back\\slash"@shop.test`, `"back\\slash"@shop.test`},
	} {
		if got, ok := showAddresses(tc.in); got != tc.want || !ok {
			t.Errorf("showAddresses(%q) = %q, %v; want %q, true", tc.in, got, ok, tc.want)
		}
	}

	raw := "From: " + spoof + "\r\nTo: \"a b\"@shop.test\r\nSubject: s\r\n\r\nhi\r\n"
	d := DecodeMessage([]byte(raw))
	want := map[string]string{"From": spoof, "To": `"a b"@shop.test`}
	for _, h := range d.Headers {
		if w, ok := want[h.Name]; ok && h.Value != w {
			t.Errorf("header %s: %q, want %q", h.Name, h.Value, w)
		}
	}
	st := openStore(t, nil)
	_, sink, _ := filledFakes()
	ts := startServer(t, Options{Store: st, Sink: sink})
	addInbox(t, st, inboxRow{id: 1, session: 1, from: "attacker@evil.test", rcpts: "bob@example.test", raw: raw, code: 250})
	p := inbox(t, ts.url, "")
	if len(p.Messages) != 1 || p.Messages[0].HeaderFrom != spoof {
		t.Errorf("inbox %+v: want header_from %q", p.Messages, spoof)
	}
}
