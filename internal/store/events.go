package store

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/relaylab/relaylab/internal/events"
)

// eventsQuery is the query of Events for f, and its arguments.
func eventsQuery(f events.Filter) (string, []any) {
	var (
		where = []string{"id > ?"}
		args  = []any{f.AfterID}
	)
	if len(f.Kinds) > 0 {
		var or []string
		for _, k := range f.Kinds {
			if strings.HasSuffix(k, ".") {
				or = append(or, "kind >= ? AND kind < ?")
				args = append(args, k, k[:len(k)-1]+"/") // '/' sorts right after '.'
			} else {
				or = append(or, "kind = ?")
				args = append(args, k)
			}
		}
		where = append(where, "("+strings.Join(or, " OR ")+")")
	}
	if f.Message != "" {
		// "!= ''" lets SQLite use the partial index on message, which
		// a bound value alone cannot prove non-empty: without it every
		// message's timeline scanned the whole log.
		where = append(where, "message = ? AND message != ''")
		args = append(args, f.Message)
	}
	if f.Recipient != "" {
		where = append(where, "recipient = ? AND recipient != ''")
		args = append(args, f.Recipient)
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 1000
	}
	args = append(args, limit)
	return `SELECT id, time_ns, wall_ns, kind, message, recipient, path, listener, target, payload
		FROM events WHERE ` + strings.Join(where, " AND ") + ` ORDER BY id LIMIT ?`, args
}

// Events returns committed events matching f, in id order, at most f.Limit
// (default 1000).
func (s *Store) Events(ctx context.Context, f events.Filter) ([]events.Event, error) {
	q, args := eventsQuery(f)
	rows, err := s.r.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []events.Event
	for rows.Next() {
		var (
			e        events.Event
			tns, wns int64
			payload  string
		)
		if err := rows.Scan(&e.ID, &tns, &wns, &e.Kind, &e.Message, &e.Recipient, &e.Path, &e.Listener, &e.Target, &payload); err != nil {
			return nil, err
		}
		e.Time = time.Unix(0, tns).UTC()
		e.Wall = time.Unix(0, wns).UTC()
		e.Payload = json.RawMessage(payload)
		out = append(out, e)
	}
	return out, rows.Err()
}

// Append adds one event in a write of its own.
func (s *Store) Append(ctx context.Context, e events.Event) (events.Event, error) {
	err := s.Write(ctx, func(tx *Tx) error {
		var err error
		e, err = tx.Append(e)
		return err
	})
	return e, err
}
