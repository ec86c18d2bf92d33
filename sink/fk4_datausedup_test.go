package sink

import (
	"context"
	"strings"
	"testing"
)

// A directive of the DATA stage with a count (data421x1), met on an
// attempt past the first it lets through, says it is used up, as one of
// RCPT (defer2) or of the final dot (dotdropx1) does: in the transcript,
// in the reply after the dot, in the attempt's record (what relaylab
// expect shows) and in sink explain. It said nothing, so a second run of
// the same test was accepted with no word why.
func TestFK4DataDirectiveUsedUp(t *testing.T) {
	t.Parallel()
	s, st := testSink(t, nil, nil)
	addr := addrOf(t, s, "mx")
	const rcpt = "data421x1+run1@sink.test"
	note := `directive "data421x1" in <` + rcpt + `> is used up: it acts on attempt 1 of this sender and recipient, and this is attempt 3`
	for i, want := range []int{421, 250, 250} {
		c := dial(t, addr)
		c.greet()
		code, msg := c.send("a@x.test", rcpt, testMsg)
		if code != want || (i == 2) != strings.Contains(msg, note) {
			t.Fatalf("attempt %d: got %d %q, want %d, with the note %v", i+1, code, msg, want, i == 2)
		}
		if code != 421 {
			c.cmd("QUIT")
		}
	}
	waitSessions(t, st, 3)
	as, err := Attempts(context.Background(), st.DB(), rcpt)
	if err != nil || len(as) != 3 {
		t.Fatalf("attempts: %v %+v", err, as)
	}
	// The attempt is the recipient's own: its note need not name it.
	if own := `directive "data421x1" is used up: it acts on attempt 1 of this sender and recipient, and this is attempt 3`; !strings.Contains(as[2].Reply.Text, own) || strings.Contains(as[1].Reply.Text, "used up") {
		t.Errorf("the attempts' texts: 2nd %q, 3rd %q; want the note on the 3rd only", as[1].Reply.Text, as[2].Reply.Text)
	}
	last, err := ListSessions(context.Background(), st.DB(), SessionFilter{Limit: 1})
	if err != nil || len(last) != 1 {
		t.Fatalf("sessions: %v %v", last, err)
	}
	ss, err := SessionByID(context.Background(), st.DB(), last[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(ss.Transcript, "* "+note) != 1 {
		t.Errorf("the transcript has the note %d times, want once:\n%s", strings.Count(ss.Transcript, "* "+note), ss.Transcript)
	}

	cfg := DefaultConfig()
	cfg.Bounce.Relay = ""
	steps, err := Explain(cfg, Envelope{From: "a@x.test", To: []string{rcpt}, Attempt: 3})
	if err != nil {
		t.Fatal(err)
	}
	data, end := stepOf(t, steps, StageData, ""), stepOf(t, steps, StageDataEnd, "")
	if code(data.Answer) != 354 || len(data.Notes) != 1 || !strings.Contains(data.Notes[0], note) {
		t.Errorf("explain, DATA: %+v", data)
	}
	if code(end.Answer) != 250 || !strings.Contains(strings.Join(end.Wire, "\n"), note) {
		t.Errorf("explain, the reply after the dot: %+v", end)
	}
	if steps, _ = Explain(cfg, Envelope{From: "a@x.test", To: []string{rcpt}, Attempt: 2}); len(stepOf(t, steps, StageData, "").Notes) != 0 {
		t.Errorf("explain at attempt 2, the one the directive lets through: notes %q", stepOf(t, steps, StageData, "").Notes)
	}
}
