package reports

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestFE23SenderDSNOnTheSendersAddress: sender_dsn written on the
// sender's address (where the DSN was delivered) fails saying that it
// goes on the expectation of the recipient the DSN reports on, naming
// it, whether the record matched is the DSN itself or other mail to the
// sender; it said "none reached the sink" beside a summary that counted
// the DSN.
func TestFE23SenderDSNOnTheSendersAddress(t *testing.T) {
	t.Parallel()
	at := func(sec int, from, rcpt, stage string, code int, msg int64, id string) SinkMessageAttempt {
		return SinkMessageAttempt{Message: msg, MessageID: id, SinkAttempt: SinkAttempt{Time: t0.Add(time.Duration(sec) * time.Second), Listener: "mx",
			Client: "127.0.0.1:1", Sender: from, Recipient: rcpt, Stage: stage, Code: code}}
	}
	src := dsnSink{fakeMessageSink: fakeMessageSink{
		at(0, "app@s.test", "rcpt550+gone2@x.test", "rcpt", 550, 0, ""),
		at(1, "", "app@s.test", "data-end", 250, 3, "d1@pf"),
		// Other mail to the sender of other-app's message: no DSN yet.
		at(2, "other@s.test", "ok@x.test", "data-end", 250, 4, "m4@s"),
		at(3, "friend@s.test", "other@s.test", "data-end", 250, 5, "m5@s"),
	}, mail: []SinkMailMessage{
		{Message: 3, Time: t0.Add(time.Second), Recipients: []string{"app@s.test"},
			Raw: senderDSNRaw("d1@pf", "rcpt550+gone2@x.test", "failed", "5.1.1", "550 5.1.1 no such user", "")},
	}}
	d, err := FromSink(context.Background(), src)
	if err != nil {
		t.Fatal(err)
	}
	x, err := decodeExp(t, `
recipients:
  - {match: "app@s.test", sender_dsn: failed}
  - {match: "rcpt550+gone2@x.test", sender_dsn: failed}
  - {match: "other@s.test", sender_dsn_status: "5."}
  - {match: "ok@x.test", sender_dsn: failed}
`)
	if err != nil {
		t.Fatal(err)
	}
	rs := Evaluate(d, x)
	for i, want := range []bool{false, true, false, false} {
		if rs[i].Pass != want {
			t.Errorf("%s: pass %v, want %v (%s)", rs[i].Name, rs[i].Pass, want, rs[i].Message)
		}
	}
	for i, want := range map[int][]string{
		0: {`expected a failed DSN from the sender's MTA about app@s.test, but none reports on this address`, `app@s.test is where the sender's MTA sent its DSNs, and the sink holds one to it, about "rcpt550+gone2@x.test"`,
			`sender_dsn judges the DSNs about a recipient, not those sent to an address, so it goes on the expectation of the recipient the DSN reports on, such as {match: "rcpt550+gone2@x.test", sender_dsn: failed}`},
		2: {`other@s.test is the sender of the mail to "ok@x.test"`, `such as {match: "ok@x.test", sender_dsn_status: "5."}`},
	} {
		for _, w := range want {
			if !strings.Contains(rs[i].Message, w) {
				t.Errorf("%s: the failure lacks %q:\n%s", rs[i].Name, w, rs[i].Message)
			}
		}
	}
	// A recipient of the application's mail keeps the hint on where a
	// DSN about it comes from.
	if strings.Contains(rs[3].Message, "goes on the expectation") || !strings.Contains(rs[3].Message, "route that address to the sink") {
		t.Errorf("%s: %s", rs[3].Name, rs[3].Message)
	}
}
