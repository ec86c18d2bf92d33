//go:build linux || darwin

package main

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"syscall"
)

// shmDeadManSwitch is the byte of a WAL store's -shm file that every
// connection to it holds a shared lock on for as long as it is open
// (SQLite's unix VFS, os_unix.c: UNIX_SHM_DMS, (22+8)*4+8).
const shmDeadManSwitch = 128

// openElsewhere returns the id of another process that has the SQLite
// store at path open, or 0 when none has (or when no -shm file says so).
// It asks, with F_GETLK, who would stop a write lock on the -shm file's
// dead-man switch; the locks of this process do not count. Call it before
// this process opens the store: closing the file it opens here would drop
// this process's own SQLite locks on it (POSIX locks are per process).
func openElsewhere(path string) (int, error) {
	f, err := os.Open(path + "-shm")
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	defer f.Close()
	lk := syscall.Flock_t{Type: syscall.F_WRLCK, Whence: io.SeekStart, Start: shmDeadManSwitch, Len: 1}
	if err := syscall.FcntlFlock(f.Fd(), syscall.F_GETLK, &lk); err != nil {
		return 0, err
	}
	if lk.Type == syscall.F_UNLCK {
		return 0, nil
	}
	return int(lk.Pid), nil
}
