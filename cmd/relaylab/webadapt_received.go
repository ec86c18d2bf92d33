package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/relaylab/relaylab/web"
)

var _ web.SinkReceivedAPI = sinkAdapter{}

// Received finds what the sink holds of one relayed message: the copies
// filed under its Message-ID, the attempts whose DATA left them, and the
// attempts of the message's sender to its recipients within its relay
// attempts that left no copy (a 451 at RCPT, a 554 after the dot).
func (a sinkAdapter) Received(ctx context.Context, q web.ReceivedQuery) (web.Received, error) {
	var out web.Received
	var copyIDs []any
	if q.MessageID != "" {
		// No index on message_id: a scan that reads the rows' leading
		// columns, not their raw bodies (stored after them).
		rows, err := a.db.QueryContext(ctx, `SELECT id, session_id, listener, time_ns, mail_from, rcpts, code, enhanced, text
			FROM sink_messages WHERE message_id = ? ORDER BY id`, q.MessageID)
		if err != nil {
			return out, fmt.Errorf("sink: copies of %q: %w", q.MessageID, err)
		}
		for rows.Next() {
			var (
				id, sess, tns   int64
				code            int
				listener, from  string
				rcpts, enh, txt string
			)
			if err := rows.Scan(&id, &sess, &listener, &tns, &from, &rcpts, &code, &enh, &txt); err != nil {
				rows.Close()
				return out, err
			}
			out.Copies = append(out.Copies, web.SinkCopy{ID: strconv.FormatInt(id, 10), Session: strconv.FormatInt(sess, 10),
				Listener: listener, Time: time.Unix(0, tns).UTC(), From: from, To: strings.Split(rcpts, "\n"),
				Code: code, Reply: copyReply(code, enh, txt)})
			copyIDs = append(copyIDs, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return out, err
		}
	}
	var where []string
	var args []any
	if len(copyIDs) > 0 {
		where = append(where, `a.message IN (?`+strings.Repeat(",?", len(copyIDs)-1)+`)`)
		args = append(args, copyIDs...)
	}
	if len(q.Recipients) > 0 && !q.Until.IsZero() {
		where = append(where, `(a.recipient IN (?`+strings.Repeat(",?", len(q.Recipients)-1)+`) AND lower(a.sender) = lower(?)
			AND a.time_ns >= ? AND a.time_ns <= ? AND a.message = 0)`)
		for _, r := range q.Recipients {
			args = append(args, r)
		}
		args = append(args, q.Sender, q.Since.UnixNano(), q.Until.UnixNano())
	}
	if len(where) == 0 {
		return out, nil
	}
	rows, err := a.db.QueryContext(ctx, `SELECT a.session_id, a.time_ns, a.sender, a.recipient, a.stage, a.code, a.enhanced, a.text, a.message,
		COALESCE(s.listener, ''), COALESCE(s.client, '')
		FROM sink_attempts a LEFT JOIN sink_sessions s ON s.id = a.session_id
		WHERE `+strings.Join(where, " OR ")+` ORDER BY a.time_ns, a.id`, args...)
	if err != nil {
		return out, fmt.Errorf("sink: attempts of %q: %w", q.MessageID, err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			sess, tns, msg int64
			x              web.ReceivedAttempt
		)
		if err := rows.Scan(&sess, &tns, &x.Sender, &x.Recipient, &x.Stage, &x.Code, &x.Enhanced, &x.Text, &msg, &x.Listener, &x.Client); err != nil {
			return out, err
		}
		x.Time, x.Session = time.Unix(0, tns).UTC(), strconv.FormatInt(sess, 10)
		if msg != 0 {
			x.Copy = strconv.FormatInt(msg, 10)
		}
		out.Attempts = append(out.Attempts, x)
	}
	return out, rows.Err()
}

// copyReply is the reply the sink gave after a copy's final dot, or what
// happened instead.
func copyReply(code int, enhanced, text string) string {
	if code == 0 {
		return strings.TrimSpace("no reply: " + text)
	}
	return strings.TrimSpace(strconv.Itoa(code) + " " + strings.TrimSpace(enhanced+" "+text))
}
