package sink

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// ReplyCount is how many replies with one code the sink gave at one stage.
type ReplyCount struct {
	Stage Stage `json:"stage"`
	Code  int   `json:"code"`
	Count int   `json:"count"`
}

// ReplyTally is every reply a sink's record holds, counted by stage and
// code: the successes as well as the refusals, which alone have
// sink.reply events in the log.
type ReplyTally struct {
	// Sessions is the number of sessions the record has a row for.
	Sessions int `json:"sessions"`
	// Open is how many of them have no end yet (still open, or cut short
	// by a crash). Their replies are written when they end; until then
	// only their replies after the data are known, one per message
	// stored, and those are counted.
	Open int `json:"open"`
	// Counts is sorted by stage, then code.
	Counts []ReplyCount `json:"counts"`
}

// CountReplies counts the replies of every session in db's sink record.
// An ended session keeps its replies as a JSON list in
// sink_sessions.replies; SQLite's jsonb_each counts them in one pass over
// the table, without decoding them in Go; a record of replies folded past
// maxReplies counts as the number of replies it says (replyRecord.Count),
// looked for past the first maxReplies only, where a fold puts them, as
// reading one more key of every reply would cost half as much again.
// A session that has not ended has "[]" there (storeMessage writes its
// row before its end), so its messages' replies after the data
// (sink_messages.code, decided and stored before they are sent) stand in
// for its list; a message that got no reply (a drop or hang after the
// dot, code 0) counts none.
func CountReplies(ctx context.Context, db *sql.DB) (ReplyTally, error) {
	var t ReplyTally
	// ReserveIDs leaves a placeholder row with no listener and no start:
	// not a session.
	err := db.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(end_ns = 0), 0) FROM sink_sessions
		WHERE NOT (listener = '' AND start_ns = 0)`).Scan(&t.Sessions, &t.Open)
	if err != nil {
		return t, fmt.Errorf("sink: counting sessions: %w", err)
	}
	rows, err := db.QueryContext(ctx, `SELECT stage, code, SUM(n) FROM (
			SELECT COALESCE(j.value ->> 'stage', '') AS stage, COALESCE(j.value ->> 'code', 0) AS code,
					CASE WHEN j.key < ? THEN 1 ELSE max(COALESCE(j.value ->> 'count', 1), 1) END AS n
				FROM sink_sessions s, jsonb_each(s.replies) j
				WHERE s.end_ns != 0
			UNION ALL
			SELECT 'data-end', code, 1 FROM sink_messages
				WHERE code != 0 AND session_id IN (SELECT id FROM sink_sessions WHERE end_ns = 0)
		) GROUP BY stage, code ORDER BY stage, code`, maxReplies)
	if err != nil {
		return t, badReplies(ctx, db, err)
	}
	defer rows.Close()
	for rows.Next() {
		var c ReplyCount
		if err := rows.Scan(&c.Stage, &c.Code, &c.Count); err != nil {
			return t, fmt.Errorf("sink: counting replies: %w", err)
		}
		t.Counts = append(t.Counts, c)
	}
	if err := rows.Err(); err != nil {
		return t, badReplies(ctx, db, err)
	}
	return t, nil
}

// badReplies names the session whose replies are not JSON when that is
// why counting failed: SQLite's error does not say which row.
func badReplies(ctx context.Context, db *sql.DB, err error) error {
	if !strings.Contains(err.Error(), "JSON") {
		return fmt.Errorf("sink: counting replies: %w", err)
	}
	var id int64
	switch qerr := db.QueryRowContext(ctx, `SELECT id FROM sink_sessions WHERE end_ns != 0 AND NOT json_valid(replies) ORDER BY id LIMIT 1`).Scan(&id); {
	case qerr == nil:
		return fmt.Errorf("sink: counting replies: the replies of session %d (sink_sessions.replies) are not a JSON list: %w", id, err)
	case errors.Is(qerr, sql.ErrNoRows):
	default:
		err = errors.Join(err, qerr)
	}
	return fmt.Errorf("sink: counting replies: %w", err)
}
