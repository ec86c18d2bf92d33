package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"os"
	"slices"
	"time"

	"github.com/relaylab/relaylab/internal/events"
)

// PruneOptions configure Prune.
type PruneOptions struct {
	// Batch is the most rows of one table one transaction deletes
	// (default 300), and a sixteenth of the rows it looks at at most
	// (scanWindow), so that a prune beside a running sink and relay
	// holds the one writer for a few milliseconds at a time, however few
	// of the rows it looks at go.
	Batch int
	// DryRun counts what Prune would delete, and deletes nothing.
	DryRun bool
}

// Pruned is how many rows Prune deleted (or, dry, would delete) from one
// table, or from the events of some kinds.
type Pruned struct {
	Table string `json:"table"`
	// Kinds are the events of Table "events" counted apart ("probe.*");
	// "" is the rest of the table.
	Kinds string `json:"kinds,omitempty"`
	Rows  int64  `json:"rows"`
}

// Name is the table, with the kinds of event it counts when it is only
// some: "events (probe.*)".
func (p Pruned) Name() string {
	if p.Kinds == "" {
		return p.Table
	}
	return p.Table + " (" + p.Kinds + ")"
}

// PruneResult is what Prune deleted, table by table in the order it
// prunes them.
type PruneResult struct {
	Before time.Time `json:"before"`
	DryRun bool      `json:"dry_run,omitempty"`
	Tables []Pruned  `json:"tables"`
}

// Total is the rows deleted from every table.
func (r PruneResult) Total() int64 {
	var n int64
	for _, t := range r.Tables {
		n += t.Rows
	}
	return n
}

// Finished relay recipients: the states a recipient never leaves. A
// message whose recipients are all in them is done with (a deleted one is
// bounced, category "deleted").
const relayFinalStates = `('delivered', 'bounced', 'expired', 'suppressed')`

// lastSinkSessionSQL is the last sink session id the store knows, which a
// sink resumes numbering after (sink's readState): its rows are never
// pruned, so that session ids never go back to ones a kept sink.reset
// event (its before_session) or a web link names already.
const lastSinkSessionSQL = `(SELECT MAX(x) FROM (SELECT MAX(id) AS x FROM sink_sessions UNION ALL SELECT MAX(session_id) FROM sink_messages))`

// PendingBounceSQL holds for a sink_bounces row still due: the sink sends
// it later, and reads its message then, so the message is kept. The sink
// reads its due bounces, and deletes messages, by it too.
const PendingBounceSQL = `sent_ns = 0 AND error = '' AND skipped = ''`

// prunableRelayMessageSQL holds for a relay message (alias m) that is
// done with: it has recipients, every one is final, and none changed at
// or after the cutoff (the one argument).
const prunableRelayMessageSQL = `EXISTS (SELECT 1 FROM relay_recipients r WHERE r.message_id = m.id)
	AND NOT EXISTS (SELECT 1 FROM relay_recipients r WHERE r.message_id = m.id AND (r.state NOT IN ` + relayFinalStates + ` OR r.updated_ns >= ?))`

// pruneTable is one table that Prune deletes rows of by a condition.
type pruneTable struct {
	name  string
	where string // on the table's own columns, unqualified
	args  func(cut int64, now time.Time) []any
	kinds string // Pruned.Kinds
	// indexed is set when where is searched by an index that yields the
	// matching rows alone: a transaction reads no more rows than it
	// deletes, so the table is not walked in windows (scanWindow).
	indexed bool
	// deleted, when set, is told in each transaction the rowids it
	// deleted, to say so in the same commit (sinkMessagesDeleted).
	deleted func(tx *Tx, rowids []int64) error
}

func (t pruneTable) pruned(n int64) Pruned { return Pruned{Table: t.name, Kinds: t.kinds, Rows: n} }

// countSQL counts the rows of t that match (a dry run); its arguments are
// t.args.
func (t pruneTable) countSQL() string { return `SELECT COUNT(*) FROM ` + t.name + ` WHERE ` + t.where }

