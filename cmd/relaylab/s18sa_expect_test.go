package main

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/events"
	"github.com/relaylab/relaylab/internal/store"
	"github.com/relaylab/relaylab/reports"
)

// TestS18WaitSettlesARefusedRecipient: expect --wait does not wait for a
// DSN of the sink's about a recipient the sink refused (a 5xx at RCPT):
// the sink bounces only what it accepted, so that DSN never comes. It
// judged at the end of the whole wait, with a note calling the bounced
// recipient "not final".
func TestS18WaitSettlesARefusedRecipient(t *testing.T) {
	t.Parallel()
	judged := 0
	judge := func() ([]reports.Verdict, *reports.Data, error) {
		judged++
		d := &reports.Data{FromSink: true, Recipients: []*reports.Recipient{{Address: "a@x.test", Status: "bounced",
			Attempts: []reports.Attempt{{Stage: "rcpt", Code: 550, Enhanced: "5.1.1", Text: "No such user here"}}}}}
		return []reports.Verdict{{Name: "app"}}, d, nil
	}
	vs, stderr, took, err := driveWait(t, judge, reports.RecipientExpectation{Match: "a@x.test", Status: "bounced", DSN: "sent", DSNStatus: "5.1.1"})
	if err != nil {
		t.Fatal(err)
	}
	if took != 0 || judged != 1 || len(vs) != 1 || len(vs[0].Notes) != 0 || stderr != "" {
		t.Errorf("waited %s over %d judgements (want 0s, 1), notes %q, stderr %q: a refused recipient's DSN from the sink cannot come", took, judged, vs[0].Notes, stderr)
	}
}

// TestS18UnsettledSaysWhatItWaitsFor: a recipient the sink accepted
// with a bounce still due is waited for, and said to wait for the
// sink's DSN, not to be "not final"; a deferred one is "not final". A
// bounced recipient with a bounce of an earlier acceptance still due is
// waited for too.
func TestS18UnsettledSaysWhatItWaitsFor(t *testing.T) {
	t.Parallel()
	x := &expectFile{Name: "app"}
	x.Expect.Recipients = []reports.RecipientExpectation{{Match: "*@x.test", DSN: "sent"}}
	d := &reports.Data{FromSink: true, Recipients: []*reports.Recipient{
		{Address: "due@x.test", Status: "delivered", DSNNotSent: "is due at 2026-01-02T03:04:05Z and not sent yet"},
		{Address: "late@x.test", Status: "bounced", DSNNotSent: "is due at 2026-01-02T03:04:05Z and not sent yet"},
		{Address: "refused@x.test", Status: "bounced"},
		{Address: "soft@x.test", Status: "deferred"},
	}}
	got, _ := unsettled([]*expectFile{x}, d, nil)
	want := "due@x.test has no DSN from the sink yet, late@x.test has no DSN from the sink yet, soft@x.test is deferred (not final)"
	if got != want {
		t.Errorf("unsettled:\n got %q\nwant %q", got, want)
	}
}

