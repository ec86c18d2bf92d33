package reports

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestSinkLateBounceInTimeline: on a sink's record (relaylab expect --db
// or --url), the bounce the sink sent after taking a message is a step of
// the recipient's timeline, as a replay shows the relay's late bounce, so
// that a failed dsn: none shows it; its CSV late_bounce column has it
// too. A DSN that reports no failure (a delay's, a delivery's) is no late
// bounce, and a source that does not say when the bounce went out gives
// a step without a time.
func TestSinkLateBounceInTimeline(t *testing.T) {
	t.Parallel()
	accepted := func(rcpt string) SinkAttempt {
		return SinkAttempt{Time: t0, Listener: "mx", Client: "127.0.0.1:40000", Sender: "app@shop.test", Recipient: rcpt, Stage: "data-end", Code: 250, Enhanced: "2.0.0", Text: "Message accepted as 2"}
	}
	src := bouncingSink{fakeSink: fakeSink{accepted("bounce+run1@example.test"), accepted("delay@example.test"), accepted("when@example.test")},
		bounces: []SinkBounce{
			{Recipient: "bounce+run1@example.test", Sender: "app@shop.test", Reply: "550 5.1.1 The mailbox does not exist", Time: t0.Add(time.Minute)},
			{Recipient: "delay@example.test", Sender: "app@shop.test", Reply: "451 4.4.1 No answer from host", Time: t0.Add(time.Minute)},
			{Recipient: "when@example.test", Sender: "app@shop.test", Reply: "550 no such user"},
		}}
	d, err := FromSink(context.Background(), src)
	if err != nil {
		t.Fatal(err)
	}
	res := Evaluate(d, Expectations{Recipients: []RecipientExpectation{{Match: "bounce+run1@example.test", DSN: "none"}}})
	dsnLine := regexp.MustCompile(`\n +#1 +\+0s +mx +127\.0\.0\.1 +250 2\.0\.0 Message accepted as 2\n +DSN +\+1m0s +\(the sink\) +late bounce after delivery: 550 5\.1\.1 The mailbox does not exist$`)
	if len(res) != 1 || res[0].Pass || !dsnLine.MatchString(res[0].Message) {
		t.Errorf("dsn: none failed without the bounce in its timeline:\n%+v\nwant it to end with the lines %s", res, dsnLine)
	}
	// last_code judges the 250; the failure points at the bounce, and at
	// dsn_status, as a sink's record has no category to judge it by.
	res = Evaluate(d, Expectations{Recipients: []RecipientExpectation{{Match: "bounce+run1@example.test", LastCode: "5xx"}}})
	if len(res) != 1 || !strings.Contains(res[0].Message, `the late bounce 1m0s later reported "550 5.1.1 The mailbox does not exist": last_code and last_reply judge attempts, dsn_status the bounce)`) {
		t.Errorf("last_code: 5xx on a sink's late bounce:\n%+v", res)
	}
	var csv bytes.Buffer
	if err := WriteCSV(&csv, d); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(csv.String(), ",550 5.1.1 The mailbox does not exist,") {
		t.Errorf("CSV without the late bounce:\n%s", csv.String())
	}
	for _, r := range d.Recipients {
		var tl bytes.Buffer
		WriteTimeline(&tl, r)
		switch r.Address {
		case "delay@example.test":
			if r.LateBounce != nil || strings.Contains(tl.String(), "DSN") || !r.DSN || r.DSNStatus != "4.4.1" {
				t.Errorf("a delay DSN: late bounce %+v, DSN %v %q, timeline:\n%s", r.LateBounce, r.DSN, r.DSNStatus, tl.String())
			}
		case "when@example.test":
			if !regexp.MustCompile(`\n  DSN +\(the sink\) +late bounce after delivery: 550 no such user\n$`).MatchString(tl.String()) {
				t.Errorf("a bounce of unknown time:\n%s", tl.String())
			}
		}
	}
}