// deleteSQL deletes the rows of t that match with a rowid after the
// first argument and up to the second (a window, scanWindow), t.args
// next, at most the last argument, and returns their rowids.
func (t pruneTable) deleteSQL() string {
	return `DELETE FROM ` + t.name + ` WHERE rowid IN (SELECT rowid FROM ` + t.name + ` WHERE rowid > ? AND rowid <= ? AND ` + t.where +
		` ORDER BY rowid LIMIT ?) RETURNING rowid`
}

// sinkTables are the sink's record. A session goes with its messages and
// attempts, or stays with them: a message or attempt kept for itself
// keeps its session, whose page and transcript it links to, and the rest
// of the session's messages and attempts (sinkSessionKeptSQL). Messages
// and attempts go before their session, so that a reader never finds
// one whose session is gone. The greylist has its own expiry and is left
// alone; a bounce still due stays.
var sinkTables = []pruneTable{
	{name: "sink_messages", where: `NOT ` + sinkSessionKeptSQL("sink_messages.session_id"), args: sinkSessionArgs, deleted: sinkMessagesDeleted},
	{name: "sink_attempts", where: `NOT ` + sinkSessionKeptSQL("sink_attempts.session_id"), args: sinkSessionArgs},
	{name: "sink_sessions", where: `NOT ` + sinkSessionKeptSQL("sink_sessions.id"), args: sinkSessionArgs},
	{name: "sink_bounces", where: `NOT (` + PendingBounceSQL + `) AND MAX(due_ns, sent_ns) < ?`, args: cutOnly},
}

// sinkSessionKeptSQL holds for a sink session (its id the expression x)
// whose rows stay: the last session (lastSinkSessionSQL); one that ended
// at or after the cutoff or, with no end recorded (still open, or cut by
// a kill), started then; one with a message or attempt at or after the
// cutoff, or with a message that a bounce still due quotes (the sink
// reads it when it sends the bounce). Its three arguments are the cutoff
// (sinkSessionArgs).
func sinkSessionKeptSQL(x string) string {
	return `(` + x + ` >= ` + lastSinkSessionSQL + `
	OR EXISTS (SELECT 1 FROM sink_sessions ks WHERE ks.id = ` + x + ` AND CASE WHEN ks.end_ns = 0 THEN ks.start_ns ELSE ks.end_ns END >= ?)
	OR EXISTS (SELECT 1 FROM sink_messages km WHERE km.session_id = ` + x + ` AND (km.time_ns >= ? OR km.id IN (SELECT message FROM sink_bounces WHERE ` + PendingBounceSQL + `)))
	OR EXISTS (SELECT 1 FROM sink_attempts ka WHERE ka.session_id = ` + x + ` AND ka.time_ns >= ?))`
}

func sinkSessionArgs(cut int64, _ time.Time) []any { return []any{cut, cut, cut} }

// sinkMessagesDeleted appends the sink.deleted event that names the sink
// messages a prune transaction deleted (a sink_messages rowid is its
// id), as the sink's own deletes do: an open Inbox drops their rows on
// it, where it kept showing them until reloaded, and their links led
// nowhere.
func sinkMessagesDeleted(tx *Tx, ids []int64) error {
	_, err := tx.Append(events.Event{Kind: events.SinkDeleted}.WithPayload(struct {
		IDs []int64 `json:"ids"`
		By  string  `json:"by"`
	}{ids, "prune"}))
	return err
}

