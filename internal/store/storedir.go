package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
)

// NotADirectoryError is the error for a store path on which a file stands
// where a directory must be ("notes.txt/relaylab.db"): SQLite keeps the
// store, and its -wal and -shm files beside it, in a directory.
type NotADirectoryError struct {
	Path string // the store's path
	File string // the file on the way to it
}

func (e *NotADirectoryError) Error() string {
	return fmt.Sprintf("store: %s: %s is a file, not a directory, so the store cannot be there (SQLite keeps a store and its -wal and -shm files in a directory): give a path in a directory",
		e.Path, e.File)
}

// Unwrap makes the error a syscall.ENOTDIR, as the system's would be.
func (e *NotADirectoryError) Unwrap() error { return syscall.ENOTDIR }

// CheckDir reports, as a *NotADirectoryError, a file standing where a
// directory on the way to the store at path must be; nil when there is
// none (a directory missing on the way is left to Open to say).
func CheckDir(path string) error {
	for dir := filepath.Dir(path); ; {
		fi, err := os.Stat(dir)
		switch {
		case err == nil && fi.IsDir():
			return nil
		case err == nil:
			return &NotADirectoryError{Path: path, File: dir}
		case !errors.Is(err, syscall.ENOTDIR) && !errors.Is(err, fs.ErrNotExist):
			return nil // a permission, say: Open says it
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return nil
		}
		dir = parent
	}
}
