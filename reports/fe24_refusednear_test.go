package reports

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestEarlyRefusalBeforeDidYouMean: rate2@qa.test, refused at MAIL FROM
// by the sink's rate limit, got "found 0 (did you mean
// "rate1@qa.test"?)", a different address the same sender got through,
// instead of the cause. When a session refused before RCPT TO could have
// carried the missing mail (one before MAIL FROM, or at MAIL FROM from
// the sender of the near address), the failure leads with that refusal
// and suggests no near address; a refusal that cannot have been it (at
// MAIL FROM from another sender) is still said first, and the slip is
// still suggested.
func TestEarlyRefusalBeforeDidYouMean(t *testing.T) {
	t.Parallel()
	refusal := func(stage, sender string) SinkEarlyRefusal {
		return SinkEarlyRefusal{Time: t0, Listener: "mx", Stage: stage, Code: 451, Enhanced: "4.7.1", Text: "Too many messages from your address", By: "limits.rate", Sender: sender}
	}
	const ref = "(1 session the sink refused before any RCPT TO is in no record: see the note on early refusals)"
	const near = `(did you mean "rate1@qa.test"?)`
	for _, c := range []struct {
		name    string
		early   []SinkEarlyRefusal
		want    string
		suggest bool
	}{
		{"rate limit at MAIL FROM from its sender", []SinkEarlyRefusal{refusal("mail", "app@qa.test")}, `found 0 ` + ref, false},
		{"refused at the greeting", []SinkEarlyRefusal{refusal("connect", "")}, `found 0 ` + ref, false},
		{"refused at MAIL FROM from another sender", []SinkEarlyRefusal{refusal("mail", "news@other.test")}, `found 0 ` + ref + " " + near, true},
		{"no refusal", nil, `found 0 ` + near, true},
	} {
		src := earlySink{fakeMessageSink: fakeMessageSink{{Message: 1, SinkAttempt: SinkAttempt{Time: t0.Add(time.Minute), Listener: "mx", Client: "127.0.0.1:1",
			Sender: "app@qa.test", Recipient: "rate1@qa.test", Stage: "data-end", Code: 250}}}, early: c.early}
		d, err := FromSink(context.Background(), src)
		if err != nil {
			t.Fatal(err)
		}
		res := Evaluate(d, Expectations{Recipients: []RecipientExpectation{{Match: "rate2@qa.test", Status: "delivered"}}})
		msg := res[0].Message
		if !strings.Contains(msg, c.want) {
			t.Errorf("%s: the failure lacks %q:\n%s", c.name, c.want, msg)
		}
		if got := strings.Contains(msg, "did you mean"); got != c.suggest {
			t.Errorf("%s: suggests a near address: %v, want %v:\n%s", c.name, got, c.suggest, msg)
		}
		// The note the failure refers to keeps its advice.
		v := NewVerdict(c.name, "e.yaml", d, res)
		if c.early != nil && !strings.Contains(strings.Join(v.Notes, "\n"), "a sender that retries will be seen once it is let through to RCPT TO") {
			t.Errorf("%s: the verdict's note on early refusals lost its advice: %q", c.name, v.Notes)
		}
	}
}
