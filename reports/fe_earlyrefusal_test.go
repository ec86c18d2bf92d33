package reports

import (
	"context"
	"strings"
	"testing"
	"time"
)

// earlySink is a sink's record with sessions it refused before RCPT TO.
type earlySink struct {
	fakeMessageSink
	early []SinkEarlyRefusal
}

func (s earlySink) EarlyRefusals(context.Context) ([]SinkEarlyRefusal, error) { return s.early, nil }

var _ SinkEarlyRefusalSource = earlySink{}

// earlyRefusedSink is a sink's record of one message accepted for
// ok1@slow.test from app@s.test, and three sessions refused before RCPT
// TO: two at the greeting on listener down, one rate-limited at MAIL
// FROM from app@s.test on listener slow.
func earlyRefusedSink(t *testing.T) *Data {
	t.Helper()
	greet := SinkEarlyRefusal{Time: t0, Listener: "down", Stage: "connect", Code: 421, Enhanced: "4.3.2", Text: "not accepting mail", By: `rule "down"`}
	rate := SinkEarlyRefusal{Time: t0, Listener: "slow", Stage: "mail", Code: 421, Enhanced: "4.7.28", Text: "unusual rate", By: "limits.rate", Sender: "app@s.test"}
	src := earlySink{fakeMessageSink: fakeMessageSink{{Message: 1, SinkAttempt: SinkAttempt{Time: t0.Add(time.Minute), Listener: "slow", Client: "127.0.0.1:1",
		Sender: "app@s.test", Recipient: "ok1@slow.test", Stage: "data-end", Code: 250}}}, early: []SinkEarlyRefusal{greet, greet, rate}}
	d, err := FromSink(context.Background(), src)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestEarlyRefusalsExplainAMissingRecipient: sessions the sink refused
// at the greeting or at MAIL FROM name no recipient; an expectation that
// finds too few recipients says how many there were (and, at MAIL, how
// many from the sender of the recipients matched), and its verdict's
// note says where, with what reply, from which sender and what to do; an
// any_reply that only such a refusal met says so too.
func TestEarlyRefusalsExplainAMissingRecipient(t *testing.T) {
	t.Parallel()
	d := earlyRefusedSink(t)
	x, err := decodeExp(t, `
recipients:
  - {match: "a@down.test", status: bounced}
  - {match: "ok?@slow.test", count: 2}
  - {match: "ok?@slow.test", any_reply: "421 4.7.28 *"}
  - {match: "ok?@slow.test", count: 1}
`)
	if err != nil {
		t.Fatal(err)
	}
	v := NewVerdict("early", "", d, Evaluate(d, x))
	rs := v.Results
	// The whole of it is the verdict's note, said once (see
	// TestFT22EarlyRefusalsNotedOncePerRun); each failure refers to it.
	note := strings.Join(v.Notes, "\n")
	for _, want := range []string{`the sink refused 3 sessions before any RCPT TO`, `2 at the greeting on listener down ("421 4.3.2 not accepting mail", by rule "down")`,
		`1 at MAIL FROM on listener slow ("421 4.7.28 unusual rate", by limits.rate) from app@s.test`, `attempt:`} {
		if !strings.Contains(note, want) {
			t.Errorf("the verdict's notes lack %q:\n%s", want, note)
		}
	}
	for i, wants := range [][]string{
		{`3 sessions the sink refused before any RCPT TO are in no record`, earlyNoteRef},
		{`1 of them at MAIL FROM from app@s.test, the sender of the records this expectation matched`},
		{`any_reply judges the replies of a recipient's attempts, and the replies it asks for came before RCPT TO`},
	} {
		for _, want := range wants {
			if !strings.Contains(rs[i].Message, want) {
				t.Errorf("%s: the failure lacks %q:\n%s", rs[i].Name, want, rs[i].Message)
			}
		}
	}
	if !rs[3].Pass {
		t.Errorf("%s: %s", rs[3].Name, rs[3].Message)
	}
}
