package relay

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
	"github.com/relaylab/relaylab/internal/events"
)

// deferringMTA refuses RCPT with 451 while refuse is set.
func deferringMTA(t *testing.T, refuse *atomic.Bool) *fakeMTA {
	t.Helper()
	return startMTA(t, func(f *fakeMTA) {
		f.onRcpt = func(string) error {
			if refuse.Load() {
				return smtpErr(451, smtp.EnhancedCode{4, 7, 1}, "try again later")
			}
			return nil
		}
	})
}

// kinds lists the kinds of message id's events about rcpt, in order.
func (h *harness) kinds(id, rcpt string) []string {
	var out []string
	for _, e := range h.events(events.Filter{Message: id, Recipient: rcpt}) {
		out = append(out, e.Kind)
	}
	return out
}

// TestHoldByHand: a recipient held by hand is not tried, whatever its
// next attempt was, and does not expire at max_age while held (Postfix's
// hold queue: held mail waits for the operator); Message and List say
// who held it and since when; a retry refuses it, saying how to release
// it; a release sends it at once, and the message, past its max_age,
// gets that one attempt and expires if it fails.
func TestHoldByHand(t *testing.T) {
	t.Parallel()
	h, _, _, id := deferredOnce(t, "b@r.test", "c@r.test")
	ctx := context.Background()
	held, err := h.r.HoldBy(ctx, id, "B@r.test", "relaylab queue hold, user alice", "checking the bounce texts")
	if err != nil || len(held) != 1 || held[0] != "b@r.test" {
		t.Fatalf("HoldBy = %v, %v; want b@r.test held", held, err)
	}
	heldAt := h.v.Now()
	if again, err := h.r.HoldBy(ctx, id, "b@r.test", "someone else", ""); err != nil || len(again) != 0 {
		t.Errorf("HoldBy of a held recipient = %v, %v; want nothing changed, no error", again, err)
	}

	// Past max_age (1h): c is tried and expires; b is never tried.
	h.runUntil("c expired", func() bool { return len(h.terminal(id)["c@r.test"]) == 1 })
	h.v.Advance(3 * time.Hour)
	h.settle()
	if got := h.attemptTimes(id, "b@r.test"); len(got) != 1 {
		t.Errorf("b was tried %d times while held, want only its first attempt (before the hold)", len(got))
	}
	if k := h.terminal(id)["b@r.test"]; len(k) != 0 {
		t.Errorf("b ended %v while held, want no terminal event: held mail does not expire", k)
	}
	m, err := h.r.Message(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	b := m.Recipients[0]
	if b.State != StateHeld || b.OperatorHold == nil || b.OperatorHold.By != "relaylab queue hold, user alice" ||
		!b.OperatorHold.Since.Equal(heldAt) || b.OperatorHold.Note != "checking the bounce texts" || !b.Due.IsZero() {
		t.Errorf("held recipient %+v (hold %+v), want state held, by alice since %v with the note, no next attempt", b, b.OperatorHold, heldAt)
	}
	if !strings.Contains(b.Advice, "relaylab queue release "+id) {
		t.Errorf("advice %q, want how to release it", b.Advice)
	}
	list, err := h.r.List(ctx, QueueFilter{State: "waiting"})
	if err != nil || len(list) != 1 || list[0].Recipients[0].OperatorHold == nil {
		t.Errorf("List waiting = %+v, %v; want the held message, with its hold", list, err)
	}
	if n, err := h.r.Depth(ctx); err != nil || n != 1 {
		t.Errorf("Depth = %d, %v; want 1: a held recipient is still in the queue", n, err)
	}

	// A retry does not release it.
	_, err = h.r.RetryNow(ctx, id)
	var he *HeldError
	if !errors.As(err, &he) || !errors.Is(err, ErrNotWaiting) || !strings.Contains(err.Error(), "b@r.test held by relaylab queue hold, user alice since") ||
		!strings.Contains(err.Error(), "relaylab queue release "+id) {
		t.Errorf("RetryNow of a held message: %v, want a HeldError naming who held it and how to release it", err)
	}

	// Released past max_age: one attempt, then expired.
	rel, err := h.r.ReleaseBy(ctx, id, "", "relaylab queue release, user alice")
	if err != nil || len(rel) != 1 {
		t.Fatalf("ReleaseBy = %v, %v", rel, err)
	}
	h.runUntil("b expired", func() bool { return len(h.terminal(id)["b@r.test"]) == 1 })
	if got := h.attemptTimes(id, "b@r.test"); len(got) != 2 {
		t.Errorf("b was tried %d times, want 2: one before the hold, one at the release", len(got))
	}
	want := []string{events.RelayQueued, events.RelayAttempt, events.RelayDeferred, events.RelayHeld, events.RelayReleased, events.RelayAttempt, events.RelayExpired, events.RelayDSN}
	if got := h.kinds(id, "b@r.test"); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("b's events %v, want %v", got, want)
	}
	if _, err := h.r.ReleaseBy(ctx, id, "", "x"); !errors.Is(err, ErrNotHeld) {
		t.Errorf("ReleaseBy with nothing held: %v, want ErrNotHeld", err)
	}
}

