package store

import (
	"context"
	"database/sql"
	"strings"
	"testing"
)

// TestLockedWriteNamesTheFile: a write refused because another program
// holds the store's write lock (a sqlite3 shell inside BEGIN IMMEDIATE)
// names the store's file; "store: begin: database is locked" named
// nothing (walk O11). SQLite waits its busy timeout (10 s) first.
func TestLockedWriteNamesTheFile(t *testing.T) {
	t.Parallel()
	s, _ := openTest(t)
	ctx := context.Background()
	other, err := sql.Open("sqlite3", "file:"+s.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	conn, err := other.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `BEGIN IMMEDIATE`); err != nil {
		t.Fatal(err)
	}
	defer conn.ExecContext(ctx, `ROLLBACK`)
	err = s.Write(ctx, func(*Tx) error { return nil })
	if err == nil || !strings.Contains(err.Error(), s.Path()+": beginning a write: database is locked") {
		t.Errorf("err = %v, want one naming %s", err, s.Path())
	}
}
