package relay

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/relaylab/relaylab/internal/events"
	"github.com/relaylab/relaylab/internal/store"
)

// StateHeld is the state of a waiting recipient an operator put on hold
// (HoldBy, Postfix's postsuper -h): the relay does not try it until it is
// released (ReleaseBy, postsuper -H). It stays in the queue, counted as
// waiting (Depth, Waiting, OldestWaiting, List's "waiting"), so that a
// hold forgotten shows up as mail that ages; it does not expire while
// held, and gets no delay warning.
const StateHeld = "held"

// heldDue is the due time of a held recipient: past any clock, so that
// its row stays in the index of waiting recipients (what counts the
// queue) while no claim ever reaches it.
const heldDue int64 = math.MaxInt64

// ErrNotHeld is returned by ReleaseBy, with ErrNotWaiting, when no
// recipient it names is held nor waits: the mail is finished, and there
// is nothing to release. Mail still waiting that is not held is no
// error: a release of it changes nothing, as a hold of held mail.
var ErrNotHeld = errors.New("not held")

// ErrNoRecipient is returned by HoldBy and ReleaseBy for a recipient the
// message does not have.
var ErrNoRecipient = errors.New("no such recipient")

// OperatorHold says who put a recipient on hold, since when, and the
// note they gave (RecipientInfo.OperatorHold, from its relay.held event).
type OperatorHold struct {
	Address string    `json:"address,omitempty"`
	By      string    `json:"by"`
	Since   time.Time `json:"since"`
	Note    string    `json:"note,omitempty"`
}

// HeldError is RetryNow's error for a message whose waiting recipients
// are all held by hand: a retry does not release a hold (as Postfix's
// flush leaves its hold queue alone), ReleaseBy does. It is an
// ErrNotWaiting.
type HeldError struct {
	ID    string
	Holds []OperatorHold
	// Release is how the caller's users release the hold, in the
	// caller's terms (the web API sets "POST /api/v1/queue/ID/release"
	// before it answers); "" names the CLI's `relaylab queue release ID`.
	Release string
}

func (e *HeldError) Error() string {
	var who []string
	for _, h := range e.Holds {
		who = append(who, h.describe())
	}
	release := e.Release
	if release == "" {
		release = "`relaylab queue release " + e.ID + "`"
	}
	return fmt.Sprintf("%s is held by hand (%s): a retry does not release a hold, so that a retry of the whole queue cannot send what someone held on purpose; %s releases it and sends it at once",
		e.ID, strings.Join(who, "; "), release)
}

// Is makes a HeldError an ErrNotWaiting: nothing waits for the relay.
func (e *HeldError) Is(target error) bool { return target == ErrNotWaiting }

// describe is "ADDR held by BY since T (NOTE)".
func (h OperatorHold) describe() string {
	s := h.Address + " held by " + h.By
	if !h.Since.IsZero() {
		s += " since " + h.Since.UTC().Format(time.RFC3339)
	}
	if h.Note != "" {
		s += " (" + h.Note + ")"
	}
	return s
}

// holdAdvice is the advice a held recipient shows (queue show, List, the
// web API's queue): how to release it, by the CLI and by the API, as
// both read it.
func holdAdvice(id string) string {
	return "nothing is sent to it until it is released: `relaylab queue release " + id + "`, or POST /api/v1/queue/" + id + "/release (a retry does not release it); it does not expire while held"
}

// heldRow is a recipient row HoldBy and ReleaseBy read.
type heldRow struct {
	rid      int64
	address  string
	state    string
	attempts int
	due      sql.NullInt64
}

