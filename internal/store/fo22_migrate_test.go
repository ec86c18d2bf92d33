package store

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/testutil"
)

// TestFO22MigrationsLogged: walk L3. A store from an older build was
// migrated without a word, though that build can no longer open it: each
// migration applied is now logged at INFO, one line each, naming the
// store; a new store's first migrations are not. (The refusal of a
// newer store offers the backup taken before the upgrade: newer_test.go.)
func TestFO22MigrationsLogged(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "s.db")
	var logs testutil.SyncBuffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	s, err := Open(ctx, Options{Path: path, Sync: SyncOff, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(logs.String(), "migrated") {
		t.Errorf("a new store logged its migrations:\n%s", logs.String())
	}
	// Back to a store without the last migration's row (its index is
	// made IF NOT EXISTS, so it applies again as it is).
	if err := s.Write(ctx, func(tx *Tx) error {
		_, err := tx.Exec(`DELETE FROM schema_migrations WHERE name = '0400_web_events_time.sql'`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s, err = Open(ctx, Options{Path: path, Sync: SyncOff, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	got := logs.String()
	if strings.Count(got, "store migrated") != 1 || !strings.Contains(got, `level=INFO msg="store migrated: applied 0400_web_events_time.sql" store=`+path) {
		t.Errorf("reopened after an older build:\n%s\nwant one INFO line naming 0400_web_events_time.sql and the store", got)
	}
	s.Close()
}
