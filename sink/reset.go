package sink

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/relaylab/relaylab/internal/events"
	"github.com/relaylab/relaylab/internal/store"
)

// EventReset is the kind of the event that says the sink forgot its
// attempt counters and greylist (ResetState); its payload is a Forgotten.
// The counters are rebuilt from the sessions after it only, so the
// recorded sessions and messages stay as they were.
const EventReset = "sink.reset"

// Forgotten is what a reset forgot.
type Forgotten struct {
	// Pairs is how many (sender, recipient) attempt counters, the ones
	// "defer2+tag@..." counts with, went back to zero.
	Pairs int `json:"pairs"`
	// Messages is how many per-Message-ID attempt counters did.
	Messages int `json:"messages"`
	// Greylist is how many greylist entries (client address, sender,
	// recipient) were forgotten: their next attempt is a first one.
	Greylist int `json:"greylist"`
	// Before is the last session id that no longer counts.
	Before int64 `json:"before_session"`
}

// querier is what readState needs of a store: its read pool or a write
// transaction.
type querier interface {
	QueryRow(query string, args ...any) *sql.Row
	Query(query string, args ...any) (*sql.Rows, error)
}

var _ querier = (*store.Tx)(nil)

// ctxQuerier reads from db under ctx.
type ctxQuerier struct {
	ctx context.Context
	db  *sql.DB
}

func (q ctxQuerier) QueryRow(query string, args ...any) *sql.Row {
	return q.db.QueryRowContext(q.ctx, query, args...)
}

func (q ctxQuerier) Query(query string, args ...any) (*sql.Rows, error) {
	return q.db.QueryContext(q.ctx, query, args...)
}

// lastReset returns the id of the last sink.reset event and the last
// session it made uncounted; zeros when there was none.
func lastReset(q querier) (id, before int64, err error) {
	var payload string
	err = q.QueryRow(`SELECT id, payload FROM events WHERE kind = ? ORDER BY id DESC LIMIT 1`, EventReset).Scan(&id, &payload)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, 0, nil
	}
	if err != nil {
		return 0, 0, err
	}
	var f Forgotten
	if err := json.Unmarshal([]byte(payload), &f); err != nil {
		return 0, 0, fmt.Errorf("event %d (%s): %w", id, EventReset, err)
	}
	return id, f.Before, nil
}

// readState fills st (held by the caller) with the attempt counters of the
// sessions after the last reset and the greylist, and returns the last
// session id the store knows and the last reset's event id.
func readState(q querier, st *state) (lastSession, resetID int64, err error) {
	var maxID, maxMsgSession sql.NullInt64
	if err := q.QueryRow(`SELECT MAX(id) FROM sink_sessions`).Scan(&maxID); err != nil {
		return 0, 0, err
	}
	if err := q.QueryRow(`SELECT MAX(session_id) FROM sink_messages`).Scan(&maxMsgSession); err != nil {
		return 0, 0, err
	}
	// A clear deleted the sessions it covered: number on from the last
	// one it names, as a sink that went on running does, so that a
	// session's id is not given again to another.
	var cleared sql.NullInt64
	if err := q.QueryRow(`SELECT MAX(CAST(payload ->> '$.cleared.last_session' AS INTEGER)) FROM events WHERE kind = ?`, EventReset).Scan(&cleared); err != nil {
		return 0, 0, err
	}
	lastSession = max(maxID.Int64, maxMsgSession.Int64, cleared.Int64)
	resetID, before, err := lastReset(q)
	if err != nil {
		return 0, 0, err
	}
	err = countsSince(q, before,
		func(from, to string, n int) { st.count(st.pairs, pairKey(from, to), n) },
		func(id string, n int) { st.count(st.msgs, id, n) })
	if err != nil {
		return 0, 0, err
	}
	if err := readGrey(q, st); err != nil {
		return 0, 0, err
	}
	return lastSession, resetID, nil
}

// readGrey fills st.grey from the store's greylist. A row stored before
// the sink keyed addresses by mailaddr.Key (its domain in UTF-8, not as
// A-labels) is read under today's key, so that the retry of a triple it
// greylisted is known; its key goes to st.staleGrey, for restore to
// store it again. Of two rows of one triple, the later wins, as in
// upsertGrey.
func readGrey(q querier, st *state) error {
	rows, err := q.Query(`SELECT key, first_ns, passed_ns FROM sink_greylist`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		var e greyEntry
		if err := rows.Scan(&k, &e.first, &e.passed); err != nil {
			return err
		}
		if now := greyKey(k); now != k {
			st.staleGrey = append(st.staleGrey, k)
			k = now
		}
		if had, ok := st.grey[k]; !ok || greyLater(e, had) {
			st.grey[k] = e
		}
	}
	return rows.Err()
}

// greyKey is stored greylist key k (client, sender and recipient, split
// by NULs) in today's form: the client, then pairKey.
func greyKey(k string) string {
	ip, pair, ok := strings.Cut(k, "\x00")
	from, to, ok2 := strings.Cut(pair, "\x00")
	if !ok || !ok2 {
		return k // not a key the sink writes: kept as it is
	}
	return ip + "\x00" + pairKey(from, to)
}

