package store

import (
	"context"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/testutil"
)

// TestLockedWriteNamesTheFile: a write refused because another program
// holds the store's write lock (a sqlite3 shell inside BEGIN IMMEDIATE)
// names the store's file; "store: begin: database is locked" named
// nothing (walk O11). SQLite waits its busy timeout (10 s) first.
func TestLockedWriteNamesTheFile(t *testing.T) {
	t.Parallel()
	s, _ := openTest(t)
	ctx := context.Background()
	testutil.HoldWriteLock(t, s.Path())
	err := s.Write(ctx, func(*Tx) error { return nil })
	if err == nil || !strings.Contains(err.Error(), s.Path()+": beginning a write: database is locked") {
		t.Errorf("err = %v, want one naming %s", err, s.Path())
	}
}
