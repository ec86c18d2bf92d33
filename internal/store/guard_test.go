package store

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/events"
)

// TestFileDeletedOrReplaced: when the database file is deleted, or replaced
// by another, while the store runs, the next write is refused with an error
// that says what happened, and everything committed before it is saved in a
// rescue file beside the path, where it can be opened as a store.
func TestFileDeletedOrReplaced(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		what    string
		disturb func(t *testing.T, path string)
	}{
		{"deleted", "was deleted", func(t *testing.T, path string) {
			for _, suffix := range []string{"", "-wal", "-shm"} {
				os.Remove(path + suffix)
			}
		}},
		{"replaced", "was replaced by another file", func(t *testing.T, path string) {
			for _, suffix := range []string{"", "-wal", "-shm"} {
				os.Remove(path + suffix)
			}
			other, err := Open(context.Background(), Options{Path: path, Sync: SyncOff, Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				t.Fatal(err)
			}
			other.Close()
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			path := filepath.Join(t.TempDir(), "relaylab.db")
			st, err := Open(ctx, Options{Path: path, Sync: SyncOff, Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			appendOne := func(msg string) error { return appendMessageEvent(ctx, st, msg) }
			if err := appendOne("before@x.test"); err != nil {
				t.Fatal(err)
			}
			tc.disturb(t, path)
			err = appendOne("after@x.test")
			if err == nil || !strings.Contains(err.Error(), path+" "+tc.what) {
				t.Fatalf("write after the file went: %v, want an error saying it %s", err, tc.what)
			}
			if again := appendOne("again@x.test"); again == nil || again.Error() != err.Error() {
				t.Errorf("second write: %v, want the same refusal", again)
			}
			rescue := regexp.MustCompile(`saved in (\S+) `).FindStringSubmatch(err.Error())
			if rescue == nil {
				t.Fatalf("the error names no rescue file: %v", err)
			}
			saved, err := Open(ctx, Options{Path: rescue[1], Sync: SyncOff, Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				t.Fatalf("the rescue file does not open: %v", err)
			}
			defer saved.Close()
			evs, err := saved.Events(ctx, events.Filter{})
			if err != nil {
				t.Fatal(err)
			}
			if len(evs) != 1 || evs[0].Message != "before@x.test" {
				t.Errorf("the rescue file holds %v, want the one event acknowledged before", evs)
			}
		})
	}
}

// TestSideFileDeleted: when the write-ahead log (or its index) is deleted
// while the store runs, where every commit since the last checkpoint
// lives, the next write is refused with an error that says so, and what
// was committed is checkpointed into the database file first: a copy of
// that file alone, as a kill -9 would leave it, holds every event written
// before.
func TestSideFileDeleted(t *testing.T) {
	t.Parallel()
	for _, suffix := range []string{"-wal", "-shm"} {
		t.Run(suffix, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			dir := t.TempDir()
			path := filepath.Join(dir, "relaylab.db")
			st, err := Open(ctx, Options{Path: path, Sync: SyncOff, Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			appendOne := func(msg string) error { return appendMessageEvent(ctx, st, msg) }
			for _, m := range []string{"one", "two", "three"} {
				if err := appendOne(m); err != nil {
					t.Fatal(err)
				}
			}
			if err := os.Remove(path + suffix); err != nil {
				t.Fatal(err)
			}
			err = appendOne("after")
			if err == nil || !strings.Contains(err.Error(), path+suffix+" was deleted") || !strings.Contains(err.Error(), "new writes are refused") {
				t.Fatalf("write after %s went: %v, want a refusal naming it", suffix, err)
			}
			// The database file alone, copied as it is now.
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			copyPath := filepath.Join(dir, "copy.db")
			if err := os.WriteFile(copyPath, raw, 0o600); err != nil {
				t.Fatal(err)
			}
			saved, err := Open(ctx, Options{Path: copyPath, Sync: SyncOff, Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				t.Fatal(err)
			}
			defer saved.Close()
			evs, err := saved.Events(ctx, events.Filter{})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range evs {
				got = append(got, e.Message)
			}
			if strings.Join(got, ",") != "one,two,three" {
				t.Errorf("the database file alone holds %v, want one, two, three", got)
			}
		})
	}
}

// appendMessageEvent writes one sink.message event for msg, alone in its
// commit.
func appendMessageEvent(ctx context.Context, st *Store, msg string) error {
	return st.Write(ctx, func(tx *Tx) error {
		_, err := tx.Append(events.Event{Kind: events.SinkMessage, Message: msg})
		return err
	})
}
