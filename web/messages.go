package web

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/relaylab/relaylab/internal/events"
)

// MessageSummary is one message in the list built from the event log.
type MessageSummary struct {
	ID      string            `json:"id"`
	EventID int64             `json:"event_id"` // of its relay.queued: the cursor for before=
	Queued  time.Time         `json:"queued"`
	From    string            `json:"from"`
	Subject string            `json:"subject,omitempty"`
	States  map[string]string `json:"states"` // recipient -> state
}

// listMessages lists the relay's messages, newest first, from relay.queued
// events and the latest state of each recipient.
func (s *Server) listMessages(w http.ResponseWriter, r *http.Request) {
	limit, err := queryLimit(r, 50, 1000)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad limit", err.Error())
		return
	}
	before, err := queryInt(r, "before", 0, 0)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad before", err.Error())
		return
	}
	if before == 0 {
		before = 1 << 62
	}
	// subject= lists only the messages whose subject holds the text, in
	// any case (of ASCII letters, as SQLite's lower() folds them): the
	// Messages page's Find for a word of a subject.
	subject := r.URL.Query().Get("subject")
	db := s.opts.Store.DB()
	// One relay.queued per recipient (or one per message listing "to").
	rows, err := db.QueryContext(r.Context(), `SELECT message, MIN(id) AS first, MIN(time_ns), MAX(payload) FROM events
		WHERE kind = ? AND id < ? AND message != ''
		AND (? = '' OR instr(lower(COALESCE(json_extract(payload, '$.subject'), '')), lower(?)) > 0)
		GROUP BY message ORDER BY first DESC LIMIT ?`, events.RelayQueued, before, subject, subject, limit)
	if err != nil {
		s.writeAPIError(w, r, "listing messages", err)
		return
	}
	var out []MessageSummary
	idx := map[string]int{}
	for rows.Next() {
		var (
			m       MessageSummary
			tns     int64
			payload string
		)
		if err := rows.Scan(&m.ID, &m.EventID, &tns, &payload); err != nil {
			rows.Close()
			s.writeAPIError(w, r, "listing messages", err)
			return
		}
		m.Queued = time.Unix(0, tns).UTC()
		var p struct {
			From    string   `json:"from"`
			Sender  string   `json:"sender"`
			To      []string `json:"to"`
			Subject string   `json:"subject"`
		}
		json.Unmarshal([]byte(payload), &p) // a payload without these fields leaves them empty
		m.From, m.Subject = cmp.Or(p.Sender, p.From), p.Subject
		m.States = map[string]string{}
		for _, t := range p.To {
			m.States[t] = "queued"
		}
		idx[m.ID] = len(out)
		out = append(out, m)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		s.writeAPIError(w, r, "listing messages", err)
		return
	}
	if len(out) > 0 {
		args := make([]any, 0, len(out)+6)
		for _, m := range out {
			args = append(args, m.ID)
		}
		args = append(args, events.RelayQueued, events.RelayDeferred, events.RelayDelivered, events.RelayBounced, events.RelayExpired, events.RelaySuppressed)
		rows, err := db.QueryContext(r.Context(), messageStatesQuery(len(out)), args...)
		if err != nil {
			s.writeAPIError(w, r, "listing messages", err)
			return
		}
		defer rows.Close()
		held := map[[2]string]string{} // a recipient held by hand: its state before
		for rows.Next() {
			var msg, rcpt, kind, stage string
			if err := rows.Scan(&msg, &rcpt, &kind, &stage); err != nil {
				s.writeAPIError(w, r, "listing messages", err)
				return
			}
			m := &out[idx[msg]]
			m.States[rcpt] = listState(held, msg, rcpt, m.States[rcpt], kind, stage)
		}
		if err := rows.Err(); err != nil {
			s.writeAPIError(w, r, "listing messages", err)
			return
		}
	}
	if out == nil {
		out = []MessageSummary{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"messages": out})
}

