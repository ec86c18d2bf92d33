package store

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestRoomKeepsMinFree: Room refuses new mail while the store's file
// system has less free than MinFree, or too little for a declared size
// beside it, with an error that is a full disk to DiskFull (so the SMTP
// servers answer 452 4.3.1) and says what to do; Failing says so too
// (/readyz). MinFree 0, and a nil store, check nothing.
func TestRoomKeepsMinFree(t *testing.T) {
	t.Parallel()
	open := func(min int64) *Store {
		s, err := Open(context.Background(), Options{Path: filepath.Join(t.TempDir(), "t.db"), Sync: SyncOff, MinFree: min})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	s := open(1)
	free, ok := s.DiskFree()
	if !ok {
		t.Skip("this system cannot tell the free space of a file system; Room lets all mail in there")
	}
	if err := s.Room(0); err != nil {
		t.Errorf("Room with 1 byte kept free: %v", err)
	}
	if err := s.Failing(); err != nil {
		t.Errorf("Failing with room: %v", err)
	}
	var le *LowSpaceError
	err := s.Room(int64(free)) // the whole disk and the byte kept free: too much
	if !errors.As(err, &le) || le.Need != int64(free) || !strings.Contains(err.Error(), "too little for a message of") {
		t.Errorf("Room(every free byte): %v, want a refusal for the size declared", err)
	}

	full := open(1 << 62)
	err = full.Room(0)
	if !DiskFull(err) || !errors.Is(err, syscall.ENOSPC) {
		t.Errorf("Room below MinFree: %v, want a full disk", err)
	}
	for _, want := range []string{"under store.min_free_bytes", "452 4.3.1", "relaylab prune"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Room's refusal %v lacks %q", err, want)
		}
	}
	if err := full.Failing(); err == nil || !strings.Contains(err.Error(), "store.min_free_bytes") {
		t.Errorf("Failing below MinFree: %v, want the refusal (/readyz)", err)
	}
	if err := open(0).Room(1 << 62); err != nil {
		t.Errorf("MinFree 0: %v, want no check", err)
	}
	var none *Store
	if err := none.Room(1); err != nil {
		t.Errorf("a nil store: %v", err)
	}
}
