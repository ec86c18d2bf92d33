package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Migrations are files named NNNN_what.sql, applied once each in order of
// NNNN. Ranges: 0001-0099 the store itself, 0100-0199 sink, 0200-0299 relay,
// 0300-0399 probe, 0400-0499 web and reports.
//
//go:embed migrations/*.sql
var migrations embed.FS

type migration struct {
	version int
	name    string
	sql     string
}

func loadMigrations() ([]migration, error) {
	entries, err := migrations.ReadDir("migrations")
	if err != nil {
		return nil, err
	}
	var out []migration
	seen := map[int]string{}
	for _, e := range entries {
		name := e.Name()
		num, _, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || !strings.HasSuffix(name, ".sql") {
			return nil, fmt.Errorf("migration %s: name must be NNNN_what.sql", name)
		}
		if prev, dup := seen[v]; dup {
			return nil, fmt.Errorf("migrations %s and %s share version %d", prev, name, v)
		}
		seen[v] = name
		b, err := migrations.ReadFile("migrations/" + name)
		if err != nil {
			return nil, err
		}
		out = append(out, migration{v, name, string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	return out, nil
}

// ErrNewerStore is returned by Open for a store that a later relaylab
// wrote: its tables may hold what this one would misread or undo.
var ErrNewerStore = errors.New("the store was written by a newer relaylab")

// pendingMigrations returns the migrations db lacks, in order, and how
// many it has recorded (0: a new store, or a file relaylab never opened).
// It only reads, so db may be read-only. A store that recorded a
// migration this build does not know is refused with ErrNewerStore.
func pendingMigrations(ctx context.Context, db *sql.DB) (pending []migration, applied int, err error) {
	ms, err := loadMigrations()
	if err != nil {
		return nil, 0, err
	}
	var tables int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'`).Scan(&tables); err != nil {
		return nil, 0, err
	}
	if tables == 0 {
		return ms, 0, nil
	}
	has := map[int]string{}
	rows, err := db.QueryContext(ctx, `SELECT version, name FROM schema_migrations`)
	if err != nil {
		return nil, 0, err
	}
	for rows.Next() {
		var v int
		var name string
		if err := rows.Scan(&v, &name); err != nil {
			rows.Close()
			return nil, 0, err
		}
		has[v] = name
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	known := map[int]bool{}
	for _, m := range ms {
		known[m.version] = true
		if _, ok := has[m.version]; !ok {
			pending = append(pending, m)
		}
	}
	newest := -1
	for v := range has {
		if !known[v] && v > newest {
			newest = v
		}
	}
	if newest >= 0 {
		return nil, len(has), fmt.Errorf("%w: it has migration %s, which this relaylab does not know; open it with the relaylab that wrote it (or a later one), or restore the backup you took before upgrading, or give this one a store of its own (--db)", ErrNewerStore, has[newest])
	}
	return pending, len(has), nil
}

// migrate applies every migration the database has not recorded, and
// refuses a database that recorded one this build does not know. Each
// one applied to a store that had some already (one an earlier build
// wrote) is logged at INFO, naming path: the store's tables changed, and
// that build can no longer open it. A new store's are not.
//
// An older store is not migrated when opts.NoMigrate is set, nor while
// another process has it open (heldBy, as opts.LockHolder named them
// before this process opened it): that process may be the older
// relaylab, which could then neither go on nor start again on it. Both
// are an *OlderStoreError, with nothing changed.
func migrate(ctx context.Context, db *sql.DB, opts Options, heldBy string) error {
	pending, applied, err := pendingMigrations(ctx, db)
	if err != nil || len(pending) == 0 {
		return err
	}
	switch {
	case opts.NoMigrate && applied == 0:
		return errNoStore
	case opts.NoMigrate:
		return &OlderStoreError{Path: opts.Path, Pending: migrationNames(pending), HeldBy: heldBy}
	case applied > 0 && heldBy != "":
		return &OlderStoreError{Path: opts.Path, Pending: migrationNames(pending), HeldBy: heldBy, Migrating: true}
	}
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL)`); err != nil {
		return fmt.Errorf("migrations table: %w", err)
	}
	for _, m := range pending {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, m.sql); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name) VALUES (?, ?)`, m.version, m.name); err != nil {
			tx.Rollback()
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("migration %s: %w", m.name, err)
		}
		if applied > 0 {
			opts.Logger.Info("store migrated: applied "+m.name, "store", opts.Path)
		}
	}
	return nil
}

func migrationNames(ms []migration) []string {
	out := make([]string, len(ms))
	for i, m := range ms {
		out[i] = m.name
	}
	return out
}
