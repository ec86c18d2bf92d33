package testutil

import (
	"context"
	"database/sql"
	"testing"

	_ "github.com/mattn/go-sqlite3" // the driver the store uses
)

// HoldWriteLock takes the write lock of the SQLite database at path from
// a connection of its own, as another program would (a sqlite3 shell
// inside BEGIN IMMEDIATE), and keeps it until the test ends.
func HoldWriteLock(t testing.TB, path string) {
	t.Helper()
	ctx := context.Background()
	other, err := sql.Open("sqlite3", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := other.Conn(ctx)
	if err != nil {
		other.Close()
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, `BEGIN IMMEDIATE`); err != nil {
		conn.Close()
		other.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		conn.ExecContext(ctx, `ROLLBACK`)
		conn.Close()
		other.Close()
	})
}
