package main

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/store"
)

// fs24OlderStore makes the store at path (new, or one another process
// has open) as the build before migrations 0301 and 0400 left it: their
// changes undone and their rows gone.
func fs24OlderStore(t *testing.T, path string) {
	t.Helper()
	st, err := store.Open(context.Background(), store.Options{Path: path, Sync: store.SyncOff, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	db, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{
		`DROP INDEX probe_changes_webhook_pending`,
		`ALTER TABLE probe_changes DROP COLUMN webhook_ns`,
		`ALTER TABLE probe_changes DROP COLUMN webhook`,
		`DROP INDEX events_kind_time`,
		`DELETE FROM schema_migrations WHERE version IN (301, 400)`,
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v (migrations 0301 and 0400 changed?)", q, err)
		}
	}
}

// fs24Migrations is how many migrations the store at path records, read
// without opening it as a store.
func fs24Migrations(t *testing.T, path string) int {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT COUNT(*) FROM schema_migrations`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestFS24OlderStoreRefused: walk H1. queue list, suppress list, sink
// reset, sink clear, prune --dry-run, report and expect --db migrated a
// store an older relaylab wrote, in place and (but for report's INFO
// lines) without a word, though that relaylab's serve, still running on
// it, could then not start again. Each refuses it now, changing nothing,
// naming the store, the migrations it lacks and how to upgrade it; one
// that an older serve holds too, naming that process. A relay does not
// migrate a store another process holds either; a sink on it, once none
// does, migrates it as before, with its INFO lines.
func TestFS24OlderStoreRefused(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	dir := t.TempDir()
	old := filepath.Join(dir, "old.db")
	fs24OlderStore(t, old)
	before := fs24Migrations(t, old)
	expectFile := writeExpect(t, "  recipients:\n    - {match: \"a@example.test\", status: delivered}\n")
	commands := [][]string{
		{"queue", "list"},
		{"suppress", "list"},
		{"sink", "reset"},
		{"sink", "clear"},
		{"prune", "--dry-run", "--older-than", "1d"},
		{"report"},
		{"expect", expectFile},
	}
	wants := []string{
		"store: " + old + " was written by an older relaylab: it lacks 2 migrations (0301_probe_webhook.sql..0400_web_events_time.sql)",
		"Start relaylab serve (or sink/relay) on it once to upgrade it",
		"back it up first (README: The store: upgrades and backups)",
	}
	check := func(args []string) {
		t.Helper()
		code, _, errOut := runIn(t, ctx, append(args, "--db", old)...)
		want := 1
		if args[0] == "expect" {
			want = exitNoVerdict // the store cannot be read as it is
		}
		if code != want {
			t.Errorf("%s on an older store: exit %d, want %d; stderr:\n%s", strings.Join(args, " "), code, want, errOut)
		}
		for _, w := range wants {
			if !strings.Contains(errOut, w) {
				t.Errorf("%s on an older store: stderr lacks %q:\n%s", strings.Join(args, " "), w, errOut)
			}
		}
		if strings.Contains(errOut, "store migrated") {
			t.Errorf("%s logged a migration:\n%s", strings.Join(args, " "), errOut)
		}
		if got := fs24Migrations(t, old); got != before {
			t.Fatalf("%s migrated the store: %d migrations recorded, was %d", strings.Join(args, " "), got, before)
		}
	}
	for _, args := range commands {
		check(args)
	}
	if runtime.GOOS != "linux" {
		return // which process holds a store is read from /proc/locks
	}

	// An older serve holds it: the refusal names that process too. (The
	// helper opens the store as this build does: the store is made older
	// once it has it open.)
	dir2 := t.TempDir()
	held := filepath.Join(dir2, "held.db")
	pid := holdStore(t, held, "serve", "--db", held)
	fs24OlderStore(t, held)
	code, _, errOut := runIn(t, ctx, "queue", "list", "--db", held)
	if code != 1 || !strings.Contains(errOut, "store: "+held+" was written by an older relaylab") || !strings.Contains(errOut, fmt.Sprintf("once process %d (", pid)) ||
		!strings.Contains(errOut, "which has it open (the older relaylab?), has stopped") {
		t.Errorf("queue list on an older store a serve holds: exit %d, want 1 naming process %d; stderr:\n%s", code, pid, errOut)
	}

	// A relay beside an older sink does not take the store from it: its
	// start is refused before the migration, naming the sink.
	held = filepath.Join(dir2, "sinks.db")
	pid = holdStore(t, held, "sink", "--db", held)
	fs24OlderStore(t, held)
	heldBefore := fs24Migrations(t, held)
	// Refused, it returns at once; the deadline only ends one that was
	// not, which then ran until it.
	relayCtx, cancelRelay := context.WithTimeout(ctx, 20*time.Second)
	code, _, errOut = runIn(t, relayCtx, "relay", "--listen", "127.0.0.1:0", "--smarthost", closedAddr(t, "tcp"), "--db", held)
	cancelRelay()
	if code != 1 || !strings.Contains(errOut, fmt.Sprintf("and it is open in process %d (", pid)) || !strings.Contains(errOut, "so it was not upgraded (nothing was changed)") {
		t.Errorf("relay on an older store a sink holds: exit %d, want 1 naming process %d; stderr:\n%s", code, pid, errOut)
	}
	if got := fs24Migrations(t, held); got != heldBefore {
		t.Fatalf("relay migrated a store another process holds: %d migrations, was %d", got, heldBefore)
	}

	// Alone on it, a sink upgrades it, saying so, as before.
	runCtx, cancel := context.WithCancel(ctx)
	_, errb, done := startDaemon(t, runCtx, "sink", "--listen", "127.0.0.1:0", "--db", old)
	cancel()
	<-done
	for _, m := range []string{"0301_probe_webhook.sql", "0400_web_events_time.sql"} {
		if !strings.Contains(errb.String(), `level=INFO msg="store migrated: applied `+m+`"`) {
			t.Errorf("the sink's log lacks the migration %s:\n%s", m, errb.String())
		}
	}
	if got := fs24Migrations(t, old); got != before+2 {
		t.Errorf("after the sink the store records %d migrations, want %d", got, before+2)
	}
	if code, _, errOut := runIn(t, ctx, "queue", "list", "--db", old); code != 0 {
		t.Errorf("queue list on the upgraded store: exit %d\n%s", code, errOut)
	}
}
