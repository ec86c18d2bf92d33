package store

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/relaylab/relaylab/internal/events"
)

// TestFO22NewStoreIsPrivate: walk M5. A new store was made 0644, readable
// by every user of the machine, though it holds every message's body;
// it is made 0600 now, and SQLite gives its -wal and -shm files the
// database's mode. A store that exists keeps its mode.
func TestFO22NewStoreIsPrivate(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		t.Skip("file modes are not Unix permissions")
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "new.db")
	s, err := Open(context.Background(), Options{Path: path, Sync: SyncOff})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Append(context.Background(), events.Event{Kind: events.SinkSession}); err != nil {
		t.Fatal(err)
	}
	for _, suffix := range []string{"", "-wal", "-shm"} {
		fi, err := os.Stat(path + suffix)
		if err != nil {
			t.Fatal(err)
		}
		if m := fi.Mode().Perm(); m&0o077 != 0 {
			t.Errorf("%s: mode %04o, want 0600 (no access for the group or others)", filepath.Base(path+suffix), m)
		}
	}

	// One made before, by hand or an older build, keeps its mode.
	old := filepath.Join(dir, "old.db")
	if err := os.WriteFile(old, nil, 0o640); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(old, 0o640); err != nil {
		t.Fatal(err)
	}
	s2, err := Open(context.Background(), Options{Path: old, Sync: SyncOff})
	if err != nil {
		t.Fatal(err)
	}
	s2.Close()
	if fi, err := os.Stat(old); err != nil || fi.Mode().Perm() != 0o640 {
		t.Errorf("a store that was there: %v, mode %04o; want it kept at 0640", err, fi.Mode().Perm())
	}
}
