package relay

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/relaylab/relaylab/internal/events"
)

// TestShapingHoldLiftedByConfigChange: a warm-up or window hold is read
// back from its reply, but whether it still holds is the configuration's
// to say: after the path's warmup or the route's windows are removed, a
// restarted relay sends the held mail at once, and queue retry (HeldBack,
// RetryNow) on a relay with the new configuration no longer names the
// hold. The hold used to outlive the change until its end (midnight).
func TestShapingHoldLiftedByConfigChange(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name  string
		shape func(*Config)
	}{
		{"warmup", func(c *Config) { c.Paths[0].Warmup, c.Paths[0].WarmupStart = []int{1}, epoch.Format("2006-01-02") }},
		{"window", func(c *Config) { c.Routes[0].Windows = []string{"03:00-04:00"} }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			mta := startMTA(t, nil)
			cfg := testConfig(mta.addr)
			tt.shape(&cfg)
			h := newHarness(t, cfg, Options{})
			if tt.name == "warmup" {
				first := h.enqueue("a@s.test", "first@r.test") // the day's cap of 1
				h.runUntil("the first message", h.done(first, 1))
			}
			id := h.enqueue("a@s.test", "one@r.test", "two@r.test")
			h.runUntil("the hold", func() bool {
				return len(h.events(events.Filter{Message: id, Kinds: []string{events.RelayDeferred}})) > 0
			})
			if held, err := h.r.HeldBack(ctx, id); err != nil || len(held) == 0 {
				t.Fatalf("HeldBack %v, %v: want the held recipient", held, err)
			}
			if err := h.r.Shutdown(ctx); err != nil {
				t.Fatal(err)
			}
			plain := testConfig(mta.addr) // no warmup, no windows
			idle, h2 := restartWith(t, h, plain)
			if held, err := idle.HeldBack(ctx, id); err != nil || len(held) != 0 {
				t.Errorf("HeldBack under a configuration without the hold's cause: %+v, %v; want nothing held", held, err)
			}
			start := h.v.Now()
			h2.settle()
			if !h2.done(id, 2)() {
				t.Fatalf("at %v after the restart: terminal %v, want both recipients delivered at once", h.v.Now().Sub(start), h2.terminal(id))
			}
		})
	}
}

// TestRestHoldLiftedByConfigChange: a destination's rest holds waiting
// mail only while a path of the recipient still sends to that
// destination: after the path is given destination: domain (its rests
// keyed by domain from then on), a restarted relay sends the mail the
// old key held at once (walk M: it stayed held until the old rest's end,
// while other mail went over the same path).
func TestRestHoldLiftedByConfigChange(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	mta := startMTA(t, func(f *fakeMTA) {
		f.onRcpt = func(to string) error {
			if strings.HasPrefix(to, "slow@") {
				return smtpErr(421, smtp.EnhancedCode{4, 7, 0}, "too many connections")
			}
			return nil
		}
	})
	cfg := testConfig(mta.addr)
	cfg.Paths[0].Backoff = dur(time.Hour)
	h := newHarness(t, cfg, Options{})
	slow := h.enqueue("a@s.test", "slow@q.test")
	h.runUntil("the 421", h.deferrals(slow, 1))
	id := h.enqueue("a@s.test", "one@r.test")
	h.runUntil("the hold", func() bool {
		return len(h.events(events.Filter{Message: id, Kinds: []string{events.RelayDeferred}})) > 0
	})
	if err := h.r.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	byDomain := testConfig(mta.addr)
	byDomain.Paths[0].Backoff = dur(time.Hour)
	byDomain.Paths[0].Destination = DestinationDomain
	idle, h2 := restartWith(t, h, byDomain)
	if held, err := idle.HeldBack(ctx, id); err != nil || len(held) != 0 {
		t.Errorf("HeldBack with destination: domain: %+v, %v; want nothing held by the old key's rest", held, err)
	}
	h2.settle()
	if !h2.done(id, 1)() {
		t.Errorf("after the restart: terminal %v, want one@r.test delivered at once", h2.terminal(id))
	}
}

// restartWith opens h's store under cfg twice, as a configuration change
// and a restart do: a relay not started (what relaylab queue reads
// beside it) and a started one, with a harness of its own.
func restartWith(t *testing.T, h *harness, cfg Config) (*Relay, *harness) {
	t.Helper()
	idle, err := New(cfg, Options{Store: h.store, Clock: h.v, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	r2, err := New(cfg, Options{Store: h.store, Clock: h.v, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if err := r2.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r2.Shutdown(context.Background()) })
	return idle, &harness{t: t, v: h.v, store: h.store, r: r2}
}
