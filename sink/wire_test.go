package sink

// What is stored must match what happened on the wire: these tests play
// clients whose bytes the sink once misread, and compare the transcript,
// the replies and the attempts with what the client saw.

import (
	"strings"
	"testing"
)

// hsExpect writes send and checks the codes of the replies it gets.
func hsExpect(t *testing.T, c *hsConn, send string, want ...int) {
	t.Helper()
	if send != "" {
		c.write(send)
	}
	for i, w := range want {
		code, line, err := c.reply()
		if code != w {
			t.Fatalf("after %q: reply %d is %q (%v), want %d", trunc(send), i+1, line, err, w)
		}
	}
}

// A BDAT command that go-smtp refuses for its syntax (RFC 3030 2: BDAT
// SP chunk-size [SP end-marker]) is not followed by a chunk it reads: the
// lines after it are commands, and the refusal is no reply to a message.
func TestBDATSyntaxErrorReadsNoChunk(t *testing.T) {
	t.Parallel()
	_, st, addr := itSink(t, nil)
	c := hsDial(t, addr)
	hsExpect(t, c, "", 220)
	hsExpect(t, c, "EHLO x\r\nMAIL FROM:<bdat@client.test>\r\nRCPT TO:<r@sink.test>\r\n", 250, 250, 250)
	for _, bad := range []string{"BDAT 5 FOO", "BDAT 5 LAST MORE", "BDAT +5", "BDAT 4294967296"} {
		hsExpect(t, c, bad+"\r\n", 501)
		hsExpect(t, c, "NOOP\r\n", 250)
	}
	hsExpect(t, c, "BDAT 3 LAST\r\nabc", 250)
	hsExpect(t, c, "QUIT\r\n", 221)
	tr, rs := sessionOf(t, st, 1, 1)
	if n := strings.Count(tr, " C NOOP\n"); n != 4 {
		t.Errorf("the transcript has %d NOOP lines, want 4:\n%s", n, tr)
	}
	var stages []string
	for _, r := range rs {
		if r.Code == 501 {
			stages = append(stages, string(r.Stage)+" "+r.Rcpt)
		}
	}
	sameRows(t, "stages of the 501 replies", stages, []string{"data-end ", "data-end ", "data-end ", "data-end "})
	sameRows(t, "attempts", attemptRows(t, st), []string{"r@sink.test data-end 250 2.0.0"})
}

// RFC 5321 4.1.1.11 and 4.2.4: a MAIL or RCPT parameter the server does
// not recognize gets 555, not 500 (a command that is not recognized).
func TestUnknownParameterGets555(t *testing.T) {
	t.Parallel()
	_, st, addr := itSink(t, nil)
	c := hsDial(t, addr)
	hsExpect(t, c, "", 220)
	hsExpect(t, c, "EHLO x\r\n", 250)
	for _, tc := range []struct{ send, want string }{
		{"MAIL FROM:<a@client.test> SIZE=10 XFOO=bar", "555 5.5.4 MAIL FROM parameter XFOO not recognized"},
		{"MAIL FROM:<a@client.test> XBAR", "555 5.5.4 MAIL FROM parameter XBAR not recognized"},
		{"MAIL FROM:<a@client.test>", "250 "},
		{"RCPT TO:<b@sink.test> RET=FULL", "555 5.5.4 RCPT TO parameter RET not recognized"},
		{"RCPT TO:b@sink.test XFOO=1", "555 5.5.4 RCPT TO parameter not recognized"},
	} {
		c.write(tc.send + "\r\n")
		if _, line, err := c.reply(); !strings.HasPrefix(line, tc.want) {
			t.Errorf("%q: got %q (%v), want %q...", tc.send, line, err, tc.want)
		}
	}
	hsExpect(t, c, "QUIT\r\n", 221)
	if rows := attemptRows(t, st); len(rows) != 0 {
		t.Errorf("refused parameters made attempts: %q", rows)
	}
}
