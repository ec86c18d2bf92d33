package main

import (
	"context"
	"net/smtp"
	"testing"
	"time"

	"github.com/relaylab/relaylab/sink"
	"github.com/relaylab/relaylab/web"
)

// TestSinkAdapterSessionEnvelopes: the list of sessions gives each its
// envelope, so that a refused session is not anonymous until opened:
// the sender and first recipient of its first recipient's attempt with
// how many it made (refused ones too), the null sender as "", the sender
// of a MAIL FROM that was refused (from the transcript), and none for a
// session that gave no MAIL FROM.
func TestSinkAdapterSessionEnvelopes(t *testing.T) {
	t.Parallel()
	a, addr := runningSinkAdapter(t, func(cfg *sink.Config) {
		cfg.Rules = []sink.Rule{{Stage: "mail", Sender: "spam@*", Reply: "553 5.7.1 sender refused"}}
	})
	session := func(from string, to ...string) {
		t.Helper()
		c, err := smtp.Dial(addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if err := c.Hello("client.test"); err != nil {
			t.Fatal(err)
		}
		if from != "-" && c.Mail(from) == nil {
			for _, r := range to {
				c.Rcpt(r) // refused or not: an attempt either way
			}
		}
		c.Quit()
	}
	session("app@shop.test", "alice@example.test", "rcpt550+gone@example.test", "bob@example.test")
	session("", "postmaster@example.test")
	session("spam@shop.test", "alice@example.test")
	session("-")

	var ss []web.SinkSession
	for deadline := time.Now().Add(20 * time.Second); len(ss) < 4; time.Sleep(10 * time.Millisecond) { // recorded when they end; the deadline bounds a hang
		var err error
		if ss, err = a.Sessions(context.Background(), web.SessionFilter{Limit: 10}); err != nil {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d sessions recorded, want 4", len(ss))
		}
	}
	want := []*web.SessionEnvelope{ // newest first
		nil,
		{Sender: "spam@shop.test"},
		{Sender: "", Recipient: "postmaster@example.test", Recipients: 1},
		{Sender: "app@shop.test", Recipient: "alice@example.test", Recipients: 3},
	}
	for i, w := range want {
		got := ss[i].Envelope
		if (got == nil) != (w == nil) || got != nil && *got != *w {
			t.Errorf("session %s (last reply %q): envelope %+v, want %+v", ss[i].ID, ss[i].LastReply, got, w)
		}
	}
}

// TestFirstMailFrom: the sender of a transcript's first MAIL FROM, in
// any case, with parameters after it, the null sender; none without one
// or in a server's line.
func TestFirstMailFrom(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		tr, sender string
		ok         bool
	}{
		{"0.000 S 220 hi\n0.001 C EHLO x\n0.002 C mail from:<A@Shop.test> SIZE=10\n0.003 C MAIL FROM:<b@x>\n", "A@Shop.test", true},
		{"0.000 C MAIL FROM:<>\n", "", true},
		{"0.000 C MAIL FROM: <c@x>\n", "c@x", true},
		{"0.000 S MAIL FROM:<no@x>\n0.001 C QUIT\n", "", false},
		{"", "", false},
	} {
		if sender, ok := firstMailFrom(c.tr); sender != c.sender || ok != c.ok {
			t.Errorf("firstMailFrom(%q) = %q, %v; want %q, %v", c.tr, sender, ok, c.sender, c.ok)
		}
	}
}