// targetRows reads the recipients of message id, those whose address is
// rcpt (any case) when rcpt is not "". verb ("hold", "release") words the
// errors.
func (r *Relay) targetRows(ctx context.Context, tx *store.Tx, id, rcpt, verb string) ([]heldRow, error) {
	rows, err := tx.Query(`SELECT id, address, state, attempts, due_ns FROM relay_recipients WHERE message_id = ? ORDER BY id`, id)
	if err != nil {
		return nil, err
	}
	var all, out []heldRow
	for rows.Next() {
		var h heldRow
		if err := rows.Scan(&h.rid, &h.address, &h.state, &h.attempts, &h.due); err != nil {
			rows.Close()
			return nil, err
		}
		all = append(all, h)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if len(all) == 0 {
		return nil, r.notFound(ctx, id)
	}
	for _, h := range all {
		if rcpt == "" || strings.EqualFold(h.address, strings.TrimSpace(rcpt)) || normAddr(h.address) == normAddr(rcpt) {
			out = append(out, h)
		}
	}
	if len(out) == 0 {
		var addrs []string
		for _, h := range all {
			addrs = append(addrs, h.address)
		}
		return nil, fmt.Errorf("%s has no recipient %s, %w to %s; its recipients are %s", id, rcpt, ErrNoRecipient, verb, strings.Join(addrs, ", "))
	}
	return out, nil
}

// HoldBy puts on hold the waiting recipients of message id (rcpt "":
// all of them; else that one), for by ("relaylab queue hold, user
// alice", "the web API"), with an optional note: each becomes StateHeld,
// is not tried until ReleaseBy, and gets a relay.held event. The hold is
// in the store: it outlasts a restart, a crash too. It returns the
// addresses held now; recipients held already keep their hold (by whom
// and since when) and are not among them, and with no other it returns
// none and no error. A recipient in flight while a relay sends (this
// one, or another process's with Options.SharedQueue) is refused with
// ErrInFlight, as Delete refuses it; when no recipient it names waits,
// ErrNotWaiting.
func (r *Relay) HoldBy(ctx context.Context, id, rcpt, by, note string) ([]string, error) {
	if by == "" {
		by = "an operator"
	}
	now := r.clock.Now()
	var held []string
	err := r.store.Write(ctx, func(tx *store.Tx) error {
		held = nil
		rows, err := r.targetRows(ctx, tx, id, rcpt, "hold")
		if err != nil {
			return err
		}
		var (
			hold           []heldRow
			inflight, done []string
			already        int
		)
		for _, h := range rows {
			switch h.state {
			case StateQueued, StateDeferred:
				hold = append(hold, h)
			case StateInflight:
				// Left by a stopped relay: held as a waiting one is (the
				// next start's recovery leaves held rows alone).
				inflight = append(inflight, h.address)
				hold = append(hold, h)
			case StateHeld:
				already++
			default:
				if !slices.Contains(done, h.state) {
					done = append(done, h.state)
				}
			}
		}
		if len(inflight) > 0 && (r.sending.Load() || r.sharedQueue) {
			return fmt.Errorf("%s is %w to %s: the relay is attempting it now, and a hold cannot stop that attempt; hold it once the attempt ends (relaylab queue show %s shows when), if it is still waiting then",
				id, ErrInFlight, strings.Join(inflight, ", "), id)
		}
		if len(hold) == 0 && already == 0 {
			what := id
			if rcpt != "" && len(rows) > 0 {
				// One recipient of a message others of which may still
				// wait: say that this one is finished, not the message.
				what = "recipient " + rows[0].address + " of " + id
			}
			return fmt.Errorf("%s is %s, %w; nothing to hold", what, strings.Join(done, "/"), ErrNotWaiting)
		}
		for _, h := range hold {
			if _, err := tx.Exec(`UPDATE relay_recipients SET state = ?, due_ns = ?, hold = '', updated_ns = ? WHERE id = ?`,
				StateHeld, heldDue, now.UnixNano(), h.rid); err != nil {
				return err
			}
			pl := map[string]any{
				"by": by, "previous_state": h.state, "attempts": h.attempts,
				"reason": "put on hold by hand by " + by,
				"advice": holdAdvice(id),
			}
			if note != "" {
				pl["note"] = note
			}
			if h.due.Valid {
				pl["next_attempt"] = time.Unix(0, h.due.Int64).UTC() // what the hold put off
			}
			if _, err := tx.Append(events.Event{Kind: events.RelayHeld, Time: now, Message: id, Recipient: h.address}.WithPayload(pl)); err != nil {
				return err
			}
			held = append(held, h.address)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(held) > 0 {
		args := []any{"id", id, "recipients", len(held), "to", strings.Join(held, ", "), "by", by}
		if note != "" {
			args = append(args, "note", note)
		}
		r.log.Info("relay: held by hand", args...)
	}
	return held, nil
}

// ReleaseBy releases the recipients of message id that HoldBy held (rcpt
// "": all of them; else that one), for by: each is due now, queued again
// (deferred when it had attempts), with a relay.released event. A
// recipient whose message outlived the retry policy's max_age while it
// was held is tried once, and expires if that attempt fails. It returns
// the addresses released. As Postfix's postsuper -H, a release of mail
// not held is no error: when none it names is held but one still waits
// (never held, or released already), it returns none and no error, and
// records nothing, as HoldBy of held mail; when none of them waits (the
// mail is finished), an error that is ErrNotWaiting and ErrNotHeld.
func (r *Relay) ReleaseBy(ctx context.Context, id, rcpt, by string) ([]string, error) {
	if by == "" {
		by = "an operator"
	}
	now := r.clock.Now()
	var released []string
	err := r.store.Write(ctx, func(tx *store.Tx) error {
		released = nil
		rows, err := r.targetRows(ctx, tx, id, rcpt, "release")
		if err != nil {
			return err
		}
		holds, err := operatorHolds(tx.Query, id)
		if err != nil {
			return err
		}
		var expires int64
		if err := tx.QueryRow(`SELECT expires_ns FROM relay_messages WHERE id = ?`, id).Scan(&expires); err != nil {
			return err
		}
		var (
			states  []string
			waiting bool
		)
		for _, h := range rows {
			if h.state != StateHeld {
				if !slices.Contains(states, h.state) {
					states = append(states, h.state)
				}
				waiting = waiting || h.state == StateQueued || h.state == StateDeferred || h.state == StateInflight
				continue
			}
			state := StateQueued
			if h.attempts > 0 {
				state = StateDeferred
			}
			if _, err := tx.Exec(`UPDATE relay_recipients SET state = ?, due_ns = ?, updated_ns = ? WHERE id = ? AND state = ?`,
				state, now.UnixNano(), now.UnixNano(), h.rid, StateHeld); err != nil {
				return err
			}
			was := holds[h.address]
			pl := map[string]any{
				"by": by, "state": state, "attempts": h.attempts, "held_by": was.By,
				"reason": "released from hold by " + by,
				"advice": "nothing; it is tried now",
			}
			if !was.Since.IsZero() {
				pl["held_since"] = was.Since.UTC()
			}
			if expires > 0 && now.UnixNano() >= expires {
				at := time.Unix(0, expires).UTC().Format(time.RFC3339)
				pl["reason"] = pl["reason"].(string) + "; the message passed the retry policy's max_age at " + at + " while held"
				pl["advice"] = "nothing; it is tried once now, and expires (its sender gets a DSN) if that attempt fails: submit it again if it must have more tries"
			}
			if _, err := tx.Append(events.Event{Kind: events.RelayReleased, Time: now, Message: id, Recipient: h.address}.WithPayload(pl)); err != nil {
				return err
			}
			released = append(released, h.address)
		}
		if len(released) == 0 && !waiting {
			what := id
			if rcpt != "" {
				what = "recipient " + rows[0].address + " of " + id
			}
			return fmt.Errorf("%s is %s, %w and so %w; nothing to release", what, strings.Join(states, "/"), ErrNotWaiting, ErrNotHeld)
		}
		return nil
	})
	if err != nil || len(released) == 0 {
		return nil, err
	}
	r.log.Info("relay: released from hold", "id", id, "recipients", len(released), "to", strings.Join(released, ", "), "by", by)
	r.kick()
	return released, nil
}

// OperatorHolds lists the recipients of message id held by hand, with
// who held them and since when.
func (r *Relay) OperatorHolds(ctx context.Context, id string) ([]OperatorHold, error) {
	return heldByHand(func(q string, args ...any) (*sql.Rows, error) { return r.store.DB().QueryContext(ctx, q, args...) }, id)
}

// heldByHand is OperatorHolds over query (the store's, or a write's).
func heldByHand(query func(string, ...any) (*sql.Rows, error), id string) ([]OperatorHold, error) {
	rows, err := query(`SELECT address FROM relay_recipients WHERE message_id = ? AND state = ? ORDER BY id`, id, StateHeld)
	if err != nil {
		return nil, err
	}
	var addrs []string
	for rows.Next() {
		var a string
		if err := rows.Scan(&a); err != nil {
			rows.Close()
			return nil, err
		}
		addrs = append(addrs, a)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(addrs) == 0 {
		return nil, err
	}
	by, err := operatorHolds(query, id)
	if err != nil {
		return nil, err
	}
	out := make([]OperatorHold, 0, len(addrs))
	for _, a := range addrs {
		h := by[a]
		h.Address = a
		out = append(out, h)
	}
	return out, nil
}

// holdEventsSQL reads a message's relay.held and relay.released events
// through the partial index on message (see lastOutcomesSQL).
const holdEventsSQL = `SELECT recipient, kind, time_ns, payload FROM events INDEXED BY events_message
	WHERE message = ? AND message != '' AND kind IN (?, ?) ORDER BY id`

// holdEvent is what a relay.held or relay.released event says.
type holdEvent struct {
	addr, kind string
	at         time.Time
	by, note   string
}

// holdEvents reads the holds and releases by hand of message id's
// recipients, oldest first.
func holdEvents(query func(string, ...any) (*sql.Rows, error), id string) ([]holdEvent, error) {
	rows, err := query(holdEventsSQL, id, events.RelayHeld, events.RelayReleased)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []holdEvent
	for rows.Next() {
		var (
			e       holdEvent
			payload string
			tns     int64
		)
		if err := rows.Scan(&e.addr, &e.kind, &tns, &payload); err != nil {
			return nil, err
		}
		var pl struct {
			By   string `json:"by"`
			Note string `json:"note"`
		}
		_ = json.Unmarshal([]byte(payload), &pl) // who and why are details: the time is the hold
		e.at, e.by, e.note = time.Unix(0, tns).UTC(), pl.By, pl.Note
		out = append(out, e)
	}
	return out, rows.Err()
}

// operatorHolds reads each recipient's last relay.held event of message
// id, by address: who held it, since when, and the note.
func operatorHolds(query func(string, ...any) (*sql.Rows, error), id string) (map[string]OperatorHold, error) {
	evs, err := holdEvents(query, id)
	if err != nil {
		return nil, err
	}
	out := map[string]OperatorHold{}
	for _, e := range evs {
		if e.kind == events.RelayHeld {
			out[e.addr] = OperatorHold{Address: e.addr, By: e.by, Since: e.at, Note: e.note}
		}
	}
	return out, nil
}

// fillOperatorHolds sets OperatorHold and the advice of the recipients
// of message id held by hand.
func (r *Relay) fillOperatorHolds(ctx context.Context, id string, rcpts []RecipientInfo) error {
	if !slices.ContainsFunc(rcpts, func(rc RecipientInfo) bool { return rc.State == StateHeld }) {
		return nil
	}
	by, err := operatorHolds(func(q string, args ...any) (*sql.Rows, error) { return r.store.DB().QueryContext(ctx, q, args...) }, id)
	if err != nil {
		return err
	}
	for i := range rcpts {
		rc := &rcpts[i]
		if rc.State != StateHeld {
			continue
		}
		h := by[rc.Address]
		h.Address = ""
		rc.OperatorHold = &h
		rc.Advice = holdAdvice(id)
	}
	return nil
}

// HandHold is a time a recipient was held by hand and then released:
// from its relay.held event to its relay.released one (the expiry's
// held_by_hand, after a release).
type HandHold struct {
	By         string    `json:"by"`
	From       time.Time `json:"from"`
	To         time.Time `json:"to"`
	ReleasedBy string    `json:"released_by,omitempty"`
}

// handHolds reads the holds by hand of recipient addr of message id that
// a release ended, oldest first.
func handHolds(query func(string, ...any) (*sql.Rows, error), id, addr string) ([]HandHold, error) {
	evs, err := holdEvents(query, id)
	if err != nil {
		return nil, err
	}
	var (
		out  []HandHold
		open *HandHold
	)
	for _, e := range evs {
		switch {
		case e.addr != addr:
		case e.kind == events.RelayHeld:
			open = &HandHold{By: e.by, From: e.at}
		case open != nil:
			open.To, open.ReleasedBy = e.at, e.by
			out = append(out, *open)
			open = nil
		}
	}
	return out, nil
}

// handHeldFor is how long the holds lasted in all, to the second: the
// log, queue show and the sender's DSN say it to people, for whom
// "2m24.23131826s" is noise.
func handHeldFor(holds []HandHold) time.Duration {
	var d time.Duration
	for _, h := range holds {
		d += h.To.Sub(h.From)
	}
	return d.Round(time.Second)
}

// heldPastExpiry reports whether one of the holds lasted past the
// message's expiry, expires: its release gave it one attempt.
func heldPastExpiry(holds []HandHold, expires time.Time) bool {
	return !expires.IsZero() && slices.ContainsFunc(holds, func(h HandHold) bool { return !h.From.After(expires) && !h.To.Before(expires) })
}

// handHoldReason says, after an expiry's "older than the maximum age
// (queued D ago)", how much of that time the recipient was held by hand,
// by whom and from when to when, and what the hold cost it: a hold past
// max_age (expires) left it the one attempt of its release; a shorter
// one, the attempts it would have had meanwhile. For the operator: the
// sender's DSN names no one (handHoldMeaning).
func handHoldReason(holds []HandHold, expires time.Time) string {
	var spans []string
	for _, h := range holds {
		s := "by " + cmp.Or(h.By, "an operator") + " from " + h.From.Format(time.RFC3339) + " to " + h.To.Format(time.RFC3339)
		if h.ReleasedBy != "" {
			s += " (released by " + h.ReleasedBy + ")"
		}
		spans = append(spans, s)
	}
	s := "it was held by hand for " + handHeldFor(holds).String() + " of that, " + strings.Join(spans, " and ")
	if heldPastExpiry(holds, expires) {
		return s + ", and passed its max_age at " + expires.UTC().Format(time.RFC3339) + " while held, so its release gave it one attempt"
	}
	return s + ", during which it was not tried"
}

// handHoldMeaning is the meaning, in a DSN to the sender, of an expiry
// after holds by hand, with attempts made and last, what the last
// attempt met: the time held and when, not who held it or why, which are
// the relay's operator's.
func handHoldMeaning(holds []HandHold, attempts int, last string) string {
	var spans []string
	for _, h := range holds {
		spans = append(spans, "from "+h.From.Format(time.RFC3339)+" to "+h.To.Format(time.RFC3339))
	}
	return "this mail system has given up: the message is older than it may wait, and the mail system's operator held it in the queue by hand for " +
		handHeldFor(holds).String() + " of that time (" + strings.Join(spans, ", ") + "), during which it was not tried, so it was tried " +
		plural(attempts, "time", "times") + " and not delivered" + last
}
