package main

import (
	"bufio"
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/sink"
	"github.com/relaylab/relaylab/web"
)

// TestSinkAdapterShowsClosingReply: a session the sink closed with a 421
// (here past limits.max_refused_recipients) shows that 421 as its last
// reply, explained, in the list of sessions and on its page, not the 550
// of its last recipient's attempt before it.
func TestSinkAdapterShowsClosingReply(t *testing.T) {
	t.Parallel()
	a, addr := runningSinkAdapter(t, func(cfg *sink.Config) {
		cfg.Listeners[0].Limits.MaxRefusedRecipients = 3
	})
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(30 * time.Second)) // bounds a hang, measures nothing
	r := bufio.NewReader(c)
	readReply := func() string {
		for {
			l, err := r.ReadString('\n')
			if err != nil || len(l) < 4 || l[3] != '-' {
				return l
			}
		}
	}
	readReply()
	var last string
	for _, l := range []string{"EHLO flood.test", "MAIL FROM:<a@flood.test>", "RCPT TO:<rcpt550+1@x.test>", "RCPT TO:<rcpt550+2@x.test>",
		"RCPT TO:<rcpt550+3@x.test>", "RCPT TO:<rcpt550+4@x.test>"} {
		c.Write([]byte(l + "\r\n"))
		last = readReply()
	}
	if more := readReply(); more != "" {
		last = more // the 421 after the 550 that passed the limit
	}
	if !strings.HasPrefix(last, "421 4.7.0") {
		t.Fatalf("the sink's last reply %q, want its 421 4.7.0", last)
	}

	var ss []web.SinkSession
	for deadline := time.Now().Add(20 * time.Second); len(ss) < 1; time.Sleep(10 * time.Millisecond) { // recorded when it ends
		if ss, err = a.Sessions(context.Background(), web.SessionFilter{Limit: 10}); err != nil {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatal("no session recorded")
		}
	}
	s := ss[0]
	if !strings.HasPrefix(s.LastReply, "421 4.7.0 Too many refused recipients") || !strings.HasSuffix(s.LastReply, "(at rcpt)") || s.Category == "" || s.Reason == "" || s.Advice == "" {
		t.Errorf("listed session: last reply %q, category %q, reason %q, advice %q; want the closing 421 4.7.0 at rcpt, explained", s.LastReply, s.Category, s.Reason, s.Advice)
	}
	one, err := a.Session(context.Background(), s.ID)
	if err != nil {
		t.Fatal(err)
	}
	if one.LastReply != s.LastReply || one.Category != s.Category || one.Reason != s.Reason || one.Advice != s.Advice {
		t.Errorf("Session(%s): %q %q %q %q, want as in the list", s.ID, one.LastReply, one.Category, one.Reason, one.Advice)
	}
	if len(one.Attempts) == 0 || !strings.HasPrefix(one.Attempts[len(one.Attempts)-1].Reply, "550 5.1.1") {
		t.Errorf("the session's attempts %+v, want its last attempt's 550 kept there", one.Attempts)
	}
}