// eventsTable is the event log less what state is rebuilt from at start:
//   - the last sink.reset (the sink counts attempts after it only);
//   - the events of a relay message that stays (its timeline, its DSN's
//     Last-Attempt-Date, queue show);
//   - relay.attempt events of the current UTC day (a warming path's daily
//     count, restoreWarmups) and those whose destination rest has not
//     ended (restoreRests), with every other relay event of their
//     message: kept alone, an attempt made the report and the timelines
//     rebuild its recipient as queued, with no delivery or bounce after
//     it (a store.keep under a day showed a day's delivered mail as
//     queued).
//
// The probe's events are counted apart (laterTables).
var eventsTable = pruneTable{name: "events", where: `time_ns < ?
	AND NOT (kind >= 'probe.' AND kind < 'probe/')
	AND id != (SELECT COALESCE(MAX(id), 0) FROM events WHERE kind = 'sink.reset')
	AND NOT (message != '' AND EXISTS (SELECT 1 FROM relay_messages m WHERE m.id = events.message AND NOT (` + prunableRelayMessageSQL + `)))
	AND NOT (kind = 'relay.attempt' AND ` + keptAttemptSQL("events") + `)
	AND NOT (message != '' AND kind >= 'relay.' AND kind < 'relay/' AND EXISTS (SELECT 1 FROM events a
		WHERE a.message != '' AND a.message = events.message AND a.kind = 'relay.attempt' AND ` + keptAttemptSQL("a") + `))`,
	args: func(cut int64, now time.Time) []any {
		u := now.UTC()
		day := time.Date(u.Year(), u.Month(), u.Day(), 0, 0, 0, 0, time.UTC)
		return []any{cut, cut, day.UnixNano(), u.Format(time.RFC3339Nano), day.UnixNano(), u.Format(time.RFC3339Nano)}
	}}

// keptAttemptSQL holds for a relay.attempt event (alias t) that state is
// rebuilt from: made on the current UTC day (the first argument), or
// with a destination rest that ends after now (the second).
func keptAttemptSQL(t string) string {
	return `(` + t + `.time_ns >= ? OR ` + t + `.payload LIKE '%"rest":{%' AND julianday(json_extract(` + t + `.payload, '$.rest.until')) > julianday(?))`
}

// pendingChangeSQL is a probe change still waiting for the webhook
// (probe's hookPending): it is posted after a restart, oldest first.
const pendingChangeSQL = `webhook = 'pending'`

// laterTables follow the relay's messages in Prune.
var laterTables = []pruneTable{
	// The soft-bounce counts (suppression.soft_bounces) of addresses whose
	// last expiry is older than the cutoff. A count goes back to 0 only
	// on a delivery, so an address that expired once and was never sent
	// to again kept its row for ever. One deleted counts from 1 at its
	// next expiry: what it counted is older than the cutoff, as are the
	// messages and events that showed it, which go too; every expiry
	// since the cutoff still counts, and an address already suppressed
	// stays on the suppression list, which is never pruned.
	{name: "relay_soft_bounces", where: `updated_ns < ?`, args: cutOnly},
	// The probe's change history outlives probe.keep, until a prune;
	// a change still waiting for the webhook stays.
	{name: "probe_changes", where: `time_ns < ? AND NOT (` + pendingChangeSQL + `)`, args: cutOnly},
	eventsTable,
	// The probe's events: the monitor rebuilds nothing from them (it
	// reads probe_state, probe_results and probe_changes), but the
	// probe.changed event of a change still waiting for the webhook
	// stays with it.
	{name: "events", kinds: "probe.*", where: `time_ns < ? AND kind >= 'probe.' AND kind < 'probe/'
		AND NOT (kind = 'probe.changed' AND id IN (SELECT event_id FROM probe_changes WHERE ` + pendingChangeSQL + `))`, args: cutOnly},
}

func cutOnly(cut int64, _ time.Time) []any { return []any{cut} }

