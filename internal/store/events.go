package store

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/relaylab/relaylab/internal/events"
)

// eventsCols are the columns Events reads, in its Scan's order.
const eventsCols = `id, time_ns, wall_ns, kind, message, recipient, path, listener, target, payload`

// eventsQuery is the query of Events for f, and its arguments. A
// recipient's events are those that name it in their recipient column,
// and those about several recipients that list it in their payload
// (event_recipients, kept by migration 0002's triggers, which holds none
// of the first): two arms, each read through its index in id order,
// merged.
func eventsQuery(f events.Filter) (string, []any) {
	limit := f.Limit
	if limit <= 0 {
		limit = 1000
	}
	conds, cargs := eventsWhere(f, "kind")
	if f.Recipient == "" {
		where := append([]string{"id > ?"}, conds...)
		args := append([]any{f.AfterID}, cargs...)
		return `SELECT ` + eventsCols + ` FROM events WHERE ` + strings.Join(where, " AND ") + ` ORDER BY id LIMIT ?`, append(args, limit)
	}
	// "!= ''" lets SQLite use the partial index on recipient (as on
	// message: eventsWhere).
	named := append([]string{"id > ?", "recipient = ? AND recipient != ''"}, conds...)
	args := append([]any{f.AfterID, f.Recipient}, cargs...)
	// "+kind" keeps SQLite from reading the listed ids' events through
	// the index on kind, which would read them out of order (all of
	// them, then sorted) where the list gives them in order.
	lconds, largs := eventsWhere(f, "+kind")
	listed := append([]string{"id IN (SELECT event_id FROM event_recipients WHERE recipient = ? AND event_id > ?)"}, lconds...)
	args = append(append(args, f.Recipient, f.AfterID), largs...)
	return `SELECT ` + eventsCols + ` FROM events WHERE ` + strings.Join(named, " AND ") + `
		UNION ALL
		SELECT ` + eventsCols + ` FROM events WHERE ` + strings.Join(listed, " AND ") + `
		ORDER BY id LIMIT ?`, append(args, limit)
}

// eventsWhere is f's conditions on its kinds and message, and their
// arguments; kind names the kind column in them: "kind", or "+kind",
// which SQLite reads without the column's index.
func eventsWhere(f events.Filter, kind string) (where []string, args []any) {
	if len(f.Kinds) > 0 {
		var or []string
		for _, k := range f.Kinds {
			if strings.HasSuffix(k, ".") {
				or = append(or, kind+" >= ? AND "+kind+" < ?")
				args = append(args, k, k[:len(k)-1]+"/") // '/' sorts right after '.'
			} else {
				or = append(or, kind+" = ?")
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
	return where, args
}

// Events returns committed events matching f, in id order, at most f.Limit
// (default 1000). f.Recipient matches, exactly, an event's recipient, and
// one listed by an event about several (a sink.reply refusing a
// transaction's data, a sink.message to several): eventsQuery.
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
