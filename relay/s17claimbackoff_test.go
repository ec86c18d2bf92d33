package relay

import (
	"testing"
	"time"
)

// TestClaimFailurePauses: when the store refuses to claim what is due (a
// trigger stands in for a full disk), the scheduler waits before it tries
// again, half a second and then longer, instead of claiming again at once
// (walk R: thousands of failed commits a second and a busy core during a
// full disk); once the store takes writes the mail goes.
func TestClaimFailurePauses(t *testing.T) {
	t.Parallel()
	mta := startMTA(t, nil)
	h := newHarness(t, testConfig(mta.addr), Options{})
	execSQL(t, h.store, `CREATE TRIGGER no_claim BEFORE UPDATE OF state ON relay_recipients WHEN NEW.state = 'inflight' BEGIN SELECT RAISE(ABORT, 'database or disk is full (the test)'); END`)
	id := h.enqueue("alice@s.test", "bob@r.test")
	h.settle() // a relay that claims again at once never settles
	wake := func() time.Duration {
		h.r.mu.Lock()
		defer h.r.mu.Unlock()
		return h.r.wakeAt.Sub(h.v.Now())
	}
	// The enqueue's kick and the pass after it may both have met the
	// trigger: the pause is at least half a second, and doubles.
	first := wake()
	if first < 500*time.Millisecond {
		t.Errorf("after a refused claim the scheduler wakes in %v, want half a second or more", first)
	}
	h.v.AdvanceToNext()
	h.settle()
	if d := wake(); d != 2*first {
		t.Errorf("after one more refused claim the scheduler wakes in %v, want %v", d, 2*first)
	}
	execSQL(t, h.store, `DROP TRIGGER no_claim`)
	h.runUntil("the delivery", h.done(id, 1))
	if n := len(mta.received()); n != 1 {
		t.Errorf("%d deliveries, want 1", n)
	}
	for n, want := range map[int]time.Duration{1: 500 * time.Millisecond, 2: time.Second, 3: 2 * time.Second, 7: 30 * time.Second, 100: 30 * time.Second} {
		if got := claimBackoff(n); got != want {
			t.Errorf("claimBackoff(%d) = %v, want %v", n, got, want)
		}
	}
}
