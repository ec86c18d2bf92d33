package reports

import (
	"bytes"
	"context"
	"encoding/xml"
	"strings"
	"testing"
	"time"
)

// sinkLateBounced is a sink's record where the sink took a message for
// bounce@example.test with a 250 and bounced it a minute later (its DSN
// sent), and took ok@example.test for good.
func sinkLateBounced(t *testing.T) *Data {
	t.Helper()
	accepted := func(rcpt string) SinkAttempt {
		return SinkAttempt{Time: t0, Listener: "mx", Client: "127.0.0.1:40000", Sender: "app@shop.test", Recipient: rcpt, Stage: "data-end", Code: 250, Enhanced: "2.0.0", Text: "Message accepted as 2"}
	}
	src := bouncingSink{fakeSink: fakeSink{accepted("bounce@example.test"), accepted("ok@example.test")},
		bounces: []SinkBounce{{Recipient: "bounce@example.test", Sender: "app@shop.test", Reply: "550 5.1.1 The mailbox does not exist | <b>", Time: t0.Add(time.Minute)}}}
	d, err := FromSink(context.Background(), src)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestFTJUnitDeliveredThenBounced: in the JUnit delivery report, a
// recipient the sink took with a 250 and then bounced is not a failure
// (it was delivered, and the report judges no expectation: relaylab
// expect --junit fails it when an expectation says dsn: none or a
// status), but its case says so in its system-out, with the bounce's
// reply and timeline, and the suite's system-out counts it. Before, its
// case was a bare pass, as ok@example.test's.
func TestFTJUnitDeliveredThenBounced(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	if err := WriteJUnit(&b, "relaylab", sinkLateBounced(t)); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Suites []struct {
			Failures  int    `xml:"failures,attr"`
			SystemOut string `xml:"system-out"`
			Cases     []struct {
				Name      string    `xml:"name,attr"`
				Failure   *struct{} `xml:"failure"`
				SystemOut string    `xml:"system-out"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(b.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	s := doc.Suites[0]
	if s.Failures != 0 {
		t.Errorf("%d failures, want 0: a delivery report passes a delivered recipient", s.Failures)
	}
	const head = "delivered, then bounced late: 550 5.1.1 The mailbox does not exist | <b>\n"
	for _, c := range s.Cases {
		switch c.Name {
		case "bounce@example.test":
			if c.Failure != nil || !strings.HasPrefix(c.SystemOut, head) ||
				!strings.Contains(c.SystemOut, "after the 250 that took the message, the sink's DSN told its sender that delivery failed") ||
				!strings.Contains(c.SystemOut, "late bounce after delivery: 550 5.1.1") {
				t.Errorf("bounce@example.test: failure %v, system-out %q\nwant a pass whose system-out starts %q, says what it means and has the timeline", c.Failure, c.SystemOut, head)
			}
		case "ok@example.test":
			if c.SystemOut != "" {
				t.Errorf("ok@example.test: system-out %q, want none", c.SystemOut)
			}
		}
	}
	if !strings.Contains(s.SystemOut, "2 records, 2 delivered, 0 not delivered.\n1 of them delivered, then bounced late") {
		t.Errorf("suite system-out %q: want it to count the late bounce", s.SystemOut)
	}
}

// TestFTMarkdownDeliveredThenBounced: the Markdown lists a recipient the
// sink took with a 250 and then bounced, under its own heading with the
// reply it was taken with and the bounce's, and counts it at the top, as
// the text shows it; before, it was in no table but the status count
// "delivered". A recipient a relay's record turned into bounced by a
// late DSN is in "Not delivered" only, as before.
func TestFTMarkdownDeliveredThenBounced(t *testing.T) {
	t.Parallel()
	d := sinkLateBounced(t)
	q := t0
	d.Recipients = append(d.Recipients, &Recipient{Message: "m9", Address: "relay-late@x.test", Domain: "x.test", Status: "bounced", Category: "invalid-recipient", Queued: q, Done: q.Add(time.Hour),
		Attempts:   []Attempt{{Time: q, Try: 1, Code: 250, Enhanced: "2.0.0", Text: "ok"}},
		LateBounce: &LateBounce{Time: q.Add(time.Hour), Code: 550, Enhanced: "5.1.1", Text: "gone"}})
	var b bytes.Buffer
	if err := WriteMarkdown(&b, d); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"\n1 record(s) delivered, then bounced late: ",
		"\n### Delivered, then bounced late\n\n| recipient | taken with | late bounce | what it means |\n| --- | --- | --- | --- |\n" +
			"| bounce@example.test | 250 2.0.0 Message accepted as 2 | 550 5.1.1 The mailbox does not exist \\| &lt;b&gt; | after the 250 that took the message, the sink's DSN told its sender that delivery failed",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("markdown lacks %q:\n%s", want, out)
		}
	}
	late := out[strings.Index(out, "### Delivered, then bounced late"):]
	if strings.Contains(late, "ok@example.test") || strings.Contains(late, "relay-late@x.test") {
		t.Errorf("the late bounces' table lists a recipient plainly delivered, or one not delivered:\n%s", late)
	}
	if !strings.Contains(out, "| relay-late@x.test (message m9) | bounced | invalid-recipient | late bounce after a 250: 550 5.1.1 gone |") {
		t.Errorf("markdown: the relay's late-bounced recipient is not under Not delivered:\n%s", out)
	}
}
