package store

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/relaylab/relaylab/internal/events"
)

// TestOpenReadOnly: a store opened with Options.ReadOnly reads what was
// recorded, says how it was opened, and refuses a write with ErrReadOnly
// without touching the file; a store opened as usual says ReadWrite.
func TestOpenReadOnly(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "ro.db")
	s, err := Open(ctx, Options{Path: path, Sync: SyncOff})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Append(ctx, events.Event{Kind: events.RelayQueued, Message: "m1"}); err != nil {
		t.Fatal(err)
	}
	if got := s.ReadMode(); got != ReadWrite {
		t.Errorf("a store opened as usual: ReadMode %q, want ReadWrite", got)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	ro, err := Open(ctx, Options{Path: path, ReadOnly: true})
	if err != nil {
		t.Fatalf("open read-only: %v", err)
	}
	if got := ro.ReadMode(); got != ReadShared && got != ReadImmutable {
		t.Errorf("ReadMode %q, want read-only or immutable", got)
	}
	got, err := ro.Events(ctx, events.Filter{})
	if err != nil || len(got) != 1 || got[0].Message != "m1" {
		t.Errorf("events read read-only: %+v, %v; want the one recorded", got, err)
	}
	werr := ro.Write(ctx, func(tx *Tx) error {
		_, err := tx.Exec(`DELETE FROM events`)
		return err
	})
	if !errors.Is(werr, ErrReadOnly) {
		t.Errorf("write: %v, want ErrReadOnly", werr)
	}
	if err := ro.Close(); err != nil {
		t.Fatal(err)
	}
	after, err := os.ReadFile(path)
	if err != nil || string(after) != string(before) {
		t.Errorf("the file changed under a read-only open (%v)", err)
	}
}

// TestReadOnlyMissing: a read-only open of a path with no store creates
// nothing and fails.
func TestReadOnlyMissing(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "none.db")
	if s, err := Open(context.Background(), Options{Path: path, ReadOnly: true}); err == nil {
		s.Close()
		t.Fatal("a read-only open of no store worked")
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a read-only open left %s behind (%v)", path, err)
	}
}
