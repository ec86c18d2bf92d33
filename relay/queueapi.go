package relay

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/relaylab/relaylab/internal/dsn"
	"github.com/relaylab/relaylab/internal/events"
	"github.com/relaylab/relaylab/internal/store"
)

// MessageInfo describes a queued (or finished) message.
type MessageInfo struct {
	ID     string `json:"id"`
	Sender string `json:"sender"`
	EnvID  string `json:"envid,omitempty"`
	Ret    string `json:"ret,omitempty"`
	IsDSN  bool   `json:"is_dsn,omitempty"`
	// DSNFor is, for a DSN the relay wrote, the id of the message it
	// reports on.
	DSNFor   string `json:"dsn_for,omitempty"`
	AuthUser string `json:"auth_user,omitempty"`
	Client   string `json:"client,omitempty"`
	Size     int    `json:"size"`
	// Subject is the message's Subject as its relay.queued event keeps it
	// (decoded, one line, cut); filled by List.
	Subject    string          `json:"subject,omitempty"`
	Created    time.Time       `json:"created"`
	Expires    time.Time       `json:"expires,omitzero"`
	Recipients []RecipientInfo `json:"recipients"`
	// Data is the message itself; filled by Message only.
	Data []byte `json:"-"`
}

// RecipientInfo is one recipient's state.
type RecipientInfo struct {
	ID       int64     `json:"id"`
	Address  string    `json:"address"`
	State    string    `json:"state"`
	Due      time.Time `json:"due,omitzero"`
	Attempts int       `json:"attempts"`
	Path     string    `json:"path,omitempty"`
	Host     string    `json:"host,omitempty"`
	// Reply is the last reply a server gave (or the relay's own failure
	// of the last attempt), whatever held the recipient back since; zero
	// for a recipient no attempt has reached yet, even one held (its
	// hold is Hold, not a reply).
	Reply Reply `json:"reply,omitzero"`
	// Hold is the reply of the relay's own shaping that holds the
	// recipient back now (stage shaping: a destination resting after a
	// 421, naming that 421 and its message; a sending window; a warm-up
	// cap), nil when nothing does; Category and Reason are then the
	// hold's.
	Hold *Reply `json:"hold,omitempty"`
	// OperatorHold is, for a recipient held by hand (state held,
	// HoldBy), who held it, since when and their note; Advice then says
	// how to release it.
	OperatorHold *OperatorHold `json:"operator_hold,omitempty"`
	Category     string        `json:"category,omitempty"`
	Reason       string        `json:"reason,omitempty"`
	// Advice is what to do about the last outcome, from the recipient's
	// last event; filled by Message and List.
	Advice  string    `json:"advice,omitempty"`
	Notify  string    `json:"notify,omitempty"`
	ORCPT   string    `json:"orcpt,omitempty"`
	Updated time.Time `json:"updated"`
	// Hops are the hosts (or route paths) each attempt reached, in
	// order: a path that failed before the one that took the message
	// shows here. Filled by Message only.
	Hops []Hop `json:"hops,omitempty"`
	// Reports are what DSNs from the receiving side said of the
	// recipient without reporting a failure (a delay, a delivery), oldest
	// first; a failure is its bounce. Filled by Message only.
	Reports []DSNReport `json:"dsn_reports,omitempty"`
}

// Hop is one host or path an attempt reached, with its last reply.
type Hop struct {
	Attempt int       `json:"attempt"`
	Time    time.Time `json:"time"`
	Path    string    `json:"path"`
	Host    string    `json:"host,omitempty"`
	Reply   Reply     `json:"reply"`
	// Skipped are the paths of the route the attempt passed over before
	// this one, held back by the relay's shaping, and why.
	Skipped []SkippedPath `json:"skipped,omitempty"`
	// Category, Reason and Advice explain a failed exchange as its
	// relay.attempt event does: what kind of failure, what it means and
	// what to fix on that path (a primary a backup covered included).
	Category string `json:"category,omitempty"`
	Reason   string `json:"reason,omitempty"`
	Advice   string `json:"advice,omitempty"`
}

// QueueFilter selects messages for List and ListPage.
type QueueFilter struct {
	// State keeps messages with at least one recipient in this state;
	// "waiting" means queued, deferred, in flight or held by hand; ""
	// means all.
	State string
	// Recipient keeps messages with a recipient whose address contains
	// it (any case); Domain, those with a recipient at that domain (any
	// case; a leading "@" is allowed). With State too, one recipient
	// must match all of them: "deferred to example.org".
	Recipient string
	Domain    string
	Limit     int // default 100
	// Oldest lists the oldest first (the mail stuck longest), rather
	// than the newest.
	Oldest bool
	// After continues a listing past the message of that id, in the
	// listing's order: the last id of the page before. BeforeID gives
	// the page that ends just before the message of that id (the first
	// of the page after), in the same order. A message deleted since is
	// still a place to page from, by its relay.queued event.
	After    string
	BeforeID string
	// Before pages backwards: messages created before this time.
	Before time.Time
}

