package relay

import (
	"context"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// TestOldestWaiting: the age of the oldest message with a recipient
// waiting is measured from its queueing on the relay's clock, follows the
// next one once it is delivered, and is 0 with nothing waiting (the
// relaylab_queue_oldest_seconds gauge).
func TestOldestWaiting(t *testing.T) {
	t.Parallel()
	mta := startMTA(t, func(f *fakeMTA) {
		f.onRcpt = func(to string) error {
			if to == "slow@r.test" {
				return smtpErr(451, smtp.EnhancedCode{4, 3, 0}, "later")
			}
			return nil
		}
	})
	h := newHarness(t, testConfig(mta.addr), Options{})
	ctx := context.Background()
	if age, err := h.r.OldestWaiting(ctx); err != nil || age != 0 {
		t.Fatalf("empty queue: %v, %v; want 0", age, err)
	}
	first := h.enqueue("a@s.test", "slow@r.test")
	h.runUntil("the first deferral", h.deferrals(first, 1))
	h.v.Advance(90 * time.Second)
	h.enqueue("a@s.test", "slow@r.test")
	h.settle()
	if age, err := h.r.OldestWaiting(ctx); err != nil || age != 90*time.Second {
		t.Fatalf("two waiting, the first queued 90 s ago: %v, %v", age, err)
	}
	if err := h.r.Delete(ctx, first); err != nil {
		t.Fatal(err)
	}
	if age, err := h.r.OldestWaiting(ctx); err != nil || age != 0 {
		t.Errorf("the second, queued now: %v, %v; want 0", age, err)
	}
}
