package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// sinkEventKinds are the events of the sink's record: what ClearSink
// deletes with it. sink.rules and sink.reset say what the sink was told,
// not what it received, and stay.
const sinkEventKinds = `('sink.session', 'sink.reply', 'sink.message', 'sink.bounce')`

// pendingBounceMessageSQL holds for the sink message (alias m) that a
// bounce still due quotes: the sink reads it when it sends the bounce.
const pendingBounceMessageSQL = `EXISTS (SELECT 1 FROM sink_bounces b WHERE b.message = m.id AND b.` + PendingBounceSQL + `)`

// SinkCleared is what ClearSink deleted, table by table, and what it kept.
type SinkCleared struct {
	Tables []Pruned `json:"tables"`
	// KeptMessages are the messages it kept because a bounce still due
	// quotes them (the sink sends the bounce later and reads the message
	// then); they go at a later clear or prune, once the bounce is sent.
	KeptMessages int64 `json:"kept_messages"`
	// LastMessage is the id of the last message the sink had stored when
	// the clear began: it cleared none after it.
	LastMessage int64 `json:"last_message"`
	// KeptSession is the last session of a kept message, 0 when none:
	// the last session the store still names of those the clear covered.
	KeptSession int64 `json:"kept_session"`
	// LastSession is the last session id the store named when the clear
	// began, for a sink started later to number its sessions on from
	// (sink.readState), as one that goes on running does.
	LastSession int64 `json:"last_session"`
}

// Rows is how many rows ClearSink deleted from table (of the sink's
// events, for "events").
func (c SinkCleared) Rows(table string) int64 {
	for _, t := range c.Tables {
		if t.Table == table {
			return t.Rows
		}
	}
	return 0
}

