package store

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

// TestOpenRefusesANewerStore: a store with a migration this build does
// not know (a later relaylab wrote it) is refused with the migration
// named and what to do; it was opened without a word, for this build to
// misread or undo what the later one keeps.
func TestOpenRefusesANewerStore(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "s.db")
	ctx := context.Background()
	s, err := Open(ctx, Options{Path: path, Sync: SyncNormal})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.DB().ExecContext(ctx, `SELECT 1`); err != nil {
		t.Fatal(err)
	}
	if err := s.Write(ctx, func(tx *Tx) error {
		_, err := tx.Exec(`INSERT INTO schema_migrations (version, name) VALUES (9999, '9999_future.sql')`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	_, err = Open(ctx, Options{Path: path, Sync: SyncNormal})
	// Walk L3: the backup taken before the upgrade is one way back.
	if err == nil || !errors.Is(err, ErrNewerStore) || !strings.Contains(err.Error(), "9999_future.sql") || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "--db") ||
		!strings.Contains(err.Error(), "or restore the backup you took before upgrading") {
		t.Errorf("Open of a newer store: %v, want ErrNewerStore naming the file, the migration and what to do (the backup taken before upgrading too)", err)
	}
}
