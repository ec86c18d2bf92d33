package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"log/slog"
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

// migrate applies every migration the database has not recorded, and
// refuses a database that recorded one this build does not know. Each
// one applied to a store that had some already (one an earlier build
// wrote) is logged at INFO, naming path: the store's tables changed, and
// that build can no longer open it. A new store's are not.
func migrate(ctx context.Context, db *sql.DB, log *slog.Logger, path string) error {
	ms, err := loadMigrations()
	if err != nil {
		return err
	}
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version INTEGER PRIMARY KEY, name TEXT NOT NULL)`); err != nil {
		return fmt.Errorf("migrations table: %w", err)
	}
	applied := map[int]bool{}
	rows, err := db.QueryContext(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			rows.Close()
			return err
		}
		applied[v] = true
	}
	rows.Close()
	known := map[int]bool{}
	for _, m := range ms {
		known[m.version] = true
	}
	var newer []int
	for v := range applied {
		if !known[v] {
			newer = append(newer, v)
		}
	}
	if len(newer) > 0 {
		sort.Ints(newer)
		var name string
		if err := db.QueryRowContext(ctx, `SELECT name FROM schema_migrations WHERE version = ?`, newer[len(newer)-1]).Scan(&name); err != nil {
			return err
		}
		return fmt.Errorf("%w: it has migration %s, which this relaylab does not know; open it with the relaylab that wrote it (or a later one), or restore the backup you took before upgrading, or give this one a store of its own (--db)", ErrNewerStore, name)
	}
	for _, m := range ms {
		if applied[m.version] {
			continue
		}
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
		if len(applied) > 0 {
			log.Info("store migrated: applied "+m.name, "store", path)
		}
	}
	return nil
}
