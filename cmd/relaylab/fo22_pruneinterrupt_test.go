package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/store"
)

// TestFO22PruneInterruptedSaysWhatItDeleted: walk L1. A prune that Ctrl-C
// stopped said "store: pruning events: context canceled": now it says it
// was interrupted, by which signal, at which table, and what it had
// deleted by then, table by table (exit 130, as load and send); with
// --json it prints those partial counts.
func TestFO22PruneInterruptedSaysWhatItDeleted(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancelCause(context.Background())
	cancel(errors.New("SIGINT"))
	before := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	res := store.PruneResult{Before: before, Tables: []store.Pruned{
		{Table: "sink_messages", Rows: 6}, {Table: "sink_attempts", Rows: 0}, {Table: "sink_sessions", Rows: 9},
		{Table: "sink_bounces", Rows: 1}, {Table: "relay_messages", Rows: 300}, {Table: "relay_recipients", Rows: 301},
		{Table: "relay_soft_bounces"}, {Table: "probe_changes"}, {Table: "events", Rows: 1200},
	}}
	failure := fmt.Errorf("store: pruning events: %w", context.Canceled)
	path := filepath.Join(t.TempDir(), "gone.db")

	for _, asJSON := range []bool{false, true} {
		var out, errOut syncBuffer
		e := &env{stdout: &out, stderr: &errOut}
		err := pruneFailed(ctx, e, pruneOutput{PruneResult: res}, failure, path, asJSON)
		var xe *exitError
		if !errors.As(err, &xe) || xe.code != exitInterrupted {
			t.Fatalf("json %v: %v, want exit %d", asJSON, err, exitInterrupted)
		}
		msg := err.Error()
		for _, want := range []string{"interrupted", "SIGINT", "before it finished events",
			"sink_messages 6, sink_sessions 9, sink_bounces 1, relay_messages 300, relay_recipients 301, events 1200 (1817 rows)",
			"older than 2026-03-01T00:00:00Z", "stays deleted", "run it again"} {
			if !strings.Contains(msg, want) {
				t.Errorf("json %v: the error says\n%s\nwant it to say %q", asJSON, msg, want)
			}
		}
		if strings.Contains(msg, "context canceled") || strings.Contains(msg, "sink_attempts") {
			t.Errorf("json %v: the error says\n%s\nwant no \"context canceled\", and no table it deleted nothing from", asJSON, msg)
		}
		if !asJSON {
			if out.String() != "" {
				t.Errorf("without --json it printed %q on stdout", out.String())
			}
			continue
		}
		var got struct {
			Interrupted bool           `json:"interrupted"`
			Tables      []store.Pruned `json:"tables"`
		}
		if err := json.Unmarshal([]byte(out.String()), &got); err != nil {
			t.Fatalf("--json: %v:\n%s", err, out.String())
		}
		if !got.Interrupted || len(got.Tables) != len(res.Tables) || got.Tables[8].Rows != 1200 {
			t.Errorf("--json printed %+v, want interrupted and the partial counts %+v", got, res.Tables)
		}
	}

	// A dry run counted; it deleted nothing.
	res.DryRun = true
	err := pruneFailed(ctx, &env{stdout: &syncBuffer{}, stderr: &syncBuffer{}}, pruneOutput{PruneResult: res}, failure, path, false)
	if msg := err.Error(); !strings.Contains(msg, "it had counted") || !strings.Contains(msg, "deletes nothing") {
		t.Errorf("an interrupted dry run says\n%s\nwant what it had counted, and that it deletes nothing", msg)
	}
	// Interrupted before the first table was done.
	err = pruneFailed(ctx, &env{stdout: &syncBuffer{}, stderr: &syncBuffer{}},
		pruneOutput{PruneResult: store.PruneResult{Before: before, Tables: []store.Pruned{{Table: "sink_messages"}}}}, failure, path, false)
	if msg := err.Error(); !strings.Contains(msg, "deleted nothing yet") {
		t.Errorf("interrupted at once, it says\n%s\nwant \"deleted nothing yet\"", msg)
	}
}

// TestFO22PruneFailureKeepsItsWords: a failure that no signal caused is
// exit 1 with the store's error, as before.
func TestFO22PruneFailureKeepsItsWords(t *testing.T) {
	t.Parallel()
	err := pruneFailed(context.Background(), &env{stdout: &syncBuffer{}, stderr: &syncBuffer{}}, pruneOutput{},
		errors.New("store: pruning events: disk I/O error"), "x.db", true)
	var xe *exitError
	if !errors.As(err, &xe) || xe.code != 1 || !strings.Contains(err.Error(), "disk I/O error") || !strings.Contains(err.Error(), "run it again") {
		t.Errorf("a failed prune: %v, want exit 1 with the store's error", err)
	}
}
