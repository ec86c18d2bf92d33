package store

import (
	"fmt"
	"path/filepath"
	"syscall"
	"time"
)

// DefaultMinFree is store.min_free_bytes's default: the room kept free on the
// store's file system, below which new mail is refused (Room). As
// Postfix's queue_minfree, it keeps a reserve for what must still be
// written when the disk fills: a store on a file system of its own that
// filled up to the last byte could not even be pruned, since a prune
// writes its write-ahead log first, nor checkpointed.
const DefaultMinFree = 64 << 20

// roomEvery is how often Room asks the file system: a statfs a second
// at most, whatever the rate of mail.
const roomEvery = time.Second

// LowSpaceError is Room's refusal: the store's file system has less
// room than the store keeps free (or than a message declared needs). It
// is a full disk to DiskFull, which the SMTP servers answer 452 4.3.1.
type LowSpaceError struct {
	Dir  string // the store's directory
	Free uint64 // bytes free for relaylab on its file system
	Min  uint64 // store.min_free_bytes
	Need int64  // the SIZE= declared, 0 when none
}

func (e *LowSpaceError) Error() string {
	why := fmt.Sprintf("%s free on the file system of %s, under store.min_free_bytes (%s)", bytesText(e.Free), e.Dir, bytesText(e.Min))
	if e.ForSize() {
		why = fmt.Sprintf("%s free on the file system of %s: too little for a message of %s (SIZE=) and store.min_free_bytes (%s) besides", bytesText(e.Free), e.Dir, bytesText(uint64(e.Need)), bytesText(e.Min))
	}
	return "store: " + why + ": new mail is refused (452 4.3.1) until there is room, so that what is stored can still be pruned and checkpointed; free space on that disk, run relaylab prune, or move the store"
}

// ForSize reports whether the refusal is for the size declared alone:
// the room kept free is there, but not that and the message besides.
func (e *LowSpaceError) ForSize() bool { return e.Need > 0 && e.Free >= e.Min }

// Is makes a LowSpaceError a full disk (DiskFull, errors.Is ENOSPC).
func (e *LowSpaceError) Is(target error) bool { return target == syscall.ENOSPC }

// Room says whether the store may take new mail of size bytes (0 when
// not declared): nil, or a *LowSpaceError when its file system has less
// free than Options.MinFree, plus size. The free space is read at most
// once a second. A nil store, one with MinFree 0, or on a system where the free
// space cannot be read, always has room.
func (s *Store) Room(size int64) error {
	if s == nil || s.minFree == 0 {
		return nil
	}
	free, ok := s.DiskFree()
	if !ok {
		return nil
	}
	if size < 0 {
		size = 0
	}
	if free < s.minFree || free-s.minFree < uint64(size) {
		return &LowSpaceError{Dir: filepath.Dir(s.path), Free: free, Min: s.minFree, Need: size}
	}
	return nil
}

// DiskFree is the bytes free for an unprivileged writer on the store's
// file system, read at most once a second; ok is false where it cannot
// be read.
func (s *Store) DiskFree() (uint64, bool) {
	now := time.Now().UnixNano()
	if at := s.roomAt.Load(); at != 0 && now-at < int64(roomEvery) {
		return s.roomFree.Load(), s.roomOK.Load()
	}
	free, ok := diskFree(filepath.Dir(s.path))
	s.roomFree.Store(free)
	s.roomOK.Store(ok)
	s.roomAt.Store(now)
	return free, ok
}

// bytesText writes n in the largest binary unit under it, to one
// decimal: 63.9 MiB.
func bytesText(n uint64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := uint64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
