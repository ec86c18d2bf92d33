package sink

import (
	"strings"
	"testing"
)

// The sink finds a message's end where go-smtp's reader does (RFC 5321
// 4.1.1.4: CRLF "." CRLF), so that the two never disagree on whether the
// client's next bytes are message or commands. A CR before the CRLF
// ("\r\r\n") ends no line for go-smtp, so the "." line after it is data;
// and a data line longer than the sink's line buffer still ends in CRLF.
// Before, the sink took the first as the end of the message and the rest
// of it as commands (a STARTTLS there was answered in the middle of the
// message), and missed the end after the second.
func TestDataEndAsGoSMTPReadsIt(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, body, stored string
	}{
		{"CR before the CRLF", "Subject: x\r\n\r\nline with a CR\r\r\n.\r\nSTARTTLS\r\nmore\r\n", "line with a CR\r\r\n.\r\nSTARTTLS\r\nmore\r\n"},
		// go-smtp takes the dot of ".\r\r\n" as a stuffed one: data.
		{"dot CR CR LF", "Subject: x\r\n\r\na\r\n.\r\r\nRSET\r\n", "RSET\r\n"},
		{"a line of 9000 octets", "Subject: x\r\n\r\n" + strings.Repeat("y", 9000) + "\r\n", strings.Repeat("y", 9000) + "\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, st := testSink(t, nil, func(c *Config) { c.Listeners[0].Limits.MaxLineLength = 20000 })
			c := dial(t, addrOf(t, s, "mx"))
			c.greet()
			c.expect(250, "", "MAIL FROM:<a@x.test>")
			c.expect(250, "", "RCPT TO:<b@sink.test>")
			c.expect(354, "", "DATA")
			if _, err := c.nc.Write([]byte(tc.body + ".\r\n")); err != nil {
				t.Fatal(err)
			}
			if code, msg := c.read(); code != 250 {
				t.Fatalf("the message's end: %d %q, want 250", code, msg)
			}
			c.expect(250, "", "NOOP") // in step: one reply per command
			c.expect(221, "", "QUIT")
			waitSessions(t, st, 1)
			var raw string
			st.DB().QueryRow(`SELECT raw FROM sink_messages`).Scan(&raw)
			if !strings.HasSuffix(raw, tc.stored) {
				t.Errorf("stored message ends %q, want %q", raw[max(0, len(raw)-80):], tc.stored[max(0, len(tc.stored)-80):])
			}
		})
	}
}
