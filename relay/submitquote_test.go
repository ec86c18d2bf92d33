package relay

import (
	"strings"
	"testing"
)

// TestPathEchoQuoted: the 250 to MAIL and RCPT echoes a quoted local part
// quoted, as a valid address (RFC 5321 4.1.2), where go-smtp echoed it
// unquoted ("<<img src=x>|x|+rcpt550@example.test>").
func TestPathEchoQuoted(t *testing.T) {
	t.Parallel()
	_, rc := rawSubmission(t)
	rc.cmd("EHLO client.test")
	for _, tt := range []struct{ cmd, want string }{
		{`MAIL FROM:<"a b"@s.test>`, `250 2.1.0 Sender <"a b"@s.test> OK`},
		{`RCPT TO:<"<img src=x>|x|+rcpt550"@example.test>`, `250 2.1.5 Recipient <"<img src=x>|x|+rcpt550"@example.test> OK`},
		{`RCPT TO:<"q\"uote"@example.test>`, `250 2.1.5 Recipient <"q\"uote"@example.test> OK`},
		{`RCPT TO:<plain.name@example.test>`, `250 2.1.5 Recipient <plain.name@example.test> OK`},
		// A local part whose value is itself in quotes: echoed as it is
		// recorded and sent, quoted again, not as the bare "q".
		{`RCPT TO:<"\"q\""@example.test>`, `250 2.1.5 Recipient <"\"q\""@example.test> OK`},
	} {
		if got := rc.cmd(tt.cmd); len(got) != 1 || got[0] != tt.want {
			t.Errorf("%s: %q; want %q", tt.cmd, got, tt.want)
		}
	}
}

// TestEchoesWithin512: the 250 to MAIL, RCPT and EHLO echo at most 256
// octets of an address and 255 of a client's name, so that no reply is
// over 512 octets (RFC 5321 4.5.3.1.5); a 1,500-octet address made a
// 1,546-octet reply.
func TestEchoesWithin512(t *testing.T) {
	t.Parallel()
	_, rc := rawSubmission(t)
	for _, cmd := range []string{
		"EHLO " + strings.Repeat("h", 860) + ".test",
		"MAIL FROM:<" + strings.Repeat("a", 1500) + "@b.test>",
		"RCPT TO:<" + strings.Repeat("c", 1500) + "@example.test>",
	} {
		for _, line := range rc.cmd(cmd) {
			if len(line)+2 > 512 || !strings.HasPrefix(line, "250") {
				t.Errorf("%.20s...: reply line of %d octets: %.80q...", cmd, len(line)+2, line)
			}
		}
	}
}

// TestOutOfOrderIs503: RCPT before MAIL and DATA before any accepted RCPT
// get 503 5.5.1 saying what comes first (RFC 5321 4.1.4), where go-smtp
// answered 502, "command not implemented".
func TestOutOfOrderIs503(t *testing.T) {
	t.Parallel()
	_, rc := rawSubmission(t)
	rc.cmd("EHLO client.test")
	for _, tt := range []struct{ cmd, want string }{
		{"RCPT TO:<b@example.test>", "503 5.5.1 Bad sequence of commands: send MAIL FROM first"},
		{"MAIL FROM:<a@s.test>", "250 "},
		{"DATA", "503 5.5.1 Bad sequence of commands: no recipient was accepted in a transaction"},
	} {
		if got := rc.cmd(tt.cmd); len(got) != 1 || !strings.HasPrefix(got[0], tt.want) {
			t.Errorf("%s: %q; want %q", tt.cmd, got, tt.want)
		}
	}
}

// TestAuthStockRepliesWorded: AUTH data that is not base64 is the client's
// syntax error (501 5.5.2, not go-smtp's temporary 454), an unknown
// mechanism names the ones the relay takes, and "*" says it cancelled.
func TestAuthStockRepliesWorded(t *testing.T) {
	t.Parallel()
	h := wireRelay(t, func(c *Config) { c.Users = map[string]string{"u": "p"} })
	rc, raw := wireDial(t, h)
	rc.cmd("EHLO client.test")
	rc.upgrade(raw)
	rc.cmd("EHLO client.test")
	rc.want("AUTH PLAIN !!!!", rc.cmd("AUTH PLAIN !!!!"), "501 5.5.2 Syntax error in the AUTH data: it is not base64")
	rc.want("AUTH XFOO", rc.cmd("AUTH XFOO"), "504 5.5.4 Unsupported authentication mechanism: this relay takes AUTH PLAIN and AUTH LOGIN")
	rc.want("AUTH LOGIN", rc.cmd("AUTH LOGIN"), "334 ")
	rc.want("*", rc.cmd("*"), "501 5.7.0 Authentication cancelled")
}
