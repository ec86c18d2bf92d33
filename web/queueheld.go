package web

import (
	"context"
	"database/sql"

	"github.com/relaylab/relaylab/internal/events"
)

// serverVerdictsSQL reads the category, reason and advice the relay gave
// each deferral of n messages, with its reply, through the partial index
// on message (see lastTriesSQL), in the order they were recorded.
func serverVerdictsSQL(n int) string {
	return messageEventsSQL(`COALESCE(CAST(json_extract(payload, '$.reply.code') AS INTEGER), 0),
		COALESCE(CAST(json_extract(payload, '$.reply.text') AS TEXT), ''), COALESCE(CAST(json_extract(payload, '$.reply.stage') AS TEXT), ''),
		COALESCE(CAST(json_extract(payload, '$.category') AS TEXT), ''), COALESCE(CAST(json_extract(payload, '$.reason') AS TEXT), ''),
		COALESCE(CAST(json_extract(payload, '$.advice') AS TEXT), '')`, n)
}

// addServerVerdicts gives a held recipient that shows a server's reply
// (a 421 from a rate-limiting server, then held by its destination's
// rest) the category, reason and advice of that reply, from the deferral
// that recorded it, instead of the hold's ("nothing was sent to this
// recipient"), which contradicts the reply shown beside it: the hold is
// shown apart, on its own line.
func addServerVerdicts(ctx context.Context, db *sql.DB, q []QueueEntry) error {
	want, ids := pickRecipients(q, func(w *QueueRecipient) bool {
		return w.Hold != "" && w.LastReply.Code != 0 && w.LastReply.Stage != "shaping"
	})
	if len(ids) == 0 {
		return nil
	}
	rows, err := db.QueryContext(ctx, serverVerdictsSQL(len(ids)), append(ids, events.RelayDeferred)...)
	if err != nil {
		return err
	}
	defer rows.Close()
	type verdict struct{ category, reason, advice string }
	last := map[recipientKey]verdict{}
	for rows.Next() {
		var (
			k           recipientKey
			code        int
			text, stage string
			v           verdict
		)
		if err := rows.Scan(&k.msg, &k.rcpt, &code, &text, &stage, &v.category, &v.reason, &v.advice); err != nil {
			return err
		}
		w := want[k]
		if w == nil || stage == "shaping" || code != w.LastReply.Code || text != w.LastReply.Text || v.category == "" {
			continue
		}
		last[k] = v // the last deferral with the reply shown
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for k, v := range last {
		w := want[k]
		w.Category, w.Reason, w.Advice = v.category, v.reason, v.advice
	}
	return nil
}
