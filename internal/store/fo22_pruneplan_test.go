package store

import (
	"context"
	"math"
	"regexp"
	"strings"
	"testing"
	"time"
)

// pendingScans are the full scans a prune statement may make in its write
// transaction: of partial indexes that hold only what is still pending (a
// bounce due, a change not posted), a handful of rows, and of the list of
// probe results to keep that PruneProbe is given.
var pendingScans = regexp.MustCompile(`^SCAN (\w+ USING INDEX (sink_bounces_due|probe_changes_webhook_pending)|json_each VIRTUAL TABLE .*)$`)

// prunePlan is SQLite's plan for q in s.
func prunePlan(t *testing.T, s *Store, q string, args ...any) string {
	t.Helper()
	plan, err := QueryPlan(context.Background(), s.DB(), q, args...)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return plan
}

// TestFO22PruneWritesSearchNoLog: every statement that Prune and
// PruneProbe run in a write transaction reads a bounded window of its
// table by rowid (or, indexed, only the rows it deletes) and scans no
// table in a subquery. Walk H1: the kept relay.attempt subquery of the
// events was planned as a search of events_kind_time by kind alone, every
// relay.attempt event for each candidate row (10.4 s for a batch of 300,
// with relay and sink answering 451 meanwhile), because events_message
// leaves out events with no message and the subquery did not say so; and a batch
// read on until it found 300 rows to delete, every kept row of a large
// log in one transaction.
func TestFO22PruneWritesSearchNoLog(t *testing.T) {
	t.Parallel()
	s, vc := openTest(t)
	now := vc.Now()
	cut := now.Add(-time.Hour).UnixNano()
	tables := append(append(append([]pruneTable{}, sinkTables...), laterTables...), probePruneTables("[]")...)
	for _, tb := range tables {
		args := append(append([]any{int64(0), int64(math.MaxInt64)}, tb.args(cut, now)...), 300)
		plan := prunePlan(t, s, tb.deleteSQL(), args...)
		lines := strings.Split(plan, "\n")
		name := tb.pruned(0).Name()
		// The first two steps find the rows to delete by rowid, and read
		// them (the IN list): the list's is the walk of the table.
		walk := ""
		for _, l := range lines {
			if strings.HasPrefix(l, "SEARCH "+tb.name+" ") || strings.HasPrefix(l, "SCAN "+tb.name) {
				if !strings.Contains(l, "(rowid=?)") {
					walk = l
					break
				}
			}
		}
		switch {
		case tb.indexed && !strings.Contains(walk, "INDEX"):
			t.Errorf("%s: walks %q, want a search of an index that yields the rows to delete; plan:\n%s", name, walk, plan)
		case !tb.indexed && !strings.Contains(walk, "(rowid>? AND rowid<?)"):
			t.Errorf("%s: walks %q, want a window of rowids (rowid>? AND rowid<?), so that a transaction reads a bounded number of rows; plan:\n%s", name, walk, plan)
		}
		for _, l := range lines {
			if strings.HasPrefix(l, "SCAN ") && !pendingScans.MatchString(l) {
				t.Errorf("%s: %q in the write transaction: a scan of the whole table, for each row or batch; plan:\n%s", name, l, plan)
			}
		}
	}

	relay := prunePlan(t, s, relayBatchSQL, int64(0), int64(math.MaxInt64), cut, 300)
	if !strings.Contains(relay, "SEARCH m USING INTEGER PRIMARY KEY (rowid>? AND rowid<?)") || strings.Contains(relay, "SCAN ") {
		t.Errorf("the relay's batch: plan\n%s\nwant a window of relay_messages by rowid, and no scan", relay)
	}
	for _, q := range []string{`DELETE FROM relay_recipients WHERE message_id = ?`, `DELETE FROM relay_messages WHERE id = ?`} {
		if plan := prunePlan(t, s, q, "m1"); strings.Contains(plan, "SCAN ") {
			t.Errorf("%s: plan\n%s\nwant a search by index", q, plan)
		}
	}
}

// TestFO22PruneKeptAttemptSearchesByMessage: the events' kept
// relay.attempt subquery searches events_message, in the dry run's count
// as in the batches (the count took over two minutes on 20,000 messages).
func TestFO22PruneKeptAttemptSearchesByMessage(t *testing.T) {
	t.Parallel()
	s, vc := openTest(t)
	now := vc.Now()
	args := eventsTable.args(now.Add(-time.Hour).UnixNano(), now)
	for _, q := range []struct {
		name string
		sql  string
		args []any
	}{
		{"count", eventsTable.countSQL(), args},
		{"batch", eventsTable.deleteSQL(), append(append([]any{int64(0), int64(math.MaxInt64)}, args...), 300)},
	} {
		plan := prunePlan(t, s, q.sql, q.args...)
		if !strings.Contains(plan, "SEARCH a USING INDEX events_message (message=?)") || strings.Contains(plan, "SEARCH a USING INDEX events_kind") {
			t.Errorf("%s: plan\n%s\nwant the kept attempts of a message searched by events_message (message=?), not by kind", q.name, plan)
		}
	}
}
