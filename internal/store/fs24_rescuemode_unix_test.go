//go:build unix

package store

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
)

// TestFS24RescueFileIsPrivate: walk M1. The rescue file that keeps what
// a store held when its file was deleted under it was made by SQLite,
// 0644 under the usual umask (022): every user could read every message.
// It is made 0600 first and filled then. Not parallel: the umask is the
// process's; parallel tests wait until this one has put it back.
func TestFS24RescueFileIsPrivate(t *testing.T) {
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "relaylab.db")
	st := fs24StoreWithOne(t, path)
	for _, suffix := range []string{"", "-wal", "-shm"} {
		os.Remove(path + suffix)
	}
	err := appendMessageEvent(ctx, st, "after@x.test")
	m := regexp.MustCompile(`saved in (\S+) `).FindStringSubmatch(err.Error())
	if m == nil {
		t.Fatalf("the refusal names no rescue file: %v", err)
	}
	fi, err := os.Stat(m[1])
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 || fi.Size() == 0 {
		t.Errorf("the rescue file %s: mode %04o, %d bytes; want 0600 (its owner alone) and what the store held", m[1], perm, fi.Size())
	}
	saved, err := Open(ctx, Options{Path: m[1], NoMigrate: true})
	if err != nil {
		t.Fatalf("the rescue file does not open as a store: %v", err)
	}
	saved.Close()
}

// TestFS24GuardSaysRenamed: walk Low (a). A store file moved with mv was
// reported "deleted"; one renamed in its directory is said so, by its
// new name, and one moved elsewhere is "deleted or moved away".
func TestFS24GuardSaysRenamed(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		to   func(dir string) string
		want func(to string) string
	}{
		{"renamed", func(dir string) string { return filepath.Join(dir, "moved.db") }, func(to string) string { return " was renamed to " + to + " while relaylab was running" }},
		{"moved away", func(string) string { return filepath.Join(t.TempDir(), "elsewhere.db") }, func(string) string { return " was deleted or moved away while relaylab was running" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			path := filepath.Join(dir, "relaylab.db")
			st := fs24StoreWithOne(t, path)
			to := tc.to(dir)
			if err := os.Rename(path, to); err != nil {
				t.Fatal(err)
			}
			err := appendMessageEvent(context.Background(), st, "after@x.test")
			if err == nil || !strings.Contains(err.Error(), path+tc.want(to)) {
				t.Errorf("a write after mv: %v\nwant %q", err, path+tc.want(to))
			}
		})
	}
}

// fs24StoreWithOne opens a store at path, closed when the test ends,
// with one message's event committed.
func fs24StoreWithOne(t *testing.T, path string) *Store {
	t.Helper()
	st, err := Open(context.Background(), Options{Path: path, Sync: SyncOff, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := appendMessageEvent(context.Background(), st, "before@x.test"); err != nil {
		t.Fatal(err)
	}
	return st
}
