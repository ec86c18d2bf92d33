package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/relaylab/relaylab/internal/events"
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
	rcpts := map[string]bool{}
	if q.MessageID != "" {
		rows, err := a.db.QueryContext(ctx, copiesSQL, q.MessageID, events.SinkMessage)
		if err != nil {
			return out, fmt.Errorf("sink: copies of %q: %w", q.MessageID, err)
		}
		for rows.Next() {
			var (
				id, sess, tns  int64
				code           int
				listener, from string
				to, enh, txt   string
			)
			if err := rows.Scan(&id, &sess, &listener, &tns, &from, &to, &code, &enh, &txt); err != nil {
				rows.Close()
				return out, err
			}
			c := web.SinkCopy{ID: strconv.FormatInt(id, 10), Session: strconv.FormatInt(sess, 10),
				Listener: listener, Time: time.Unix(0, tns).UTC(), From: from, To: strings.Split(to, "\n"),
				Code: code, Reply: copyReply(id, code, enh, txt)}
			out.Copies = append(out.Copies, c)
			copyIDs = append(copyIDs, id)
			for _, r := range c.To {
				rcpts[r] = true
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return out, err
		}
	}
	// Without a Message-ID, or with one the sink did not file the copy
	// under, the relay's own attempts name the copy: the sink's "Message
	// accepted as N" at one of its listeners.
	have := map[string]bool{}
	for _, c := range out.Copies {
		have[c.ID] = true
	}
	for _, acc := range q.Accepted {
		listener, ok := a.listenerAt(acc.Address)
		id := strconv.FormatInt(acc.Copy, 10)
		if !ok || have[id] {
			continue
		}
		c, found, err := a.acceptedCopy(ctx, acc, listener, q.Sender)
		if err != nil {
			return out, err
		}
		if !found {
			out.Gone = append(out.Gone, web.GoneCopy{ID: id, Recipient: acc.Recipient, Reply: acc.Reply})
			have[id] = true
			continue
		}
		have[id] = true
		out.Copies = append(out.Copies, c)
		copyIDs = append(copyIDs, acc.Copy)
		for _, r := range c.To {
			rcpts[r] = true
		}
	}
	// Every attempt wanted is to one of these recipients: the copies' and
	// the relay's, so the recipient index narrows the search.
	var where []string
	var args []any
	if len(copyIDs) > 0 {
		where = append(where, `a.message IN (?`+strings.Repeat(",?", len(copyIDs)-1)+`)`)
		args = append(args, copyIDs...)
	}
	if len(q.Recipients) > 0 && !q.Until.IsZero() {
		where = append(where, `(lower(a.sender) = lower(?) AND a.time_ns >= ? AND a.time_ns <= ? AND a.message = 0)`)
		args = append(args, q.Sender, q.Since.UnixNano(), q.Until.UnixNano())
		for _, r := range q.Recipients {
			rcpts[r] = true
		}
	}
	if len(where) == 0 {
		return out, nil
	}
	inRcpts := make([]any, 0, len(rcpts))
	for r := range rcpts {
		inRcpts = append(inRcpts, r)
	}
	args = append(inRcpts, args...)
	rows, err := a.db.QueryContext(ctx, attemptsSQL(len(inRcpts), where), args...)
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

// listenerAt names the sink listener that the relay reached at addr
// (host:port): the one bound to that address, or to that port on every
// address.
func (a sinkAdapter) listenerAt(addr string) (string, bool) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil || a.sk == nil {
		return "", false
	}
	for name, la := range a.sk.HostPorts() {
		h, p, err := net.SplitHostPort(la)
		if err != nil || p != port {
			continue
		}
		if ip := net.ParseIP(h); h == host || (ip != nil && ip.IsUnspecified()) {
			return name, true
		}
	}
	return "", false
}

// acceptedCopy reads the copy a relay attempt was accepted as, if it is
// the one that attempt left: on that listener, from that sender, to that
// recipient. found is false when the sink holds no such copy.
func (a sinkAdapter) acceptedCopy(ctx context.Context, acc web.AcceptedAs, listener, sender string) (web.SinkCopy, bool, error) {
	var (
		sess, tns    int64
		code         int
		lst, from    string
		to, enh, txt string
	)
	err := a.db.QueryRowContext(ctx, `SELECT session_id, listener, time_ns, mail_from, rcpts, code, enhanced, text
		FROM sink_messages WHERE id = ?`, acc.Copy).Scan(&sess, &lst, &tns, &from, &to, &code, &enh, &txt)
	if errors.Is(err, sql.ErrNoRows) {
		return web.SinkCopy{}, false, nil
	}
	if err != nil {
		return web.SinkCopy{}, false, fmt.Errorf("sink: copy %d: %w", acc.Copy, err)
	}
	rcpts := strings.Split(to, "\n")
	if lst != listener || !strings.EqualFold(from, sender) ||
		!slices.ContainsFunc(rcpts, func(r string) bool { return strings.EqualFold(r, acc.Recipient) }) {
		return web.SinkCopy{}, false, nil // another message now holds that number
	}
	return web.SinkCopy{ID: strconv.FormatInt(acc.Copy, 10), Session: strconv.FormatInt(sess, 10),
		Listener: lst, Time: time.Unix(0, tns).UTC(), From: from, To: rcpts,
		Code: code, Reply: copyReply(acc.Copy, code, enh, txt)}, true, nil
}

// copyReply is the reply the sink gave after copy id's final dot, or what
// happened instead, as the inbox says it (web.DotReply): the sink stores
// no text for its own "Message accepted as N".
func copyReply(id int64, code int, enhanced, text string) string {
	return web.DotReply(id, code, enhanced, text)
}

// copiesSQL finds the sink's copies of a message by their sink.message
// events through the events_message index (a partial index: the query
// must say that message is not empty, and +kind keeps the planner off the kind index,
// which would read every sink.message event), not by scanning
// sink_messages.
const copiesSQL = `SELECT m.id, m.session_id, m.listener, m.time_ns, m.mail_from, m.rcpts, m.code, m.enhanced, m.text
			FROM events e JOIN sink_messages m ON m.id = e.payload ->> '$.id'
			WHERE e.message = ? AND e.message != '' AND +e.kind = ? ORDER BY m.id`

// attemptsSQL selects the sink's attempts to one of n recipients that
// match one of where, through the recipient index.
func attemptsSQL(n int, where []string) string {
	return `SELECT a.session_id, a.time_ns, a.sender, a.recipient, a.stage, a.code, a.enhanced, a.text, a.message,
		COALESCE(s.listener, ''), COALESCE(s.client, '')
		FROM sink_attempts a LEFT JOIN sink_sessions s ON s.id = a.session_id
		WHERE a.recipient IN (?` + strings.Repeat(",?", n-1) + `) AND (` + strings.Join(where, " OR ") + `)
		ORDER BY a.time_ns, a.id`
}
