package store

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// PruneProbe deletes the probe results older than before, but for those
// whose ids are in keep (what the probe still reads: the caller knows
// its reports), and the probe.result events older than before, in
// transactions of at most opts.Batch rows, beside a running serve. The
// probe's monitor calls it with probe.keep after each cycle; the changes
// and their events are Prune's.
func (s *Store) PruneProbe(ctx context.Context, before time.Time, keep []int64, opts PruneOptions) (PruneResult, error) {
	if opts.Batch <= 0 {
		opts.Batch = 300
	}
	if keep == nil {
		keep = []int64{} // json_each('null') is one NULL, and NOT IN a NULL holds for nothing
	}
	kept, err := json.Marshal(keep)
	if err != nil {
		return PruneResult{}, err
	}
	res := PruneResult{Before: before, DryRun: opts.DryRun}
	cut, now := before.UnixNano(), s.clock.Now()
	count := s.pruneTable
	if opts.DryRun {
		count = s.countTable
	}
	for _, t := range probePruneTables(string(kept)) {
		n, err := count(ctx, t, cut, now, opts.Batch)
		res.Tables = append(res.Tables, t.pruned(n))
		if err != nil {
			return res, fmt.Errorf("store: pruning %s: %w", t.pruned(n).Name(), err)
		}
	}
	return res, nil
}

// probePruneTables are what PruneProbe deletes from, but for the results
// whose ids are in kept, a JSON list.
func probePruneTables(kept string) []pruneTable {
	return []pruneTable{
		{name: "probe_results", where: `time_ns < ? AND id NOT IN (SELECT value FROM json_each(?))`,
			args: func(cut int64, _ time.Time) []any { return []any{cut, kept} }},
		{name: "events", kinds: "probe.result", where: `kind = 'probe.result' AND time_ns < ?`, args: cutOnly, indexed: true},
	}
}
