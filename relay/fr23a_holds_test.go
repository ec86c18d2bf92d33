package relay

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// TestFR23aHoldsReadsRecordedRest: read with a configuration that lacks
// the path (queue retry --db, on the built-in one), a message whose own
// 421 rested its destination is held until the rest's end, as the store
// recorded it on the attempt. Holds read only rows with a hold, and that
// recipient's row has the 421 and none, so queue retry called it due now
// while the running relay held it; and a rest begun longer ago than the
// built-in path's backoff (5m) was not read at all.
func TestFR23aHoldsReadsRecordedRest(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	mta := startMTA(t, func(f *fakeMTA) {
		f.onMail = func(string) error { return smtpErr(421, smtp.EnhancedCode{4, 7, 0}, "slow down") }
	})
	cfg := testConfig(mta.addr)
	cfg.Paths[0].Name, cfg.Paths[0].Backoff = "prova", dur(time.Hour)
	cfg.Routes[0].Paths = []string{"prova"}
	h := newHarness(t, cfg, Options{})
	id := h.enqueue("s@s.test", "a@r.test")
	h.runUntil("the 421", h.deferrals(id, 1))
	until := h.v.Now().Add(time.Hour)
	h.v.Advance(20 * time.Minute)
	other, err := New(testConfig(mta.addr), Options{Store: h.store, Clock: h.v, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	held, err := other.Holds(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if len(held) != 1 || !held[0].Until.Equal(until.UTC()) || !strings.Contains(held[0].Reply.Text, "destination path:prova rests until") ||
		!strings.Contains(held[0].Reply.Text, "421 4.7.0 slow down") {
		t.Fatalf("Holds %+v: want a@r.test held until %v by the rest of path:prova its 421 began", held, until.UTC())
	}
	if _, err := other.RetryNow(ctx, id); err != nil {
		t.Fatal(err)
	}
	m, err := other.Message(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if due := m.Recipients[0].Due; !due.Equal(until.UTC()) {
		t.Errorf("after a retry the next attempt is %v, want the rest's end %v", due, until.UTC())
	}
}
