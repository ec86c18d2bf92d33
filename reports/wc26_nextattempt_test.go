package reports

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/events"
)

// TestWC26NextAttemptShown: a deferred recipient's timeline says when
// the relay tries it again (its last deferral's next_attempt), in the
// text report, in a failed expectation and in the JSON, so that a run
// cut short (clock.limit, a report made while mail waits) shows the wait
// the recipient is in, not only the attempts behind it. Before, only
// the retry policy could tell when the wait would end.
func TestWC26NextAttemptShown(t *testing.T) {
	t.Parallel()
	b := &logOf{t: t}
	next := t0.Add(30 * time.Minute)
	b.add(0, events.RelayQueued, "m1", "a@x.test", nil)
	b.add(0, events.RelayAttempt, "m1", "a@x.test", map[string]any{"attempt": 1, "host": "127.0.0.1", "reply": rep("data", 421, "4.7.0", "later")})
	b.add(0, events.RelayDeferred, "m1", "a@x.test", map[string]any{"category": "service-unavailable", "reason": "the receiver closed the session", "next_attempt": next,
		"reply": rep("data", 421, "4.7.0", "later")})
	d := b.load()
	want := "  next attempt: +30m0s (" + next.Format(time.RFC3339) + "), when the relay tries it again"
	var text, js bytes.Buffer
	if err := WriteText(&text, d); err != nil {
		t.Fatal(err)
	}
	if err := WriteJSON(&js, d); err != nil {
		t.Fatal(err)
	}
	res := Evaluate(d, Expectations{Recipients: []RecipientExpectation{{Match: "a@x.test", Status: "delivered"}}})
	if len(res) != 1 {
		t.Fatalf("results %+v", res)
	}
	for name, got := range map[string]string{"text": text.String(), "expectation": res[0].Message, "json": js.String()} {
		w := want
		if name == "json" {
			w = `"next_attempt": "` + next.Format(time.RFC3339) + `"`
		}
		if !strings.Contains(got, w) {
			t.Errorf("%s lacks %q:\n%s", name, w, got)
		}
	}
	// Final, or held by hand: no next attempt of the retry policy.
	r := d.Recipients[0]
	r.Status = "held"
	if s := r.nextAttemptLine(); s != "" {
		t.Errorf("held by hand: %q, want none", s)
	}
}