// greyLater reports whether entry a was last seen after b.
func greyLater(a, b greyEntry) bool { return max(a.first, a.passed) > max(b.first, b.passed) }

// countsSince calls pair with the highest attempt of each (sender,
// recipient) in the sessions after before, and msg with each Message-ID's.
// A pair may come twice: from its attempts, and from its messages.
func countsSince(q querier, before int64, pair func(from, to string, n int), msg func(id string, n int)) error {
	// The attempts are written with their session, when it ends; a message
	// is written before its 250. After a kill -9, a session cut short has
	// its messages in the store but not its attempts, so the attempt of a
	// message's first recipient (sink_messages.attempt) counts too: without
	// it, the counter of that pair went back to the last ended session's.
	err := scanCounts(q, pair, `SELECT sender, recipient, MAX(attempt) FROM sink_attempts WHERE session_id > ? GROUP BY sender, recipient
		UNION ALL
		SELECT mail_from, CASE WHEN instr(rcpts, char(10)) > 0 THEN substr(rcpts, 1, instr(rcpts, char(10)) - 1) ELSE rcpts END AS first,
			MAX(attempt) FROM sink_messages WHERE attempt > 0 AND session_id > ? GROUP BY mail_from, first`, before, before)
	if err != nil {
		return err
	}
	return scanCounts(q, func(id, _ string, n int) { msg(id, n) },
		`SELECT message_id, '', MAX(msg_attempt) FROM sink_messages WHERE message_id != '' AND session_id > ? GROUP BY message_id`, before)
}

// scanCounts calls each for every row (a, b, n) of query.
func scanCounts(q querier, each func(a, b string, n int), query string, args ...any) error {
	rows, err := q.Query(query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var a, b string
		var n int
		if err := rows.Scan(&a, &b, &n); err != nil {
			return err
		}
		each(a, b, n)
	}
	return rows.Err()
}

// ResetState makes the sink that records in st forget its attempt counters
// and greylist, so that "defer2+x@..." defers twice again and greylisting
// starts over; the recorded sessions, attempts and messages stay. It works
// on a store no sink runs on, and on one that a sink in another process
// (relaylab serve, relaylab sink) runs on: that sink follows from its next
// connection on. A sink in this process resets with (*Sink).ResetState.
func ResetState(ctx context.Context, st *store.Store) (Forgotten, error) {
	return resetState(ctx, st, 0)
}

// resetState records a reset of the counters of every session up to
// before, or up to the last one in the store if that is later.
func resetState(ctx context.Context, st *store.Store, before int64) (Forgotten, error) {
	var f Forgotten
	err := st.Write(ctx, func(tx *store.Tx) error {
		now := newState()
		last, _, err := readState(tx, now)
		if err != nil {
			return err
		}
		f = Forgotten{Pairs: len(now.pairs), Messages: len(now.msgs), Greylist: len(now.grey), Before: max(last, before)}
		if _, err := tx.Exec(`DELETE FROM sink_greylist`); err != nil {
			return err
		}
		_, err = tx.Append(events.Event{Kind: EventReset}.WithPayload(f))
		return err
	})
	if err != nil {
		return Forgotten{}, fmt.Errorf("sink: forgetting the attempt counters and greylist: %w", err)
	}
	return f, nil
}

// ResetState makes this running sink forget its attempt counters and
// greylist, in memory and in its store (see the package's ResetState).
// Sessions open at the reset count on from where they were.
func (s *Sink) ResetState(ctx context.Context) (Forgotten, error) {
	f, err := resetState(ctx, s.store, s.nextID.Load())
	if err != nil {
		return f, err
	}
	// What this sink had counted, sessions not yet written included.
	st := s.state
	st.mu.Lock()
	f.Pairs, f.Messages, f.Greylist = max(f.Pairs, len(st.pairs)), max(f.Messages, len(st.msgs)), max(f.Greylist, len(st.grey))
	st.mu.Unlock()
	s.followReset(ctx)
	return f, nil
}

// followReset forgets the counters in memory when the store has a reset
// this sink has not followed yet. It runs before each session: one look
// at the events index (kind, id), prepared once.
func (s *Sink) followReset(ctx context.Context) {
	var id sql.NullInt64
	stmt, err := s.lastResetStmt()
	if err == nil {
		err = stmt.QueryRowContext(ctx, EventReset).Scan(&id)
	}
	if err != nil {
		s.log.Warn("sink: looking for a reset of the attempt counters failed", "err", err)
		return
	}
	if id.Int64 <= s.resetSeen.Load() {
		return
	}
	st := s.state
	st.mu.Lock()
	defer st.mu.Unlock()
	// Under the lock: of two sessions that saw the reset at once, the
	// second must not clear what the first has counted since.
	if id.Int64 > s.resetSeen.Load() {
		st.forget()
		s.resetSeen.Store(id.Int64)
		s.log.Info("sink: attempt counters and greylist reset", "event", id.Int64)
	}
}

// lastResetStmt is the prepared query for the last reset's event id.
func (s *Sink) lastResetStmt() (*sql.Stmt, error) {
	s.resetOnce.Do(func() {
		s.resetStmt, s.resetErr = s.store.DB().Prepare(`SELECT MAX(id) FROM events WHERE kind = ?`)
	})
	return s.resetStmt, s.resetErr
}
