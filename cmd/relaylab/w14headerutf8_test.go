package main

import (
	"strings"
	"testing"

	"github.com/relaylab/relaylab/web"
)

// TestW14WebCcUTF8Address: the submission API takes a headers Cc whose
// address is not ASCII as it takes such an address in to: written in
// UTF-8 as it is (RFC 6532), its display name still encoded, where it
// refused the Cc saying the message does not use SMTPUTF8 while it sent
// the To in UTF-8.
func TestW14WebCcUTF8Address(t *testing.T) {
	t.Parallel()
	msg, err := buildWebMessage(web.EnqueueRequest{From: "a@shop.test", To: []string{"ü@example.test"}, Subject: "hi", Text: "x",
		Headers: []web.Header{{Name: "Cc", Value: "Jürgen <ö@example.test>, plain@example.test"}}})
	if err != nil {
		t.Fatalf("buildWebMessage: %v", err)
	}
	f := headerFields(t, msg)
	if got := f["cc"]; len(got) != 1 || got[0] != "=?utf-8?q?J=C3=BCrgen?= <ö@example.test>, <plain@example.test>" {
		t.Errorf("Cc %q, want the name encoded and the address as written", got)
	}
	if got := f["to"]; len(got) != 1 || !strings.Contains(got[0], "ü@example.test") {
		t.Errorf("To %q, want the address as written, as before", got)
	}
}
