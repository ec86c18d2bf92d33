package main

import (
	"context"
	"database/sql"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mattn/go-sqlite3"
)

// TestStoreLookErrorsAreNotForeignFiles: only SQLite's "file is not a
// database" makes notAStore call a file foreign. A store on a full disk
// (SQLite cannot make its -shm: an I/O error, no space) or held in
// another program's exclusive lock was called "not a relaylab store",
// with the advice to start a new store; now it is an error that says
// what is wrong with the store that is there, and what to do.
func TestStoreLookErrorsAreNotForeignFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "r.db")
	// The store that is there; the errors are made up.
	if err := os.WriteFile(path, make([]byte, 4096), 0o600); err != nil {
		t.Fatal(err)
	}
	noRoom := sqlite3.Error{Code: sqlite3.ErrIoErr, SystemErrno: syscall.ENOSPC}
	for _, tt := range []struct {
		name    string
		err     error
		foreign bool
		want    []string
	}{
		{"not a database", sqlite3.Error{Code: sqlite3.ErrNotADB}, true, nil},
		{"full disk at open", noRoom, false, []string{"the disk that holds the store " + path + " is full", "no space left on device",
			"r.db-wal", "nothing in the store is lost", "df " + dir, "move the store"}},
		{"full disk at write", sqlite3.Error{Code: sqlite3.ErrFull}, false, []string{"is full", "relaylab prune cannot make room there"}},
		{"another program's exclusive lock", sqlite3.Error{Code: sqlite3.ErrBusy}, false, []string{"the store " + path + " is locked by",
			"keeps every other program from reading it", "locking_mode=EXCLUSIVE", "quit that program"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			why, err := lookedAt(path, tt.err)
			if tt.foreign {
				if why == "" || err != nil {
					t.Fatalf("got (%q, %v), want a reason and no error", why, err)
				}
				return
			}
			if why != "" || err == nil {
				t.Fatalf("got (%q, %v), want no reason (the file is a store) and an error", why, err)
			}
			msg := unusableStore(path, true, err).Error()
			if strings.Contains(msg, "not a relaylab store") {
				t.Errorf("%q calls the store foreign", msg)
			}
			checkAccess(t, msg, tt.want)
		})
	}
	// A new store on a full disk: no store to move, nothing to lose.
	fresh := filepath.Join(dir, "new.db")
	checkAccess(t, unusableStore(fresh, true, sqlite3.Error{Code: sqlite3.ErrFull}).Error(),
		[]string{"there is no room for the new store " + fresh, "df " + dir, "give --db a path on a disk with room"})
}

// TestStoreHeldExclusivelyIsNamed: a real store that another connection
// holds in SQLite's exclusive locking mode is refused by serve's and
// report's first look with what holds it, not as a foreign file.
func TestStoreHeldExclusivelyIsNamed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := emptyStore(t)
	db, err := sql.Open("sqlite3", "file:"+path+"?_locking_mode=EXCLUSIVE")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// Held until the connection closes, a read's lock included.
	if _, err := conn.ExecContext(ctx, `BEGIN EXCLUSIVE`); err != nil {
		t.Fatal(err)
	}
	defer conn.ExecContext(ctx, `ROLLBACK`)
	lctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	why, err := notAStore(lctx, path)
	if why != "" || err == nil {
		t.Fatalf("notAStore: got (%q, %v), want no reason and an error", why, err)
	}
	checkAccess(t, err.Error(), []string{"the store " + path + " is locked by", "locking_mode=EXCLUSIVE"})
}

// TestReadOnlyFileSystemAdvice: a store on a file system mounted
// read-only is refused with advice that can work: chown and chmod, the
// advice for a permission, change nothing there, for root neither.
func TestReadOnlyFileSystemAdvice(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := filepath.Join(dir, "s.db")
	if err := os.WriteFile(db, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	rofs := &fs.PathError{Op: "open", Path: db, Err: syscall.EROFS}
	a := fileAccess{
		open: func(name string, write bool) error {
			if write {
				return rofs
			}
			return nil
		},
		createIn: func(string) error { return rofs },
		owner:    func(string) string { return "root" },
	}
	for _, tt := range []struct {
		name  string
		path  string
		write bool
		want  string
	}{
		{"existing store", db, true, "the file system that holds " + db + " is mounted read-only"},
		{"new store", filepath.Join(dir, "new.db"), true, "the file system that holds " + dir + " is mounted read-only"},
	} {
		got := storeAccess(tt.path, tt.write, a)
		checkAccess(t, got, []string{tt.want, "mount -o remount,rw", "move the store"})
		if strings.Contains(got, "chown") {
			t.Errorf("%s: %q advises chown or chmod, which a read-only file system refuses", tt.name, got)
		}
	}
	if got := accessFix(db, true, &fs.PathError{Err: fs.ErrPermission}); !strings.Contains(got, "chown or chmod") {
		t.Errorf("a permission: %q, want chown or chmod", got)
	}
	if errors.Is(rofs, fs.ErrPermission) {
		t.Fatal("the test's read-only error counts as a permission")
	}
}

// TestDamagedHeaderIsSaid: a file SQLite finds no database in, though it
// is sized in whole pages as a database is (a store whose first page was
// overwritten), is said to be possibly a damaged store, with the way back;
// a file of another size (a YAML file) is only not a store.
func TestDamagedHeaderIsSaid(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	paged := filepath.Join(dir, "paged.db")
	page := make([]byte, 8192)
	copy(page, "garbage where SQLite's header was")
	if err := os.WriteFile(paged, page, 0o600); err != nil {
		t.Fatal(err)
	}
	text := filepath.Join(dir, "notes.yaml")
	if err := os.WriteFile(text, []byte("sink: {}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	why, err := notAStore(ctx, paged)
	if err != nil {
		t.Fatal(err)
	}
	checkAccess(t, why, []string{"file is not a database", "8192 bytes", "its first page", "is damaged", "backup"})
	why, err = notAStore(ctx, text)
	if err != nil || why != "file is not a database" {
		t.Errorf("a YAML file: got (%q, %v), want (%q, nil)", why, err, "file is not a database")
	}
}
