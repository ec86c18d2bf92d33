package main

import (
	"context"
	"testing"
	"time"

	"github.com/relaylab/relaylab/web"
)

// TestReceivedCopyReplyAsInbox: a copy's reply on a relayed message's
// received page is the sink's whole reply, "250 2.0.0 Message accepted
// as N", as the inbox shows it, not "250 2.0.0" (the sink stores no text
// for its own acceptance); a copy the sink hung up on says so.
func TestReceivedCopyReplyAsInbox(t *testing.T) {
	t.Parallel()
	a, addr := runningSinkAdapter(t)
	if err := sendPlain(addr, "a@shop.test", "bob@example.test", "Message-ID: <cr1@shop.test>\r\nSubject: x\r\n\r\nx\r\n"); err != nil {
		t.Fatal(err)
	}
	got, err := a.Received(context.Background(), web.ReceivedQuery{MessageID: "cr1@shop.test", Until: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Copies) != 1 {
		t.Fatalf("copies %+v, want 1", got.Copies)
	}
	c := got.Copies[0]
	if want := "250 2.0.0 Message accepted as " + c.ID; c.Reply != want {
		t.Errorf("the copy's reply %q, want %q", c.Reply, want)
	}
	for _, tc := range []struct {
		code      int
		enh, text string
		want      string
	}{
		{250, "2.0.0", "", "250 2.0.0 Message accepted as 9"},
		{250, "2.0.0", "queued by rule", "250 2.0.0 queued by rule"},
		{0, "", "", "no reply after the data: the sink dropped the connection or hung"},
		{0, "", "the client left", "no reply: the client left"},
	} {
		if got := copyReply(9, tc.code, tc.enh, tc.text); got != tc.want {
			t.Errorf("copyReply(9, %d, %q, %q) = %q, want %q", tc.code, tc.enh, tc.text, got, tc.want)
		}
	}
}
