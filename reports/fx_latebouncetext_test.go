package reports

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestFXTextShowsSinkLateBounce: the text report prints the timeline of
// a recipient the sink took and then bounced (delivered on a sink's
// record), with its DSN step and a line saying what the bounce means; it
// was counted among the recipients delivered at the first try, whose
// timelines are left out, so the bounce showed nowhere in the text.
func TestFXTextShowsSinkLateBounce(t *testing.T) {
	t.Parallel()
	accepted := func(rcpt string) SinkAttempt {
		return SinkAttempt{Time: t0, Listener: "mx", Client: "127.0.0.1:40000", Sender: "app@shop.test", Recipient: rcpt, Stage: "data-end", Code: 250, Enhanced: "2.0.0", Text: "Message accepted as 2"}
	}
	src := bouncingSink{fakeSink: fakeSink{accepted("bounce@example.test"), accepted("ok@example.test")},
		bounces: []SinkBounce{{Recipient: "bounce@example.test", Sender: "app@shop.test", Reply: "550 5.1.1 The mailbox does not exist", Time: t0.Add(time.Minute)}}}
	d, err := FromSink(context.Background(), src)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := WriteText(&b, d); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	want := regexp.MustCompile(`\nbounce@example\.test: delivered, then bounced late: 550 5\.1\.1 The mailbox does not exist\n` +
		`  late bounce: after the 250 that took the message, the sink's DSN told its sender that delivery failed \(the DSN step below\); [^\n]*dsn_status\n` +
		` +#1 +\+0s +mx +127\.0\.0\.1 +250 2\.0\.0 Message accepted as 2\n` +
		` +DSN +\+1m0s +\(the sink\) +late bounce after delivery: 550 5\.1\.1 The mailbox does not exist\n`)
	if !want.MatchString(out) {
		t.Errorf("text report:\n%s\nwant the late-bounced recipient's timeline, matching %s", out, want)
	}
	// The other, delivered at the first try and never bounced, is still
	// only counted.
	if strings.Contains(out, "\nok@example.test") || !strings.Contains(out, "\n1 record(s) delivered at the first host of the first try") {
		t.Errorf("text report:\n%s\nwant ok@example.test counted among the plain deliveries, without a timeline", out)
	}
}
