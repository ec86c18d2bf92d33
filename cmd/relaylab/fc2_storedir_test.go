package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFC2StoreUnderAFile: serve, sink and relay with a --db under a file
// say that the file is no directory, so the store cannot be there, and
// what to do, instead of "telling whether another process has the store
// open: stat notadir/x.db-shm: not a directory".
func TestFC2StoreUnderAFile(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "notadir")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(file, "x.db")
	for _, args := range [][]string{
		{"serve", "--db", db, "--sink-listen", "127.0.0.1:0", "--relay-listen", "127.0.0.1:0", "--web-listen", "127.0.0.1:0"},
		{"sink", "--db", db, "--listen", "127.0.0.1:0"},
		{"relay", "--db", db, "--listen", "127.0.0.1:0"},
	} {
		code, _, errOut := runIn(t, context.Background(), args...)
		if want := file + " is a file, not a directory"; code != 1 || !strings.Contains(errOut, want) || !strings.Contains(errOut, "give --db") ||
			strings.Contains(errOut, "telling whether") {
			t.Errorf("%s --db %s: exit %d (want 1), stderr %q; want %q and what to do", args[0], db, code, errOut, want)
		}
	}
	if _, err := os.Stat(file); err != nil {
		t.Errorf("the file in the way: %v", err)
	}
}

// TestStoreUnderAFileReaders: the commands that read a store (report,
// queue, expect, prune) say the same of a --db under a file, with exit 2,
// instead of "store notadir/x.db: stat notadir/x.db: not a directory".
func TestStoreUnderAFileReaders(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "notadir")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(file, "x.db")
	for _, args := range [][]string{
		{"report", "--db", db},
		{"queue", "list", "--db", db},
	} {
		code, _, errOut := runIn(t, context.Background(), args...)
		if want := file + " is a file, not a directory"; code != 2 || !strings.Contains(errOut, want) {
			t.Errorf("%s --db %s: exit %d (want 2), stderr %q; want %q", args[0], db, code, errOut, want)
		}
	}
}
