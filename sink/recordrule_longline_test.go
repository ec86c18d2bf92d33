package sink

import (
	"strings"
	"testing"
)

// A line in the message over the listener's line limit gets a reply that
// states the limit, as an overlong command line's does.
func TestLongDataLineStatesLimit(t *testing.T) {
	t.Parallel()
	s, _ := testSink(t, nil, func(c *Config) { c.Listeners[0].Limits.MaxLineLength = 600 })
	c := dial(t, addrOf(t, s, "mx"))
	c.greet()
	c.expect(250, "", "MAIL FROM:<a@x.test>")
	c.expect(250, "", "RCPT TO:<b@sink.test>")
	c.expect(354, "", "DATA")
	code, text := c.body("Subject: x\r\n\r\n" + strings.Repeat("b", 700) + "\r\n")
	if code != 500 || !strings.HasPrefix(text, "5.4.0 ") || !strings.Contains(text, "600 octets") || !strings.Contains(text, "RFC 5321 4.5.3.1.6") {
		t.Fatalf("got %d %q, want 500 5.4.0 stating the limit of 600 octets and RFC 5321 4.5.3.1.6", code, text)
	}
}