// deferredOnce queues a message from a@s.test to rcpts at an MTA that
// defers them while refuse is set (it is), and runs until each was
// deferred once.
func deferredOnce(t *testing.T, rcpts ...string) (h *harness, mta *fakeMTA, refuse *atomic.Bool, id string) {
	t.Helper()
	refuse = new(atomic.Bool)
	refuse.Store(true)
	mta = deferringMTA(t, refuse)
	h = newHarness(t, testConfig(mta.addr), Options{})
	id = h.enqueue("a@s.test", rcpts...)
	h.runUntil("deferred", h.deferrals(id, len(rcpts)))
	return h, mta, refuse, id
}

// heldAfterDeferral queues a message to b@r.test at an MTA that defers
// it once, then holds it (by by) and lets the MTA take mail: what the
// tests of a held message start from.
func heldAfterDeferral(t *testing.T, by string) (*harness, *fakeMTA, string) {
	t.Helper()
	h, mta, refuse, id := deferredOnce(t, "b@r.test")
	if _, err := h.r.HoldBy(context.Background(), id, "", by, ""); err != nil {
		t.Fatal(err)
	}
	refuse.Store(false)
	return h, mta, id
}

// TestHoldReleaseDelivers: a message held before its first attempt is
// not tried until released, then goes at once.
func TestHoldReleaseDelivers(t *testing.T) {
	t.Parallel()
	h, mta, id := heldAfterDeferral(t, "")
	ctx := context.Background()
	h.v.Advance(10 * time.Minute)
	h.settle()
	if n := len(mta.received()); n != 0 {
		t.Fatalf("%d messages delivered while held", n)
	}
	if _, err := h.r.ReleaseBy(ctx, id, "b@r.test", "test"); err != nil {
		t.Fatal(err)
	}
	h.runUntil("delivered", h.done(id, 1))
	if k := h.terminal(id)["b@r.test"]; len(k) != 1 || k[0] != events.RelayDelivered {
		t.Errorf("terminal %v, want delivered", k)
	}
	// Nothing left to hold: refused, saying so.
	if _, err := h.r.HoldBy(ctx, id, "", "", ""); !errors.Is(err, ErrNotWaiting) || !strings.Contains(err.Error(), "delivered") {
		t.Errorf("HoldBy of a delivered message: %v, want ErrNotWaiting", err)
	}
	if _, err := h.r.HoldBy(ctx, id, "nobody@r.test", "", ""); !errors.Is(err, ErrNoRecipient) || !strings.Contains(err.Error(), "b@r.test") {
		t.Errorf("HoldBy of another address: %v, want ErrNoRecipient listing the recipients", err)
	}
	if _, err := h.r.HoldBy(ctx, "nope", "", "", ""); !errors.Is(err, ErrNotFound) {
		t.Errorf("HoldBy of an unknown id: %v, want ErrNotFound", err)
	}
}

// TestHoldOutlastsRestart: the hold is in the store; a relay started on
// it after an unclean stop (no Shutdown, as kill -9) keeps it held.
func TestHoldOutlastsRestart(t *testing.T) {
	t.Parallel()
	h, mta, id := heldAfterDeferral(t, "ops")
	ctx := context.Background()
	// A second relay on the same store, as after a restart.
	r2, err := New(testConfig(mta.addr), Options{Store: h.store, Clock: h.v})
	if err != nil {
		t.Fatal(err)
	}
	h.r.Shutdown(ctx)
	if err := r2.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r2.Shutdown(context.Background()) })
	h.r = r2
	h.v.Advance(2 * time.Hour)
	h.settle()
	m, err := r2.Message(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if rc := m.Recipients[0]; rc.State != StateHeld || rc.OperatorHold == nil || rc.OperatorHold.By != "ops" {
		t.Errorf("after a restart: %+v, want still held by ops", rc)
	}
	if n := len(mta.received()); n != 0 {
		t.Errorf("%d messages delivered while held", n)
	}
	// A held message is deleted as a waiting one.
	if err := r2.Delete(ctx, id); err != nil {
		t.Errorf("Delete of a held message: %v", err)
	}
	if k := h.terminal(id)["b@r.test"]; len(k) != 1 || k[0] != events.RelayExpired {
		t.Errorf("terminal events after Delete %v, want expired (deleted)", k)
	}
}

// TestHoldRefusesInFlight: a recipient the running relay is attempting
// cannot be held (the attempt goes on); the error says what to do.
func TestHoldRefusesInFlight(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	inData := make(chan struct{}, 1)
	mta := startMTA(t, func(f *fakeMTA) {
		f.onData = func([]string) error {
			inData <- struct{}{}
			<-release
			return nil
		}
	})
	h := newHarness(t, testConfig(mta.addr), Options{})
	ctx := context.Background()
	id := h.enqueue("a@s.test", "b@r.test")
	h.v.Advance(0)
	<-inData
	_, err := h.r.HoldBy(ctx, id, "", "", "")
	close(release)
	if !errors.Is(err, ErrInFlight) || !strings.Contains(err.Error(), "hold it once the attempt ends") {
		t.Errorf("HoldBy in flight: %v, want ErrInFlight saying what to do", err)
	}
	h.runUntil("delivered", h.done(id, 1))
}
