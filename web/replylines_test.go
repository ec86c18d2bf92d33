package web

import (
	"testing"
)

// TestInboxReplyOfSeveralLines: the Inbox's reply keeps the line break
// between the texts of a reply of several lines, as the sink stores it
// and as the sessions, attempts and the relay's events give it, where it
// ran the lines together into one ("first line second line").
func TestInboxReplyOfSeveralLines(t *testing.T) {
	t.Parallel()
	st := openStore(t, nil)
	ts := startServer(t, Options{Store: st, Sink: newFakeSink()})
	addInbox(t, st,
		inboxRow{id: 1, session: 1, from: "a@shop.test", rcpts: "b@dest.test", raw: "Subject: x\r\n\r\nx\r\n", code: 550, enhanced: "5.7.1", text: "first line\nsecond line"},
		inboxRow{id: 2, session: 1, from: "a@shop.test", rcpts: "b@dest.test", raw: "Subject: x\r\n\r\nx\r\n", code: 452, text: "first\nsecond\nthird"})
	p := inbox(t, ts.url, "")
	want := map[string]string{"1": "550 5.7.1 first line\nsecond line", "2": "452 first\nsecond\nthird"}
	for _, m := range p.Messages {
		if m.Reply != want[m.ID] {
			t.Errorf("message %s: reply %q, want %q", m.ID, m.Reply, want[m.ID])
		}
	}
	if len(p.Messages) != 2 {
		t.Fatalf("%d messages, want 2", len(p.Messages))
	}
}

func TestDotReply(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		code           int
		enhanced, text string
		want           string
	}{
		{250, "2.0.0", "", "250 2.0.0 Message accepted as 7"},
		{250, "", "ok", "250 ok"},
		{550, "5.7.1", " two  spaces ", "550 5.7.1 two  spaces"},
		{550, "5.7.1", "one\ntwo", "550 5.7.1 one\ntwo"},
		{554, "", "", "554"},
		{0, "", "", "no reply after the data: the sink dropped the connection or hung"},
		{0, "", "dropped by rule \"x\"", "no reply: dropped by rule \"x\""},
	} {
		if got := dotReply(7, c.code, c.enhanced, c.text); got != c.want {
			t.Errorf("dotReply(%d, %q, %q) = %q, want %q", c.code, c.enhanced, c.text, got, c.want)
		}
	}
}
