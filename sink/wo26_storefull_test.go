package sink

import (
	"syscall"
	"testing"

	"github.com/mattn/go-sqlite3"
)

// TestStoreFailedNoSpaceIOError: a write that SQLite failed with an I/O
// error whose cause is no space on the disk is answered as a full disk,
// 452 4.3.1, as SQLITE_FULL is, and not as another store failure.
func TestStoreFailedNoSpaceIOError(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		err  error
		code int
		enh  [3]int
	}{
		{"SQLITE_FULL", sqlite3.Error{Code: sqlite3.ErrFull}, 452, [3]int{4, 3, 1}},
		{"I/O error, no space", sqlite3.Error{Code: sqlite3.ErrIoErr, SystemErrno: syscall.ENOSPC}, 452, [3]int{4, 3, 1}},
		{"I/O error, other", sqlite3.Error{Code: sqlite3.ErrIoErr, SystemErrno: syscall.EIO}, 451, [3]int{4, 3, 0}},
	} {
		got := storeFailed(tt.err)
		if got.Code != tt.code || [3]int(got.EnhancedCode) != tt.enh {
			t.Errorf("%s: %d %v, want %d %v", tt.name, got.Code, got.EnhancedCode, tt.code, tt.enh)
		}
	}
}
