package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/mattn/go-sqlite3"
)

// A store in WAL mode needs its index (PATH-shm) even to be read, and
// SQLite creates it beside the store: a user who may read the store but
// not write in its directory (the store of a serve another user runs),
// or a store on a read-only file system, cannot be opened as usual. When
// there is no write-ahead log (PATH-wal: no process has the store open,
// or the last one stopped cleanly), the file alone holds everything, and
// SQLite reads it as immutable, without the index.

// ErrReadOnly is what Write returns on a store opened with
// Options.ReadOnly.
var ErrReadOnly = errors.New("the store is open read-only (this user may not write it or the directory it is in, or its file system is read-only), and this changes it")

// ReadMode is how a store opened with Options.ReadOnly is read.
type ReadMode string

const (
	// ReadWrite: the store was not opened read-only.
	ReadWrite ReadMode = ""
	// ReadShared: read-only, with the index beside the store, so that
	// what a running serve commits meanwhile is seen.
	ReadShared ReadMode = "read-only"
	// ReadImmutable: read-only and without the index, the file taken to
	// change under no one (there was no write-ahead log beside it).
	ReadImmutable ReadMode = "immutable"
)

// AccessError says whether err is SQLite unable to open, lock or write a
// file, what a missing permission or a read-only file system gives, as
// against a file that is not a database.
func AccessError(err error) bool {
	var se sqlite3.Error
	if !errors.As(err, &se) {
		return false
	}
	switch se.Code {
	case sqlite3.ErrCantOpen, sqlite3.ErrPerm, sqlite3.ErrReadonly, sqlite3.ErrAuth:
		return true
	}
	return false
}

// readDSN is the DSN that reads the database at path without writing to
// it or beside it: shared, or without its index (ReadImmutable).
func readDSN(path string, how ReadMode) string {
	dsn := "file:" + path + "?mode=ro"
	if how == ReadImmutable {
		dsn += "&immutable=1"
	}
	return dsn
}

// ReadOnly runs fn on the database at path opened read-only: shared,
// else, when SQLite could not open it so and there is no write-ahead
// log, as immutable. It returns fn's error, or the shared open's when the
// immutable one failed too. Looking at a file with ReadOnly changes
// nothing in it, not even its journal mode.
func ReadOnly(ctx context.Context, path string, fn func(*sql.DB) error) error {
	_, err := readOnly(ctx, path, fn)
	return err
}

// readOnly is ReadOnly, and says how it read the file.
func readOnly(ctx context.Context, path string, fn func(*sql.DB) error) (ReadMode, error) {
	err := withDB(ctx, readDSN(path, ReadShared), fn)
	if err == nil || !AccessError(err) {
		return ReadShared, err
	}
	if _, serr := os.Stat(path + "-wal"); !errors.Is(serr, fs.ErrNotExist) {
		return ReadShared, err
	}
	if ierr := withDB(ctx, readDSN(path, ReadImmutable), fn); ierr == nil {
		return ReadImmutable, nil
	}
	return ReadShared, err
}

func withDB(ctx context.Context, dsn string, fn func(*sql.DB) error) error {
	db, err := sql.Open("sqlite3", dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	return fn(db)
}

// readMode finds how the store at path can be read without writing
// (readOnly): a query of its schema must work, not only the open, which
// SQLite defers.
func readMode(ctx context.Context, path string) (ReadMode, error) {
	how, err := readOnly(ctx, path, func(db *sql.DB) error {
		var n int
		return db.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_master`).Scan(&n)
	})
	if err != nil {
		return ReadWrite, fmt.Errorf("store: open %s read-only: %w", path, err)
	}
	return how, nil
}

// ReadMode says whether, and how, the store was opened read-only
// (Options.ReadOnly).
func (s *Store) ReadMode() ReadMode { return s.read }
