package reports

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestS18SinkRefusedNoDSN: an expectation of a DSN about a recipient
// the sink refused at RCPT says that the sink's DSN is its own late
// bounce of a message it accepted, that it refused this one, and where
// the sender's DSN is judged, once (dsn and dsn_status together). It
// said "expected a DSN to be sent, none was; expected a DSN with status
// 5.1.1, none was sent", while the sender's MTA had sent one.
func TestS18SinkRefusedNoDSN(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	d, err := FromSink(context.Background(), fakeSink{
		{Time: t0, Listener: "mx", Sender: "app@shop.test", Recipient: "rcpt550@example.test", Stage: "rcpt", Code: 550, Enhanced: "5.1.1", Text: "No such user here"},
	})
	if err != nil {
		t.Fatal(err)
	}
	rs := Evaluate(d, Expectations{Recipients: []RecipientExpectation{{Match: "rcpt550@example.test", Status: "bounced", DSN: "sent", DSNStatus: "5.1.1"}}})
	msg := rs[0].Message
	for _, want := range []string{
		"expected a DSN with status 5.1.1 to be sent, but the sink refused this recipient at RCPT TO (550 5.1.1 No such user here)",
		"the sink's own late bounce of a message it accepted, which a refused recipient never gets",
		"judge it with an expectation on the sender's address",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("the failure lacks %q:\n%s", want, msg)
		}
	}
	if n := strings.Count(msg, "expected a DSN"); n != 1 {
		t.Errorf("the failure says %d times that a DSN was expected, want once:\n%s", n, msg)
	}
}