// ClearSink deletes the sink's whole record as it stands when it is
// called, in transactions of at most opts.Batch rows a table, as Prune
// does, so that it can run beside a sink that goes on recording:
//
//   - its sessions with their transcripts, its messages, its attempts,
//     and its bounces sent, skipped or given up on;
//   - their events: sink.session, sink.reply, sink.message and
//     sink.bounce.
//
// It keeps a bounce still due and the message it quotes (and that
// message's sink.message event): the sink sends the bounce later and
// reads the message then. It keeps the greylist (the sink forgets it
// with its attempt counters: sink.Clear), the sink.rules and sink.reset
// events, and everything of the relay and the probes. What the sink
// records while it runs stays. opts.DryRun counts instead.
func (s *Store) ClearSink(ctx context.Context, opts PruneOptions) (SinkCleared, error) {
	if opts.Batch <= 0 {
		opts.Batch = 300
	}
	tables, last, lastSession, err := s.sinkClearMark(ctx)
	if err != nil {
		return SinkCleared{}, fmt.Errorf("store: clearing the sink's record: %w", err)
	}
	count := s.pruneTable
	if opts.DryRun {
		count = s.countTable
	}
	res := SinkCleared{LastMessage: last, LastSession: lastSession}
	for _, t := range tables {
		n, err := count(ctx, t, 0, s.clock.Now(), opts.Batch)
		res.Tables = append(res.Tables, t.pruned(n))
		if err != nil {
			return res, fmt.Errorf("store: clearing %s: %w", t.pruned(n).Name(), err)
		}
	}
	err = s.r.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(MAX(session_id), 0) FROM sink_messages m WHERE id <= ? AND `+pendingBounceMessageSQL, last).
		Scan(&res.KeptMessages, &res.KeptSession)
	if err != nil {
		return res, fmt.Errorf("store: counting the messages a bounce still due keeps: %w", err)
	}
	return res, nil
}

// sinkClearMark marks how far each of the sink's tables and the event
// log go now, and returns the tables of a clear up to there (in Prune's
// form: pruneTable deletes them), the last message id and the last
// session id the store names (a message's session may be one still open).
func (s *Store) sinkClearMark(ctx context.Context) ([]pruneTable, int64, int64, error) {
	var session, sessionEnd, message, attempt, bounce, event, msgSession int64
	err := s.r.QueryRowContext(ctx, `SELECT
		(SELECT COALESCE(MAX(id), 0) FROM sink_sessions), (SELECT COALESCE(MAX(end_ns), 0) FROM sink_sessions),
		(SELECT COALESCE(MAX(id), 0) FROM sink_messages), (SELECT COALESCE(MAX(id), 0) FROM sink_attempts),
		(SELECT COALESCE(MAX(id), 0) FROM sink_bounces), (SELECT COALESCE(MAX(id), 0) FROM events),
		(SELECT COALESCE(MAX(session_id), 0) FROM sink_messages)`).
		Scan(&session, &sessionEnd, &message, &attempt, &bounce, &event, &msgSession)
	if err != nil {
		return nil, 0, 0, err
	}
	upTo := func(ids ...int64) func(int64, time.Time) []any {
		return func(int64, time.Time) []any {
			args := make([]any, len(ids))
			for i, id := range ids {
				args[i] = id
			}
			return args
		}
	}
	// A session is written when it ends (and when it stores a message),
	// with the id it got when it began: one that ends during the clear
	// may have a smaller id than the last recorded, but not an earlier
	// end. A session still open goes too; it is written again at its end.
	return []pruneTable{
		{name: "sink_sessions", where: `id <= ? AND end_ns <= ?`, args: upTo(session, sessionEnd)},
		{name: "sink_messages", where: `id <= ? AND NOT EXISTS (SELECT 1 FROM sink_bounces b WHERE b.message = sink_messages.id AND b.` + PendingBounceSQL + `)`,
			args: upTo(message)},
		{name: "sink_attempts", where: `id <= ?`, args: upTo(attempt)},
		{name: "sink_bounces", where: `id <= ? AND NOT (` + PendingBounceSQL + `)`, args: upTo(bounce)},
		{name: "events", kinds: "sink.*", where: `kind IN ` + sinkEventKinds + ` AND id <= ?
			AND NOT (kind = 'sink.message' AND payload ->> '$.id' IN (SELECT b.message FROM sink_bounces b WHERE b.` + PendingBounceSQL + `))`,
			args: upTo(event)},
	}, message, max(session, msgSession), nil
}

// ErrBounceDue is the error of DeleteSinkMessage for a message that a
// bounce still due quotes.
var ErrBounceDue = errors.New("a bounce still due quotes the message")

// DeleteSinkMessage deletes the sink's message id and its sink.message
// event, in the transactions of Prune's seam; the session that brought it
// and its attempts stay (they name it as a message no longer held). It
// returns the rows deleted of each table, none when no message has that
// id, and ErrBounceDue, with the bounce's due time, when a bounce still
// due quotes it: the sink reads the message when it sends the bounce.
func (s *Store) DeleteSinkMessage(ctx context.Context, id int64) ([]Pruned, time.Time, error) {
	var due sql.NullInt64
	err := s.r.QueryRowContext(ctx, `SELECT MIN(due_ns) FROM sink_bounces WHERE message = ? AND `+PendingBounceSQL, id).Scan(&due)
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("store: bounces of sink message %d: %w", id, err)
	}
	if due.Valid {
		return nil, time.Unix(0, due.Int64).UTC(), fmt.Errorf("store: sink message %d: %w", id, ErrBounceDue)
	}
	one := func(int64, time.Time) []any { return []any{id} }
	var out []Pruned
	for _, t := range []pruneTable{
		{name: "sink_messages", where: `id = ? AND NOT EXISTS (SELECT 1 FROM sink_bounces b WHERE b.message = sink_messages.id AND b.` + PendingBounceSQL + `)`, args: one},
		{name: "events", kinds: "sink.message", where: `kind = 'sink.message' AND payload ->> '$.id' = ?`, args: one},
	} {
		n, err := s.pruneTable(ctx, t, 0, s.clock.Now(), 300)
		out = append(out, t.pruned(n))
		if err != nil {
			return out, time.Time{}, fmt.Errorf("store: deleting sink message %d from %s: %w", id, t.pruned(n).Name(), err)
		}
		if t.name == "sink_messages" && n == 0 {
			return nil, time.Time{}, nil
		}
	}
	return out, time.Time{}, nil
}
