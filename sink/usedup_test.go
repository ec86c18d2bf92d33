package sink

import (
	"context"
	"strconv"
	"strings"
	"testing"
)

// A directive with attempts (defer2, dot451x1) that a later attempt finds
// used up says so in the 2xx reply, the attempt's record and its "by":
// the count goes on across sessions and restarts, so a second run of the
// same test (the README's tour) is otherwise accepted at once, with no word
// why. The first attempt the directive lets through is the one it is for,
// and stays as it was.
func TestUsedUpDirectiveSaysWhy(t *testing.T) {
	t.Parallel()
	s, st := testSink(t, nil, nil)
	addr := addrOf(t, s, "mx")
	note := func(n int) string {
		return `directive "defer2" is used up: it acts on attempts 1 to 2 of this sender and recipient, and this is attempt ` + strconv.Itoa(n) +
			` (the count goes on across sessions and restarts: relaylab sink reset starts it over)`
	}
	for i, want := range []struct {
		code int
		note string
		data bool
	}{{451, "", false}, {451, "", false}, {250, "", true}, {250, note(4), false}, {250, note(5), true}} {
		c := dial(t, addr)
		c.greet()
		c.expect(250, "", "MAIL FROM:<a@x.test>")
		code, msg := c.cmd("RCPT TO:<defer2+you@sink.test>")
		if code != want.code || (want.note == "") == strings.Contains(msg, "used up") || !strings.Contains(msg, want.note) {
			t.Fatalf("attempt %d: got %d %q, want %d with note %q", i+1, code, msg, want.code, want.note)
		}
		if want.data {
			c.expect(354, "", "DATA")
			code, msg := c.body(testMsg)
			if code != 250 || (want.note == "") == strings.Contains(msg, "used up") {
				t.Fatalf("attempt %d after the dot: got %d %q, want 250 with note %v", i+1, code, msg, want.note != "")
			}
			if want.note != "" && !strings.Contains(msg, `directive "defer2" in <defer2+you@sink.test> is used up`) {
				t.Errorf("the reply after the dot does not name the address: %q", msg)
			}
		}
		c.cmd("QUIT")
	}
	// A directive after the dot, used up, says so after the dot.
	for i, want := range []int{451, 250, 250} {
		c := dial(t, addr)
		c.greet()
		code, msg := c.send("a@x.test", "dot451x1@sink.test", testMsg)
		if code != want || (i == 2) != strings.Contains(msg, `directive "dot451x1" in <dot451x1@sink.test> is used up: it acts on attempt 1 of this sender and recipient, and this is attempt 3`) {
			t.Fatalf("dot451x1, attempt %d: got %d %q", i+1, code, msg)
		}
		c.cmd("QUIT")
	}
	waitSessions(t, st, 8)
	as, err := Attempts(context.Background(), st.DB(), "defer2+you@sink.test")
	if err != nil || len(as) != 5 {
		t.Fatalf("attempts: %v %+v", err, as)
	}
	// Accepted at RCPT, no message: the 250 to RCPT ended the attempt,
	// chosen by the directive being used up.
	if a := as[3]; a.Number != 4 || a.By != "directive defer2 (done)" || !strings.Contains(a.Reply.Text, note(4)) {
		t.Errorf("the attempt past the directive: number %d, by %q, text %q", a.Number, a.By, a.Reply.Text)
	}
	// With a message: the reply after the dot ended it, the sink's own.
	if a := as[4]; a.Number != 5 || !strings.Contains(a.Reply.Text, note(5)) {
		t.Errorf("the message past the directive: number %d, text %q", a.Number, a.Reply.Text)
	}
	if third := as[2]; third.By != "" || strings.Contains(third.Reply.Text, "used up") {
		t.Errorf("the attempt the directive lets through: by %q, text %q", third.By, third.Reply.Text)
	}
}