// Depth is the number of recipients waiting: queued, deferred, in
// flight or held by hand (a held row keeps a due time no clock reaches,
// heldDue, so that it stays in the index). It counts over the indexes
// of waiting and in-flight recipients, so it costs what is waiting, not
// the whole history.
func (r *Relay) Depth(ctx context.Context) (int, error) {
	var n int
	err := r.store.DB().QueryRowContext(ctx, `SELECT
		(SELECT COUNT(*) FROM relay_recipients WHERE due_ns IS NOT NULL) +
		(SELECT COUNT(*) FROM relay_recipients WHERE state = 'inflight')`).Scan(&n)
	return n, err
}

// OldestWaiting is how long the oldest message with a recipient waiting
// (queued, deferred, in flight or held by hand: a hold forgotten shows as
// mail that ages) has been in the queue, on the relay's clock; 0 when
// nothing waits. Recipients are numbered as they are
// queued, so the oldest is the lowest number among the waiting ones,
// found over the same indexes as Depth's.
func (r *Relay) OldestWaiting(ctx context.Context) (time.Duration, error) {
	var created sql.NullInt64
	err := r.store.DB().QueryRowContext(ctx, `SELECT MIN(m.created_ns) FROM relay_messages m
		WHERE m.id IN (SELECT message_id FROM relay_recipients WHERE id IN (
			(SELECT MIN(id) FROM relay_recipients INDEXED BY relay_recipients_due WHERE due_ns IS NOT NULL),
			(SELECT MIN(id) FROM relay_recipients INDEXED BY relay_recipients_inflight WHERE state = 'inflight')))`).Scan(&created)
	if err != nil || !created.Valid {
		return 0, err
	}
	age := r.clock.Now().Sub(time.Unix(0, created.Int64))
	return max(age, 0), nil
}