// Prune deletes what is older than before, in transactions of at most
// opts.Batch rows a table, so that it can run beside a sink and a relay
// writing to the store:
//
//   - the sink's sessions, messages, attempts, and bounces sent, skipped
//     or given up on; not a bounce still due nor the message it quotes,
//     and not the greylist, which expires on its own. A session goes with
//     its messages and attempts when all of them are older (one with no
//     end recorded, still open or cut by a kill, is as old as its start),
//     and stays with all of them otherwise. The sink rebuilds
//     its attempt counters from the attempts and messages it keeps, so a
//     (sender, recipient) pair or Message-ID whose attempts were all
//     pruned counts from 1 again after the sink restarts ("defer2+x@..."
//     defers twice again); a running sink counts on in memory.
//   - the relay's finished messages: every recipient delivered, bounced,
//     expired or suppressed (a deleted message is bounced), none changed
//     since before; their body and their recipients go together. Nothing
//     queued, deferred or in flight, and never the suppression list.
//   - the soft-bounce counts last raised before the cutoff: such an
//     address counts from 1 again at its next expiry.
//   - the probe's changes, but for those still waiting for the webhook.
//   - events, but for those state is rebuilt from (eventsTable), the
//     probe's counted apart.
//
// Probe results are left to probe.keep (PruneProbe). Times are the
// store's clock's (virtual in a replay's store). The file does not
// shrink: SQLite reuses the freed pages; Vacuum gives them back.
func (s *Store) Prune(ctx context.Context, before time.Time, opts PruneOptions) (PruneResult, error) {
	if opts.Batch <= 0 {
		opts.Batch = 300
	}
	res := PruneResult{Before: before, DryRun: opts.DryRun}
	cut, now := before.UnixNano(), s.clock.Now()
	count := s.pruneTable
	if opts.DryRun {
		count = s.countTable
	}
	for _, t := range sinkTables {
		n, err := count(ctx, t, cut, now, opts.Batch)
		res.Tables = append(res.Tables, t.pruned(n))
		if err != nil {
			return res, fmt.Errorf("store: pruning %s: %w", t.name, err)
		}
	}
	msgs, rcpts, err := s.pruneRelay(ctx, cut, opts)
	res.Tables = append(res.Tables, Pruned{Table: "relay_messages", Rows: msgs}, Pruned{Table: "relay_recipients", Rows: rcpts})
	if err != nil {
		return res, fmt.Errorf("store: pruning the relay's finished messages: %w", err)
	}
	for _, t := range laterTables {
		n, err := count(ctx, t, cut, now, opts.Batch)
		res.Tables = append(res.Tables, t.pruned(n))
		if err != nil {
			return res, fmt.Errorf("store: pruning %s: %w", t.pruned(n).Name(), err)
		}
	}
	return res, nil
}

// countTable counts the rows of t that pruneTable would delete.
func (s *Store) countTable(ctx context.Context, t pruneTable, cut int64, now time.Time, _ int) (int64, error) {
	var n int64
	err := s.r.QueryRowContext(ctx, t.countSQL(), t.args(cut, now)...).Scan(&n)
	return n, err
}

// pruneTable deletes the rows of t that match, walking the table once by
// rowid: each transaction looks at the rows of one window (scanWindow)
// and deletes at most batch of them. Bounding the rows a transaction
// looks at, and not only those it deletes, keeps it short where few rows
// match: one that read on until it found batch rows to delete read every
// kept row of a large log, for seconds, holding the store's one writer.
func (s *Store) pruneTable(ctx context.Context, t pruneTable, cut int64, now time.Time, batch int) (int64, error) {
	q := t.deleteSQL()
	var total, cursor int64
	for {
		if err := ctx.Err(); err != nil {
			return total, err
		}
		end, last := int64(math.MaxInt64), true
		if !t.indexed {
			var err error
			if end, last, err = s.scanWindow(ctx, t.name, cursor, batch); err != nil {
				return total, err
			}
		}
		var n, lastID int64
		err := s.Write(ctx, func(tx *Tx) error {
			n, lastID = 0, cursor
			args := append([]any{cursor, end}, t.args(cut, now)...)
			rows, err := tx.Query(q, append(args, batch)...)
			if err != nil {
				return err
			}
			var ids []int64
			for rows.Next() {
				var id int64
				if err := rows.Scan(&id); err != nil {
					rows.Close()
					return err
				}
				n++
				lastID = max(lastID, id)
				if t.deleted != nil {
					ids = append(ids, id)
				}
			}
			rows.Close()
			if err := rows.Err(); err != nil || len(ids) == 0 {
				return err
			}
			slices.Sort(ids)
			return t.deleted(tx, ids)
		})
		if err != nil {
			return total, err
		}
		total += n
		switch {
		case n == int64(batch):
			cursor = lastID // the window may hold more
		case last:
			return total, nil
		default:
			cursor = end
		}
	}
}

// scanPerBatch is how many rows a prune transaction looks at for each row
// it may delete (PruneOptions.Batch): 4800 by default, some milliseconds
// of work where every row is kept.
const scanPerBatch = 16

