package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/web"
)

// TestSinkAdapterExplainsRefusals: a session's 4xx or 5xx last reply, and
// each attempt on the session's page, come with the relay classifier's
// category, reason and advice, the sink's stage named as the relay names
// it; a reply a directive asked for is explained too, and a 250 is not.
func TestSinkAdapterExplainsRefusals(t *testing.T) {
	t.Parallel()
	a, addr := runningSinkAdapter(t)
	if err := sendPlain(addr, "a@shop.test", "rcpt550+alice@example.test", "Subject: x\r\n\r\nx\r\n"); err == nil || !strings.Contains(err.Error(), "550") {
		t.Fatalf("rcpt550+alice@: %v, want the directive's 550", err)
	}
	long := "Subject: long\r\n\r\n" + strings.Repeat("y", 2500) + "\r\n"
	if err := sendPlain(addr, "a@shop.test", "bob@example.test", long); err == nil || !strings.Contains(err.Error(), "500") {
		t.Fatalf("long line: %v, want the sink's 500", err)
	}
	if err := sendPlain(addr, "a@shop.test", "ok@example.test", "Subject: y\r\n\r\ny\r\n"); err != nil {
		t.Fatalf("ok@: %v", err)
	}
	var ss []web.SinkSession
	var err error
	for deadline := time.Now().Add(20 * time.Second); len(ss) < 3; time.Sleep(10 * time.Millisecond) { // sessions are recorded when they end
		if ss, err = a.Sessions(context.Background(), web.SessionFilter{Limit: 10}); err != nil {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d sessions recorded, want 3", len(ss))
		}
	}
	ok, longS, unknown := ss[0], ss[1], ss[2] // newest first
	for _, tc := range []struct {
		s                         web.SinkSession
		reply, category, reasonIn string
	}{
		{unknown, "550 5.1.1 ", "invalid-recipient", "does not exist"},
		{longS, "500 5.4.0 ", "line-too-long", "after the final dot"},
	} {
		if !strings.HasPrefix(tc.s.LastReply, tc.reply) || tc.s.Category != tc.category || !strings.Contains(tc.s.Reason, tc.reasonIn) || tc.s.Advice == "" {
			t.Errorf("session %s: last reply %q, category %q, reason %q, advice %q; want %s..., %s, a reason saying %q, advice",
				tc.s.ID, tc.s.LastReply, tc.s.Category, tc.s.Reason, tc.s.Advice, tc.reply, tc.category, tc.reasonIn)
		}
		if len(tc.s.Attempts) != 0 {
			t.Errorf("session %s: the list carries %d attempts, want them only on the session's page", tc.s.ID, len(tc.s.Attempts))
		}
		one, err := a.Session(context.Background(), tc.s.ID)
		if err != nil {
			t.Fatal(err)
		}
		if one.Category != tc.category || one.Reason != tc.s.Reason || one.Advice != tc.s.Advice {
			t.Errorf("Session(%s): %q %q %q, want as in the list", tc.s.ID, one.Category, one.Reason, one.Advice)
		}
		if len(one.Attempts) != 1 {
			t.Fatalf("Session(%s): attempts %+v, want one", tc.s.ID, one.Attempts)
		}
		at := one.Attempts[0]
		if wantBy := map[string]string{"invalid-recipient": "directive rcpt550"}[tc.category]; at.By != wantBy {
			t.Errorf("Session(%s) attempt chosen by %q, want %q", tc.s.ID, at.By, wantBy)
		}
		if at.Reply != tc.s.LastReply || at.Category != tc.category || at.Reason != tc.s.Reason || at.Advice != tc.s.Advice || at.Recipient == "" {
			t.Errorf("Session(%s) attempt %+v, want the last reply explained the same way", tc.s.ID, at)
		}
	}
	if !strings.HasPrefix(ok.LastReply, "250 ") || ok.Category != "" || ok.Reason != "" || ok.Advice != "" {
		t.Errorf("accepting session: %q explained as %q %q %q, want nothing", ok.LastReply, ok.Category, ok.Reason, ok.Advice)
	}
}

func TestRelayStage(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{"data-end": "dot", "connect": "greeting", "mail": "mail", "rcpt": "rcpt", "data": "data", "ehlo": "ehlo", "auth": "auth", "starttls": "starttls"} {
		if got := relayStage(in); got != want {
			t.Errorf("relayStage(%q) = %q, want %q", in, got, want)
		}
	}
}
