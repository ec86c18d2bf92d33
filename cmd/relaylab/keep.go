package main

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/relaylab/relaylab/internal/store"
	"github.com/relaylab/relaylab/web"
)

// keepFirst is how long after the start the first prune of store.keep
// waits, so that it does not slow the start; the others follow hourly.
const keepFirst = time.Minute

// startKeep prunes the store hourly, as relaylab prune --older-than
// store.keep would, while ctx lasts and the store is open; nothing when
// store.keep is 0 (the default).
func startKeep(ctx context.Context, st *store.Store, cfg *fileConfig, log *slog.Logger) {
	startKeepStats(ctx, st, cfg, log)
}

// startKeepStats is startKeep, and returns where each prune's outcome is
// recorded, for the web's metrics (web.Options.Prune); nil when
// store.keep is 0 and nothing prunes.
func startKeepStats(ctx context.Context, st *store.Store, cfg *fileConfig, log *slog.Logger) *web.PruneStats {
	keep := cfg.Store.Keep.D()
	if keep <= 0 {
		return nil
	}
	stats := new(web.PruneStats)
	go keepLoopReporting(ctx, st, keep, keepFirst, time.Hour, log, stats)
	return stats
}

// pruneReporter is told how each prune of store.keep went
// (*web.PruneStats).
type pruneReporter interface {
	Pruned(at time.Time)
	PruneFailed()
}

var _ pruneReporter = (*web.PruneStats)(nil)

// keepLoop prunes what is older than keep, first after first and then
// every every, until ctx ends or the store closes.
func keepLoop(ctx context.Context, st *store.Store, keep, first, every time.Duration, log *slog.Logger) {
	keepLoopReporting(ctx, st, keep, first, every, log, nil)
}

// keepLoopReporting is keepLoop, telling rep (unless nil) how each prune
// went.
func keepLoopReporting(ctx context.Context, st *store.Store, keep, first, every time.Duration, log *slog.Logger, rep pruneReporter) {
	wait := first
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = every
		before := st.Clock().Now().Add(-keep)
		res, err := st.Prune(ctx, before, store.PruneOptions{})
		switch {
		case errors.Is(err, store.ErrClosed) || ctx.Err() != nil:
			return
		case err != nil:
			if rep != nil {
				rep.PruneFailed()
			}
			log.Warn("store: pruning what store.keep lets go failed; it is tried again later", "keep", keep, "err", err)
		default:
			if rep != nil {
				rep.Pruned(st.Clock().Now())
			}
			if res.Total() > 0 {
				log.Info("store: pruned what is older than store.keep", "keep", keep, "before", before.UTC().Format(time.RFC3339), "rows", res.Total())
			}
		}
	}
}
