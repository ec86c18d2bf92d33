package main

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/config"
	"github.com/relaylab/relaylab/internal/store"
	"github.com/relaylab/relaylab/internal/testutil"
)

// fakePrunes records what keepLoopReporting tells it.
type fakePrunes struct {
	mu       sync.Mutex
	ok       []time.Time
	failures int
	changed  chan struct{}
}

var _ pruneReporter = (*fakePrunes)(nil)

func (f *fakePrunes) Pruned(at time.Time) {
	f.mu.Lock()
	f.ok = append(f.ok, at)
	f.mu.Unlock()
	f.changed <- struct{}{}
}

func (f *fakePrunes) PruneFailed() {
	f.mu.Lock()
	f.failures++
	f.mu.Unlock()
	f.changed <- struct{}{}
}

// TestFM22KeepReportsPrunes: the hourly prune of store.keep tells its
// reporter (the web's relaylab_store_prune_* metrics) of a prune that
// worked, with the store clock's time, and of one that failed, which
// before was only a WARN in the log.
func TestFM22KeepReportsPrunes(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		breakSQL string // SQL that makes the prune fail; "" for none
	}{{"works", ""}, {"fails", `DROP TABLE relay_messages`}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			path := pruneStore(t)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			st, err := store.Open(ctx, store.Options{Path: path, Sync: store.SyncOff, Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			if tc.breakSQL != "" {
				if err := st.Write(ctx, func(tx *store.Tx) error { _, err := tx.Exec(tc.breakSQL); return err }); err != nil {
					t.Fatalf("breaking the store for the test: %v", err)
				}
			}
			rep := &fakePrunes{changed: make(chan struct{}, 4)}
			var logs testutil.SyncBuffer
			done := make(chan struct{})
			before := st.Clock().Now()
			go func() {
				defer close(done)
				keepLoopReporting(ctx, st, 24*time.Hour, 0, time.Hour, slog.New(slog.NewTextHandler(&logs, nil)), rep)
			}()
			select {
			case <-rep.changed:
			case <-time.After(20 * time.Second): // a hang, not a speed check
				t.Fatalf("the prune reported nothing; log:\n%s", logs.String())
			}
			cancel()
			<-done
			rep.mu.Lock()
			defer rep.mu.Unlock()
			if tc.breakSQL == "" {
				if rep.failures != 0 || len(rep.ok) != 1 || rep.ok[0].Before(before) {
					t.Errorf("a prune that worked: reported %d successes %v and %d failures, want one success at or after %v", len(rep.ok), rep.ok, rep.failures, before)
				}
				return
			}
			if rep.failures != 1 || len(rep.ok) != 0 {
				t.Errorf("a prune that failed: reported %d failures and %d successes, want 1 failure; log:\n%s", rep.failures, len(rep.ok), logs.String())
			}
			if !strings.Contains(logs.String(), "level=WARN") {
				t.Errorf("a failed prune is still logged as a WARN; log:\n%s", logs.String())
			}
		})
	}
}

// TestFM22KeepStatsOnlyWhenKept: serve gets prune statistics for the
// web's metrics only when store.keep prunes; with store.keep 0 it gets
// none, and the metrics leave the prune series out.
func TestFM22KeepStatsOnlyWhenKept(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel() // ends the loop before its first prune (a minute)
	st, err := store.Open(ctx, store.Options{Path: pruneStore(t), Sync: store.SyncOff, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, tc := range []struct {
		keep time.Duration
		want bool
	}{{0, false}, {24 * time.Hour, true}} {
		c := &fileConfig{}
		c.Store.Keep = config.Duration(tc.keep)
		if got := startKeepStats(ctx, st, c, slog.New(slog.DiscardHandler)) != nil; got != tc.want {
			t.Errorf("store.keep %s: prune statistics given %v, want %v", tc.keep, got, tc.want)
		}
	}
}