// Waiting is the number of messages with a recipient waiting (queued,
// deferred, in flight or held by hand), those that List with State
// "waiting" finds, as Depth counts their recipients, through the same
// indexes.
func (r *Relay) Waiting(ctx context.Context) (int, error) {
	var n int
	err := r.store.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM (
		SELECT message_id FROM relay_recipients WHERE due_ns IS NOT NULL
		UNION SELECT message_id FROM relay_recipients WHERE state = 'inflight')`).Scan(&n)
	return n, err
}

// List returns messages, newest first (QueueFilter.Oldest: oldest
// first), with their recipients; ListPage adds the total and paging.
func (r *Relay) List(ctx context.Context, f QueueFilter) ([]MessageInfo, error) {
	p, err := r.listPage(ctx, f, false)
	return p.Messages, err
}

// details fills what List gives of each message beyond its rows.
func (r *Relay) details(ctx context.Context, out []MessageInfo) error {
	var err error
	for i := range out {
		if out[i].Recipients, err = r.recipients(ctx, out[i].ID); err != nil {
			return err
		}
		// The stage of each last reply, a suppression's reason, and what
		// to do, as queue show gives them, whatever the state asked for
		// (the row keeps none of them).
		if err := r.lastOutcomes(ctx, out[i].ID, out[i].Recipients); err != nil {
			return err
		}
		if err := r.fillOperatorHolds(ctx, out[i].ID, out[i].Recipients); err != nil {
			return err
		}
	}
	return r.subjects(ctx, out)
}

// subjects fills the Subject of each of ms from its relay.queued event,
// in one query.
func (r *Relay) subjects(ctx context.Context, ms []MessageInfo) error {
	if len(ms) == 0 {
		return nil
	}
	at := make(map[string]int, len(ms))
	args := []any{events.RelayQueued}
	for i, m := range ms {
		at[m.ID] = i
		args = append(args, m.ID)
	}
	rows, err := r.store.DB().QueryContext(ctx, `SELECT message, COALESCE(json_extract(payload, '$.subject'), '') FROM events
		WHERE kind = ? AND message IN (?`+strings.Repeat(",?", len(ms)-1)+`)`, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id, subject string
		if err := rows.Scan(&id, &subject); err != nil {
			return err
		}
		if i, ok := at[id]; ok && ms[i].Subject == "" {
			ms[i].Subject = subject
		}
	}
	return rows.Err()
}

type scanner interface{ Scan(...any) error }

func scanMessage(s scanner) (MessageInfo, error) {
	var m MessageInfo
	var created, expires int64
	err := s.Scan(&m.ID, &m.Sender, &m.EnvID, &m.Ret, &m.IsDSN, &m.DSNFor, &m.AuthUser, &m.Client, &m.Size, &created, &expires)
	m.Created = time.Unix(0, created).UTC()
	if expires > 0 {
		m.Expires = time.Unix(0, expires).UTC()
	}
	return m, err
}

func (r *Relay) recipients(ctx context.Context, id string) ([]RecipientInfo, error) {
	rows, err := r.store.DB().QueryContext(ctx, `SELECT id, address, state, due_ns, attempts, path, host, code, enhanced, reply, hold, category, reason, notify, orcpt, updated_ns
		FROM relay_recipients WHERE message_id = ? ORDER BY id`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []RecipientInfo
	for rows.Next() {
		var rc RecipientInfo
		var due sql.NullInt64
		var updated int64
		var hold string
		if err := rows.Scan(&rc.ID, &rc.Address, &rc.State, &due, &rc.Attempts, &rc.Path, &rc.Host, &rc.Reply.Code, &rc.Reply.Enhanced,
			&rc.Reply.Text, &hold, &rc.Category, &rc.Reason, &rc.Notify, &rc.ORCPT, &updated); err != nil {
			return nil, err
		}
		if hold != "" {
			// Apart from the reply, which stays empty until a server
			// answers: no server said the hold.
			rc.Hold = &Reply{Stage: "shaping", Text: hold}
		}
		if w, ok := r.waits.Load(rc.ID); ok && rc.State == StateInflight {
			// In flight, but waiting for its turn in this relay's
			// shaping: not being sent yet.
			rc.Hold = &Reply{Stage: "shaping", Text: w.(string)}
		}
		if WaitsForTurn(rc) {
			// This relay's wait, or another process's as the store has
			// it (markWaiting).
			rc.Category, rc.Reason = "shaping", rc.Hold.Text
		}
		if due.Valid && due.Int64 != heldDue {
			rc.Due = time.Unix(0, due.Int64).UTC()
		}
		rc.Updated = time.Unix(0, updated).UTC()
		out = append(out, rc)
	}
	return out, rows.Err()
}

// Message returns one message with its recipients and data.
func (r *Relay) Message(ctx context.Context, id string) (MessageInfo, error) {
	row := r.store.DB().QueryRowContext(ctx, `SELECT id, sender, envid, ret, is_dsn, dsn_for, auth_user, client, size, created_ns, expires_ns
		FROM relay_messages WHERE id = ?`, id)
	m, err := scanMessage(row)
	if errors.Is(err, sql.ErrNoRows) {
		return m, r.notFound(ctx, id)
	}
	if err != nil {
		return m, err
	}
	if err := r.store.DB().QueryRowContext(ctx, `SELECT data FROM relay_messages WHERE id = ?`, id).Scan(&m.Data); err != nil {
		return m, err
	}
	if m.Recipients, err = r.recipients(ctx, id); err != nil {
		return m, err
	}
	if err := r.lastOutcomes(ctx, id, m.Recipients); err != nil {
		return m, err
	}
	if err := r.fillOperatorHolds(ctx, id, m.Recipients); err != nil {
		return m, err
	}
	if err := r.dsnReports(ctx, id, m.Recipients); err != nil {
		return m, err
	}
	return m, r.hops(ctx, id, m.Recipients)
}

// hopsSQL reads one message's attempts through the partial index on
// message (see lastOutcomesSQL).
const hopsSQL = `SELECT recipient, time_ns, payload FROM events INDEXED BY events_message WHERE message = ? AND message != '' AND kind = ? ORDER BY id`

// hops fills in each recipient's Hops from the message's relay.attempt
// events.
func (r *Relay) hops(ctx context.Context, id string, rcpts []RecipientInfo) error {
	rows, err := r.store.DB().QueryContext(ctx, hopsSQL, id, events.RelayAttempt)
	if err != nil {
		return err
	}
	defer rows.Close()
	by := map[string]*RecipientInfo{}
	for i := range rcpts {
		by[rcpts[i].Address] = &rcpts[i]
	}
	for rows.Next() {
		var (
			addr, payload string
			tns           int64
		)
		if err := rows.Scan(&addr, &tns, &payload); err != nil {
			return err
		}
		rc := by[addr]
		if rc == nil {
			continue
		}
		var pl struct {
			Attempt  int           `json:"attempt"`
			Path     string        `json:"path"`
			Host     string        `json:"host"`
			Reply    Reply         `json:"reply"`
			Skipped  []SkippedPath `json:"skipped"`
			Category string        `json:"category"`
			Reason   string        `json:"reason"`
			Advice   string        `json:"advice"`
		}
		if json.Unmarshal([]byte(payload), &pl) != nil {
			continue
		}
		rc.Hops = append(rc.Hops, Hop{Attempt: pl.Attempt, Time: time.Unix(0, tns).UTC(), Path: pl.Path, Host: pl.Host, Reply: pl.Reply, Skipped: pl.Skipped,
			Category: pl.Category, Reason: pl.Reason, Advice: pl.Advice})
	}
	return rows.Err()
}

// lastOutcomesSQL and deletedAtSQL read one message's events through the
// partial index on message (the test that message is not empty lets
// SQLite use it: a bound value alone cannot prove it non-empty), named so
// that the planner does not pick the index on kind instead, which reads
// every event of the kind in the log.
const (
	lastOutcomesSQL = `SELECT recipient, payload FROM events INDEXED BY events_message WHERE message = ? AND message != '' AND kind IN (?, ?, ?, ?, ?)
		ORDER BY id DESC`
	deletedAtSQL = `SELECT MAX(time_ns) FROM events INDEXED BY events_message WHERE message = ? AND message != '' AND kind = ? AND json_extract(payload, '$.category') = 'deleted'`
)

// lastOutcomes fills in what the recipients' rows do not keep, from each
// one's last outcome event: the advice, the stage of the last reply, and
// the reason of a suppression. It reads the message's events by the
// events_message index, newest first.
func (r *Relay) lastOutcomes(ctx context.Context, id string, rcpts []RecipientInfo) error {
	rows, err := r.store.DB().QueryContext(ctx, lastOutcomesSQL, id, events.RelayDeferred, events.RelayBounced, events.RelayExpired, events.RelaySuppressed, events.RelayDelivered)
	if err != nil {
		return err
	}
	defer rows.Close()
	// The advice and reason are the last outcome's; the stage is that of
	// the last outcome whose reply is the row's, which for a recipient
	// held since (a hold keeps the server's reply) is an earlier one.
	seen, staged := map[string]bool{}, map[string]bool{}
	for rows.Next() && len(staged) < len(rcpts) {
		var addr, payload string
		if err := rows.Scan(&addr, &payload); err != nil {
			return err
		}
		if staged[addr] {
			continue
		}
		first := !seen[addr]
		seen[addr] = true
		var pl struct {
			Reply        Reply  `json:"reply"`
			Category     string `json:"category"`
			LastCategory string `json:"last_category"`
			Reason       string `json:"reason"`
			Advice       string `json:"advice"`
		}
		if json.Unmarshal([]byte(payload), &pl) != nil {
			continue
		}
		for i := range rcpts {
			rc := &rcpts[i]
			if rc.Address != addr {
				continue
			}
			if first {
				rc.Advice = pl.Advice
				rc.Reason = outcomeReason(*rc, pl.Category, pl.LastCategory, pl.Reason)
			}
			switch {
			case rc.Reply.Stage == "" && rc.Reply.Code == pl.Reply.Code && rc.Reply.Text == pl.Reply.Text:
				rc.Reply.Stage = pl.Reply.Stage
				staged[addr] = true
			case pl.Reply.Stage != "shaping":
				staged[addr] = true // a reply of another stage: the row's is not among them
			}
		}
	}
	return rows.Err()
}

// outcomeReason is the reason to show for rc, whose last outcome event
// gave reason for category (last, the category of the failure an expiry
// followed). The row keeps the classification's reason, said of every
// reply of its category; the event's says what happened to this
// recipient (a hold that outlasts the message, the retry policy giving
// up), so it is preferred where it is about the row's category: not when
// a hold came since, whose reason the row holds. An expiry's row keeps
// the last failure's reason ("..., so it is retried"), which an expired
// recipient is not: its event's reason says why it stopped.
func outcomeReason(rc RecipientInfo, category, last, reason string) string {
	switch {
	case reason == "":
		return rc.Reason
	case rc.State == StateExpired && last != "" && !strings.Contains(reason, last):
		return reason + " (the last attempt failed as " + last + ")"
	case rc.State == StateExpired, rc.Reason == "", category == rc.Category:
		return reason
	}
	return rc.Reason
}

// DeletedError is the ErrNotFound of a message that was deleted by hand:
// it is gone from the queue, but its history stays in the event log.
type DeletedError struct {
	ID string
	At time.Time
}

func (e *DeletedError) Error() string {
	return fmt.Sprintf("%s was deleted from the queue by hand at %s; its history stays in the event log (`relaylab report`)", e.ID, e.At.UTC().Format(time.RFC3339))
}

// Is makes a DeletedError an ErrNotFound.
func (e *DeletedError) Is(target error) bool { return target == ErrNotFound }

// notFound is the error for an id that is not in the queue: a
// DeletedError when its events say it was deleted by hand.
func (r *Relay) notFound(ctx context.Context, id string) error {
	var at sql.NullInt64
	err := r.store.DB().QueryRowContext(ctx, deletedAtSQL, id, events.RelayExpired).Scan(&at)
	if err == nil && at.Valid {
		return &DeletedError{ID: id, At: time.Unix(0, at.Int64)}
	}
	return fmt.Errorf("%w: %s", ErrNotFound, id)
}

// RetryNow makes the message's waiting recipients due now, except those
// the relay's own shaping holds back (HeldBack), whose next attempt is
// the hold's end, and those held by hand, which stay held (OperatorHolds
// lists them); it returns how many recipients were waiting, those held by
// hand left out. A message whose waiting recipients are all held by hand
// is refused with a *HeldError (an ErrNotWaiting) that says who held them
// and how to release them.
func (r *Relay) RetryNow(ctx context.Context, id string) (int, error) {
	var n int64
	now := r.clock.Now()
	// A retry lifts no hold of the relay's own shaping: a held recipient's
	// next attempt is the hold's end, not now, so that queue show and
	// list say when it is tried, as queue retry does.
	held, err := r.Holds(ctx, id)
	if err != nil {
		return 0, err
	}
	err = r.store.Write(ctx, func(tx *store.Tx) error {
		var one int
		if err := tx.QueryRow(`SELECT 1 FROM relay_messages WHERE id = ?`, id).Scan(&one); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return r.notFound(ctx, id)
			}
			return err
		}
		// A hold by hand stays: a retry (of the whole queue, say) must
		// not send what someone held on purpose; ReleaseBy lifts it.
		res, err := tx.Exec(`UPDATE relay_recipients SET due_ns = ?, updated_ns = ? WHERE message_id = ? AND due_ns IS NOT NULL AND state != ?`, now.UnixNano(), now.UnixNano(), id, StateHeld)
		if err != nil {
			return err
		}
		if n, _ = res.RowsAffected(); n > 0 {
			for _, h := range held {
				due := h.Until
				if !h.Expires.IsZero() {
					due = h.Expires // its last try, as the relay would have it
				}
				if _, err := tx.Exec(`UPDATE relay_recipients SET due_ns = ? WHERE message_id = ? AND address = ? AND due_ns IS NOT NULL AND state != 'held'`,
					due.UnixNano(), id, h.Address); err != nil {
					return err
				}
			}
			return nil
		}
		// Nothing waits for a time: say where the recipients are.
		if holds, err := heldByHand(tx.Query, id); err != nil {
			return err
		} else if len(holds) > 0 {
			return &HeldError{ID: id, Holds: holds}
		}
		var states string
		if err := tx.QueryRow(`SELECT group_concat(DISTINCT state) FROM relay_recipients WHERE message_id = ?`, id).Scan(&states); err != nil {
			return err
		}
		return fmt.Errorf("%s is %s, %w; nothing to retry", id, strings.ReplaceAll(states, ",", "/"), ErrNotWaiting)
	})
	if n > 0 {
		r.kick()
	}
	return int(n), err
}

// Holds lists the message's waiting recipients that a retry cannot make
// due now: those HeldBack finds by the configuration in force, and those
// held by what the store recorded, whose cause the configuration does not
// have: a window of a route it has no windows of (knowsWindows; a
// window's hold records no path: nothing was tried), until the end the
// hold names; and on a last path it does not have, a cap or rest its hold
// names, or a rest the store recorded of that path's destination (the
// rest of a relay.attempt's 421, which holds the recipient that met it
// too, whose row has the 421 and no hold), whichever ends later. Those
// are the mail of a relay that runs with another configuration, its
// store read with the built-in one (queue retry --db without --config):
// HeldBack would route them over the built-in paths and route and find
// none of their rests or windows.
func (r *Relay) Holds(ctx context.Context, id string) ([]Held, error) {
	held, err := r.HeldBack(ctx, id)
	if err != nil {
		return nil, err
	}
	now := r.clock.Now()
	rows, err := r.store.DB().QueryContext(ctx, `SELECT address, attempts, path, host, hold, due_ns FROM relay_recipients
		WHERE message_id = ? AND state IN ('queued', 'deferred') AND (hold != '' OR path != '') AND due_ns > ? ORDER BY id`, id, now.UnixNano())
	if err != nil {
		return nil, err
	}
	type row struct {
		w   waitingRcpt
		due int64
	}
	var waiting []row
	for rows.Next() {
		var w row
		if err := rows.Scan(&w.w.address, &w.w.attempts, &w.w.path, &w.w.host, &w.w.hold, &w.due); err != nil {
			rows.Close()
			return nil, err
		}
		waiting = append(waiting, w)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var (
		rests  map[string]time.Time // the store's, read once a path needs them
		causes map[string]restCause
	)
	for _, wr := range waiting {
		w, due := wr.w, wr.due
		if slices.ContainsFunc(held, func(h Held) bool { return h.Address == w.address }) {
			continue
		}
		if route, ok := WindowHoldRoute(w.hold); ok {
			if r.knowsWindows(route) {
				continue // HeldBack went by the route's windows as configured now
			}
		} else if w.path == "" || r.paths[w.path] != nil {
			continue
		}
		// The hold's end as its text names it (the next attempt may be
		// later, by the retry schedule, which a retry moves).
		var until time.Time
		text := w.hold
		if w.hold != "" {
			if until = HoldEnd(w.hold); until.IsZero() {
				until = time.Unix(0, due).UTC()
			}
		}
		if w.path != "" {
			if rests == nil {
				if rests, causes, err = r.restsWithin(ctx, now, recordedRestLookback); err != nil {
					return nil, err
				}
			}
			if key, u, ok := recordedRestOf(rests, w.path, w); ok && u.After(until) {
				until, text = u, restText(key, u, causes[key].forOperator())
			}
		}
		if !until.After(now) {
			continue
		}
		held = append(held, Held{Address: w.address, Until: until.UTC(), Reply: Reply{Stage: "shaping", Text: text}})
	}
	if len(held) == 0 {
		return held, nil
	}
	// A hold that outlasts the message: the relay tries it one last time
	// at its expiry (record.go), still held, and it expires unsent.
	var expires int64
	if err := r.store.DB().QueryRowContext(ctx, `SELECT expires_ns FROM relay_messages WHERE id = ?`, id).Scan(&expires); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	if expires > 0 {
		at := time.Unix(0, expires).UTC()
		for i := range held {
			if held[i].Until.After(at) {
				held[i].Expires = at
			}
		}
	}
	return held, nil
}

// Delete removes a message from the queue. Recipients still waiting get
// their terminal event (expired, deleted by hand). A message with no
// recipient waiting is refused with ErrNotWaiting: deleting it would only
// take its history away from the queue API while its events remain. One
// with a recipient in flight while a relay sends (this one, or another
// process's with Options.SharedQueue) is refused with ErrInFlight: the
// attempt under way would still deliver it, and its outcome would be
// lost. Recipients in flight on a stopped relay (left by a crash, tried
// again at its next start) are deleted as waiting ones are.
func (r *Relay) Delete(ctx context.Context, id string) error {
	return r.DeleteBy(ctx, id, "")
}

// DeleteBy is Delete, with who asked for it ("the web API", "relaylab
// queue delete") for the log line that says what was deleted, as every
// other end of a recipient has one (logOutcomes); "" when not known.
func (r *Relay) DeleteBy(ctx context.Context, id, by string) error {
	now := r.clock.Now()
	var (
		deleted []string // the waiting recipients deleted
		dsnOf   string
	)
	err := r.store.Write(ctx, func(tx *store.Tx) error {
		deleted, dsnOf = nil, ""
		rows, err := tx.Query(`SELECT address, state, attempts, code, enhanced, reply, category FROM relay_recipients WHERE message_id = ?`, id)
		if err != nil {
			return err
		}
		var (
			waiting  []deletedRecipient
			done     []string
			inflight []string
		)
		for rows.Next() {
			var (
				d     deletedRecipient
				state string
			)
			if err := rows.Scan(&d.address, &state, &d.attempts, &d.code, &d.enhanced, &d.text, &d.category); err != nil {
				rows.Close()
				return err
			}
			switch state {
			case StateInflight:
				inflight = append(inflight, d.address)
				waiting = append(waiting, d)
			case StateQueued, StateDeferred, StateHeld:
				waiting = append(waiting, d)
			default:
				if !slices.Contains(done, state) {
					done = append(done, state)
				}
			}
		}
		if err := rows.Err(); err != nil {
			rows.Close()
			return err
		}
		rows.Close()
		if len(waiting) == 0 && len(done) > 0 {
			return fmt.Errorf("%s is %s, %w; nothing to delete", id, strings.Join(done, "/"), ErrNotWaiting)
		}
		if len(inflight) > 0 && (r.sending.Load() || r.sharedQueue) {
			return fmt.Errorf("%s is %w to %s: the relay is attempting it now, and deleting it would not stop that attempt, whose outcome (a delivery, a bounce) would then go unrecorded; delete it once the attempt ends (relaylab queue show %s shows when), or stop the relay first",
				id, ErrInFlight, strings.Join(inflight, ", "), id)
		}
		var dsnFor string
		if err := tx.QueryRow(`SELECT dsn_for FROM relay_messages WHERE id = ?`, id).Scan(&dsnFor); err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		res, err := tx.Exec(`DELETE FROM relay_messages WHERE id = ?`, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return r.notFound(ctx, id)
		}
		if _, err := tx.Exec(`DELETE FROM relay_recipients WHERE message_id = ?`, id); err != nil {
			return err
		}
		for _, d := range waiting {
			// As the retry policy's expiry says: how far it got, the last
			// reply and its category, why it ended and what follows.
			pl := map[string]any{
				"reason": "deleted from the queue by an operator", "category": "deleted", "attempts": d.attempts,
				"advice": "nothing more is sent to this recipient, and no DSN goes to the sender: submit the message again if it should still go out",
			}
			if d.code != 0 || d.text != "" {
				pl["reply"] = Reply{Code: d.code, Enhanced: d.enhanced, Text: d.text}
			}
			if d.category != "" {
				pl["last_category"] = d.category
			}
			if _, err := tx.Append(events.Event{Kind: events.RelayExpired, Time: now, Message: id, Recipient: d.address}.WithPayload(withDSNFor(pl, dsnFor))); err != nil {
				return err
			}
			deleted = append(deleted, d.address)
		}
		dsnOf = dsnFor
		return nil
	})
	if err != nil {
		return err
	}
	args := []any{"id", id}
	if dsnOf != "" {
		args = append(args, "dsn_for", dsnOf)
	}
	args = append(args, "recipients", len(deleted), "to", strings.Join(deleted, ", "))
	if by != "" {
		args = append(args, "by", by)
	}
	r.log.Info("relay: deleted", args...)
	return nil
}

// deletedRecipient is a waiting recipient of a message deleted by hand,
// with what its attempts so far left.
type deletedRecipient struct {
	address, enhanced, text, category string
	attempts, code                    int
}

// bounceAddress receives incoming DSNs.
func (r *Relay) bounceAddress() string {
	if r.cfg.DSN.BounceAddress != "" {
		return normAddr(r.cfg.DSN.BounceAddress)
	}
	return "bounces@" + strings.ToLower(r.cfg.Hostname)
}

// dsnRefusal says why a message to the bounce address is of no use to the
// relay; the submission listener answers it with a 550. err, if any, is
// the detail for the log.
type dsnRefusal struct {
	reason string
	err    error
}

func (e *dsnRefusal) Error() string { return e.reason }
func (e *dsnRefusal) Unwrap() error { return e.err }

func refuseDSN(format string, args ...any) error {
	return &dsnRefusal{reason: fmt.Sprintf(format, args...)}
}

// receiveDSN is receiveDSNAs for a DSN that nothing carries on.
func (r *Relay) receiveDSN(ctx context.Context, to []string, data []byte) (string, error) {
	return r.receiveDSNAs(ctx, to, data, "", true)
}

// receiveDSNFrom is receiveDSN for a DSN from an SMTP client; trusted
// says whether it may submit (AUTH, or allowed_networks): one that may
// not is matched only by a VERP tag with its MAC (matchBounce).
func (r *Relay) receiveDSNFrom(ctx context.Context, to []string, data []byte, trusted bool) (string, error) {
	return r.receiveDSNAs(ctx, to, data, "", trusted)
}

// receiveDSNAs matches an incoming DSN to the message it reports on (by
// the VERP tag of the address it came to, else by ENVID, else by the
// relay's Received field in the returned headers) and marks each failed
// recipient bounced, suppressing it on a permanent failure. A recipient
// it reports on without a failure (delayed, delivered, relayed,
// expanded) keeps its state: its events.RelayDSNReceived records what the DSN
// says. It decides before the caller replies: nil means recorded (or
// recorded before: a DSN sent again finds its recipients bounced
// already), a *dsnRefusal means the relay cannot use the message, any
// other error is the store's; with nil comes the id of the message the
// DSN reports on. The submission listener (and Enqueue) also calls it,
// with no addresses, for a DSN that comes in as mail to relay to the
// original sender, as message carrier, which its events name.
func (r *Relay) receiveDSNAs(ctx context.Context, to []string, data []byte, carrier string, trusted bool) (string, error) {
	p, err := dsn.Parse(data)
	if err != nil {
		why := "it cannot be read as one"
		switch {
		case errors.Is(err, dsn.ErrNotReport):
			why = "it has no message/delivery-status part"
		case errors.Is(err, dsn.ErrMalformed):
			why = "its delivery-status part is malformed"
		}
		return "", &dsnRefusal{err: err, reason: "Not a delivery status notification (RFC 3464): " + why +
			"; this address takes only DSNs for mail this relay sent"}
	}
	now := r.clock.Now()
	var (
		about   string
		late    []lateBounce // for the log, once written
		reports []reportLine // likewise
	)
	wrote := false // a DSN to the sender may be queued: the scheduler looks
	err = r.store.Write(ctx, func(tx *store.Tx) error {
		late, reports = nil, nil
		m, err := matchBounce(tx, r.bounceKey, to, p, r.cfg.Hostname, trusted)
		if err != nil {
			return err
		}
		id, msgID := m.id, ""
		if m.verp {
			msgID = id
		}
		if id == "" {
			return refuseDSN("Not a delivery status notification for a message this relay sent: no VERP tag in the address, no ENVID it knows and no Received field of this relay in the returned headers")
		}
		var one int
		if err := tx.QueryRow(`SELECT 1 FROM relay_messages WHERE id = ?`, id).Scan(&one); errors.Is(err, sql.ErrNoRows) {
			return refuseDSN("Not a delivery status notification for a message this relay sent: its VERP tag names no message in the queue or its history")
		} else if err != nil {
			return err
		}
		matched, failed := 0, 0
		var (
			bounced []dsnEntry // recorded now, from a DSN that came to the relay's own address
			delays  []dsnEntry // delays reported so, which the sender hears of from the relay
		)
		for _, rc := range p.Report.Recipients {
			rid, addr, state, ok, err := recipientOf(tx, id, rc)
			if err != nil {
				return err
			}
			// A return path signed for another domain vouches for
			// none of this one's recipients.
			ok = ok && m.vouchesFor(addr)
			if rc.Action != dsn.ActionFailed {
				// A delay or a success, reported for the NOTIFY the relay
				// passed on: recorded as what it says, never as a bounce.
				if !ok {
					continue
				}
				rr, e, err := reportTx(tx, p, rc, id, rid, addr, state, carrier, msgID != "", now)
				if err != nil {
					return err
				}
				reports = append(reports, reportLine{to: addr, r: rr})
				if e != nil {
					delays = append(delays, *e)
				}
				continue
			}
			failed++
			if !ok {
				continue
			}
			if state == StateBounced {
				matched++ // recorded already: this DSN was sent before
				continue
			}
			rep := dsnReply(rc)
			if rep.Code == 0 && strings.HasPrefix(rc.Status, "5") {
				rep.Code = 550
			}
			v := r.classify.Classify(rep)
			if _, err := tx.Exec(`UPDATE relay_recipients SET state = ?, due_ns = NULL, code = ?, enhanced = ?, reply = ?, category = ?, reason = ?, updated_ns = ? WHERE id = ?`,
				StateBounced, rep.Code, rep.Enhanced, rep.Text, v.Category, v.Reason, now.UnixNano(), rid); err != nil {
				return err
			}
			pl := map[string]any{
				"async": true, "previous_state": state, "reply": rep, "category": v.Category, "reason": v.Reason, "advice": v.Advice,
				"reporting_mta": p.Report.ReportingMTA, "remote_mta": rc.RemoteMTA,
			}
			if carrier != "" {
				pl["relayed_as"] = carrier // the message carrying it on to the sender
			}
			if strings.HasPrefix(rc.Status, "5") && !r.cfg.Suppression.Disabled {
				if err := r.suppressTx(tx, addr, v.Category, rep.String(), "dsn", now); err != nil {
					return err
				}
				pl["suppressed"] = true
				pl["suppression_reason"] = bounceSuppressionReason(v.Category, rep)
			}
			if _, err := tx.Append(events.Event{Kind: events.RelayBounced, Time: now, Message: id, Recipient: addr}.WithPayload(pl)); err != nil {
				return err
			}
			late = append(late, lateBounce{to: addr, id: id, previous: state, reply: rep, category: v.Category, reason: v.Reason, advice: v.Advice,
				reporter: p.Report.ReportingMTA, suppressed: pl["suppressed"] == true})
			matched++
			if msgID != "" {
				bounced = append(bounced, dsnEntry{c: claimed{id: rid, msgID: id, address: addr},
					o: outcome{reply: rep, verdict: v, host: strings.TrimSpace(strings.TrimPrefix(rc.RemoteMTA, "dns;"))}})
			}
		}
		if err := r.passOnTx(tx, id, bounced, false, now); err != nil {
			return err
		}
		if err := r.passOnTx(tx, id, delays, true, now); err != nil {
			return err
		}
		wrote = len(bounced) > 0 || len(delays) > 0
		switch {
		case failed == 0 && len(p.Report.Recipients) > 0:
			// Delayed, delivered, relayed or expanded: an upstream MTA
			// answering the NOTIFY the relay passed on. Taken (a refusal
			// would count as a failed delivery over there), with what
			// it says recorded for the recipients it names.
			if len(reports) == 0 {
				r.log.Info("relay: a DSN that reports no failure was taken; it names none of the message's recipients, so nothing was recorded", "message", id, "recipients", len(p.Report.Recipients))
			}
			about = id
			return nil
		case failed == 0:
			return refuseDSN("This DSN lists no recipient, so there is nothing to record")
		case matched == 0:
			return refuseDSN("Not a delivery status notification for a message this relay sent: it names none of its message's recipients")
		}
		about = id
		return nil
	})
	if err == nil {
		r.logLateBounces(late)
		r.logReports(about, reports)
	}
	if err == nil && wrote {
		r.kick()
	}
	return about, err
}

// lateBounce is a recipient a DSN that came back later reported failed.
type lateBounce struct {
	to, id, previous string
	reply            Reply
	category         string
	reason, advice   string // the verdict's, as the event has them
	reporter         string // the DSN's Reporting-MTA
	suppressed       bool
}

// logLateBounces logs each recipient a late DSN bounced, once written, as
// logOutcomes logs the relay's own outcomes: the recipient, the message,
// async (the upstream took the message, then sent a DSN), its state
// before, the reply the DSN gave, its category and enhanced code, the MTA
// that reported it, whether the address was suppressed, and the reason
// and advice the event has.
func (r *Relay) logLateBounces(late []lateBounce) {
	for _, b := range late {
		args := []any{"to", b.to, "id", b.id, "async", true, "previous_state", b.previous, "reply", b.reply.String(), "category", b.category}
		if b.reply.Enhanced != "" {
			args = append(args, "enhanced", b.reply.Enhanced)
		}
		if b.reporter != "" {
			args = append(args, "reporting_mta", b.reporter)
		}
		if b.suppressed {
			args = append(args, "suppressed", true)
		}
		if b.reason != "" {
			args = append(args, "reason", b.reason)
		}
		if b.advice != "" {
			args = append(args, "advice", b.advice)
		}
		r.log.Info("relay: bounced", args...)
	}
}

// passOnTx writes the sender of message id a DSN about the recipients a
// late bounce reported (entries; with delayed, those a delayed DSN
// reported), when that DSN came to the relay's VERP address rather than
// to the sender: the relay rewrote the return path, so the sender hears
// of the failure (or the delay) only from the relay, as of one the relay
// met itself. A sender that is the bounce address got the DSN already,
// and a DSN about a DSN, or to the null reverse path, is never written,
// nor one NOTIFY does not ask for (notifyTx).
func (r *Relay) passOnTx(tx *store.Tx, id string, entries []dsnEntry, delayed bool, now time.Time) error {
	if len(entries) == 0 {
		return nil
	}
	msg := messageRow{id: id}
	var created, expires int64
	if err := tx.QueryRow(`SELECT sender, envid, ret, is_dsn, created_ns, expires_ns, data FROM relay_messages WHERE id = ?`, id).
		Scan(&msg.sender, &msg.envid, &msg.ret, &msg.isDSN, &created, &expires, &msg.data); err != nil {
		return err
	}
	if normAddr(msg.sender) == r.bounceAddress() {
		return nil
	}
	msg.created = time.Unix(0, created)
	for i, e := range entries {
		if err := tx.QueryRow(`SELECT orcpt, notify FROM relay_recipients WHERE id = ?`, e.c.id).Scan(&entries[i].c.orcpt, &entries[i].c.notify); err != nil {
			return err
		}
	}
	return r.notifyTx(tx, msg, entries, delayed, now)
}
