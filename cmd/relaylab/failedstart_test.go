package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/events"
	"github.com/relaylab/relaylab/internal/store"
)

// TestFailedStartLeavesNoNewStore: serve, sink or relay that cannot bind
// their address do not leave behind the empty store file the run created,
// and never remove a store that was there before.
func TestFailedStartLeavesNoNewStore(t *testing.T) {
	t.Parallel()
	// Two busy addresses, one for the sink and one for the relay: a file
	// that gave both the same one would be refused before any bind.
	busyFor := map[string]net.Listener{}
	for _, c := range []string{"sink", "relay"} {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { l.Close() }) // after the parallel subtests, not when this function returns
		busyFor[c] = l
	}
	busyFor["serve"] = busyFor["sink"]
	dir := t.TempDir()
	cfg := filepath.Join(dir, "busy.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf("sink: {listeners: [{name: mx, listen: %q, hostname: mx.test}]}\nrelay: {listen: %q, paths: [{name: up, host: '127.0.0.1:2'}]}\nweb: {listen: '127.0.0.1:0'}\n", busyFor["sink"].Addr(), busyFor["relay"].Addr())), 0o644)
	for _, c := range []string{"serve", "sink", "relay"} {
		busy := busyFor[c]
		t.Run(c, func(t *testing.T) {
			t.Parallel()
			// A guard only: a command that started would run until stopped.
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			fresh := filepath.Join(t.TempDir(), "new.db")
			code, _, errOut := runIn(t, ctx, c, "--config", cfg, "--db", fresh)
			if code != 1 || !strings.Contains(errOut, busy.Addr().String()) {
				t.Fatalf("busy address: exit %d (want 1), stderr %q", code, errOut)
			}
			left, _ := filepath.Glob(fresh + "*")
			if len(left) > 0 {
				t.Errorf("the failed start left %v behind", left)
			}

			old := filepath.Join(t.TempDir(), "old.db")
			st, err := store.Open(context.Background(), store.Options{Path: old, Sync: store.SyncOff, Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				t.Fatal(err)
			}
			st.Close()
			if code, _, errOut := runIn(t, ctx, c, "--config", cfg, "--db", old); code != 1 {
				t.Fatalf("busy address, existing store: exit %d (want 1), stderr %q", code, errOut)
			}
			if _, err := os.Stat(old); err != nil {
				t.Errorf("the store that was there is gone: %v", err)
			}
		})
	}
}

// TestAbandonKeepsASharedStore: a failed start never removes a store that
// another process (here another connection) opened meanwhile, whether that
// one has recorded something or only holds it open.
func TestAbandonKeepsASharedStore(t *testing.T) {
	t.Parallel()
	for _, writes := range []bool{true, false} {
		path := filepath.Join(t.TempDir(), "shared.db")
		ctx := context.Background()
		_, abandon, err := openStore(ctx, &fileConfig{}, path, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		other, err := store.Open(ctx, store.Options{Path: path, Sync: store.SyncOff, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		if writes {
			if _, err := other.Append(ctx, events.Event{Kind: events.SinkSession}); err != nil {
				t.Fatal(err)
			}
		}
		abandon()
		if _, err := os.Stat(path); err != nil {
			t.Errorf("writes=%v: the failed start removed a store another run has open: %v", writes, err)
		}
		other.Close()
	}
}
