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
