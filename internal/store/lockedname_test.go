package store

import (
	"context"
	"log/slog"
	"path/filepath"
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

// TestLockedWriteNamesTheHolder: with Options.LockHolder the error of a
// write that found the lock taken names the program that holds it and
// what to do, as serve's start does (walk H: a lock taken while serve
// ran was logged as "database is locked" alone).
func TestLockedWriteNamesTheHolder(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "x.db")
	var asked string
	s, err := Open(context.Background(), Options{Path: path, Logger: slog.New(slog.DiscardHandler),
		LockHolder: func(p string) string { asked = p; return "process 4242 (sqlite3 x.db)" }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	testutil.HoldWriteLock(t, path)
	err = s.Write(context.Background(), func(*Tx) error { return nil })
	if err == nil || asked != path || !strings.Contains(err.Error(), "database is locked (the write lock is held by process 4242 (sqlite3 x.db): end that program's write transaction") {
		t.Errorf("err = %v (asked about %q), want one naming the holder", err, asked)
	}
}
