package scenario

import (
	"strings"
	"testing"
)

// TestStillWaitingStatusRefused: an expectation of status deferred or
// queued is refused at its key when the scenario is read: a replay runs
// until every recipient is final, or stops at clock.limit without a
// verdict, so it could never be judged. Before, it was taken, and the
// replay ended "not judged" at the clock limit.
func TestStillWaitingStatusRefused(t *testing.T) {
	t.Parallel()
	for _, st := range []string{"deferred", "queued"} {
		_, err := Parse("w.yaml", []byte("name: w\nmessages:\n  - {from: a@shop.test, to: [\"rcpt451+q@example.test\"]}\nexpect:\n  recipients:\n    - {match: \"rcpt451+q@example.test\", status: "+st+"}\n"))
		if err == nil || !strings.Contains(err.Error(), "w.yaml:6:") || !strings.Contains(err.Error(), "expect.recipients[0].status: "+st+" can never be judged in a replay") ||
			!strings.Contains(err.Error(), "attempts:") {
			t.Errorf("status %s: %v", st, err)
		}
	}
}

// TestSenderDSNRefusedInReplay: sender_dsn and sender_dsn_status judge
// the DSNs a sender's own MTA sent back to a sink (relaylab expect); in a
// replay the sender's MTA is the relay, whose DSNs dsn judges, so they
// are refused when the scenario is read, not failed on every recipient.
func TestSenderDSNRefusedInReplay(t *testing.T) {
	t.Parallel()
	_, err := Parse("d.yaml", []byte("name: d\nmessages:\n  - {from: a@shop.test, to: [\"rcpt550@example.test\"]}\nexpect:\n  recipients:\n    - {match: \"rcpt550@example.test\", sender_dsn: failed, sender_dsn_status: \"5.\"}\n"))
	for _, want := range []string{"d.yaml:6:", "expect.recipients[0].sender_dsn: applies to relaylab expect only", "expect.recipients[0].sender_dsn_status: applies to relaylab expect only", "which dsn and dsn_status judge"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("got %v, want %q", err, want)
		}
	}
}
