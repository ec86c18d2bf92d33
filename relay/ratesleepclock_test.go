package relay

import (
	"context"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/clock"
)

// sleepPeekClock asks the relay, each time a job sets a timer (outside the
// relay's lock, as the scheduler's is set under it), whether it is quiet
// once the scheduler is done.
type sleepPeekClock struct {
	*clock.Virtual
	r     atomic.Pointer[Relay]
	early atomic.Bool // quiet before the timer was on the clock
}

func (c *sleepPeekClock) NewTimer(d time.Duration) clock.Timer {
	if r := c.r.Load(); r != nil && r.mu.TryLock() {
		r.mu.Unlock()
		for {
			r.mu.Lock()
			others := r.busy > 1
			r.mu.Unlock()
			if !others {
				break
			}
			time.Sleep(100 * time.Microsecond)
		}
		if r.quiet() {
			c.early.Store(true)
		}
	}
	return c.Virtual.NewTimer(d)
}

// TestRateSleepIsOnTheClockBeforeTheRelayIsQuiet: a job that waits for
// its turn in a destination's rate has its wake-up on the clock before it
// stops counting as at work. It stopped first: a replay that found the
// relay quiet then, with no timer of its on the clock, moved the clock to
// the next thing due (a later submission), and the job went out late.
func TestRateSleepIsOnTheClockBeforeTheRelayIsQuiet(t *testing.T) {
	t.Parallel()
	mta := startMTA(t, nil)
	cfg := testConfig(mta.addr)
	cfg.Paths[0].Rate = 0.01 // one message every 100 s
	pc := &sleepPeekClock{Virtual: clock.NewVirtual(epoch)}
	r, err := New(cfg, Options{Store: openStore(t, pc), Clock: pc, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{t: t, v: pc.Virtual, store: r.store, r: r}
	pc.r.Store(r)
	if err := r.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		r.Shutdown(ctx)
	})
	first := h.enqueue("a@s.test", "one@r.test")
	h.runUntil("the first message", h.done(first, 1))
	second := h.enqueue("a@s.test", "two@r.test")
	h.runUntil("the second message", h.done(second, 1))
	if pc.early.Load() {
		t.Error("the relay was quiet while a job waiting for its rate had no timer on the clock")
	}
	if got := h.attemptTimes(second, "two@r.test"); len(got) != 1 || got[0] != 100*time.Second {
		t.Errorf("second message's attempts at %v, want one at +100s, its turn in the rate", got)
	}
}
