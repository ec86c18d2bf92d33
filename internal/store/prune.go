package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"time"
)

// PruneOptions configure Prune.
type PruneOptions struct {
	// Batch is the most rows of one table one transaction deletes
	// (default 300), so that a prune beside a running sink and relay
	// holds the one writer for a few milliseconds at a time.
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

// pendingBounceSQL is a sink bounce still due: the sink sends it later, and
// reads its message then.
const pendingBounceSQL = `sent_ns = 0 AND error = '' AND skipped = ''`

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
}

func (t pruneTable) pruned(n int64) Pruned { return Pruned{Table: t.name, Kinds: t.kinds, Rows: n} }

// sinkTables are the sink's record. The greylist has its own expiry and
// is left alone; a bounce still due, the message it will quote, and the
// last session (lastSinkSessionSQL) stay.
var sinkTables = []pruneTable{
	{name: "sink_sessions", where: `end_ns < ? AND id < ` + lastSinkSessionSQL, args: cutOnly},
	{name: "sink_messages", where: `time_ns < ? AND session_id < ` + lastSinkSessionSQL +
		` AND id NOT IN (SELECT message FROM sink_bounces WHERE ` + pendingBounceSQL + `)`, args: cutOnly},
	{name: "sink_attempts", where: `time_ns < ?`, args: cutOnly},
	{name: "sink_bounces", where: `NOT (` + pendingBounceSQL + `) AND MAX(due_ns, sent_ns) < ?`, args: cutOnly},
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
		WHERE a.message = events.message AND a.kind = 'relay.attempt' AND ` + keptAttemptSQL("a") + `))`,
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
//     and not the greylist, which expires on its own. The sink rebuilds
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
	err := s.r.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+t.name+` WHERE `+t.where, t.args(cut, now)...).Scan(&n)
	return n, err
}

// pruneTable deletes the rows of t that match, batch rows a transaction,
// walking the table once by rowid.
func (s *Store) pruneTable(ctx context.Context, t pruneTable, cut int64, now time.Time, batch int) (int64, error) {
	q := `DELETE FROM ` + t.name + ` WHERE rowid IN (SELECT rowid FROM ` + t.name + ` WHERE rowid > ? AND ` + t.where +
		` ORDER BY rowid LIMIT ?) RETURNING rowid`
	var total, cursor int64
	for {
		if err := ctx.Err(); err != nil {
			return total, err
		}
		var n, last int64
		err := s.Write(ctx, func(tx *Tx) error {
			n, last = 0, cursor
			args := append([]any{cursor}, t.args(cut, now)...)
			rows, err := tx.Query(q, append(args, batch)...)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var id int64
				if err := rows.Scan(&id); err != nil {
					return err
				}
				n++
				last = max(last, id)
			}
			return rows.Err()
		})
		if err != nil {
			return total, err
		}
		total += n
		cursor = last
		if n < int64(batch) {
			return total, nil
		}
	}
}

// pruneRelay deletes (or counts) the relay's finished messages and their
// recipients, batch messages a transaction, each message with its
// recipients in one.
func (s *Store) pruneRelay(ctx context.Context, cut int64, opts PruneOptions) (msgs, rcpts int64, err error) {
	if opts.DryRun {
		err = s.r.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM((SELECT COUNT(*) FROM relay_recipients r WHERE r.message_id = m.id)), 0)
			FROM relay_messages m WHERE `+prunableRelayMessageSQL, cut).Scan(&msgs, &rcpts)
		return msgs, rcpts, err
	}
	var cursor int64
	for {
		if err := ctx.Err(); err != nil {
			return msgs, rcpts, err
		}
		var n, nr, last int64
		err := s.Write(ctx, func(tx *Tx) error {
			n, nr, last = 0, 0, cursor
			rows, err := tx.Query(`SELECT rowid, id FROM relay_messages m WHERE rowid > ? AND `+prunableRelayMessageSQL+` ORDER BY rowid LIMIT ?`,
				cursor, cut, opts.Batch)
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
		msgs, rcpts, cursor = msgs+n, rcpts+nr, last
		if n < int64(opts.Batch) {
			return msgs, rcpts, nil
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
