package relay

import (
	"context"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/events"
	"github.com/relaylab/relaylab/internal/store"
)

// TestMessageEventsUseTheIndex: what queue show and a deleted message's
// error read of one message's events searches the partial index on
// message, instead of every event of those kinds in the log.
func TestMessageEventsUseTheIndex(t *testing.T) {
	t.Parallel()
	h := newHarness(t, testConfig("127.0.0.1:1"), Options{})
	for name, q := range map[string]struct {
		sql  string
		args []any
	}{
		"lastOutcomes": {lastOutcomesSQL, []any{"m", events.RelayDeferred, events.RelayBounced, events.RelayExpired, events.RelaySuppressed, events.RelayDelivered}},
		"notFound":     {deletedAtSQL, []any{"m", events.RelayExpired}},
		"hops":         {hopsSQL, []any{"m", events.RelayAttempt}},
	} {
		plan, err := store.QueryPlan(context.Background(), h.store.DB(), q.sql, q.args...)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(plan, "events_message") {
			t.Errorf("%s: plan\n%s\nwant a search of events_message", name, plan)
		}
	}
}

// TestWarnScanUsesTheIndex: the delay-warning scan and its look for the
// next warning search the index of deferred, unwarned recipients by
// arrival, instead of every waiting recipient (148 ms a scan with 1M
// deferred, BenchmarkWarnScan).
func TestWarnScanUsesTheIndex(t *testing.T) {
	t.Parallel()
	h := newHarness(t, testConfig("127.0.0.1:1"), Options{})
	for name, q := range map[string]struct {
		sql  string
		args []any
	}{
		"due":  {warnDueSQL, []any{1, 2}},
		"next": {warnNextSQL, []any{1}},
	} {
		plan, err := store.QueryPlan(context.Background(), h.store.DB(), q.sql, q.args...)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(plan, "relay_recipients_unwarned") {
			t.Errorf("%s: plan\n%s\nwant a search of relay_recipients_unwarned", name, plan)
		}
	}
}
