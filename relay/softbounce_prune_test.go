package relay

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/relaylab/relaylab/internal/events"
	"github.com/relaylab/relaylab/internal/store"
)

// TestSoftBounceCountPruned: a prune whose cutoff is after an address's
// last expiry deletes its soft-bounce count, which used to stay for ever,
// and the address counts from 1 again; one whose cutoff is before it
// keeps the count, so the suppression comes at the same expiry as
// without a prune.
func TestSoftBounceCountPruned(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		cutAfter   time.Duration // after the first expiry; negative: before it
		suppressed bool
	}{
		{"cutoff after the last expiry", time.Hour, false},
		{"cutoff before the last expiry", -time.Minute, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			mta := startMTA(t, func(f *fakeMTA) {
				f.onRcpt = func(string) error { return smtpErr(452, smtp.EnhancedCode{4, 2, 2}, "full") }
			})
			cfg := testConfig(mta.addr)
			cfg.Retry.MaxAttempts = 1
			cfg.Suppression.SoftBounces = 2
			h := newHarness(t, cfg, Options{})
			id := h.enqueue("", "full@r.test")
			h.runUntil("expiry", h.done(id, 1))
			expired := h.v.Now()
			h.v.Advance(48 * time.Hour)
			res, err := h.store.Prune(context.Background(), expired.Add(tc.cutAfter), store.PruneOptions{})
			if err != nil {
				t.Fatal(err)
			}
			var rows int
			h.store.DB().QueryRow(`SELECT COUNT(*) FROM relay_soft_bounces`).Scan(&rows)
			if want := map[bool]int{true: 1, false: 0}[tc.suppressed]; rows != want {
				t.Fatalf("soft-bounce counts left: %d, want %d (pruned %+v)", rows, want, res.Tables)
			}
			id = h.enqueue("", "full@r.test")
			h.runUntil("second expiry", h.done(id, 1))
			want := []string{events.RelayExpired}
			evs := h.events(events.Filter{Message: id, Kinds: []string{events.RelayExpired}})
			if len(evs) != 1 || !reflect.DeepEqual(h.terminal(id)["full@r.test"], want) {
				t.Fatalf("second message: %v", h.terminal(id))
			}
			got, _ := payload(t, evs[0])["suppressed"].(bool)
			if got != tc.suppressed {
				t.Errorf("second expiry suppressed %v, want %v", got, tc.suppressed)
			}
			list, err := h.r.Suppressions(context.Background())
			if err != nil || (len(list) == 1) != tc.suppressed {
				t.Errorf("suppression list %+v, %v", list, err)
			}
		})
	}
}
