package relay

import (
	"context"

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
