package main

import (
	"context"
	"database/sql"
	"encoding/binary"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/events"
	"github.com/relaylab/relaylab/internal/store"
)

// fs24DamagedBesideWAL leaves at path a store whose schema_migrations
// page is damaged, with a write-ahead log beside it that a killed
// process left (its pages are of other tables, so they do not mend it),
// as a backup copied over a killed serve's files is found.
func fs24DamagedBesideWAL(t *testing.T, path string) {
	t.Helper()
	ctx := context.Background()
	open := func() *store.Store {
		st, err := store.Open(ctx, store.Options{Path: path, Sync: store.SyncOff, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	// Closed once, the new store's tables are in the file; the log then
	// holds only what is written after.
	open().Close()
	st := open()
	for i := range 20 {
		if _, err := st.Append(ctx, events.Event{Kind: events.RelayQueued, Message: fmt.Sprint("m", i), Recipient: "a@example.test"}); err != nil {
			t.Fatal(err)
		}
	}
	var root int64
	if err := st.DB().QueryRow(`SELECT rootpage FROM sqlite_master WHERE name = 'schema_migrations'`).Scan(&root); err != nil {
		t.Fatal(err)
	}
	// The log as a kill -9 leaves it: not checkpointed.
	wal, err := os.ReadFile(path + "-wal")
	if err != nil || len(wal) <= 32 {
		t.Fatalf("the open store's -wal: %d bytes, %v; want frames in it", len(wal), err)
	}
	st.Close()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	head := make([]byte, 100)
	if _, err := f.ReadAt(head, 0); err != nil {
		t.Fatal(err)
	}
	pageSize := int64(binary.BigEndian.Uint16(head[16:18]))
	// A page's first byte is its b-tree type: 7 is none.
	if _, err := f.WriteAt([]byte{7}, (root-1)*pageSize); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path+"-wal", wal, 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestFS24DamagedStoreSaysHowToRestore: walk H2. A backup copied over a
// store beside which a killed serve left its -wal is damaged by SQLite,
// which applies the old store's log to it; the message then said
// "restore it from a backup", the very thing that broke it. It says now
// how to restore (stop, remove the -wal and -shm, copy the backup in),
// and, with a -wal beside the store, that it was likely applied to a
// backup just copied in, and what to do.
func TestFS24DamagedStoreSaysHowToRestore(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "relaylab.db")
	fs24DamagedBesideWAL(t, path)
	code, _, errOut := runIn(t, ctx, "report", "--db", path)
	for _, want := range []string{
		"the store " + path + " is damaged (",
		path + "-wal is beside it: if " + path + " was just replaced by a backup, the -wal of the old store was applied to it; stop relaylab, remove " + path + "-wal and " + path + "-shm, and copy the backup again.",
		".recover",
	} {
		if code != 1 || !strings.Contains(errOut, want) {
			t.Errorf("report on a damaged store with a -wal beside it: exit %d (want 1), stderr lacks %q:\n%s", code, want, errOut)
		}
	}
	// A sink opens the store for writing: SQLite folds the log in as it
	// closes, and the log is gone when the message is made. The way to
	// restore is said all the same.
	runCtx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	code, _, errOut = runIn(t, runCtx, "sink", "--listen", "127.0.0.1:0", "--db", path)
	want := "restore it from a backup: stop relaylab, remove " + path + " and its " + path + "-wal and " + path + "-shm, then copy the backup in (SQLite applies a -wal file left beside the store"
	if code != 1 || !strings.Contains(errOut, want) {
		t.Errorf("sink on a damaged store: exit %d (want 1), stderr lacks %q:\n%s", code, want, errOut)
	}
}

// TestFS24ReportReadDamaged: a report that finds the store damaged while
// it reads it (not at open) says what to do, as one that finds it at open.
func TestFS24ReportReadDamaged(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := damagedStore(t, "sink_sessions")
	code, _, errOut := runIn(t, ctx, "report", "--db", path)
	if code != 1 || !strings.Contains(errOut, "the store "+path+" is damaged (reading "+path+": ") || !strings.Contains(errOut, "restore it from a backup: stop relaylab, remove") {
		t.Errorf("report on a store damaged where it reads: exit %d (want 1), stderr:\n%s", code, errOut)
	}
}

// damagedStore is a new store whose table's root page is overwritten: it
// opens, and a read of that table finds it damaged.
func damagedStore(t *testing.T, table string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "relaylab.db")
	st, err := store.Open(context.Background(), store.Options{Path: path, Sync: store.SyncOff, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	var root int64
	if err := st.DB().QueryRow(`SELECT rootpage FROM sqlite_master WHERE name = ?`, table).Scan(&root); err != nil {
		t.Fatal(err)
	}
	st.Close()
	db, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	var pageSize int64
	if err := db.QueryRow(`PRAGMA page_size`).Scan(&pageSize); err != nil {
		t.Fatal(err)
	}
	db.Close()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte{7}, (root-1)*pageSize); err != nil {
		t.Fatal(err)
	}
	f.Close()
	return path
}
