//go:build linux || darwin

package main

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"syscall"
)

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

// storeHolders returns the ids of the other processes that have the
// SQLite store at path open: from /proc/locks where there is one (every
// holder of a lock on the -shm file's dead-man switch), else the one
// holder F_GETLK names (openElsewhere).
func storeHolders(path string) ([]int, error) {
	fi, err := os.Stat(path + "-shm")
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	locks, lerr := os.ReadFile("/proc/locks")
	if !ok || lerr != nil {
		pid, err := openElsewhere(path)
		if pid == 0 || err != nil {
			return nil, err
		}
		return []int{pid}, nil
	}
	return lockHolders(string(locks), uint64(st.Dev), uint64(st.Ino), os.Getpid()), nil
}
