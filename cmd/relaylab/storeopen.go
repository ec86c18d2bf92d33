package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"

	"github.com/mattn/go-sqlite3"

	"github.com/relaylab/relaylab/internal/store"
)

// The words for a store that cannot be used live here, for the commands
// that read what others recorded (requireStore: queue, suppress, report,
// expect) and for those that record (openStore: serve, sink, relay).

// storeHint says where --db should point when it names no relaylab store.
const storeHint = "point --db at the store that relaylab serve, relay, sink or replay wrote"

// notAStore says why the existing file at path is not a relaylab store,
// or "" when it is one. It looks read-only (mode=ro): looking must not
// change the file, not even its journal mode.
func notAStore(ctx context.Context, path string) string {
	db, err := sql.Open("sqlite3", "file:"+path+"?mode=ro")
	if err != nil {
		return err.Error()
	}
	defer db.Close()
	var n int
	// store.Open records every migration it applies in schema_migrations.
	err = db.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'`).Scan(&n)
	switch {
	case err != nil:
		return err.Error()
	case n == 0:
		return "no schema_migrations table"
	}
	return ""
}

// requireStore refuses a path that is not an existing relaylab store, before
// store.Open would create the file, or switch a foreign SQLite file to WAL
// and add relaylab's tables to it. Commands that act on what serve, relay,
// sink or replay recorded call it; a missing or foreign file is bad input
// (exit 2).
// recordedStore is how the commands that act on a store others recorded
// (queue, suppress, prune, sink reset) start: a logger at warn, the
// configuration of --config (cfgPath), and the store's path (db, else
// store.path), which must hold a relaylab store (requireStore).
func recordedStore(ctx context.Context, e *env, db, cfgPath string) (*slog.Logger, *fileConfig, string, error) {
	log, err := newLogger(e, "warn")
	if err != nil {
		return nil, nil, "", err
	}
	cfg, err := loadConfig(cfgPath)
	if err != nil {
		return nil, nil, "", err
	}
	path := storePath(cfg, db)
	if err := requireStore(ctx, path); err != nil {
		return nil, nil, "", err
	}
	return log, cfg, path, nil
}

func requireStore(ctx context.Context, path string) error {
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return usageError("no store at %s: %s", path, storeHint)
	case err != nil:
		return usageError("store %s: %v", path, err)
	case fi.IsDir():
		return usageError("store %s is a directory: %s", path, storeHint)
	}
	if why := notAStore(ctx, path); why != "" {
		return usageError("%s is not a relaylab store (%s): %s", path, why, storeHint)
	}
	return nil
}

// openStore opens the store named by --db (or the config), creating it
// when the file does not exist. An existing file that is not a relaylab
// store (not SQLite at all, or someone else's database) is refused before
// store.Open would add relaylab's tables to it.
//
// A command that then fails to start calls abandon instead of Close: it
// closes the store and, when this run created the file and nothing was
// recorded in it, removes it, so that a failed start (an address in use)
// leaves no empty store behind. A store that was there stays.
func openStore(ctx context.Context, c *fileConfig, dbFlag string, log *slog.Logger) (st *store.Store, abandon func(), err error) {
	path := c.Store.Path
	if dbFlag != "" {
		path = dbFlag
	}
	fi, err := os.Stat(path)
	created := errors.Is(err, fs.ErrNotExist)
	if err == nil && fi.Mode().IsRegular() && fi.Size() > 0 {
		if why := notAStore(ctx, path); why != "" {
			return nil, nil, fmt.Errorf("%s is not a relaylab store (%s): %s, or at a file that does not exist yet to start a new store", path, why, storeHint)
		}
	}
	st, err = store.Open(ctx, store.Options{Path: path, Sync: store.Sync(c.Store.Sync), Logger: log})
	if err != nil {
		return nil, nil, storeOpenError(err)
	}
	if w := weakerSync(c.Store.Sync); w != "" {
		log.Warn(w)
	}
	abandon = func() {
		// Every fact recorded is an event: asked of the file now, not of
		// what this run wrote, since another process may share the store.
		var n int
		qerr := st.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM events`).Scan(&n)
		if err := st.Close(); err != nil || qerr != nil || !created || n != 0 {
			return
		}
		// SQLite removes the WAL when the store's last connection closes:
		// a WAL still there says another process has the store open.
		if _, err := os.Stat(path + "-wal"); err == nil {
			return
		}
		for _, suffix := range []string{"", "-wal", "-shm"} {
			if err := os.Remove(path + suffix); err != nil && !errors.Is(err, fs.ErrNotExist) {
				log.Warn("could not remove the empty store this failed start created", "path", path+suffix, "err", err)
			}
		}
	}
	return st, abandon, nil
}

// storeOpenError adds what to check to a store.Open error that the file
// system caused: a missing directory, no permission, a read-only place.
func storeOpenError(err error) error {
	var se sqlite3.Error
	if errors.As(err, &se) {
		switch se.Code {
		case sqlite3.ErrCantOpen, sqlite3.ErrPerm, sqlite3.ErrReadonly, sqlite3.ErrIoErr:
			return fmt.Errorf("%w (check that the directory exists and is writable)", err)
		}
	}
	return err
}
