package relay

import (
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

// ErrNotHeld is returned by ReleaseBy when no recipient it names is held.
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
}

func (e *HeldError) Error() string {
	var who []string
	for _, h := range e.Holds {
		who = append(who, h.describe())
	}
	return fmt.Sprintf("%s is held by hand (%s): a retry does not release a hold, so that a retry of the whole queue cannot send what someone held on purpose; `relaylab queue release %s` releases it and sends it at once",
		e.ID, strings.Join(who, "; "), e.ID)
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

// holdAdvice is the advice a held recipient shows (queue show, List).
func holdAdvice(id string) string {
	return "nothing is sent to it until it is released: `relaylab queue release " + id + "` (a retry does not release it); it does not expire while held"
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
			return fmt.Errorf("%s is %s, %w; nothing to hold", id, strings.Join(done, "/"), ErrNotWaiting)
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
// the addresses released; ErrNotHeld when none it names is held.
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
		var states []string
		for _, h := range rows {
			if h.state != StateHeld {
				if !slices.Contains(states, h.state) {
					states = append(states, h.state)
				}
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
		if len(released) == 0 {
			what := "none of its recipients"
			if rcpt != "" {
				what = "recipient " + rcpt + " is not"
			} else {
				what += " is"
			}
			return fmt.Errorf("%s: %s held by hand (state %s), %w; nothing to release (`relaylab queue hold %s` holds it)", id, what, strings.Join(states, "/"), ErrNotHeld, id)
		}
		return nil
	})
	if err != nil {
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

// heldSQL reads a message's relay.held events through the partial index
// on message (see lastOutcomesSQL).
const heldSQL = `SELECT recipient, time_ns, payload FROM events INDEXED BY events_message WHERE message = ? AND message != '' AND kind = ? ORDER BY id`

// operatorHolds reads each recipient's last relay.held event of message
// id, by address: who held it, since when, and the note.
func operatorHolds(query func(string, ...any) (*sql.Rows, error), id string) (map[string]OperatorHold, error) {
	rows, err := query(heldSQL, id, events.RelayHeld)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]OperatorHold{}
	for rows.Next() {
		var (
			addr, payload string
			tns           int64
		)
		if err := rows.Scan(&addr, &tns, &payload); err != nil {
			return nil, err
		}
		var pl struct {
			By   string `json:"by"`
			Note string `json:"note"`
		}
		if json.Unmarshal([]byte(payload), &pl) != nil {
			continue
		}
		out[addr] = OperatorHold{Address: addr, By: pl.By, Since: time.Unix(0, tns).UTC(), Note: pl.Note}
	}
	return out, rows.Err()
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
