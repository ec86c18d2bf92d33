package web

import (
	"testing"
)

// TestS16WVSearchWholeAddress: a from:, to: or addressed: value with
// text on both sides of its @ matches a whole address, in any case, in
// the envelope or in the From, To and Cc fields (a quoted local part
// too); any other value a part of one, as before.
func TestS16WVSearchWholeAddress(t *testing.T) {
	t.Parallel()
	msgs := map[string]*InboxMessage{
		"1": {ID: "1", From: "app@shop.test", To: []string{"bob@x.test"}},
		"2": {ID: "2", From: "noreply@shop.test", To: []string{"jimbob@x.test"}},
		"3": {ID: "3", From: "app@shop.test", To: []string{"list@x.test"}, HeaderFrom: "Bob <Bob@X.test>"},
	}
	heads := map[string]map[string]string{
		"1": {},
		"2": {"cc": "Ann <ann@x.test>, \"a b\"@x.test"},
		"3": {"from": "Bob <Bob@X.test>", "to": "Jim <jimbob@x.test>"},
	}
	for _, tc := range []struct{ q, want string }{
		{"to:bob@x.test", "1"},          // not jimbob@x.test
		{"to:BOB@X.TEST", "1"},          // any case
		{"to:jimbob@x.test", "2,3"},     // RCPT TO, the To field
		{"to:ann@x.test", "2"},          // the Cc field
		{`to:"\"a b\"@x.test"`, "2"},    // a quoted local part, as shown
		{"to:bob", "1,2,3"},             // a part, as before
		{"to:@x.test", "1,2,3"},         // a domain
		{"to:ob@x.test", ""},            // no address is all of it
		{"from:bob@x.test", "3"},        // the From field
		{"from:app@shop.test", "1,3"},   // the envelope sender
		{"from:pp@shop.test", ""},       //
		{"addressed:bob@x.test", "1,3"}, //
		{"-to:jimbob@x.test", "1"},      //
		{"addressed:ann@x.test", "2"},   //
	} {
		checkMatches(t, tc.q, tc.want, msgs, heads, "1", "2", "3")
	}
}

// TestS16WVSearchErrors: two dashes before a qualifier, has:, cc: and a
// value the search cannot read are errors that say what to write, the
// value echoed as typed.
func TestS16WVSearchErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		q, what string
		detail  []string
	}{
		{"--is:accepted", `two dashes before "is:" in q`, []string{"write is:accepted or -is:accepted", `"--is:accepted"`}},
		{"after:2026-11-29T13:35:20", `bad "after:" in q`, []string{`not "2026-11-29T13:35:20"`}},
		{"code:4XY", `bad "code:" in q`, []string{`not "4XY"`}},
		{"has:pdf", `bad "has:" in q`, []string{`has: takes attachment`, `not "pdf"`}},
		{"cc:boss", `unknown qualifier "cc:" in q`, []string{"to: matches the Cc field"}},
	} {
		checkSearchError(t, tc.q, tc.what, tc.detail...)
	}
	// Text that starts with two dashes, and no qualifier after them, is
	// still text.
	for _, q := range []string{"--x", `"--is:accepted"`, "--", "-- re:"} {
		if _, err := parseSearch(q); err != nil {
			t.Errorf("q=%q: %v, want text", q, err)
		}
	}
}