// scanWindow is the rowid that ends the window of table's rows after
// cursor that one prune transaction looks at: the scanPerBatch*batch-th
// row after it, or, in the last window, math.MaxInt64 with last true.
// It is read apart, outside the write transaction.
func (s *Store) scanWindow(ctx context.Context, table string, cursor int64, batch int) (end int64, last bool, err error) {
	err = s.r.QueryRowContext(ctx, `SELECT rowid FROM `+table+` WHERE rowid > ? ORDER BY rowid LIMIT 1 OFFSET ?`,
		cursor, scanPerBatch*batch-1).Scan(&end)
	if errors.Is(err, sql.ErrNoRows) {
		return math.MaxInt64, true, nil
	}
	return end, false, err
}

// relayCountSQL counts the relay's finished messages and their
// recipients (a dry run); its argument is the cutoff.
const relayCountSQL = `SELECT COUNT(*), COALESCE(SUM((SELECT COUNT(*) FROM relay_recipients r WHERE r.message_id = m.id)), 0)
	FROM relay_messages m WHERE ` + prunableRelayMessageSQL

// relayBatchSQL lists the finished relay messages of a window of rowids
// (after the first argument, up to the second; scanWindow), finished
// before the cutoff (the third), at most the fourth.
const relayBatchSQL = `SELECT rowid, id FROM relay_messages m WHERE rowid > ? AND rowid <= ? AND ` + prunableRelayMessageSQL + ` ORDER BY rowid LIMIT ?`

// pruneRelay deletes (or counts) the relay's finished messages and their
// recipients, batch messages a transaction, each message with its
// recipients in one.
func (s *Store) pruneRelay(ctx context.Context, cut int64, opts PruneOptions) (msgs, rcpts int64, err error) {
	if opts.DryRun {
		err = s.r.QueryRowContext(ctx, relayCountSQL, cut).Scan(&msgs, &rcpts)
		return msgs, rcpts, err
	}
	var cursor int64
	for {
		if err := ctx.Err(); err != nil {
			return msgs, rcpts, err
		}
		end, lastWindow, err := s.scanWindow(ctx, "relay_messages", cursor, opts.Batch)
		if err != nil {
			return msgs, rcpts, err
		}
		var n, nr, last int64
		err = s.Write(ctx, func(tx *Tx) error {
			n, nr, last = 0, 0, cursor
			rows, err := tx.Query(relayBatchSQL, cursor, end, cut, opts.Batch)
			if err != nil {
				return err
			}
			var ids []string
			for rows.Next() {
				var id string
				if err := rows.Scan(&last, &id); err != nil {
					rows.Close()
					return err
				}
				ids = append(ids, id)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
			for _, id := range ids {
				r, err := tx.Exec(`DELETE FROM relay_recipients WHERE message_id = ?`, id)
				if err != nil {
					return err
				}
				k, _ := r.RowsAffected()
				nr += k
				if _, err := tx.Exec(`DELETE FROM relay_messages WHERE id = ?`, id); err != nil {
					return err
				}
			}
			n = int64(len(ids))
			return nil
		})
		if err != nil {
			return msgs, rcpts, err
		}
		msgs, rcpts = msgs+n, rcpts+nr
		switch {
		case n == int64(opts.Batch):
			cursor = last // the window may hold more
		case lastWindow:
			return msgs, rcpts, nil
		default:
			cursor = end
		}
	}
}

// Vacuum rewrites the closed store at path into as few pages as its rows
// need, giving the space Prune freed back to the file system. It takes the
// store for its whole run (a minute or more on a large one): no sink,
// relay or other command may use the store meanwhile, and one that tries
// waits or fails. The caller makes sure no other process has it open.
func Vacuum(ctx context.Context, path string) error {
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("store: vacuum: %w", err)
	}
	db, err := sql.Open("sqlite3", fmt.Sprintf("file:%s?_journal_mode=WAL&_busy_timeout=10000", path))
	if err != nil {
		return fmt.Errorf("store: vacuum %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	_, err = db.ExecContext(ctx, `VACUUM`)
	if err == nil {
		// The rewrite went through the write-ahead log: fold it in and
		// empty it, or the space moves there instead of going back.
		_, err = db.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`)
	}
	return errors.Join(err, db.Close())
}
