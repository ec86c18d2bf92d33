package sink

import (
	"context"
	"strings"
	"testing"
)

func TestAcceptAndRecord(t *testing.T) {
	t.Parallel()
	s, st := testSink(t, nil, nil)
	c := dial(t, addrOf(t, s, "mx"))
	c.greet()
	if code, msg := c.send("a@sender.test", "bob@sink.test", testMsg); code != 250 || !strings.Contains(msg, "accepted") {
		t.Fatalf("got %d %q", code, msg)
	}
	c.expect(221, "", "QUIT")
	waitSessions(t, st, 1)
	ctx := context.Background()
	as, err := Attempts(ctx, st.DB(), "BOB@sink.test")
	if err != nil || len(as) != 1 {
		t.Fatalf("attempts: %v %+v", err, as)
	}
	a := as[0]
	if a.Number != 1 || a.Stage != StageDataEnd || a.Reply.Code != 250 || a.HELO != "client.test" || a.Message == 0 {
		t.Errorf("attempt: %+v", a)
	}
	m, err := MessageByID(ctx, st.DB(), a.Message)
	if err != nil || string(m.Raw) != testMsg || m.MessageID != "m1@sender.test" || m.From != "a@sender.test" {
		t.Errorf("message: %v %+v", err, m)
	}
	ss, err := SessionByID(ctx, st.DB(), a.Session)
	if err != nil {
		t.Fatal(err)
	}
	t.Log(ss.Transcript)
	for _, want := range []string{"S 220 sink.relaylab.test ESMTP", "C EHLO client.test", "C MAIL FROM:<a@sender.test>", "S 354", "bytes of message]", "S 250 2.0.0 Message accepted", "C QUIT", "S 221"} {
		if !strings.Contains(ss.Transcript, want) {
			t.Errorf("transcript lacks %q:\n%s", want, ss.Transcript)
		}
	}
	if strings.Contains(ss.Transcript, "Hello.") {
		t.Errorf("transcript holds the message body:\n%s", ss.Transcript)
	}
}

func TestNoopFloodKeepsTheRecordBounded(t *testing.T) {
	t.Parallel()
	s, st := testSink(t, nil, nil)
	c := dial(t, addrOf(t, s, "mx"))
	c.greet()
	// Pipelined: write everything, then read every reply.
	const n = 6000
	go func() {
		for i := 0; i < n; i++ {
			c.tp.PrintfLine("NOOP %0100d", i)
		}
		c.tp.PrintfLine("QUIT")
	}()
	for i := 0; i < n; i++ {
		if code, msg := c.read(); code != 250 {
			t.Fatalf("NOOP %d: %d %q", i, code, msg)
		}
	}
	c.read()
	waitSessions(t, st, 1)
	var size, replies int
	st.DB().QueryRow(`SELECT length(transcript), json_array_length(replies) FROM sink_sessions`).Scan(&size, &replies)
	if size > maxTranscript+100 || replies > maxReplies {
		t.Errorf("transcript %d bytes, %d replies: beyond the bounds", size, replies)
	}
	if size < maxTranscript/2 {
		t.Errorf("transcript %d bytes: too little kept", size)
	}
}
