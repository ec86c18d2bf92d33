package store

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mattn/go-sqlite3"
	"github.com/relaylab/relaylab/internal/clock"
)

// TestDiskFullKnowsNoSpaceIOErrors: SQLite says a full disk two ways:
// "database or disk is full", and an I/O error whose system errno is no
// space (or an exhausted quota), as when it cannot make the store's -shm
// on a full disk. Both are a full disk, wrapped or not; other I/O errors
// are not.
func TestDiskFullKnowsNoSpaceIOErrors(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		err  error
		want bool
	}{
		{"SQLITE_FULL", sqlite3.Error{Code: sqlite3.ErrFull}, true},
		{"I/O error, no space", sqlite3.Error{Code: sqlite3.ErrIoErr, SystemErrno: syscall.ENOSPC}, true},
		{"I/O error, quota", sqlite3.Error{Code: sqlite3.ErrIoErr, SystemErrno: syscall.EDQUOT}, true},
		{"wrapped", fmt.Errorf("store: commit: %w", sqlite3.Error{Code: sqlite3.ErrIoErr, SystemErrno: syscall.ENOSPC}), true},
		{"plain errno", fmt.Errorf("writing: %w", syscall.ENOSPC), true},
		{"I/O error, other", sqlite3.Error{Code: sqlite3.ErrIoErr, SystemErrno: syscall.EIO}, false},
		{"busy", sqlite3.Error{Code: sqlite3.ErrBusy}, false},
		{"not sqlite", errors.New("no"), false},
	} {
		if got := DiskFull(tt.err); got != tt.want {
			t.Errorf("%s: DiskFull(%v) = %v, want %v", tt.name, tt.err, got, tt.want)
		}
	}
}

// TestFailingNamesTheFullDisk: while commits fail for a full disk,
// Failing (readyz's store check) names the store and what to do, and
// still wraps the error; another failure is said as it was.
func TestFailingNamesTheFullDisk(t *testing.T) {
	t.Parallel()
	vc := clock.NewVirtual(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	path := filepath.Join(t.TempDir(), "s.db")
	s, err := Open(context.Background(), Options{Path: path, Clock: vc, Sync: SyncNormal})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	full := fmt.Errorf("store: commit: %w", sqlite3.Error{Code: sqlite3.ErrFull})
	s.failed(full)
	got := s.Failing()
	if got == nil || !DiskFull(got) || !strings.HasPrefix(got.Error(), "store: ") {
		t.Fatalf("Failing() = %v, want a full disk, said by the store", got)
	}
	for _, w := range []string{"the disk that holds " + path + " is full", "free space on that file system", "work again by themselves"} {
		if !strings.Contains(got.Error(), w) {
			t.Errorf("Failing() = %q, lacks %q", got, w)
		}
	}
	other := errors.New("store: " + path + " was deleted")
	s.failed(other)
	if got := s.Failing(); got == nil || got.Error() != other.Error() {
		t.Errorf("Failing() = %v, want %v as it was", got, other)
	}
}
