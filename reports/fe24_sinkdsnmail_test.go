package reports

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// bouncedDSNSink is a sink's record with the mail it received from the
// null sender and the bounces it sent itself.
type bouncedDSNSink struct {
	dsnSink
	bounces []SinkBounce
}

func (s bouncedDSNSink) AllBounces(context.Context) ([]SinkBounce, error) { return s.bounces, nil }

// sinkOwnDSNRaw is the DSN the sink writes about rcpt (sink/bounce.go:
// its Message-ID starts with sink-bounce-, its Reporting-MTA is the
// listener's hostname), as it came back to the sink through serve's
// relay.
func sinkOwnDSNRaw(rcpt string) []byte {
	return []byte("From: MAILER-DAEMON@mx.qa.test\r\nTo: app@qa.test\r\nMessage-ID: <sink-bounce-1.c@mx.qa.test>\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n\r\n" +
		"--B\r\nContent-Type: text/plain\r\n\r\nundeliverable\r\n\r\n" +
		"--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.qa.test\r\n\r\n" +
		"Final-Recipient: rfc822; " + rcpt + "\r\nAction: failed\r\nStatus: 5.1.1\r\nDiagnostic-Code: smtp; 550 5.1.1 The mailbox does not exist\r\n\r\n--B--\r\n")
}

// TestSinkOwnDSNMailIsTheSinks: under relaylab serve, the sink's late
// bounce of bounce1s+c@qa.test goes to the envelope sender through
// serve's relay, which routes it back into the sink. expect said "1 DSN
// from the sender's MTA, counted apart" of it, though its Reporting-MTA
// is the sink itself: it is the sink's own DSN, counted apart under its
// own name, and what judges it (dsn) is said.
func TestSinkOwnDSNMailIsTheSinks(t *testing.T) {
	t.Parallel()
	at := func(sec int, from, rcpt string, msg int64, id string) SinkMessageAttempt {
		return SinkMessageAttempt{Message: msg, MessageID: id, SinkAttempt: SinkAttempt{Time: t0.Add(time.Duration(sec) * time.Second), Listener: "mx",
			Client: "127.0.0.1:1", Sender: from, Recipient: rcpt, Stage: "data-end", Code: 250, Enhanced: "2.0.0", Text: "Message accepted"}}
	}
	src := bouncedDSNSink{dsnSink: dsnSink{fakeMessageSink: fakeMessageSink{
		at(0, "app@qa.test", "bounce1s+c@qa.test", 1, "m1@qa.test"),
		at(2, "", "app@qa.test", 2, "sink-bounce-1.c@mx.qa.test"),
	}, mail: []SinkMailMessage{{Message: 2, Time: t0.Add(2 * time.Second), Recipients: []string{"app@qa.test"}, Raw: sinkOwnDSNRaw("bounce1s+c@qa.test")}}},
		bounces: []SinkBounce{{Recipient: "bounce1s+c@qa.test", Sender: "app@qa.test", Reply: "550 5.1.1 The mailbox does not exist", Time: t0.Add(time.Second), Message: 1}}}
	d, err := FromSink(context.Background(), src)
	if err != nil {
		t.Fatal(err)
	}
	x := Expectations{Recipients: []RecipientExpectation{{Match: "bounce1s+c@qa.test", DSN: "sent"}, {Match: "app@qa.test", Status: "bounced"}}}
	v := NewVerdict("bounces", "e.yaml", d, Evaluate(d, x))
	var text bytes.Buffer
	WriteVerdicts(&text, []Verdict{v})
	out := text.String()
	if want := "1 record, 1 attempt, 1 delivered; 1 DSN from the sink itself, counted apart (its late bounce, judged by dsn)"; !strings.Contains(out, want) {
		t.Errorf("the verdict does not count the sink's own DSN as the sink's: want %q in\n%s", want, out)
	}
	if strings.Contains(out, "sender's MTA") {
		t.Errorf("the sink's own DSN is called the sender's MTA's:\n%s", out)
	}
	if want := "app@qa.test (message 2, the sink's own DSN, come back to it)"; !strings.Contains(out, want) {
		t.Errorf("the expectation on the sender's address does not name the record as the sink's DSN (want %q):\n%s", want, out)
	}
	if !v.Results[0].Pass {
		t.Errorf("dsn: sent on the bounced recipient failed: %s", v.Results[0].Message)
	}
	s := Summarize(d)
	if s.SinkDSNMail != 1 || s.SenderDSNMail != 0 || s.Records != 1 {
		t.Errorf("summary: sink_dsn_mail %d, sender_dsn_mail %d, records %d; want 1, 0, 1", s.SinkDSNMail, s.SenderDSNMail, s.Records)
	}
	j, err := json.Marshal(d.Recipients)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(j), `"sink_dsn_mail":true`) || strings.Contains(string(j), `"sender_dsn_mail"`) {
		t.Errorf("the JSON's records do not mark the sink's DSN as the sink's:\n%s", j)
	}
	var report bytes.Buffer
	if err := WriteText(&report, d); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(report.String(), "DSNs from the sink itself  1: the sink's own late bounces") || strings.Contains(report.String(), "DSNs from the sender's MTA") {
		t.Errorf("the report does not count the sink's DSN as the sink's:\n%s", report.String())
	}
	var csv bytes.Buffer
	if err := WriteCSV(&csv, d); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(csv.String()), "\n")
	if !strings.HasSuffix(lines[0], ",sender_dsn_mail") || !strings.HasPrefix(lines[1], "2,app@qa.test,") || !strings.HasSuffix(lines[1], ",sink") {
		t.Errorf("the CSV does not mark the sink's DSN as the sink's in its sender_dsn_mail column (want \"sink\"):\n%s", csv.String())
	}
}
