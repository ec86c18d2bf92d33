package store

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/testutil"
)

// fs24OlderStore makes a store as an older build left it, in a
// directory of its own: without the rows of its last two migrations
// (0301's column stays, 0400's index is made IF NOT EXISTS; only the
// record of them matters here). It returns the store's path and how many
// migrations it records.
func fs24OlderStore(t *testing.T) (string, int) {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	s, err := Open(ctx, Options{Path: path, Sync: SyncOff, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Write(ctx, func(tx *Tx) error {
		_, err := tx.Exec(`DELETE FROM schema_migrations WHERE version IN (301, 400)`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	ms, _ := loadMigrations()
	return path, len(ms) - 2
}

// fs24Recorded is how many migrations the store at path has recorded.
func fs24Recorded(t *testing.T, path string) int {
	t.Helper()
	s, err := Open(context.Background(), Options{Path: path, NoMigrate: true, Logger: slog.New(slog.DiscardHandler)})
	var oe *OlderStoreError
	if errors.As(err, &oe) {
		ms, _ := loadMigrations()
		return len(ms) - len(oe.Pending)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var n int
	if err := s.DB().QueryRow(`SELECT COUNT(*) FROM schema_migrations`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestFS24NoMigrateRefusesAnOlderStore: walk H1. Every command migrated a
// store an older build wrote, in place (queue list, report, expect),
// though the older serve that may still run on it then refused to start
// again. Open with NoMigrate changes nothing and says which migrations
// are missing and what to do; a missing file is not created; a file
// without relaylab's tables is refused unchanged.
func TestFS24NoMigrateRefusesAnOlderStore(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path, recorded := fs24OlderStore(t)
	dir := filepath.Dir(path)
	var logs testutil.SyncBuffer
	_, err := Open(ctx, Options{Path: path, NoMigrate: true, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	var oe *OlderStoreError
	if !errors.As(err, &oe) || !errors.Is(err, ErrOlderStore) {
		t.Fatalf("NoMigrate on an older store: %v, want an *OlderStoreError", err)
	}
	for _, want := range []string{
		"store: " + path + " was written by an older relaylab",
		"2 migrations (0301_probe_webhook.sql..0400_web_events_time.sql)",
		"Start relaylab serve (or sink/relay) on it once to upgrade it; back it up first (README: The store: upgrades and backups)",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the refusal lacks %q:\n%v", want, err)
		}
	}
	if got := fs24Recorded(t, path); got != recorded {
		t.Errorf("after NoMigrate the store records %d migrations, want %d (unchanged)", got, recorded)
	}
	if strings.Contains(logs.String(), "migrated") {
		t.Errorf("NoMigrate logged a migration:\n%s", logs.String())
	}

	// Read-only, before any open: the same refusal.
	ro, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	if err := Unmigrated(ctx, ro, path); !errors.As(err, &oe) || len(oe.Pending) != 2 {
		t.Errorf("Unmigrated of the older store: %v, want its 2 migrations", err)
	}
	ro.Close()

	missing := filepath.Join(dir, "missing.db")
	if s, err := Open(ctx, Options{Path: missing, NoMigrate: true}); err == nil {
		s.Close()
		t.Errorf("NoMigrate opened a file that does not exist")
	}
	if _, err := os.Stat(missing); err == nil {
		t.Errorf("NoMigrate created %s", missing)
	}
	empty := filepath.Join(dir, "empty.db")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if s, err := Open(ctx, Options{Path: empty, NoMigrate: true}); err == nil || !strings.Contains(err.Error(), "not a relaylab store") {
		if s != nil {
			s.Close()
		}
		t.Errorf("NoMigrate on an empty file: %v, want not a relaylab store", err)
	}
	if fi, err := os.Stat(empty); err != nil || fi.Size() != 0 {
		t.Errorf("NoMigrate changed the empty file: %v", err)
	}

	// Once migrated (as serve does), it opens. (0301 adds a column, and
	// cannot apply twice: its row goes back first.)
	rw, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rw.Exec(`INSERT INTO schema_migrations (version, name) VALUES (301, '0301_probe_webhook.sql')`); err != nil {
		t.Fatal(err)
	}
	rw.Close()
	s, err := Open(ctx, Options{Path: path, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = Open(ctx, Options{Path: path, NoMigrate: true})
	if err != nil {
		t.Fatalf("NoMigrate on a store with every migration: %v", err)
	}
	s.Close()
}

// TestFS24NoMigrationWhileHeld: walk H1. A store another process has
// open is not migrated, by serve either: that process may be the older
// serve, which could not go on. The refusal names the process and
// changes nothing; a current store opens though another process holds
// it, and so does a new one.
func TestFS24NoMigrationWhileHeld(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path, recorded := fs24OlderStore(t)
	const holder = "process 4242 (relaylab serve --db old.db)"
	held := func(string) string { return holder }
	_, err := Open(ctx, Options{Path: path, LockHolder: held, Logger: slog.New(slog.DiscardHandler)})
	var oe *OlderStoreError
	if !errors.As(err, &oe) || !oe.Migrating || !strings.Contains(err.Error(), "it is open in "+holder+", so it was not upgraded (nothing was changed)") ||
		!strings.Contains(err.Error(), "Stop that process, back the store up") {
		t.Fatalf("opening an older store another process holds: %v", err)
	}
	if got := fs24Recorded(t, path); got != recorded {
		t.Errorf("the held store records %d migrations, want %d (unchanged)", got, recorded)
	}
	_, err = Open(ctx, Options{Path: path, LockHolder: held, NoMigrate: true})
	if !errors.As(err, &oe) || oe.Migrating || !strings.Contains(err.Error(), "once "+holder+", which has it open (the older relaylab?), has stopped") {
		t.Errorf("NoMigrate on an older store another process holds: %v", err)
	}

	fresh := filepath.Join(filepath.Dir(path), "new.db")
	s, err := Open(ctx, Options{Path: fresh, LockHolder: held})
	if err != nil {
		t.Fatalf("a new store: %v", err)
	}
	s.Close()
	s, err = Open(ctx, Options{Path: fresh, LockHolder: held})
	if err != nil {
		t.Fatalf("a current store another process holds: %v", err)
	}
	s.Close()
}
