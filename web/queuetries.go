package web

import (
	"context"
	"database/sql"
	"strings"

	"github.com/relaylab/relaylab/internal/events"
)

// QueueTry is one host of one path that a recipient's last attempt
// tried, with the reply it got there (a reply the relay made up itself,
// such as a TLS failure, has no code).
type QueueTry struct {
	Path  string     `json:"path"`
	Host  string     `json:"host,omitempty"`
	Reply QueueReply `json:"reply"`
}

// lastTriesSQL reads, without the transcripts, the relay.attempt events
// of n messages through the partial index on message (see
// messageStatesQuery), in the order they were recorded. The index is
// named: "kind = ? ORDER BY id" is the order of events_kind, which SQLite
// otherwise picks, walking every attempt in the log on each poll of the
// Queue page.
func lastTriesSQL(n int) string {
	return messageEventsSQL(`COALESCE(CAST(json_extract(payload, '$.attempt') AS INTEGER), 0),
		COALESCE(CAST(json_extract(payload, '$.path') AS TEXT), ''), COALESCE(CAST(json_extract(payload, '$.host') AS TEXT), ''),
		COALESCE(CAST(json_extract(payload, '$.reply.stage') AS TEXT), ''), COALESCE(CAST(json_extract(payload, '$.reply.code') AS INTEGER), 0),
		COALESCE(CAST(json_extract(payload, '$.reply.enhanced') AS TEXT), ''), COALESCE(CAST(json_extract(payload, '$.reply.text') AS TEXT), '')`, n)
}

// messageEventsSQL selects message, recipient and cols from the events of
// one kind (the last parameter) of n messages (the first n), through the
// partial index on message, named as lastTriesSQL says why, in the order
// they were recorded.
func messageEventsSQL(cols string, n int) string {
	return `SELECT message, recipient, ` + cols + `
		FROM events INDEXED BY events_message WHERE message IN (?` + strings.Repeat(",?", n-1) + `) AND message != '' AND kind = ? ORDER BY id`
}

// recipientKey names a waiting recipient of the Queue page.
type recipientKey struct{ msg, rcpt string }

// pickRecipients returns the recipients of q, waiting and finished, that
// keep takes, by message and address, and the ids of their messages, in
// q's order, for a query over their events (messageEventsSQL).
func pickRecipients(q []QueueEntry, keep func(*QueueRecipient) bool) (map[recipientKey]*QueueRecipient, []any) {
	want := map[recipientKey]*QueueRecipient{}
	var ids []any
	for i := range q {
		n := 0
		for _, l := range [][]QueueRecipient{q[i].Waiting, q[i].Finished} {
			for j := range l {
				if w := &l[j]; keep(w) {
					want[recipientKey{q[i].ID, w.Address}] = w
					n++
				}
			}
		}
		if n > 0 {
			ids = append(ids, q[i].ID)
		}
	}
	return want, ids
}

// addLastTries fills in the Tried of each recipient whose last
// attempt tried more than one host or path, from the relay.attempt
// events of the log: a recipient whose primary smarthost refused the
// relay's password (535 5.7.8) and whose fallback failed TLS has the
// fallback's failure as its last reply, and the 535, which is what to
// fix, only here (relaylab queue show lists both). The last attempt is
// the highest attempt number of the recipient's events: a run that ends
// in a hold of the relay's shaping after a path failed is not counted as
// an attempt, but what it tried is what happened last.
func addLastTries(ctx context.Context, db *sql.DB, q []QueueEntry) error {
	want, ids := pickRecipients(q, func(*QueueRecipient) bool { return true })
	if len(ids) == 0 {
		return nil
	}
	rows, err := db.QueryContext(ctx, lastTriesSQL(len(ids)), append(ids, events.RelayAttempt)...)
	if err != nil {
		return err
	}
	defer rows.Close()
	type tries struct {
		attempt int
		list    []QueueTry
	}
	got := map[recipientKey]*tries{}
	for rows.Next() {
		var (
			k       recipientKey
			attempt int
			t       QueueTry
		)
		if err := rows.Scan(&k.msg, &k.rcpt, &attempt, &t.Path, &t.Host, &t.Reply.Stage, &t.Reply.Code, &t.Reply.Enhanced, &t.Reply.Text); err != nil {
			return err
		}
		if want[k] == nil {
			continue
		}
		g := got[k]
		switch {
		case g == nil:
			g = &tries{attempt: attempt}
			got[k] = g
		case attempt > g.attempt:
			*g = tries{attempt: attempt}
		case attempt < g.attempt:
			continue // recorded after a later attempt: not the last one's
		}
		g.list = append(g.list, t)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for k, g := range got {
		if len(g.list) > 1 { // one try is the recipient's own last reply
			want[k].Tried = g.list
		}
	}
	return nil
}
