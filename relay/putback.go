package relay

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/relaylab/relaylab/internal/store"
)

// A stop hands back to the queue the recipients it keeps from their
// attempt: those the scheduler claimed but no worker took, and those
// whose job waited, before its first connection, for a connection slot
// (max_connections) or its turn in a rate. Each goes back as it waited
// before the claim (queued or deferred, due at the same time), with no
// event: nothing happened to it. Left in flight, they were counted as
// deliveries cut, `queue retry` could not reach them, and the next start
// queued them again as if an attempt had been cut off (relay.recovered:
// "may hold the message twice"), though none had begun.

// putBack puts the recipients of jobs, none of which has begun, back in
// the queue as they were before the claim. A job that is the last of its
// round to end writes what the others handed to it (their failures, with
// the round's one DSN), as record does for the last job to record.
func (r *Relay) putBack(jobs ...*job) {
	if len(jobs) == 0 {
		return
	}
	// The relay stops: its contexts are over, or soon will be, and this
	// write is what lets it stop clean.
	ctx := context.Background()
	var rounds []*recWrite
	for _, j := range jobs {
		r.batch.handOver(j, func(rd *round, last bool) {
			if last && (len(rd.parts) > 0 || len(rd.delayed) > 0 || len(rd.suppressed) > 0) {
				rounds = append(rounds, &recWrite{parts: rd.parts, notify: true, delayed: rd.delayed, suppressed: rd.suppressed, msgID: j.msgID})
			}
		})
	}
	var n, want int64
	err := r.store.Write(ctx, func(tx *store.Tx) error {
		n, want = 0, 0
		for _, j := range jobs {
			for _, c := range j.rcpts {
				want++
				res, err := tx.Exec(`UPDATE relay_recipients SET state = ?, due_ns = ?, updated_ns = ? WHERE id = ? AND state = 'inflight'`,
					c.was.state, c.was.due, c.was.updated, c.id)
				if err != nil {
					return err
				}
				k, _ := res.RowsAffected()
				n += k // 0: deleted meanwhile
			}
		}
		return nil
	})
	if err != nil {
		r.log.Error("relay: stopping: putting back in the queue the recipients that the stop kept from their attempt failed (the store refused the write: a full disk, a database locked by another program?); they stay in flight, and the next start queues them again, saying they may be sent twice, though none was tried",
			"recipients", want, "err", err)
	} else {
		r.putBacks.Add(n)
	}
	for _, w := range rounds {
		r.writeRound(ctx, w)
	}
}

// writeRound writes w, what the other jobs of a round handed to its last
// job, which the stop put back: their outcomes and the round's DSNs.
func (r *Relay) writeRound(ctx context.Context, w *recWrite) {
	if err := r.store.Write(ctx, r.writeTx(w, r.clock.Now())); err != nil {
		r.requeueHanded(ctx, w.msgID, w.parts, w.suppressed, whyRecord, err)
		return
	}
	r.logSuppressed(w.suppressed, w.gone)
	for _, p := range w.parts {
		r.logOutcomes(p.j, p.msg, p.results, p.log, p.lines, p.now)
	}
}

// A job's recipients that wait for their turn at a destination's shaping
// before the job's first connection (a rate's next slot, a connection
// under max_connections) are in flight in the store, as claimed, and not
// being sent. So that the store says so (queue show in another process
// said "attempt under way" of mail waiting minutes for a rate slot) and a
// start after a crash knows that no connection was made for them, their
// rows' hold holds the wait's text for as long as they wait (markWaiting);
// the start puts them back in the queue without the warning that they may
// be sent twice (requeueUnbegun). Two writes for each job that waits, none
// for one that does not.

// waitPrefix begins the text of every such wait (deliverPath, waitSlot),
// and no hold of the relay's shaping.
const waitPrefix = "waiting for "

// WaitsForTurn reports whether rc, in flight, waits for its turn at the
// relay's shaping before any connection is made for it (its Hold says
// for what and until when): it is claimed, not being sent.
func WaitsForTurn(rc RecipientInfo) bool {
	return rc.State == StateInflight && rc.Hold != nil && strings.HasPrefix(rc.Hold.Text, waitPrefix)
}

// markWaiting shows the recipients pending of j as waiting (text, which
// begins with waitPrefix) in this relay's queue views and, while the job
// has made no connection, in the store, until the func it returns, which
// gives back the holds their rows had. That func's error means the store
// still says they wait: the job must not connect, and goes back to the
// queue, its recipients untried.
func (r *Relay) markWaiting(j *job, pending []int, text string) (done func() error) {
	for _, i := range pending {
		r.waits.Store(j.rcpts[i].id, text)
	}
	forget := func() {
		for _, i := range pending {
			r.waits.Delete(j.rcpts[i].id)
		}
	}
	if j.begun.Load() {
		// A connection was made for the job (an earlier host, an earlier
		// transaction): the store's "in flight" is true, as a crash's
		// warning would be.
		return func() error { forget(); return nil }
	}
	// The relay's stop must not keep the store from hearing that the
	// wait is over: these writes are what let it stop clean.
	ctx := context.Background()
	had := make(map[int64]string, len(pending))
	err := r.store.Write(ctx, func(tx *store.Tx) error {
		clear(had)
		for _, i := range pending {
			id := j.rcpts[i].id
			var hold string
			if err := tx.QueryRow(`SELECT hold FROM relay_recipients WHERE id = ? AND state = 'inflight'`, id).Scan(&hold); err != nil {
				if errors.Is(err, sql.ErrNoRows) {
					continue // deleted meanwhile
				}
				return err
			}
			if _, err := tx.Exec(`UPDATE relay_recipients SET hold = ? WHERE id = ?`, text, id); err != nil {
				return err
			}
			had[id] = hold
		}
		return nil
	})
	if err != nil {
		// The views of this relay say it; the store goes on saying "in
		// flight", which is what it said before.
		r.log.Warn("relay: could not note in the store that recipients wait for their turn; queue show in another process calls them in flight, and a crash now would warn that they may be sent twice",
			"id", j.msgID, "err", err)
		return func() error { forget(); return nil }
	}
	return func() error {
		forget()
		err := r.store.Write(ctx, func(tx *store.Tx) error {
			for id, hold := range had {
				if _, err := tx.Exec(`UPDATE relay_recipients SET hold = ? WHERE id = ? AND state = 'inflight' AND hold = ?`, hold, id, text); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			r.log.Error("relay: the store refused the write that ends a wait for a turn; the message goes back to the queue untried rather than be sent while the store says no connection was made for it",
				"id", j.msgID, "err", err)
		}
		return err
	}
}

// requeueUnbegun puts back in the queue, at start, the recipients that
// waited for their turn when the relay last stopped (markWaiting): no
// connection had been made for them, so they are due now as they were
// before their claim, with no relay.recovered event (nothing happened to
// them; one would say that they may be sent twice). It runs before
// recoverInflight, which takes the others in flight.
func (r *Relay) requeueUnbegun(ctx context.Context) (int64, error) {
	now := r.clock.Now().UnixNano()
	var n int64
	err := r.store.Write(ctx, func(tx *store.Tx) error {
		res, err := tx.Exec(`UPDATE relay_recipients SET state = CASE WHEN attempts > 0 THEN 'deferred' ELSE 'queued' END,
			due_ns = ?, hold = '', updated_ns = ? WHERE state = 'inflight' AND substr(hold, 1, ?) = ?`, now, now, len(waitPrefix), waitPrefix)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, err
}
