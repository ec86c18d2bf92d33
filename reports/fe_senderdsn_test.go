package reports

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

// dsnSink is a sink's record with the mail it received from the null
// sender.
type dsnSink struct {
	fakeMessageSink
	mail []SinkMailMessage
}

func (s dsnSink) NullSenderMessages(context.Context) ([]SinkMailMessage, error) { return s.mail, nil }

var _ SinkDSNSource = dsnSink{}

// senderDSNRaw is a DSN as Postfix writes it: about rcpt, with action
// and status, returning the headers of the message of Message-ID orig
// ("" for none), itself of Message-ID id.
func senderDSNRaw(id, rcpt, action, status, diag, orig string) []byte {
	ret := ""
	if orig != "" {
		ret = "--B\r\nContent-Type: text/rfc822-headers\r\n\r\nFrom: app@s.test\r\nMessage-Id: <" + orig + ">\r\n\r\n"
	}
	return []byte(fmt.Sprintf("From: MAILER-DAEMON@pf.test\r\nTo: app@s.test\r\nMessage-Id: <%s>\r\nMIME-Version: 1.0\r\n"+
		"Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n\r\n"+
		"--B\r\nContent-Type: text/plain\r\n\r\nundeliverable\r\n\r\n"+
		"--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; pf.test\r\n\r\n"+
		"Final-Recipient: rfc822; %s\r\nAction: %s\r\nStatus: %s\r\nDiagnostic-Code: smtp; %s\r\n\r\n%s--B--\r\n", id, rcpt, action, status, diag, ret))
}

