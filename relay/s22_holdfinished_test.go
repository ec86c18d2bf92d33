package relay

import (
	"context"
	"errors"
	"testing"
)

// TestHoldOfAFinishedRecipientNamesIt: a hold of one recipient the relay
// delivered, while another of its message still waits, says that the
// recipient is delivered, not the whole message.
func TestHoldOfAFinishedRecipientNamesIt(t *testing.T) {
	h, _, refuse, id := deferredOnce(t, "b@r.test", "c@r.test")
	ctx := context.Background()
	if _, err := h.r.HoldBy(ctx, id, "b@r.test", "ops", ""); err != nil {
		t.Fatal(err)
	}
	refuse.Store(false)
	h.r.RetryNow(ctx, id)
	h.runUntil("c delivered", func() bool { return len(h.terminal(id)["c@r.test"]) == 1 })
	_, err := h.r.HoldBy(ctx, id, "c@r.test", "ops", "")
	if want := "recipient c@r.test of " + id + " is delivered, not waiting; nothing to hold"; err == nil || !errors.Is(err, ErrNotWaiting) || err.Error() != want {
		t.Errorf("hold of the delivered recipient: %v, want %q", err, want)
	}
}
