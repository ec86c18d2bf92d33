package sink

import (
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/dsn"
)

// TestWL26DSNNamesNoRemoteMTA: the sink's DSNs, its delivered one
// (sink.bounce.delivered) and its bounces alike, gave Remote-MTA: dns;
// HOST with the sink's own name, the Reporting-MTA's. The status they
// report is the sink's own, the final MTA's, reached from no remote MTA,
// and RFC 3464 2.3.5 says the field MUST NOT be included then.
func TestWL26DSNNamesNoRemoteMTA(t *testing.T) {
	t.Parallel()
	s, st, v, relay := dsnSink(t, func(c *Config) { c.Bounce.Delivered = true })
	c := dial(t, addrOf(t, s, "mx"))
	c.greet()
	c.expect(250, "", "MAIL FROM:<sender@x.test>")
	c.expect(250, "", "RCPT TO:<bounce5m+gone@sink.test> NOTIFY=FAILURE")
	c.expect(250, "", "RCPT TO:<here@sink.test> NOTIFY=SUCCESS")
	c.expect(354, "", "DATA")
	if code, msg := c.body(testMsg); code != 250 {
		t.Fatalf("final reply %d %q", code, msg)
	}
	c.expect(221, "", "QUIT")
	waitSessions(t, st, 1)
	advanceWhenWaiting(t, v, 5*time.Minute)
	waitBounces(t, st, 2)
	got := dsnsByRecipient(t, relay)
	for rcpt, action := range map[string]string{"bounce5m+gone@sink.test": dsn.ActionFailed, "here@sink.test": dsn.ActionDelivered} {
		p := got[rcpt]
		if p == nil {
			t.Errorf("no DSN for %s; got %v", rcpt, got)
			continue
		}
		rc := p.Report.Recipients[0]
		if rc.Action != action || p.Report.ReportingMTA == "" {
			t.Errorf("%s: action %s, Reporting-MTA %q; want %s and the sink's name", rcpt, rc.Action, p.Report.ReportingMTA, action)
		}
		if rc.RemoteMTA != "" {
			t.Errorf("%s: Remote-MTA %q (Reporting-MTA %q): the sink reports its own status, with no remote MTA (RFC 3464 2.3.5)", rcpt, rc.RemoteMTA, p.Report.ReportingMTA)
		}
	}
}
