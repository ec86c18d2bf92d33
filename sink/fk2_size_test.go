package sink

import (
	"strings"
	"testing"
)

// A message refused for the listener's size limit (552 5.3.4, at MAIL's
// SIZE or after the data) names the key a tester raises, which the relay
// under test has one of its own beside (relay.max_message_bytes): in the
// reply and in the transcript's "reply by" note; the recipients' attempts
// say what chose their 552.
func TestSizeRefusalNamesItsLimit(t *testing.T) {
	t.Parallel()
	const key = "sink.listeners[0].limits.max_message_bytes"
	_, st, addr := itSink(t, func(c *Config) { c.Listeners[0].Limits.MaxMessageBytes = 100 })
	c := dial(t, addr)
	c.greet()
	c.expect(552, key, "MAIL FROM:<a@b.test> SIZE=1000")
	c.expect(250, "", "MAIL FROM:<a@b.test>")
	c.expect(250, "", "RCPT TO:<u@sink.test>")
	c.expect(354, "", "DATA")
	c.expect(552, key, "%s", strings.Repeat("x", 120)+"\r\n.")
	c.expect(221, "", "QUIT")
	tr, _ := sessionOf(t, st, 1, 1)
	if n := strings.Count(tr, "* reply by limits.max_message_bytes\n"); n != 2 {
		t.Errorf("%d notes of the limit, want 2 (MAIL, the dot):\n%s", n, tr)
	}
	if n := itCount(t, st.DB(), `SELECT COUNT(*) FROM sink_attempts WHERE code = 552 AND reply_by = 'limits.max_message_bytes'`); n != 1 {
		t.Errorf("%d attempts refused by limits.max_message_bytes, want 1", n)
	}
}