// Stats is what the charts draw.
//
// The relay's and the sink's replies are counted apart: when the relay
// delivers to relaylab's own sink, one refusal is both a reply the relay
// got (relay.attempt) and a reply the sink gave (sink.reply), while the
// sink logs no sink.reply for a success. One count of both would show
// each refusal twice and each success once.
type Stats struct {
	From          time.Time `json:"from"`
	To            time.Time `json:"to"`
	BucketSeconds int64     `json:"bucket_seconds"`
	// Delivered and Bounced count each recipient once, by its latest
	// outcome up to To: one that a server took and bounced later, in a
	// DSN (relay.delivered, then relay.bounced), is bounced, in the bucket
	// of its bounce.
	Delivered []int `json:"delivered"`
	// Deferred counts the relay's deferrals after an attempt: a reply of
	// 4xx, or none. Held counts the recipients its own shaping held back
	// with nothing sent (a relay.deferred with its reply at stage
	// shaping: a destination resting after a 421, a sending window, a
	// warm-up cap), which are no answer from anyone: counted with the
	// deferrals, a storm of holds looked like 30 refusals where the relay
	// got 4 replies.
	Deferred []int `json:"deferred"`
	Held     []int `json:"held"`
	Bounced  []int `json:"bounced"`
	// Expired counts the recipients whose retry policy gave up (max_age
	// or max_attempts: relay.expired), each once, in the bucket of its
	// expiry; a bounce's DSN goes to its sender as a bounce's does.
	Expired []int `json:"expired"`
	// RelayReplyCodes counts the reply to each relay.attempt (one per
	// recipient and host tried) by code; "none" when no reply came (the
	// connection failed or timed out).
	RelayReplyCodes map[string]int `json:"relay_reply_codes"`
	// SinkReplyCodes counts the replies the sink gave, by code: each
	// refusal (sink.reply, at any stage; one event past a session's first
	// 2,000 replies stands for its count of them) and the success that
	// took each message (sink.message).
	SinkReplyCodes map[string]int `json:"sink_reply_codes"`
	BounceReasons  map[string]int `json:"bounce_categories"` // relay.bounced category
}

// stats counts outcomes over a window ending now (the clock's time), in
// buckets, for the charts.
func (s *Server) stats(w http.ResponseWriter, r *http.Request) {
	window := time.Hour
	if v := r.URL.Query().Get("window"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 || d > 31*24*time.Hour {
			writeError(w, http.StatusBadRequest, "bad window "+v, "give a duration between 1s and 744h, like 15m or 24h")
			return
		}
		window = d
	}
	n, err := queryInt(r, "buckets", 60, 500)
	if err != nil || n == 0 {
		writeError(w, http.StatusBadRequest, "bad buckets", "give a number of buckets from 1 to 500")
		return
	}
	to := s.clock.Now()
	from := to.Add(-window)
	bucket := window / time.Duration(n)
	if bucket <= 0 {
		bucket = 1
	}
	st := Stats{From: from.UTC(), To: to.UTC(), BucketSeconds: int64(bucket / time.Second),
		Delivered: make([]int, n), Deferred: make([]int, n), Held: make([]int, n), Bounced: make([]int, n), Expired: make([]int, n),
		RelayReplyCodes: map[string]int{}, SinkReplyCodes: map[string]int{}, BounceReasons: map[string]int{}}
	// The relay puts its reply under "reply", the sink at the top.
	rows, err := s.opts.Store.DB().QueryContext(r.Context(), `SELECT kind, time_ns,
		COALESCE(CAST(CASE kind WHEN ? THEN json_extract(payload, '$.reply.code') ELSE json_extract(payload, '$.code') END AS TEXT), ''),
		COALESCE(CAST(json_extract(payload, '$.category') AS TEXT), ''),
		COALESCE(CAST(json_extract(payload, '$.reply.stage') AS TEXT), ''),
		`+lateBouncedSQL+`,
		COALESCE(CASE kind WHEN ? THEN CAST(json_extract(payload, '$.count') AS INTEGER) END, 1)
		FROM events e WHERE kind IN (?,?,?,?,?,?,?) AND time_ns >= ? AND time_ns <= ?`,
		events.RelayAttempt,
		events.RelayDelivered, events.RelayBounced, to.UnixNano(),
		events.SinkReply,
		events.RelayDelivered, events.RelayDeferred, events.RelayBounced, events.RelayExpired, events.RelayAttempt, events.SinkReply, events.SinkMessage,
		from.UnixNano(), to.UnixNano())
	if err != nil {
		s.writeAPIError(w, r, "computing stats", err)
		return
	}
	defer rows.Close()
	for rows.Next() {
		var (
			kind, code, cat, stage string
			tns                    int64
			late                   bool
			count                  int // how many replies a sink.reply stands for
		)
		if err := rows.Scan(&kind, &tns, &code, &cat, &stage, &late, &count); err != nil {
			s.writeAPIError(w, r, "computing stats", err)
			return
		}
		i := min(int(time.Duration(tns-from.UnixNano())/bucket), int(n)-1)
		switch kind {
		case events.RelayDelivered:
			if !late { // its bounce is counted instead
				st.Delivered[i]++
			}
		case events.RelayDeferred:
			if stage == "shaping" { // the relay's own hold (relay/classify.yaml)
				st.Held[i]++
			} else {
				st.Deferred[i]++
			}
		case events.RelayBounced:
			st.Bounced[i]++
			if cat == "" {
				cat = "unknown"
			}
			st.BounceReasons[cat]++
		case events.RelayExpired:
			st.Expired[i]++
		case events.RelayAttempt:
			if code == "" || code == "0" {
				code = "none"
			}
			st.RelayReplyCodes[code]++
		case events.SinkReply:
			if code != "" {
				st.SinkReplyCodes[code] += max(count, 1)
			}
		case events.SinkMessage:
			// A refused message (552 after the dot) is stored too, and its
			// refusal is a sink.reply already; without a code the sink
			// dropped the connection or never answered.
			if len(code) == 3 && code[0] == '2' {
				st.SinkReplyCodes[code]++
			}
		}
	}
	if err := rows.Err(); err != nil {
		s.writeAPIError(w, r, "computing stats", err)
		return
	}
	writeJSON(w, http.StatusOK, st)
}

