package relay

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/relaylab/relaylab/internal/config"
	"github.com/relaylab/relaylab/internal/events"
)

// restHarness is a relay whose destination a plain 421 to busy@ rests
// for 10 minutes (or, with throttle, a 421 that names a rate), with
// busy's message (first) and another's held by the rest (second).
func restHarness(t *testing.T, throttle bool, opts Options) (h *harness, first, second string) {
	t.Helper()
	busy := smtpErr(421, smtp.EnhancedCode{4, 7, 0}, "Deferred on request: try again later")
	if throttle {
		busy = smtpErr(421, smtp.EnhancedCode{4, 7, 0}, "too many connections, slow down")
	}
	mta := startMTA(t, func(f *fakeMTA) {
		f.onRcpt = func(to string) error {
			if strings.HasPrefix(to, "busy@") {
				return busy
			}
			return nil
		}
	})
	cfg := testConfig(mta.addr)
	cfg.Paths[0].Backoff = dur(10 * time.Minute)
	cfg.Retry.Schedule = []config.Duration{dur(20 * time.Minute)}
	h = newHarness(t, cfg, opts)
	first = h.enqueue("a@s.test", "busy@r.test")
	h.runUntil("the 421", h.deferrals(first, 1))
	h.v.Advance(time.Minute)
	second = h.enqueue("a@s.test", "other@r.test")
	h.runUntil("the hold", h.deferrals(second, 1))
	return h, first, second
}

// lastAdvice is the advice of message id's last relay.deferred event.
func lastAdvice(t *testing.T, h *harness, id string) string {
	t.Helper()
	evs := h.events(events.Filter{Message: id, Kinds: []string{events.RelayDeferred}})
	if len(evs) == 0 {
		t.Fatalf("no relay.deferred event of %s", id)
	}
	a, _ := payload(t, evs[len(evs)-1])["advice"].(string)
	return a
}

// A destination's rest can be ended by hand: Rests lists it with what
// began it and how much mail it holds, EndRest makes that mail due and
// records a relay.rest_ended event, the held message goes at once
// (before the rest's own end), and a relay started later on the store
// does not bring the rest back from the 421's record. The 421's own
// message keeps its retry time. Before, nothing could end a rest, and a
// restart restored it.
func TestEndRestSendsHeldMailNow(t *testing.T) {
	t.Parallel()
	h, first, second := restHarness(t, false, Options{})
	ctx := context.Background()
	rests, err := h.r.Rests(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(rests) != 1 || rests[0].Destination != "path:primary" || rests[0].Held != 1 || rests[0].Throttling ||
		!strings.Contains(rests[0].Cause, first) || !rests[0].Until.Equal(epoch.Add(10*time.Minute)) {
		t.Fatalf("Rests = %+v, want path:primary until %v, holding 1, caused by %s, not throttling", rests, epoch.Add(10*time.Minute), first)
	}
	ended, err := h.r.EndRest(ctx, "path:primary", "a test")
	if err != nil || ended.Released != 1 {
		t.Fatalf("EndRest = %+v, %v; want 1 released", ended, err)
	}
	h.runUntil("the held message", h.done(second, 1))
	if got := h.terminal(second)["other@r.test"]; len(got) != 1 || got[0] != events.RelayDelivered {
		t.Fatalf("the held message ended %v, want delivered", got)
	}
	if now := h.v.Now(); !now.Before(epoch.Add(10 * time.Minute)) {
		t.Errorf("the held message went at %v, want before the rest's own end %v", now, epoch.Add(10*time.Minute))
	}
	evs := h.events(events.Filter{Kinds: []string{EventRestEnded}})
	if len(evs) != 1 || payload(t, evs[0])["by"] != "a test" || payload(t, evs[0])["destination"] != "path:primary" {
		t.Fatalf("relay.rest_ended events %v, want one by \"a test\" for path:primary", evs)
	}
	if d := h.terminal(first); len(d) != 0 {
		t.Errorf("the 421's own message ended %v; want it waiting for its retry", d)
	}
	again, err := New(h.r.cfg, Options{Store: h.store, Clock: h.v, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if rests, err := again.Rests(ctx); err != nil || len(rests) != 0 {
		t.Errorf("a relay started after the end: Rests = %+v, %v; want none", rests, err)
	}
	if _, err := h.r.EndRest(ctx, "path:primary", "a test"); err == nil || !strings.Contains(err.Error(), "does not rest") {
		t.Errorf("EndRest of a destination that does not rest: %v, want ErrNotResting", err)
	}
}

// A rest ended by another process on the store (relaylab queue unrest
// beside a running serve) ends in the running relay too: it made the held
// mail due, and the running relay's own copy of the rest held it again
// until the rest's end.
func TestEndRestInAnotherProcess(t *testing.T) {
	t.Parallel()
	h, _, second := restHarness(t, false, Options{Poll: time.Second})
	ctx := context.Background()
	other, err := New(h.r.cfg, Options{Store: h.store, Clock: h.v, Logger: slog.New(slog.DiscardHandler), SharedQueue: true})
	if err != nil {
		t.Fatal(err)
	}
	if ended, err := other.EndRest(ctx, "path:primary", "relaylab queue unrest"); err != nil || ended.Released != 1 {
		t.Fatalf("EndRest from another process = %+v, %v; want 1 released", ended, err)
	}
	h.runUntil("the held message", h.done(second, 1))
	if now := h.v.Now(); !now.Before(epoch.Add(10 * time.Minute)) {
		t.Errorf("the held message went at %v, want before the rest's own end %v", now, epoch.Add(10*time.Minute))
	}
}

// After a plain 421 (not counted as throttling) the held mail's advice
// says the receiver asked to come back later, when the rest ends and how
// to end it now, and the 421's own message is told that its retries rest
// the destination again; it said to lower the path's rate or
// max_connections, which is for throttling, as after a rate limit it
// still does.
func TestRestAdviceAfterPlain421(t *testing.T) {
	t.Parallel()
	h, first, second := restHarness(t, false, Options{})
	held := lastAdvice(t, h, second)
	for _, want := range []string{"come back later", "2026", "relaylab queue unrest path:primary", "End the rest now", "relaylab queue hold " + first} {
		if !strings.Contains(held, want) {
			t.Errorf("held message's advice %q lacks %q", held, want)
		}
	}
	if strings.Contains(held, "rate or max_connections") {
		t.Errorf("held message's advice %q speaks of throttling after a plain 421", held)
	}
	own := lastAdvice(t, h, first)
	if !strings.Contains(own, "relaylab queue unrest path:primary") || !strings.Contains(own, "relaylab queue hold "+first) {
		t.Errorf("the 421's own message's advice %q does not say how to end the rest or hold the message", own)
	}

	ht, _, secondT := restHarness(t, true, Options{})
	if got := lastAdvice(t, ht, secondT); !strings.Contains(got, "rate or max_connections") || strings.Contains(got, "unrest") {
		t.Errorf("after throttling, the held message's advice %q, want the table's (lower the rate)", got)
	}
}
