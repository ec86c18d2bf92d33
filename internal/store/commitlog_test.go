package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mattn/go-sqlite3"
	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/testutil"
)

// TestFailedCommitsLoggedOnceAMinute: commits that keep failing are
// logged at the first and then once a minute with a count, and the first
// commit that works again says so; a full disk under load logged one
// 300-character line a commit (walk O: 9,003 lines in a few seconds).
func TestFailedCommitsLoggedOnceAMinute(t *testing.T) {
	t.Parallel()
	vc := clock.NewVirtual(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	logs := &testutil.SyncBuffer{}
	ctx := context.Background()
	s, err := Open(ctx, Options{Path: filepath.Join(t.TempDir(), "s.db"), Clock: vc, Sync: SyncNormal, Logger: slog.New(slog.NewTextHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// A foreign key checked at COMMIT stands for a disk that refuses it.
	if _, err := s.conn.ExecContext(ctx, `PRAGMA foreign_keys = ON`); err != nil {
		t.Fatal(err)
	}
	failing := func(tx *Tx) error {
		if _, err := tx.Exec(`PRAGMA defer_foreign_keys = ON`); err != nil {
			return err
		}
		_, err := tx.Exec(`INSERT INTO relay_recipients (message_id, address, state, updated_ns) VALUES ('no-such-message', 'a@x.test', 'queued', 0)`)
		return err
	}
	for range 5 {
		if err := s.Write(ctx, failing); err == nil {
			t.Fatal("a write whose commit breaks a foreign key was taken")
		}
	}
	if n := strings.Count(logs.String(), "a commit failed"); n != 1 {
		t.Errorf("%d lines for 5 failed commits within a minute, want 1:\n%s", n, logs)
	}
	vc.Advance(time.Minute)
	s.Write(ctx, failing)
	if n := strings.Count(logs.String(), "a commit failed"); n != 2 || !strings.Contains(logs.String(), "failed_commits=6") {
		t.Errorf("%d lines after a minute, want 2, the second counting 6:\n%s", n, logs)
	}
	works := func(tx *Tx) error { _, err := tx.Exec(`SELECT 1`); return err }
	// A commit that works between failures (a small one on a disk that
	// is nearly full) does not end them: the store still reads as
	// failing, and the log says nothing until none failed for 10 s.
	vc.Advance(5 * time.Second)
	if err := s.Write(ctx, works); err != nil {
		t.Fatal(err)
	}
	if err := s.Failing(); err == nil || !strings.Contains(err.Error(), "a commit failed 5s ago") {
		t.Errorf("Failing() = %v five seconds after a failure, want the failure and when", err)
	}
	s.Write(ctx, failing)
	if n := strings.Count(logs.String(), "a commit failed"); n != 2 || strings.Contains(logs.String(), "commits work again") {
		t.Errorf("a failure, a success, a failure: want no new line:\n%s", logs)
	}
	vc.Advance(recoveredAfter)
	if err := s.Failing(); err == nil {
		t.Errorf("Failing() = nil while the last commit failed")
	}
	if err := s.Write(ctx, works); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "commits work again") || !strings.Contains(logs.String(), "failed_commits=7") {
		t.Errorf("no line when commits work again, counting 7:\n%s", logs)
	}
	if err := s.Failing(); err != nil {
		t.Errorf("Failing() = %v after a success 10 s after the last failure", err)
	}
}

// TestDiskFull: SQLite's "database or disk is full", wrapped, is told
// from other errors, for the advice to free space before pruning again.
func TestDiskFull(t *testing.T) {
	t.Parallel()
	if !DiskFull(fmt.Errorf("store: commit: %w", sqlite3.Error{Code: sqlite3.ErrFull})) {
		t.Error("a wrapped SQLITE_FULL is not DiskFull")
	}
	if DiskFull(sqlite3.Error{Code: sqlite3.ErrBusy}) || DiskFull(errors.New("database or disk is full")) {
		t.Error("another error is DiskFull")
	}
}
