package sink

import (
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/smtpload/smtptest"
)

// TestS14NullSenderBounceSkipped: a late bounce of a message with a null
// sender is no failure to send: no DSN is ever due to <> (RFC 5321 4.5.5,
// RFC 3464 2), so it is recorded as skipped, with why, as one NOTIFY=NEVER
// rules out, not as an error. A DSN that goes out is logged at info.
func TestS14NullSenderBounceSkipped(t *testing.T) {
	t.Parallel()
	relay := smtptest.Start(t, smtptest.Options{Keep: true})
	v := clock.NewVirtual(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	s, st, logs := loggedSink(t, v, func(c *Config) { c.Bounce.Relay = relay.Addr })
	c := dial(t, addrOf(t, s, "mx"))
	c.greet()
	for _, from := range []string{"", "sender@origin.test"} {
		c.expect(250, "", "MAIL FROM:<%s>", from)
		c.expect(250, "", "RCPT TO:<bounce1s+x@sink.test>")
		c.expect(354, "", "DATA")
		c.body(testMsg)
	}
	c.expect(221, "", "QUIT")
	advanceWhenWaiting(t, v, time.Second)
	waitBounces(t, st, 2)

	var skipped, errText string
	var sent int64
	if err := st.DB().QueryRow(`SELECT skipped, error, sent_ns FROM sink_bounces WHERE sender = ''`).Scan(&skipped, &errText, &sent); err != nil {
		t.Fatal(err)
	}
	if sent != 0 || errText != "" || !strings.Contains(skipped, "null sender") {
		t.Errorf("the null sender's bounce: sent_ns %d, error %q, skipped %q; want skipped, saying why", sent, errText, skipped)
	}
	if n := len(relay.Messages()); n != 1 {
		t.Errorf("the relay got %d DSNs, want 1 (to sender@origin.test)", n)
	}
	log := logs.String()
	if strings.Contains(log, "level=WARN") {
		t.Errorf("a warning in the log:\n%s", log)
	}
	for _, want := range []string{
		`level=INFO msg="sink: no DSN sent: the message had a null sender"`,
		`level=INFO msg="sink: DSN sent" bounce=2 action=failed to=sender@origin.test recipient=bounce1s+x@sink.test message=2 relay=` + relay.Addr,
	} {
		if !strings.Contains(log, want) {
			t.Errorf("the log lacks %s:\n%s", want, log)
		}
	}
}
