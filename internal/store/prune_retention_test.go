package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/events"
)

func (p pruneSeed) softBounce(addr string, count int, at time.Time) {
	p.t.Helper()
	p.exec(`INSERT INTO relay_soft_bounces (address, count, updated_ns) VALUES (?, ?, ?)`, addr, count, at.UnixNano())
}

// change is a probe change in webhook state hook, with its probe.changed
// event; it returns the change's id.
func (p pruneSeed) change(key, hook string, at time.Time) int64 {
	p.t.Helper()
	ev := p.event(events.Event{Kind: events.ProbeChanged, Target: "x.test"}, at)
	p.exec(`INSERT INTO probe_changes (time_ns, target, key, kind, old, new, event_id, webhook) VALUES (?, 'x.test', ?, 'record-changed', 'a', 'b', ?, ?)`,
		at.UnixNano(), key, ev, hook)
	var id int64
	if err := p.s.DB().QueryRow(`SELECT id FROM probe_changes WHERE event_id = ?`, ev).Scan(&id); err != nil {
		p.t.Fatal(err)
	}
	return id
}

// TestPruneProbeAndSoftBounces: prune deletes the soft-bounce counts last
// raised before the cutoff, the probe's changes and the probe's events
// (which it used to leave to grow for ever), but not a change still
// waiting for the webhook nor its event, and nothing since the cutoff.
func TestPruneProbeAndSoftBounces(t *testing.T) {
	t.Parallel()
	s, vc := openTest(t)
	now := vc.Now()
	old, recent, cut := now.Add(-48*time.Hour), now.Add(-time.Hour), now.Add(-24*time.Hour)
	p := pruneSeed{t, s}
	p.softBounce("stale@y.test", 2, old)    // goes: counts from 1 again
	p.softBounce("fresh@y.test", 2, recent) // stays: within the window
	p.softBounce("edge@y.test", 1, cut)     // stays: not older than the cutoff
	p.change("delivered", "delivered", old) // 1 goes, event 1 too
	p.change("none", "", old)               // 2 goes, event 2 too
	p.change("failed", "failed", old)       // 3 goes, event 3 too
	p.change("pending", "pending", old)     // 4 stays, event 4 too: the webhook still posts it
	p.change("new", "delivered", recent)    // 5 stays, event 5 too
	for i := 0; i < 5; i++ {
		p.event(events.Event{Kind: events.ProbeResult, Target: "x.test"}, old) // 6..10 go
	}
	p.event(events.Event{Kind: events.ProbeResult, Target: "x.test"}, recent) // 11 stays

	dry, err := s.Prune(context.Background(), cut, PruneOptions{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.Prune(context.Background(), cut, PruneOptions{Batch: 2})
	if err != nil {
		t.Fatal(err)
	}
	got := counts(res)
	for name, want := range map[string]int64{"relay_soft_bounces": 1, "probe_changes": 3, "events (probe.*)": 8, "events": 0} {
		if got[name] != want {
			t.Errorf("%s: deleted %d, want %d (all: %v)", name, got[name], want, got)
		}
	}
	if !sameCounts(counts(dry), got) {
		t.Errorf("the dry run counted %v, the prune deleted %v", counts(dry), got)
	}
	p.wantIDs(`SELECT address FROM relay_soft_bounces ORDER BY address`, "edge@y.test", "fresh@y.test")
	p.wantIDs(`SELECT key FROM probe_changes ORDER BY id`, "pending", "new")
	p.wantIDs(`SELECT id FROM events ORDER BY id`, "4", "5", "11")
}

// TestPruneProbeResults: PruneProbe (probe.keep) deletes the results older
// than its cutoff, a few rows a transaction, but those it is told to keep,
// and the probe.result events older than the cutoff; changes and their
// events are Prune's.
func TestPruneProbeResults(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		keep []int64
		want []string
	}{
		{"keeping none", nil, []string{"6", "7"}},
		{"keeping some", []int64{1, 4}, []string{"1", "4", "6", "7"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, vc := openTest(t)
			now := vc.Now()
			old, cut := now.Add(-48*time.Hour), now.Add(-24*time.Hour)
			p := pruneSeed{t, s}
			for i := 1; i <= 7; i++ {
				at := old
				if i > 5 {
					at = now
				}
				p.exec(`INSERT INTO probe_results (id, time_ns, target, status, report) VALUES (?, ?, ?, 'ok', '{}')`, i, at.UnixNano(), fmt.Sprintf("t%d.test", i%2))
			}
			p.event(events.Event{Kind: events.ProbeResult}, old) // 1 goes
			p.event(events.Event{Kind: events.ProbeResult}, now) // 2 stays
			p.change("c", "delivered", old)                      // event 3 stays: Prune's
			p.event(events.Event{Kind: events.SinkSession}, old) // 4 stays: Prune's

			dry, err := s.PruneProbe(context.Background(), cut, tc.keep, PruneOptions{DryRun: true})
			if err != nil {
				t.Fatal(err)
			}
			res, err := s.PruneProbe(context.Background(), cut, tc.keep, PruneOptions{Batch: 2})
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]int64{"probe_results": int64(7 - len(tc.want)), "events (probe.result)": 1}
			if !sameCounts(counts(res), want) || !sameCounts(counts(dry), want) {
				t.Errorf("deleted %v, dry run %v, want %v", counts(res), counts(dry), want)
			}
			p.wantIDs(`SELECT id FROM probe_results ORDER BY id`, tc.want...)
			p.wantIDs(`SELECT id FROM events ORDER BY id`, "2", "3", "4")
			p.wantIDs(`SELECT COUNT(*) FROM probe_changes`, "1")
		})
	}
}
