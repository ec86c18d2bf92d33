package relay

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/events"
)

// A destination's rest outlives a restart while it holds mail back: a
// retry after the restart is held again until the rest ends, as queue
// retry (HeldBack) says. The restarted relay had forgotten the rest and
// sent the held message at once.
func TestRestSurvivesRestart(t *testing.T) {
	t.Parallel()
	h, mta, id1 := restingHarness(t)
	h.v.Advance(2 * time.Minute)
	id2 := h.enqueue("a@s.test", "two@r.test")
	h.runUntil("held back", func() bool {
		return len(h.events(events.Filter{Message: id2, Kinds: []string{events.RelayDeferred}})) == 1
	})
	ctx := context.Background()
	h2 := restarted(t, h, mta.addr)
	r2 := h2.r
	held, err := r2.HeldBack(ctx, id2)
	if err != nil || len(held) != 1 {
		t.Fatalf("HeldBack %v, %v: want the held recipient", held, err)
	}
	if _, err := r2.RetryNow(ctx, id2); err != nil {
		t.Fatal(err)
	}
	h2.runUntil("both delivered", func() bool { return h2.done(id1, 1)() && h2.done(id2, 1)() })
	d := h2.events(events.Filter{Message: id2, Kinds: []string{events.RelayDelivered}})
	if at := d[0].Time.Sub(epoch); at != held[0].Until.Sub(epoch) || at != 10*time.Minute {
		t.Errorf("delivered at %v after a retry, want at 10m when the rest ends (HeldBack said %v)", at, held[0].Until.Sub(epoch))
	}
}

// restarted shuts h's relay down and starts another on its store and
// clock, as after a restart, with its path to addr resting 10 minutes
// after a 421 and taking one connection.
func restarted(t *testing.T, h *harness, addr string) *harness {
	t.Helper()
	ctx := context.Background()
	if err := h.r.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(addr)
	cfg.Paths[0].Backoff = dur(10 * time.Minute)
	cfg.Paths[0].MaxConnections = 1
	r2, err := New(cfg, Options{Store: h.store, Clock: h.v, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if err := r2.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r2.Shutdown(context.Background()) })
	return &harness{t: t, v: h.v, store: h.store, r: r2}
}
