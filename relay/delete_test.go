package relay

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/events"
)

// Delete refuses a message that has nothing waiting: deleting it would
// only take its history away from the queue API.
func TestDeleteRefusesFinishedMessage(t *testing.T) {
	t.Parallel()
	mta := startMTA(t, nil)
	h := newHarness(t, testConfig(mta.addr), Options{})
	id := h.enqueue("a@s.test", "b@r.test")
	h.runUntil("delivered", h.done(id, 1))
	ctx := context.Background()
	err := h.r.Delete(ctx, id)
	if !errors.Is(err, ErrNotWaiting) {
		t.Fatalf("Delete of a delivered message: %v, want ErrNotWaiting", err)
	}
	if want := id + " is delivered, not waiting; nothing to delete"; err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
	if m, err := h.r.Message(ctx, id); err != nil || m.Recipients[0].State != StateDelivered {
		t.Errorf("after a refused Delete: %+v, %v; want the delivered message kept", m, err)
	}
	if k := h.terminal(id)["b@r.test"]; len(k) != 1 || k[0] != events.RelayDelivered {
		t.Errorf("terminal events %v, want only delivered", k)
	}
	if err := h.r.Delete(ctx, "nope"); !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "nope") {
		t.Errorf("Delete of an unknown id: %v, want ErrNotFound naming it", err)
	}
}

// TestDeleteRefusesMessageInFlight: a message whose recipient the running
// relay is attempting is refused with ErrInFlight, naming the recipient
// and what to do; it was deleted with a 204 while the attempt went on to
// deliver it, with no attempt recorded and an "expired, deleted" event
// that said nothing was sent. On a stopped relay, a recipient left in
// flight is deleted as a waiting one is; with SharedQueue (a queue
// command beside another process's relay) it is refused.
func TestDeleteRefusesMessageInFlight(t *testing.T) {
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
	<-inData // the attempt is under way
	err := h.r.Delete(ctx, id)
	if !errors.Is(err, ErrInFlight) || !strings.Contains(err.Error(), "b@r.test") || !strings.Contains(err.Error(), "once the attempt ends") {
		t.Errorf("Delete in flight: %v, want ErrInFlight naming the recipient and what to do", err)
	}
	close(release)
	h.runUntil("delivered", h.done(id, 1))
	if k := h.terminal(id)["b@r.test"]; len(k) != 1 || k[0] != events.RelayDelivered {
		t.Errorf("terminal events %v, want only delivered", k)
	}

	// A stopped relay: what a crash left in flight is deleted.
	h.r.Shutdown(ctx)
	left := h.enqueue("a@s.test", "c@r.test")
	if _, err := h.r.claim(ctx, h.v.Now(), 10); err != nil {
		t.Fatal(err)
	}
	shared, err := New(testConfig(mta.addr), Options{Store: h.store, Clock: h.v, SharedQueue: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := shared.Delete(ctx, left); !errors.Is(err, ErrInFlight) {
		t.Errorf("Delete in flight beside another relay: %v, want ErrInFlight", err)
	}
	if err := h.r.Delete(ctx, left); err != nil {
		t.Errorf("Delete of what a stopped relay left in flight: %v", err)
	}
}
