package main

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/store"
	"github.com/relaylab/relaylab/internal/testutil"
)

// TestStoreAccessNamesWhatToFix: a store this user may not use is told
// apart from a file that is no store (walk O5, O6, O17): the message
// names the file or directory refused, its owner, and what to do. The
// file system is a fake that refuses as it would a user without
// permission (tests run as root, whom permissions do not stop).
func TestStoreAccessNamesWhatToFix(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := filepath.Join(dir, "s.db")
	if err := os.WriteFile(db, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	denied := &fs.PathError{Op: "open", Path: "x", Err: fs.ErrPermission}
	refuse := func(what string) fileAccess {
		return fileAccess{
			open: func(name string, write bool) error {
				if what == "file" && name == db && write {
					return denied
				}
				return nil
			},
			createIn: func(string) error {
				if what == "dir" {
					return denied
				}
				return nil
			},
			owner: func(string) string { return "root" },
		}
	}
	for _, tt := range []struct {
		name, refused, path string
		write, shm          bool
		want                []string
	}{
		{"new store, directory not writable", "dir", filepath.Join(dir, "new.db"), true, false,
			[]string{"cannot create the store " + filepath.Join(dir, "new.db"), "the directory " + dir + " (owned by root)", "permission denied", "run relaylab as the user that owns it"}},
		{"read-only file, to write", "file", db, true, false,
			[]string{"the store " + db + " (owned by root) is read-only for this user", "chown or chmod " + db}},
		{"read-only file, to read", "file", db, false, false, nil},
		{"directory not writable, no -wal", "dir", db, false, false,
			[]string{"cannot create files in the directory " + dir, "s.db-wal, s.db-shm", "even to read it", "a copy of the store"}},
		{"-shm not writable", "shm", db, true, true,
			[]string{"cannot write " + db + "-shm (owned by root)", "chown or chmod " + db + "-shm"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := tt.path
			if tt.shm {
				// A store of its own, with the files SQLite keeps beside it.
				path = filepath.Join(t.TempDir(), "s.db")
				for _, s := range []string{"", "-wal", "-shm"} {
					os.WriteFile(path+s, nil, 0o644)
				}
				for i := range tt.want {
					tt.want[i] = strings.ReplaceAll(tt.want[i], db, path)
				}
				db := path
				a := refuse("none")
				a.open = func(name string, write bool) error {
					if name == db+"-shm" && write {
						return denied
					}
					return nil
				}
				checkAccess(t, storeAccess(path, tt.write, a), tt.want)
				return
			}
			checkAccess(t, storeAccess(path, tt.write, refuse(tt.refused)), tt.want)
		})
	}
	// Nothing refused: nothing said.
	if got := storeAccess(db, true, osAccess); got != "" {
		t.Errorf("a store this user may write: %q", got)
	}
}

func checkAccess(t *testing.T, got string, want []string) {
	t.Helper()
	if len(want) == 0 {
		if got != "" {
			t.Errorf("got %q, want nothing", got)
		}
		return
	}
	for _, w := range want {
		if !strings.Contains(got, w) {
			t.Errorf("%q lacks %q", got, w)
		}
	}
}

// TestLockedStoreRefusedAtStart: a store another program holds a write
// lock on (the sqlite3 shell inside BEGIN IMMEDIATE) is refused at start
// with the file and what to do, before the sink says it runs; it started
// and then answered 451 to every message (walk O17, O6: the write tried
// at start is what also catches a read-only file).
func TestLockedStoreRefusedAtStart(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "s.db")
	st, err := store.Open(ctx, store.Options{Path: db})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	testutil.HoldWriteLock(t, db)
	// SQLite waits for the lock for its busy timeout (10 s), then gives
	// up; the deadline only ends a sink that started, which it must not.
	runCtx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	code, out, errOut := runIn(t, runCtx, "sink", "--listen", "127.0.0.1:0", "--db", db)
	if code != 1 || strings.Contains(out, "is running") || !strings.Contains(errOut, "the store "+db+" is locked for writing by another process") || !strings.Contains(errOut, "COMMIT or ROLLBACK") {
		t.Errorf("exit %d (want 1), stdout %q, stderr %q", code, out, errOut)
	}
}

// TestDamagedStoreSaysWhatToDo: a store SQLite finds damaged is called
// that, with the remedies (a backup, sqlite3's .recover, a new store),
// not "not a relaylab store" (walk O11).
func TestDamagedStoreSaysWhatToDo(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "s.db")
	st, err := store.Open(ctx, store.Options{Path: db})
	if err != nil {
		t.Fatal(err)
	}
	st.Close()
	f, err := os.OpenFile(db, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	// Byte 100 is the type of the schema's first b-tree page: 7 is none.
	if _, err := f.WriteAt([]byte{7}, 100); err != nil {
		t.Fatal(err)
	}
	f.Close()
	for _, args := range [][]string{{"sink", "--listen", "127.0.0.1:0"}, {"report"}} {
		runCtx, cancel := context.WithTimeout(ctx, time.Minute)
		code, _, errOut := runIn(t, runCtx, append(args, "--db", db)...)
		cancel()
		if code != 1 || !strings.Contains(errOut, "the store "+db+" is damaged") || !strings.Contains(errOut, ".recover") || strings.Contains(errOut, "not a relaylab store") {
			t.Errorf("%s: exit %d (want 1), stderr %q", args[0], code, errOut)
		}
	}
}