// TestFromSinkSenderDSNs: the DSNs the sender's own MTA wrote to the
// message's sender and routed to the sink are tied to the recipient each
// reports on (by the returned Message-ID, else by address), judged by
// sender_dsn and sender_dsn_status, and shown in the timeline; a
// recipient the sink left deferred and the sender gave up on is bounced;
// the sink's own DSN that came back to it is not the sender's.
func TestFromSinkSenderDSNs(t *testing.T) {
	t.Parallel()
	at := func(sec int, rcpt, stage string, code int, msg int64, id string) SinkMessageAttempt {
		return SinkMessageAttempt{Message: msg, MessageID: id, SinkAttempt: SinkAttempt{Time: t0.Add(time.Duration(sec) * time.Second), Listener: "mx",
			Client: "127.0.0.1:1", Sender: "app@s.test", Recipient: rcpt, Stage: stage, Code: code, Enhanced: map[int]string{550: "5.1.1", 451: "4.3.0", 250: "2.0.0"}[code]}}
	}
	mail := func(sec int, msg int64, raw []byte) SinkMailMessage {
		return SinkMailMessage{Message: msg, Time: t0.Add(time.Duration(sec) * time.Second), Recipients: []string{"app@s.test"}, Raw: raw}
	}
	src := dsnSink{fakeMessageSink: fakeMessageSink{
		at(0, "gone@x.test", "rcpt", 550, 0, ""),
		at(0, "slow@x.test", "data-end", 451, 1, "m1@s"),
		at(10, "slow@x.test", "data-end", 451, 2, "m1@s"),
		at(1, "app@s.test", "data-end", 250, 3, "d1@pf"),
		at(30, "app@s.test", "data-end", 250, 4, "d2@pf"),
		at(40, "late@x.test", "data-end", 250, 5, "m5@s"),
		at(50, "app@s.test", "data-end", 250, 6, "sink-bounce-1.abc@mx.sink.test"),
		at(60, "moved@x.test", "data-end", 451, 7, "m7@s"),
		at(70, "app@s.test", "data-end", 250, 8, "d3@pf"),
	}, mail: []SinkMailMessage{
		// The sender's MTA rewrote the address and wrote no
		// Original-Recipient: the returned Message-ID ties it.
		mail(70, 8, senderDSNRaw("d3@pf", "rewritten@elsewhere.test", "failed", "5.1.1", "550 5.1.1 no such user", "m7@s")),
		mail(1, 3, senderDSNRaw("d1@pf", "gone@x.test", "failed", "5.1.1", "550 5.1.1 no such user", "")),
		mail(30, 4, senderDSNRaw("d2@pf", "slow@x.test", "failed", "4.3.0", "451 4.3.0 try later", "m1@s")),
		mail(50, 6, senderDSNRaw("sink-bounce-1.abc@mx.sink.test", "late@x.test", "failed", "5.1.1", "550 5.1.1 late", "m5@s")),
	}}
	d, err := FromSink(context.Background(), src)
	if err != nil {
		t.Fatal(err)
	}
	rec := map[string]*Recipient{}
	for _, r := range d.Recipients {
		rec[r.Address] = r
	}
	if r := rec["gone@x.test"]; len(r.SenderDSNs) != 1 || r.SenderDSNs[0].By != "address" || r.SenderDSNs[0].Message != "3" {
		t.Errorf("gone@x.test: sender DSNs %+v, want the failed one of message 3, by address", r.SenderDSNs)
	}
	if r := rec["slow@x.test"]; r.Status != "bounced" || len(r.SenderDSNs) != 1 || r.SenderDSNs[0].By != "message-id" {
		t.Errorf("slow@x.test: status %s, sender DSNs %+v, want bounced by the sender, its DSN tied by Message-ID", r.Status, r.SenderDSNs)
	}
	if r := rec["moved@x.test"]; len(r.SenderDSNs) != 1 || r.SenderDSNs[0].By != "message-id" || r.Status != "bounced" {
		t.Errorf("moved@x.test: status %s, sender DSNs %+v, want bounced by a DSN tied by Message-ID alone", r.Status, r.SenderDSNs)
	} else if _, advice := r.why(); strings.Contains(advice, "retried") {
		t.Errorf("moved@x.test: a recipient the sender gave up on is advised %q", advice)
	}
	if r := rec["late@x.test"]; len(r.SenderDSNs) != 0 {
		t.Errorf("late@x.test: the sink's own DSN was taken for the sender's: %+v", r.SenderDSNs)
	}
	x, err := decodeExp(t, `
recipients:
  - {match: "gone@x.test", status: bounced, sender_dsn: failed, sender_dsn_status: "5.1"}
  - {match: "slow@x.test", status: bounced, sender_dsn: failed}
  - {match: "late@x.test", sender_dsn: none}
  - {match: "gone@x.test", sender_dsn: none}
  - {match: "slow@x.test", sender_dsn: delayed}
  - {match: "gone@x.test", sender_dsn_status: "4."}
`)
	if err != nil {
		t.Fatal(err)
	}
	rs := Evaluate(d, x)
	for i, want := range []bool{true, true, true, false, false, false} {
		if rs[i].Pass != want {
			t.Errorf("%s: pass %v, want %v (%s)", rs[i].Name, rs[i].Pass, want, rs[i].Message)
		}
	}
	for i, want := range map[int]string{
		3: "expected no DSN from the sender's MTA, got a failed DSN (5.1.1, message 3)",
		4: "expected a delayed DSN from the sender's MTA, got a failed DSN (4.3.0, message 4)",
		5: "expected a DSN from the sender's MTA with status 4., got a failed DSN (5.1.1, message 3)",
	} {
		if !strings.Contains(rs[i].Message, want) {
			t.Errorf("%s: the failure lacks %q:\n%s", rs[i].Name, want, rs[i].Message)
		}
	}
	for _, want := range []string{"DSN from the sender's MTA: failed 4.3.0 451 4.3.0 try later", "(the sink's message 4)",
		"the sender's MTA gave up on it and returned a failed DSN"} {
		if !strings.Contains(rs[4].Message, want) {
			t.Errorf("the timeline of slow@x.test lacks %q:\n%s", want, rs[4].Message)
		}
	}
}

// TestSenderDSNKeysValidated: sender_dsn takes a DSN's action or none,
// sender_dsn_status an enhanced status code, and not beside none.
func TestSenderDSNKeysValidated(t *testing.T) {
	t.Parallel()
	for doc, want := range map[string]string{
		`{match: "a@x.test", sender_dsn: bounced}`:                          "want failed, delayed",
		`{match: "a@x.test", sender_dsn_status: "550"}`:                     "is not an enhanced status code",
		`{match: "a@x.test", sender_dsn: none, sender_dsn_status: "5."}`:    "can never hold",
		`{match: "a@x.test", sender_dsn: failed, sender_dsn_status: "5.1"}`: "",
	} {
		_, err := decodeExp(t, "recipients:\n  - "+doc+"\n")
		if want == "" && err != nil || want != "" && (err == nil || !strings.Contains(err.Error(), want)) {
			t.Errorf("%s: error %v, want %q", doc, err, want)
		}
	}
}
