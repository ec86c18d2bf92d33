package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/events"
)

// openSession is a sink session with no end recorded: still open, or cut
// by a kill -9.
func (p pruneSeed) openSession(id int64, start time.Time) {
	p.t.Helper()
	p.exec(`INSERT INTO sink_sessions (id, listener, client, start_ns, end_ns) VALUES (?, 'mx', '127.0.0.1', ?, 0)`, id, start.UnixNano())
}

// sessionSpan is a sink session that started and ended at the times given.
func (p pruneSeed) sessionSpan(id int64, start, end time.Time) {
	p.t.Helper()
	p.exec(`INSERT INTO sink_sessions (id, listener, client, start_ns, end_ns) VALUES (?, 'mx', '127.0.0.1', ?, ?)`, id, start.UnixNano(), end.UnixNano())
}

// TestFO22PruneKeepsASessionWithItsRows: walk H2. A session with no end
// recorded (end_ns 0) was pruned however recent: an open one 2 s after it
// started, one cut by a kill while its messages stayed (the API answered
// 404 for the session they name). A session now goes with its messages
// and attempts, or stays with them; one with no end is as old as its
// start.
func TestFO22PruneKeepsASessionWithItsRows(t *testing.T) {
	t.Parallel()
	s, vc := openTest(t)
	now := vc.Now()
	cut := now.Add(-24 * time.Hour)
	old, older, recent := now.Add(-48*time.Hour), now.Add(-72*time.Hour), now.Add(-time.Hour)
	p := pruneSeed{t, s}

	p.openSession(1, now.Add(-2*time.Second)) // open, started 2 s ago: stays
	p.message(1, 1, now.Add(-time.Second))
	p.openSession(2, old) // cut by a kill long ago, with its message: goes
	p.message(2, 2, old)
	p.openSession(3, old) // cut by a kill, a message after the cutoff: stays
	p.message(3, 3, recent)
	p.sessionSpan(4, old, recent) // ended after the cutoff: stays, and its early message and attempt with it
	p.message(4, 4, old)
	p.attempt(4, old)
	p.session(5, old) // a bounce still due quotes its second message: stays whole
	p.message(5, 5, old)
	p.message(6, 5, old)
	p.attempt(5, old)
	p.bounce(6, old, "due")
	p.session(6, older) // old and done: goes with its message and attempt
	p.message(7, 6, older)
	p.attempt(6, older)
	p.message(8, 7, old) // a message whose session row was never written: goes
	p.session(9, recent) // the last session: stays

	dry, err := s.Prune(context.Background(), cut, PruneOptions{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.Prune(context.Background(), cut, PruneOptions{Batch: 1})
	if err != nil {
		t.Fatal(err)
	}
	p.wantIDs(`SELECT id FROM sink_sessions ORDER BY id`, "1", "3", "4", "5", "9")
	p.wantIDs(`SELECT id FROM sink_messages ORDER BY id`, "1", "3", "4", "5", "6")
	p.wantIDs(`SELECT session_id FROM sink_attempts ORDER BY id`, "4", "5")
	p.wantIDs(`SELECT m.id || ' in ' || m.session_id FROM sink_messages m WHERE NOT EXISTS (SELECT 1 FROM sink_sessions s WHERE s.id = m.session_id)`)
	want := map[string]int64{"sink_sessions": 2, "sink_messages": 3, "sink_attempts": 1}
	for name, n := range want {
		if got := counts(res)[name]; got != n {
			t.Errorf("%s: deleted %d, want %d", name, got, n)
		}
		if got := counts(dry)[name]; got != n {
			t.Errorf("%s: the dry run counted %d, want %d (what the prune deletes)", name, got, n)
		}
	}
}

// TestFO22PruneWalksWindows: a prune whose rows to delete are sparse
// among kept ones, over many windows of rowids (scanWindow), deletes all
// of them and keeps the rest, with windows of 16 rows (Batch 1) as of the
// default size.
func TestFO22PruneWalksWindows(t *testing.T) {
	t.Parallel()
	for _, batch := range []int{1, 0} {
		t.Run(fmt.Sprintf("batch %d", batch), func(t *testing.T) {
			t.Parallel()
			s, vc := openTest(t)
			now := vc.Now()
			old, recent := now.Add(-48*time.Hour), now.Add(-time.Hour)
			p := pruneSeed{t, s}
			var wantEvents, wantRelay []string
			for i := range 100 {
				id := fmt.Sprintf("m%03d", i)
				if i%7 == 3 {
					p.relayMessage(id, old, "delivered")
					p.event(events.Event{Kind: events.SinkSession}, old)
					continue
				}
				p.relayMessage(id, old, "deferred")
				wantRelay = append(wantRelay, id)
				wantEvents = append(wantEvents, fmt.Sprint(p.event(events.Event{Kind: events.SinkSession}, recent)))
			}
			res, err := s.Prune(context.Background(), now.Add(-24*time.Hour), PruneOptions{Batch: batch})
			if err != nil {
				t.Fatal(err)
			}
			if got := counts(res); got["events"] != 14 || got["relay_messages"] != 14 || got["relay_recipients"] != 14 {
				t.Errorf("deleted %v, want 14 events, relay messages and recipients", got)
			}
			p.wantIDs(`SELECT id FROM events ORDER BY id`, wantEvents...)
			p.wantIDs(`SELECT id FROM relay_messages ORDER BY rowid`, wantRelay...)
		})
	}
}
