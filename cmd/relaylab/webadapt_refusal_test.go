package main

import (
	"bufio"
	"context"
	"net"
	"testing"
	"time"

	"github.com/relaylab/relaylab/sink"
	"github.com/relaylab/relaylab/web"
)

// TestSinkAdapterExplainsSessionRefusals: a session the sink refused
// before any recipient (at its greeting, at EHLO, at MAIL) shows its
// refusal, at its stage, explained at that stage, in the list of sessions
// and on its page, though it ended with QUIT's 221. The list showed no
// reply for it before, and the page the 221, or the refusal explained
// without its stage.
func TestSinkAdapterExplainsSessionRefusals(t *testing.T) {
	t.Parallel()
	a, addr := runningSinkAdapter(t, func(cfg *sink.Config) {
		cfg.Rules = []sink.Rule{
			{Stage: "connect", Client: "127.0.0.2", Reply: "554 5.7.1 your network is not welcome here"},
			{Stage: "ehlo", HELO: "bad.test", Reply: "550 5.7.1 HELO bad.test refused"},
			{Stage: "mail", Sender: "spam@*", Reply: "553 5.7.1 sender refused"},
		}
	})

	converse := func(local string, lines ...string) {
		t.Helper()
		d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(local)}}
		c, err := d.Dial("tcp", addr)
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
		for _, l := range append(lines, "QUIT") {
			c.Write([]byte(l + "\r\n"))
			readReply()
		}
	}
	converse("127.0.0.2")
	converse("127.0.0.1", "EHLO bad.test")
	converse("127.0.0.1", "EHLO good.test", "MAIL FROM:<spam@shop.test>")

	var ss []web.SinkSession
	var err error
	for deadline := time.Now().Add(20 * time.Second); len(ss) < 3; time.Sleep(10 * time.Millisecond) { // recorded when they end
		if ss, err = a.Sessions(context.Background(), web.SessionFilter{Limit: 10}); err != nil {
			t.Fatal(err)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d sessions recorded, want 3", len(ss))
		}
	}
	want := []string{ // newest first
		"553 5.7.1 sender refused (at mail)",
		"550 5.7.1 HELO bad.test refused (at ehlo)",
		"554 5.7.1 your network is not welcome here (at connect)",
	}
	for i, w := range want {
		s := ss[i]
		if s.LastReply != w || s.Category == "" || s.Reason == "" || s.Advice == "" {
			t.Errorf("listed session %s: last reply %q, category %q, reason %q, advice %q; want %q explained", s.ID, s.LastReply, s.Category, s.Reason, s.Advice, w)
		}
		one, err := a.Session(context.Background(), s.ID)
		if err != nil {
			t.Fatal(err)
		}
		if one.LastReply != s.LastReply || one.Category != s.Category || one.Reason != s.Reason || one.Advice != s.Advice {
			t.Errorf("Session(%s): %q %q %q %q, want as in the list", s.ID, one.LastReply, one.Category, one.Reason, one.Advice)
		}
	}
}
