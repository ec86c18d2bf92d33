package sink

import (
	"strings"
	"testing"
)

// DATA in a transaction that BDAT began gets 503 (RFC 3030 2), not
// go-smtp's 502 "not implemented".
func TestDataAfterBDAT(t *testing.T) {
	t.Parallel()
	s, _ := testSink(t, nil, nil)
	c := dial(t, addrOf(t, s, "mx"))
	c.greet()
	c.expect(250, "", "MAIL FROM:<a@b.test>")
	c.expect(250, "", "RCPT TO:<u@sink.test>")
	c.nc.Write([]byte("BDAT 5\r\nabcde"))
	if code, msg := c.read(); code != 250 {
		t.Fatalf("BDAT 5: got %d %q", code, msg)
	}
	c.expect(503, "5.5.1 Bad sequence of commands: this transaction's message is being sent with BDAT, and DATA cannot follow BDAT (RFC 3030 2)", "DATA")
	// The transfer goes on.
	c.nc.Write([]byte("BDAT 2 LAST\r\nfg"))
	if code, msg := c.read(); code != 250 {
		t.Fatalf("BDAT LAST: got %d %q", code, msg)
	}
}

// Lines that are no command get the sink's words, and the session goes on
// past go-smtp's limit of three, up to maxSyntaxErrors, as Postfix's
// smtpd_hard_error_limit (20) does.
func TestUnrecognizedCommandsTolerated(t *testing.T) {
	t.Parallel()
	s, _ := testSink(t, nil, nil)
	c := dial(t, addrOf(t, s, "mx"))
	c.greet()
	const limit = 20 // maxSyntaxErrors, as Postfix's smtpd_hard_error_limit
	lines := []string{"XFOO", "", "FOO", "XFOO bar", "QUIT ", "FOOBAR baz"}
	for i := 0; i < limit; i++ {
		line := lines[i%len(lines)]
		code, msg := c.cmd("%s", line)
		switch line {
		case "":
			if code != 500 || !strings.HasPrefix(msg, "5.5.2 Syntax error: an empty line is not a command") {
				t.Fatalf("error %d, empty line: got %d %q", i+1, code, msg)
			}
		case "QUIT ":
			if code != 501 || !strings.HasPrefix(msg, "5.5.2 Syntax error: a command is its verb") {
				t.Fatalf("error %d, %q: got %d %q", i+1, line, code, msg)
			}
		default:
			if code != 500 || msg != "5.5.2 Command unrecognized: not an SMTP command (RFC 5321 4.2.4); send EHLO to see what this listener offers, then MAIL, RCPT and DATA" {
				t.Fatalf("error %d, %q: got %d %q", i+1, line, code, msg)
			}
		}
		if i == 5 {
			// A transaction in between works as ever.
			if code, msg := c.send("a@b.test", "u@sink.test", testMsg); code != 250 {
				t.Fatalf("transaction: got %d %q", code, msg)
			}
		}
	}
	c.expect(250, "", "NOOP")
	code, msg := c.cmd("XFOO")
	if code != 500 {
		t.Fatalf("error %d: got %d %q", limit+1, code, msg)
	}
	if code, msg := c.read(); code != 421 || !strings.Contains(msg, "4.7.0 Too many unrecognized commands") {
		t.Fatalf("after error %d: got %d %q, want 421 4.7.0", limit+1, code, msg)
	}
	if code, msg := c.read(); code != 0 {
		t.Fatalf("after the 421: got %d %q, want the connection closed", code, msg)
	}
}
