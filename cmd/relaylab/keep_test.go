package main

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/config"
	"github.com/relaylab/relaylab/internal/store"
	"github.com/relaylab/relaylab/internal/testutil"
)

// TestStoreKeep: store.keep prunes, in the running command, what is older
// than it by prune's rules (a finished relay message goes, a deferred one
// stays), says so in the log, and stops with its context; under an hour
// (other than 0) it is refused at its key.
func TestStoreKeep(t *testing.T) {
	t.Parallel()
	path := pruneStore(t)
	seedRetention(t, path)
	ctx, cancel := context.WithCancel(context.Background())
	st, err := store.Open(ctx, store.Options{Path: path, Sync: store.SyncOff, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var logs testutil.SyncBuffer
	done := make(chan struct{})
	go func() {
		defer close(done)
		keepLoop(ctx, st, 24*time.Hour, 0, time.Hour, slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{ReplaceAttr: textLogAttr}))) // as newFormatLogger
	}()
	for deadline := time.Now().Add(20 * time.Second); !strings.Contains(logs.String(), "pruned what is older than store.keep"); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no prune logged:\n%s", logs.String())
		}
	}
	cancel()
	<-done
	// The keep as the configuration writes it, not as Go prints it
	// (24h0m0s): the text log writes every duration so (textLogAttr).
	if !strings.Contains(logs.String(), "keep=1d ") {
		t.Errorf("the prune's log line does not give keep=1d:\n%s", logs.String())
	}
	var done1, wait int
	st.DB().QueryRow(`SELECT COUNT(*) FROM relay_messages WHERE id = 'done'`).Scan(&done1)
	st.DB().QueryRow(`SELECT COUNT(*) FROM relay_messages WHERE id = 'wait'`).Scan(&wait)
	if done1 != 0 || wait != 1 {
		t.Errorf("after store.keep: finished message rows %d (want 0), deferred %d (want 1)", done1, wait)
	}
	st.Close()
	// The soft-bounce count and the probe's change and events go, but the
	// change still waiting for the webhook and its event.
	if got, want := retentionLeft(t, path), [3]int{0, 1, 1}; got != want {
		t.Errorf("after store.keep: soft-bounce counts, probe changes, probe events %v, want %v", got, want)
	}

	for _, tc := range []struct {
		keep time.Duration
		bad  bool
	}{{0, false}, {time.Hour, false}, {30 * 24 * time.Hour, false}, {30 * time.Minute, true}} {
		c := &fileConfig{}
		c.Store.Sync, c.Store.Keep = "full", config.Duration(tc.keep)
		err := c.Validate("")
		if got := err != nil && strings.Contains(err.Error(), "store.keep"); got != tc.bad {
			t.Errorf("store.keep %s: %v", tc.keep, err)
		}
	}
}