// lateBouncedSQL is, for a relay.delivered row e of the stats (the
// first two parameters: relay.delivered, relay.bounced), whether its
// recipient of its message bounced later, up to the window's end (the
// third parameter): a server that took the message and sent a DSN after.
// Such a recipient is counted once, by its latest outcome, as the store
// holds it, not once delivered and once bounced. The lookup goes through
// the partial index on message (see lastTriesSQL), a few events a
// delivery; an event of no message matches none.
const lateBouncedSQL = `CASE WHEN e.kind = ? AND e.message != '' AND e.recipient != '' THEN EXISTS (SELECT 1 FROM events b INDEXED BY events_message
		WHERE b.message = e.message AND b.message != '' AND b.id > e.id AND b.kind = ? AND b.recipient = e.recipient AND b.time_ns <= ?) ELSE 0 END`

// listState is the state the Messages list shows for recipient rcpt of
// message msg, in state cur, after an event of kind whose reply was at
// stage: nextState's, in the Queue's words for a recipient that waits
// without being tried. "held" is held by hand (relay.held, until its
// relay.released, which gives back the state before; held keeps that),
// as the Queue's state says; "shaped" is a deferral the relay's own
// shaping made (a reply at stage shaping: a destination resting after a
// 421, a sending window, a warm-up cap), with nothing sent, which the
// Queue shows as held, not as a server's deferral.
func listState(held map[[2]string]string, msg, rcpt, cur, kind, stage string) string {
	k := [2]string{msg, rcpt}
	switch {
	case kind == events.RelayHeld:
		if cur == "held" || cur != "" && events.Terminal(stateKind(cur)) {
			return cur
		}
		held[k] = cur
		return "held"
	case kind == events.RelayReleased:
		if cur != "held" {
			return cur
		}
		before := cmp.Or(held[k], "queued")
		delete(held, k)
		return before
	case cur == "held" && !events.Terminal(kind):
		return cur // not tried while held
	case kind == events.RelayDeferred && stage == "shaping":
		if cur != "" && events.Terminal(stateKind(cur)) {
			return cur
		}
		return "shaped"
	}
	return nextState(cur, kind)
}

// messageStatesQuery reads the state events of n messages. The test
// that message is not empty lets SQLite use the partial index on message,
// which bound values alone cannot prove non-empty: without it each page of
// the message list scanned the whole log.
func messageStatesQuery(n int) string {
	return `SELECT message, recipient, kind, COALESCE(CAST(json_extract(payload, '$.reply.stage') AS TEXT), '') FROM events WHERE message IN (?` + strings.Repeat(",?", n-1) +
		`) AND message != '' AND kind IN (?,?,?,?,?,?,'` + events.RelayHeld + `','` + events.RelayReleased + `') AND recipient != '' ORDER BY id`
}

// sinkAuth sets m.Auth from the sink's record of message id: the results
// it stored (none when sink.verify was off), the DMARC policy from its
// sink.message event (written in the same transaction, at the same
// time), and the details from its Authentication-Results field.
func (s *Server) sinkAuth(ctx context.Context, id int64, m *MessageDetail) error {
	var spf, dkim, dmarc, policy string
	var tns int64
	err := s.opts.Store.DB().QueryRowContext(ctx, `SELECT COALESCE(spf, ''), COALESCE(dkim, ''), COALESCE(dmarc, ''), time_ns
		FROM sink_messages WHERE id = ?`, id).Scan(&spf, &dkim, &dmarc, &tns)
	if errors.Is(err, sql.ErrNoRows) || err == nil && spf == "" {
		return nil
	}
	if err != nil {
		return err
	}
	err = s.opts.Store.DB().QueryRowContext(ctx, `SELECT COALESCE(CAST(json_extract(payload, '$.dmarc_policy') AS TEXT), '')
		FROM events WHERE kind = ? AND time_ns = ? AND json_extract(payload, '$.id') = ? LIMIT 1`, events.SinkMessage, tns, id).Scan(&policy)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	m.Auth = authVerdict(m.Headers, spf, dkim, dmarc, policy)
	return nil
}
