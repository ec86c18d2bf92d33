package relay

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/config"
	"github.com/relaylab/relaylab/internal/dsn"
	"github.com/relaylab/relaylab/internal/events"
)

// TestHeldByItsOwnRestUntilAfterExpiry: own@down.test gets a 421 from
// mx3 (which rests the destination for 10 minutes) and a refused
// connection from mx4, so it is due again after the retry delay, a
// minute on, when the rest its own 421 began holds it; the message
// expires at 5 minutes, before the rest ends.
//
// The hold's reason says that the destination answered an earlier
// attempt of this message: it said "another message". Another message
// held by the same rest keeps "another message".
//
// The delay DSN says that the message will expire unsent: it said "it is
// sent when that hold ends ... what to do: nothing", while the deferral's
// reason said it would expire unsent. With delay_warning 1m the warning
// is written with the hold's deferral (record); with 2m, by the scan a
// minute later (warnDelayed), from the deferral's event: both say it.
func TestHeldByItsOwnRestUntilAfterExpiry(t *testing.T) {
	t.Parallel()
	for _, warn := range []time.Duration{time.Minute, 2 * time.Minute} {
		t.Run(warn.String(), func(t *testing.T) {
			t.Parallel()
			mx3 := refusing421(t, func(string) bool { return true })
			h := r1MXHarness(t, map[string]*fakeMTA{"192.0.2.3": mx3}, func(c *Config) {
				c.Retry.Schedule = []config.Duration{dur(time.Minute)}
				c.Retry.MaxAge = dur(5 * time.Minute)
				c.DSN.DelayWarning = dur(warn)
			})
			id := h.enqueue("a@s.test", "own@down.test")
			h.runUntil("the 421", h.deferrals(id, 1))
			h.v.Advance(time.Second) // a rest that began at this instant holds only later jobs
			other := h.enqueue("b@s.test", "other@down.test")
			h.runUntil("the hold of own@", h.deferrals(id, 2))
			h.runUntil("the hold of other@", h.deferrals(other, 1))
			defs := h.events(events.Filter{Message: id, Kinds: []string{events.RelayDeferred}})
			held := payload(t, defs[1])
			if rep := held["reply"].(map[string]any); rep["stage"] != "shaping" {
				t.Fatalf("own@'s second deferral %v: want the hold of its own rest", held)
			}
			reason := held["reason"].(string)
			if !strings.Contains(reason, "answered an earlier attempt of this message with a 421") || strings.Contains(reason, "another message") {
				t.Errorf("own@'s hold reason %q: want it to say the rest came of this message's attempt", reason)
			}
			if !strings.Contains(reason, expiresUnsent) {
				t.Errorf("own@'s hold reason %q: want it to say it expires unsent (the test sets up a rest past the expiry)", reason)
			}
			if r := h.firstOutcome(t, other, events.RelayDeferred)["reason"].(string); !strings.Contains(r, "answered another message") {
				t.Errorf("other@'s hold reason %q: want another message's 421 named so", r)
			}
			p := dsnOf(t, h, id, dsn.ActionDelayed)
			text := strings.Join(strings.Fields(p.Explanation), " ")
			checkText(t, "delayed", text,
				[]string{"answered the last attempt", "until after the message's lifetime ends, so it will expire unsent", "the message expires unsent and you get another notice"},
				[]string{"it is sent when that hold ends", "this is only a warning"})
			m, err := h.r.Message(context.Background(), id)
			if err != nil || m.Recipients[0].Attempts != 1 {
				t.Errorf("own@ %+v (%v): want 1 attempt (a hold counts none)", m.Recipients, err)
			}
		})
	}
}

// TestRestCauseSaysItsStage: a rest begun by a reply before RCPT (a 421
// at the greeting) says where it came rather than "to RCPT", as if the
// recipient had been refused; one at RCPT still names its recipient.
func TestRestCauseSaysItsStage(t *testing.T) {
	g := restCauseOf(Reply{Stage: "greeting", Code: 421, Enhanced: "4.7.0", Text: "busy"}, "mx.r.test[127.0.0.2]:25", "one@r.test", "m1", "a@s.test")
	if want := "421 4.7.0 busy (from mx.r.test[127.0.0.2]:25) at the greeting (the server's first reply), delivering to one@r.test (message m1)"; g.origin != want {
		t.Errorf("a greeting's 421: %q, want %q", g.origin, want)
	}
	r := restCauseOf(Reply{Stage: "rcpt", Code: 421, Enhanced: "4.7.0", Text: "busy"}, "", "one@r.test", "m1", "a@s.test")
	if want := "421 4.7.0 busy to one@r.test (message m1)"; r.origin != want {
		t.Errorf("a RCPT's 421: %q, want %q", r.origin, want)
	}
}
