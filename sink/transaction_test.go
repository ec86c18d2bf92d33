package sink

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net/textproto"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/store"
)

// sessionOf waits for n sessions and returns the transcript and replies
// of session id.
func sessionOf(t *testing.T, st *store.Store, n int, id int64) (string, []replyRecord) {
	t.Helper()
	waitSessions(t, st, n)
	var tr, js string
	if err := st.DB().QueryRow(`SELECT transcript, replies FROM sink_sessions WHERE id = ?`, id).Scan(&tr, &js); err != nil {
		t.Fatal(err)
	}
	var rs []replyRecord
	if err := json.Unmarshal([]byte(js), &rs); err != nil {
		t.Fatal(err)
	}
	return tr, rs
}

// attemptRows lists sink_attempts as "recipient stage code enhanced".
func attemptRows(t *testing.T, st *store.Store) []string {
	t.Helper()
	rows, err := st.DB().Query(`SELECT recipient, stage, code, enhanced FROM sink_attempts ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var r, s, e string
		var code int
		rows.Scan(&r, &s, &code, &e)
		out = append(out, fmt.Sprintf("%s %s %d %s", r, s, code, e))
	}
	return out
}

func sameRows(t *testing.T, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s:\ngot  %q\nwant %q", what, got, want)
	}
}

// RFC 5321 4.5.1: RCPT TO:<Postmaster>, without a domain, must be taken,
// in any case; go-smtp's parser wants a domain.
func TestPostmasterWithoutDomain(t *testing.T) {
	t.Parallel()
	s, st := testSink(t, nil, nil)
	c := dial(t, addrOf(t, s, "mx"))
	c.greet()
	c.expect(250, "", "MAIL FROM:<>")
	c.expect(250, "2.1.5 Recipient <Postmaster> OK", "RCPT TO:<Postmaster>")
	// Pipelined (RFC 2920) in one write, the path in the middle of it; a
	// body line that looks the same stays as it was.
	io.WriteString(c.nc, "RSET\r\nMAIL FROM:<>\r\nRCPT TO: <postMaster> \r\nRCPT TO:<u@sink.test>\r\nDATA\r\n")
	for _, want := range []int{250, 250, 250, 250, 354} {
		if code, msg := c.read(); code != want {
			t.Fatalf("pipelined: got %d %q, want %d", code, msg, want)
		}
	}
	body := "Subject: x\r\n\r\nRCPT TO:<Postmaster>\r\n"
	if code, msg := c.body(body); code != 250 {
		t.Fatalf("message: %d %q", code, msg)
	}
	c.expect(221, "", "QUIT")
	waitSessions(t, st, 1)
	var rcpts, raw string
	if err := st.DB().QueryRow(`SELECT rcpts, raw FROM sink_messages`).Scan(&rcpts, &raw); err != nil {
		t.Fatal(err)
	}
	if rcpts != "postMaster\nu@sink.test" || raw != body {
		t.Errorf("recipients %q, message %q", rcpts, raw)
	}
	tr, _ := sessionOf(t, st, 1, 1)
	if strings.Contains(tr, postmasterMark) || !strings.Contains(tr, "C RCPT TO:<Postmaster>") {
		t.Errorf("the transcript shows what the client sent:\n%s", tr)
	}
}

// startTLS upgrades c after a 220 to STARTTLS.
func (c *client) startTLS() {
	c.t.Helper()
	c.expect(220, "", "STARTTLS")
	tc := tls.Client(c.nc, &tls.Config{InsecureSkipVerify: true})
	if err := tc.Handshake(); err != nil {
		c.t.Fatal(err)
	}
	c.nc, c.tp = tc, textproto.NewConn(tc)
}

// RFC 3207 4.2: after STARTTLS the server forgets the envelope and the
// EHLO; the client starts again with EHLO, whose name the sink records.
func TestStartTLSStartsOver(t *testing.T) {
	t.Parallel()
	s, st := testSink(t, nil, nil)
	c := dial(t, addrOf(t, s, "mx"))
	c.greet()
	c.expect(250, "", "MAIL FROM:<a@x.test>")
	c.startTLS()
	c.expect(503, "5.5.1 Bad sequence of commands: send MAIL FROM first", "RCPT TO:<u@sink.test>")
	c.expect(503, "5.5.1 Bad sequence of commands: send EHLO again after STARTTLS", "MAIL FROM:<a@x.test>")
	c.expect(250, "", "EHLO second.test")
	if code, msg := c.send("a@x.test", "u@sink.test", testMsg); code != 250 {
		t.Fatalf("after the new EHLO: %d %q", code, msg)
	}
	c.expect(250, "Hello third.test", "HELO third.test")
	c.expect(221, "", "QUIT")
	waitSessions(t, st, 1)
	var helo, from string
	st.DB().QueryRow(`SELECT helo FROM sink_sessions`).Scan(&helo)
	st.DB().QueryRow(`SELECT mail_from FROM sink_messages`).Scan(&from)
	if helo != "third.test" || from != "a@x.test" {
		t.Errorf("helo %q, sender %q", helo, from)
	}
	sameRows(t, "attempts", attemptRows(t, st), []string{"u@sink.test data-end 250 2.0.0"})
}

// bdat sends one BDAT command with its chunk and returns the reply.
func (c *client) bdat(chunk string, last bool) (int, string) {
	c.t.Helper()
	cmd := fmt.Sprintf("BDAT %d", len(chunk))
	if last {
		cmd += " LAST"
	}
	io.WriteString(c.nc, cmd+"\r\n"+chunk)
	return c.read()
}

// CHUNKING (RFC 3030): the data stage, which has no DATA command to answer
// under BDAT, answers BDAT LAST; go-smtp's own refusals are recorded for
// their recipients; each transaction records its own recipients.
func TestBDATTransactions(t *testing.T) {
	t.Parallel()
	s, st := testSink(t, nil, func(c *Config) { c.Listeners[0].Limits.MaxMessageBytes = 100 })
	c := dial(t, addrOf(t, s, "mx"))
	c.greet()
	c.expect(250, "", "MAIL FROM:<a@x.test>")
	c.expect(250, "", "RCPT TO:<data554@sink.test>")
	if code, _ := c.bdat("Subject: a\r\n", false); code != 250 {
		t.Fatalf("first chunk: %d", code)
	}
	if code, msg := c.bdat("\r\nbody\r\n", true); code != 554 || !strings.HasPrefix(msg, "5.7.1") {
		t.Fatalf("BDAT LAST to data554: %d %q", code, msg)
	}
	// Over the size limit: go-smtp refuses the second chunk and resets,
	// while the session's reader of the first chunk is still running.
	c.expect(250, "", "MAIL FROM:<a@x.test>")
	c.expect(250, "", "RCPT TO:<big@sink.test>")
	c.bdat(strings.Repeat("x", 60), false)
	if code, _ := c.bdat(strings.Repeat("y", 60), true); code != 552 {
		t.Fatalf("over the limit: %d", code)
	}
	c.expect(250, "", "MAIL FROM:<a@x.test>")
	c.expect(250, "", "RCPT TO:<next@sink.test>")
	if code, msg := c.bdat("Subject: b\r\n\r\nok\r\n", true); code != 250 {
		t.Fatalf("next message: %d %q", code, msg)
	}
	c.expect(221, "", "QUIT")
	waitSessions(t, st, 1)
	sameRows(t, "attempts", attemptRows(t, st), []string{
		"data554@sink.test data 554 5.7.1",
		"big@sink.test data-end 552 5.3.4",
		"next@sink.test data-end 250 2.0.0",
	})
	if n := itCount(t, st.DB(), `SELECT COUNT(*) FROM sink_messages`); n != 1 {
		t.Errorf("%d messages stored, want 1 (the last)", n)
	}
}

// A drop leaves no reply in the record: the client never got one. Each
// recipient's attempt ends once, at the stage of the drop, with code 0 and
// words that say the sink did it on purpose, by which directive; not with
// the reply go-smtp wrote to the closed connection ("421 4.4.2 use of
// closed network connection" at RCPT, "554 5.0.0 read tcp ..." after
// DATA), which relaylab expect took for the client's.
func TestDropRecordsNoReply(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ to, stage, text string }{
		{"dotdrop@sink.test", "data-end", "the sink dropped the connection on purpose after the final dot (directive dotdrop)"},
		{"rcptdrop@sink.test", "rcpt", "the sink dropped the connection on purpose at RCPT (directive rcptdrop)"},
		{"datadrop@sink.test", "data", "the sink dropped the connection on purpose at DATA (directive datadrop)"},
	} {
		t.Run(tc.to, func(t *testing.T) {
			t.Parallel()
			s, st := testSink(t, nil, nil)
			c := dial(t, addrOf(t, s, "mx"))
			c.greet()
			if code, _ := c.send("a@x.test", tc.to, testMsg); code != 0 {
				t.Fatalf("got reply %d, want the connection closed", code)
			}
			tr, rs := sessionOf(t, st, 1, 1)
			if strings.Contains(tr, "S 421") {
				t.Errorf("transcript shows a reply never sent:\n%s", tr)
			}
			for _, r := range rs {
				if r.Code == 421 {
					t.Errorf("replies hold a 421 never sent: %+v", r)
				}
			}
			as, err := Attempts(context.Background(), st.DB(), tc.to)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, a := range as {
				got = append(got, fmt.Sprintf("%s %d %q", a.Stage, a.Reply.Code, a.Reply.Text))
			}
			sameRows(t, "attempts", got, []string{fmt.Sprintf("%s 0 %q", tc.stage, tc.text)})
		})
	}
}

// A hang at RCPT that the client gives up on is recorded as no reply, as
// a drop is, not as go-smtp's 421 to the closed connection.
func TestHangRecordsNoReply(t *testing.T) {
	t.Parallel()
	s, st := testSink(t, nil, nil)
	c := dial(t, addrOf(t, s, "mx"))
	c.greet()
	c.expect(250, "", "MAIL FROM:<a@x.test>")
	// The sink reads the RCPT before the end of file behind it: it hangs
	// on the command, then sees the client give up.
	if err := c.tp.PrintfLine("RCPT TO:<rcpthang@sink.test>"); err != nil {
		t.Fatal(err)
	}
	c.nc.Close()
	waitSessions(t, st, 1)
	as, err := Attempts(context.Background(), st.DB(), "rcpthang@sink.test")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range as {
		got = append(got, fmt.Sprintf("%s %d %q", a.Stage, a.Reply.Code, a.Reply.Text))
	}
	sameRows(t, "attempts", got, []string{`rcpt 0 "the sink gave no reply on purpose at RCPT and waited for the client to give up (directive rcpthang)"`})
}

// A reply that go-smtp gives before the session sees the RCPT (a syntax
// error) is about no recipient, nor about the one before it.
func TestReplyRecipientOnlyWhenAsked(t *testing.T) {
	t.Parallel()
	s, st := testSink(t, nil, nil)
	c := dial(t, addrOf(t, s, "mx"))
	c.greet()
	c.expect(250, "", "MAIL FROM:<a@x.test>")
	c.expect(250, "", "RCPT TO:<good@sink.test>")
	c.expect(550, "", "RCPT TO:<rcpt550@sink.test>")
	c.expect(501, "", "RCPT TO:<broken")
	c.expect(354, "", "DATA")
	c.body(testMsg)
	c.expect(221, "", "QUIT")
	_, rs := sessionOf(t, st, 1, 1)
	var got []string
	for _, r := range rs {
		if r.Stage == StageRcpt || r.Stage == StageDataEnd {
			got = append(got, fmt.Sprintf("%s %d %q %d", r.Stage, r.Code, r.Rcpt, r.Attempt))
		}
	}
	sameRows(t, "replies", got, []string{
		`rcpt 250 "good@sink.test" 1`,
		`rcpt 550 "rcpt550@sink.test" 1`,
		`rcpt 501 "" 0`,
		`data-end 250 "good@sink.test" 1`,
	})
}