// TestS18CauseOfTheRestIsHeld: the recipient whose 421 made the relay
// rest its destination is told of the rest's end, as the mail the rest
// holds is ("what to do about the hold"), and keeps the relay's advice
// (the relay, its sender here, retries). It had only "nothing; it is
// retried later".
func TestS18CauseOfTheRestIsHeld(t *testing.T) {
	t.Parallel()
	const rcpt = "data421x1+m2@ratelimit.test"
	path, codes, _ := sendToSink(t, []string{rcpt})
	if codes[0] == 0 {
		t.Fatal("the sink took the message; want its 421")
	}
	ctx := context.Background()
	st, err := store.Open(ctx, store.Options{Path: path, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	// The relay's record of the same try, as a serve's relay writes it.
	now := time.Now().UTC().Truncate(time.Second).Add(time.Second)
	until := now.Add(5 * time.Minute)
	reply := map[string]any{"stage": "dot", "code": 421, "enhanced": "4.7.0", "text": "Deferred on request: try again later"}
	for _, e := range []events.Event{
		{Kind: events.RelayQueued, Time: now, Message: "m1", Recipient: rcpt},
		events.Event{Kind: events.RelayAttempt, Time: now, Message: "m1", Recipient: rcpt, Path: "local-sink"}.WithPayload(map[string]any{
			"attempt": 1, "path": "local-sink", "reply": reply, "rest": map[string]any{"destination": "path:local-sink:ratelimit.test", "until": until}}),
		events.Event{Kind: events.RelayDeferred, Time: now, Message: "m1", Recipient: rcpt, Path: "local-sink"}.WithPayload(map[string]any{
			"reply": reply, "category": "service-unavailable", "next_attempt": until,
			"reason": "the receiver closed the session (421)", "advice": "nothing; it is retried later. If it recurs, read the reply text"}),
	} {
		if _, err := st.Append(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()
	file := writeExpect(t, "  recipients:\n    - {match: \""+rcpt+"\", status: delivered}\n")
	code, out, errOut := runIn(t, ctx, "expect", "--db", path, file)
	end := until.Format(time.RFC3339)
	for _, want := range []string{
		"what to do about the hold: the relay sends nothing to this destination until " + end,
		"rests until " + end + " after its own 421 4.7.0 Deferred on request: try again later",
		"what to do: nothing; it is retried later",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the failure lacks %q:\n%s", want, out)
		}
	}
	if code != 1 {
		t.Errorf("exit %d, want 1\n%s", code, errOut)
	}
}

// TestS18OutsideSenderAdvice: a deferral of the sink's to a sender
// relaylab did not run (relaylab send here, as swaks) is not said to be
// retried: whether it is depends on the sender. It said "nothing; it is
// retried".
func TestS18OutsideSenderAdvice(t *testing.T) {
	t.Parallel()
	path, codes, _ := sendToSink(t, []string{"defer2+l6@example.test"})
	if codes[0] == 0 {
		t.Fatal("the sink took the message; want its deferral")
	}
	file := writeExpect(t, "  recipients:\n    - {match: \"defer2+l6@example.test\", status: delivered}\n")
	code, out, _ := runIn(t, context.Background(), "expect", "--db", path, file)
	if code != 1 || !strings.Contains(out, "what to do: nothing if the sender retries: an MTA such as Postfix does") ||
		!strings.Contains(out, "swaks and many applications send once and do not") || strings.Contains(out, "it is retried") {
		t.Errorf("exit %d, want 1 and advice for a sender that may not retry:\n%s", code, out)
	}
}

// TestS18OutsideSenderAdviceKeepsWhatToFix: the clauses about the retry
// go; the rest of the advice (what to do if it recurs) stays.
func TestS18OutsideSenderAdviceKeepsWhatToFix(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ in, rest string }{
		{"nothing; it is retried", ""},
		{"nothing; the next attempt after the greylist delay passes", ""},
		{"nothing; it is retried later. If it recurs, read the reply text", "; if it recurs, read the reply text"},
		{"make SPF or DKIM pass for the sending domain; it is retried meanwhile", "; make SPF or DKIM pass for the sending domain"},
	} {
		got := reports.OutsideSenderAdvice(c.in)
		if want := fmt.Sprint(strings.SplitN(got, "; ", 2)[0], c.rest); got != want || !strings.HasPrefix(got, "nothing if the sender retries") {
			t.Errorf("%q:\n got %q\nwant %q", c.in, got, want)
		}
	}
}

// TestWaitSettlesADeliveredRecipientWithNoBounce: expect --wait with
// "dsn: sent" does not wait its whole time for a recipient the sink
// delivered with no bounce recorded: the sink records a bounce before
// its 250, so none is coming. It waits one look (a commit of the
// bounce may trail the message's), then judges: the verdict fails as
// it should, with no note that the wait ran out. It waited all of
// --wait.
func TestWaitSettlesADeliveredRecipientWithNoBounce(t *testing.T) {
	t.Parallel()
	judged := 0
	judge := func() ([]reports.Verdict, *reports.Data, error) {
		judged++
		d := &reports.Data{FromSink: true, Recipients: []*reports.Recipient{{Address: "a@x.test", Status: "delivered", Message: "7",
			Attempts: []reports.Attempt{{Stage: "data-end", Code: 250, Enhanced: "2.0.0", Text: "queued"}}}}}
		return []reports.Verdict{{Name: "app"}}, d, nil
	}
	vs, stderr, took, err := driveWait(t, judge, reports.RecipientExpectation{Match: "a@x.test", DSN: "sent"})
	if err != nil {
		t.Fatal(err)
	}
	if took != time.Second || judged != 2 || len(vs) != 1 || len(vs[0].Notes) != 0 || stderr != "" {
		t.Errorf("waited %s over %d judgements (want 1s, 2), notes %q, stderr %q: a delivered recipient with no bounce recorded has none coming", took, judged, vs[0].Notes, stderr)
	}
	// A bounce still due keeps the wait going: the whole 5 s of driveWait.
	judged = 0
	due := func() ([]reports.Verdict, *reports.Data, error) {
		judged++
		d := &reports.Data{FromSink: true, Recipients: []*reports.Recipient{{Address: "a@x.test", Status: "delivered", Message: "7",
			DSNNotSent: "is due at 2026-01-02T03:05:05Z and not sent yet"}}}
		return []reports.Verdict{{Name: "app"}}, d, nil
	}
	if _, _, took, _ := driveWait(t, due, reports.RecipientExpectation{Match: "a@x.test", DSN: "sent"}); took != 5*time.Second {
		t.Errorf("waited %s with a bounce due; want the whole 5s", took)
	}
}
