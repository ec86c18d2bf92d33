package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// recordTables are the tables that hold what happened (as opposed to state
// that steers what happens next: greylisting, suppressions, pending
// bounces), in the order Import copies them, each with its integer id
// column ("" for a table keyed otherwise).
var recordTables = []struct{ name, id string }{
	{"events", "id"},
	{"sink_sessions", "id"},
	{"sink_messages", "id"},
	{"sink_attempts", "id"},
	{"relay_messages", ""},
	{"relay_recipients", "id"},
}

// Marks are the highest ids of a store's record tables.
type Marks map[string]int64

// Marks returns the highest id of each record table.
func (s *Store) Marks(ctx context.Context) (Marks, error) {
	m := Marks{}
	for _, t := range recordTables {
		if t.id == "" {
			continue
		}
		// The highest id ever handed out: AUTOINCREMENT's sequence
		// remembers rows deleted since (a message removed from the queue).
		var n int64
		if err := s.r.QueryRowContext(ctx, `SELECT MAX(COALESCE((SELECT MAX(`+t.id+`) FROM `+t.name+`), 0),
			COALESCE((SELECT seq FROM sqlite_sequence WHERE name = ?), 0))`, t.name).Scan(&n); err != nil {
			return nil, fmt.Errorf("store: %s: %w", t.name, err)
		}
		m[t.name] = n
	}
	return m, nil
}

// ReserveIDs makes the ids that s hands out from now on start above m, so
// that its records can later be imported into the store m came from with
// their ids (and the ids inside event payloads) unchanged. Call it on a
// fresh store before anything writes to it.
func (s *Store) ReserveIDs(ctx context.Context, m Marks) error {
	return s.Write(ctx, func(tx *Tx) error {
		for _, t := range recordTables {
			n := m[t.name]
			if t.id == "" || n == 0 {
				continue
			}
			if t.name == "sink_sessions" {
				// No AUTOINCREMENT: the sink numbers sessions after the
				// highest it finds, so leave one placeholder there.
				if _, err := tx.Exec(`INSERT INTO sink_sessions (id, listener, client, start_ns, end_ns) VALUES (?, '', '', 0, 0)`, n); err != nil {
					return err
				}
				continue
			}
			if _, err := tx.Exec(`DELETE FROM sqlite_sequence WHERE name = ?`, t.name); err != nil {
				return err
			}
			if _, err := tx.Exec(`INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)`, t.name, n); err != nil {
				return err
			}
		}
		return nil
	})
}

// Import copies the records of the store file at path that lie above m
// (the marks given to that store's ReserveIDs) into s, in one transaction
// on a connection of its own (SQLite attaches the other file and copies
// table to table), and tells followers of s's event log. It fails without
// copying anything if s was written to in the meantime and the ids
// collide. Both stores have the same tables: the same migrations made them.
func (s *Store) Import(ctx context.Context, path string, m Marks) error {
	err := s.importFrom(ctx, path, m)
	if err != nil {
		if strings.Contains(err.Error(), "UNIQUE constraint failed") {
			return fmt.Errorf("store: import %s: %w (was the store written to by another process meanwhile?)", path, err)
		}
		return fmt.Errorf("store: import %s: %w", path, err)
	}
	var last int64
	if err := s.r.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM events`).Scan(&last); err != nil {
		return err
	}
	s.published(last)
	return nil
}

func (s *Store) importFrom(ctx context.Context, path string, m Marks) (err error) {
	db, err := sql.Open("sqlite3", fmt.Sprintf("file:%s?_journal_mode=WAL&_synchronous=FULL&_busy_timeout=10000", s.path))
	if err != nil {
		return err
	}
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `ATTACH DATABASE ? AS src`, path); err != nil {
		return err
	}
	if _, err := conn.ExecContext(ctx, `BEGIN IMMEDIATE`); err != nil {
		return err
	}
	defer func() {
		if err != nil {
			conn.ExecContext(context.Background(), `ROLLBACK`)
		}
	}()
	for _, t := range recordTables {
		q := `INSERT INTO main.` + t.name + ` SELECT * FROM src.` + t.name
		var args []any
		if t.id != "" {
			q += ` WHERE ` + t.id + ` > ? ORDER BY ` + t.id
			args = append(args, m[t.name])
		}
		if _, err := conn.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("%s: %w", t.name, err)
		}
	}
	_, err = conn.ExecContext(ctx, `COMMIT`)
	return err
}
