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
	var size, replies, counted int
	st.DB().QueryRow(`SELECT length(transcript), json_array_length(replies) FROM sink_sessions`).Scan(&size, &replies)
	// Past maxReplies, the NOOPs' 250s are one record that counts them,
	// and the 221 to QUIT one of its own.
	if size > maxTranscript+100 || replies > maxReplies+2 {
		t.Errorf("transcript %d bytes, %d replies: beyond the bounds", size, replies)
	}
	st.DB().QueryRow(`SELECT SUM(max(COALESCE(j.value ->> 'count', 1), 1)) FROM sink_sessions s, json_each(s.replies) j`).Scan(&counted)
	if counted != n+3 {
		t.Errorf("the record counts %d replies, want %d (the greeting, EHLO, the NOOPs, QUIT)", counted, n+3)
	}
	if size < maxTranscript/2 {
		t.Errorf("transcript %d bytes: too little kept", size)
	}
}

func TestBDATAndHELOAndHiddenExtensions(t *testing.T) {
	t.Parallel()
	s, st := testSink(t, nil, func(c *Config) { c.Listeners[0].Hide = []string{"pipelining", "SMTPUTF8"} })
	addr := addrOf(t, s, "mx")
	c := dial(t, addr)
	c.read()
	c.tp.PrintfLine("EHLO client.test")
	_, msg, err := c.tp.ReadResponse(250)
	if err != nil || strings.Contains(msg, "PIPELINING") || strings.Contains(msg, "SMTPUTF8") || !strings.Contains(msg, "CHUNKING") {
		t.Fatalf("EHLO reply %q (%v)", msg, err)
	}
	c.expect(250, "", "MAIL FROM:<a@x.test>")
	c.expect(250, "", "RCPT TO:<u@sink.test>")
	half := len(testMsg) / 2
	c.tp.PrintfLine("BDAT %d", half)
	c.nc.Write([]byte(testMsg[:half]))
	if code, msg := c.read(); code != 250 {
		t.Fatalf("first chunk: %d %q", code, msg)
	}
	c.tp.PrintfLine("BDAT %d LAST", len(testMsg)-half)
	c.nc.Write([]byte(testMsg[half:]))
	if code, msg := c.read(); code != 250 || !strings.Contains(msg, "accepted") {
		t.Fatalf("last chunk: %d %q", code, msg)
	}
	c.expect(221, "", "QUIT")

	h := dial(t, addr)
	h.read()
	h.expect(250, "sink.relaylab.test Hello old.client", "HELO old.client")
	h.expect(250, "", "MAIL FROM:<a@x.test>")
	h.expect(221, "", "QUIT")

	waitSessions(t, st, 2)
	var raw []byte
	st.DB().QueryRow(`SELECT raw FROM sink_messages`).Scan(&raw)
	if string(raw) != testMsg {
		t.Errorf("BDAT message stored as %q", raw)
	}
	var tr string
	st.DB().QueryRow(`SELECT transcript FROM sink_sessions ORDER BY id LIMIT 1`).Scan(&tr)
	if strings.Contains(tr, "Hello.") || !strings.Contains(tr, "C BDAT") {
		t.Errorf("transcript:\n%s", tr)
	}
}

func TestBareLFDotIsData(t *testing.T) {
	t.Parallel()
	s, st := testSink(t, nil, nil)
	c := dial(t, addrOf(t, s, "mx"))
	c.greet()
	c.expect(250, "", "MAIL FROM:<a@x.test>")
	c.expect(250, "", "RCPT TO:<u@sink.test>")
	c.expect(354, "", "DATA")
	// A smuggling attempt: "\n.\n" is not the end of the data.
	c.nc.Write([]byte("Subject: x\r\n\r\nhi\n.\nMAIL FROM:<evil@x.test>\nRCPT TO:<c@sink.test>\r\n.\r\n"))
	if code, msg := c.read(); code != 250 {
		t.Fatalf("end of data: %d %q", code, msg)
	}
	c.expect(221, "", "QUIT")
	waitSessions(t, st, 1)
	var n int
	var tr string
	st.DB().QueryRow(`SELECT COUNT(*) FROM sink_messages`).Scan(&n)
	st.DB().QueryRow(`SELECT transcript FROM sink_sessions`).Scan(&tr)
	if n != 1 || strings.Contains(tr, "evil") || !strings.Contains(tr, "S 221") {
		t.Errorf("%d messages; transcript:\n%s", n, tr)
	}
}

func TestOverlongLineInMessage(t *testing.T) {
	t.Parallel()
	s, st := testSink(t, nil, nil)
	c := dial(t, addrOf(t, s, "mx"))
	c.greet()
	c.expect(250, "", "MAIL FROM:<a@x.test>")
	c.expect(250, "", "RCPT TO:<u@sink.test>")
	c.expect(354, "", "DATA")
	c.nc.Write([]byte("Subject: x\r\n\r\n" + strings.Repeat("b", 5000) + "\r\n.\r\n"))
	if code, msg := c.read(); code != 500 || !strings.Contains(msg, "5.4.0") {
		t.Fatalf("got %d %q, want 500 5.4.0", code, msg)
	}
	if code, msg := c.read(); code != 0 {
		t.Fatalf("a second reply %d %q; want the connection closed", code, msg)
	}
	waitSessions(t, st, 1)
}

// TestNoLineLimit: limits.max_line_length: 0 is no limit, as the README
// says of every limit; go-smtp's own 2000 stayed in force.
func TestNoLineLimit(t *testing.T) {
	t.Parallel()
	s, st := testSink(t, nil, func(c *Config) { c.Listeners[0].Limits.MaxLineLength = 0 })
	c := dial(t, addrOf(t, s, "mx"))
	c.greet()
	c.expect(250, "", "MAIL FROM:<a@x.test>")
	c.expect(250, "", "RCPT TO:<u@sink.test>")
	c.expect(354, "", "DATA")
	c.nc.Write([]byte("Subject: x\r\n\r\n" + strings.Repeat("b", 5000) + "\r\n.\r\n"))
	if code, msg := c.read(); code != 250 {
		t.Fatalf("got %d %q, want 250 for a 5000-octet line with no line limit", code, msg)
	}
	var n int
	st.DB().QueryRow(`SELECT COUNT(*) FROM sink_messages`).Scan(&n)
	if n != 1 {
		t.Errorf("%d messages stored, want 1", n)
	}
}
