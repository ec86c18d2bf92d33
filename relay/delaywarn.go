package relay

import (
	"context"
	"database/sql"
	"sync"
	"time"

	"github.com/relaylab/relaylab/internal/store"
)

// warnClock keeps the earliest time a waiting recipient's delay warning
// falls due, so that the scheduler wakes for it: a warning is sent once
// the recipient has waited dsn.delay_warning, not at the next deferral
// written after that (which a long retry delay or a shaping hold puts
// hours later).
type warnClock struct {
	mu    sync.Mutex
	known bool // next holds what the last scan found, and notes since
	// next is the earliest warning time known (zero: none); while known
	// is false after a scan that failed, when to scan again.
	next time.Time
	// pending gathers the notes made while a scan runs, which it may not
	// have seen.
	pending time.Time
}

func earlier(a, b time.Time) time.Time {
	if a.IsZero() || !b.IsZero() && b.Before(a) {
		return b
	}
	return a
}

// note records that a recipient's warning falls due at t.
func (w *warnClock) note(t time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.pending = earlier(w.pending, t)
	if w.known {
		w.next = earlier(w.next, t)
	}
}

// due reports whether a scan is wanted at now, and when the next warning
// falls due (zero: none known).
func (w *warnClock) due(now time.Time) (bool, time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return !w.known || !w.next.IsZero() && !now.Before(w.next), w.next
}

// warnDelayed sends the delay warnings of waiting recipients (deferred,
// not due yet) that have waited dsn.delay_warning since their message
// arrived; a recipient due now is attempted, and record warns it if it is
// deferred again. It scans the queue only when a warning falls due.
func (r *Relay) warnDelayed(ctx context.Context, now time.Time) error {
	w := r.cfg.DSN.DelayWarning.D()
	if w <= 0 || r.cfg.DSN.Disabled {
		return nil
	}
	if ok, _ := r.warns.due(now); !ok {
		return nil
	}
	err := r.scanWarnings(ctx, now, w)
	if err != nil {
		// The due recipients are in no wake-up time: keep the scan
		// pending, so that the next pass, at the latest in a minute,
		// tries them again instead of the next deferral or a restart.
		r.warns.failed(now.Add(time.Minute))
	}
	return err
}

// failed marks the last scan as not done: every pass scans again, and the
// scheduler wakes at retry for it.
func (w *warnClock) failed(retry time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.known, w.next = false, retry
}

// warnDueSQL selects the deferred, unwarned recipients whose message
// arrived at or before a cutoff (now less dsn.delay_warning) and that are
// not due now (an attempt due now warns in record if it defers again);
// warnNextSQL is the earliest arrival after the cutoff among the others.
const (
	warnDueSQL = `SELECT rc.id, rc.message_id, rc.address, rc.orcpt, rc.notify, rc.attempts, m.sender, m.dsn_for,
			rc.path, rc.host, rc.code, rc.enhanced, rc.reply, rc.hold, rc.category, m.created_ns
		FROM relay_recipients rc JOIN relay_messages m ON m.id = rc.message_id
		WHERE rc.state = 'deferred' AND rc.warned = 0 AND rc.warn_from_ns IS NOT NULL AND rc.warn_from_ns <= ?
			AND rc.due_ns > ? AND m.is_dsn = 0 AND m.sender != '' AND (rc.notify = '' OR rc.notify LIKE '%DELAY%')`
	warnNextSQL = `SELECT MIN(warn_from_ns) FROM relay_recipients
		WHERE state = 'deferred' AND warned = 0 AND warn_from_ns IS NOT NULL AND warn_from_ns > ?`
)

// scanWarnings is warnDelayed's scan of the queue, and the warnings it
// writes, once one falls due.
func (r *Relay) scanWarnings(ctx context.Context, now time.Time, w time.Duration) error {
	r.warns.mu.Lock()
	r.warns.pending = time.Time{}
	r.warns.mu.Unlock()
	type waiting struct {
		dsnEntry
		created int64
	}
	var (
		due  = map[string][]dsnEntry{}
		msgs []string
		next time.Time
	)
	// Only the recipients whose warning is due, through the index of
	// those deferred and unwarned (relay_recipients_unwarned), and then
	// the time of the next warning from the same index: the scan's cost
	// follows the warnings due, not the size of the queue.
	cutoff := now.Add(-w).UnixNano()
	var nextFrom sql.NullInt64
	if err := r.store.DB().QueryRowContext(ctx, warnNextSQL, cutoff).Scan(&nextFrom); err != nil {
		return err
	}
	if nextFrom.Valid {
		next = time.Unix(0, nextFrom.Int64).Add(w)
	}
	rows, err := r.store.DB().QueryContext(ctx, warnDueSQL, cutoff, now.UnixNano())
	if err != nil {
		return err
	}
	for rows.Next() {
		var (
			e    waiting
			hold string
		)
		c, o := &e.c, &e.o
		if err := rows.Scan(&c.id, &c.msgID, &c.address, &c.orcpt, &c.notify, &c.attempts, &c.sender, &c.dsnFor,
			&o.path, &o.host, &o.reply.Code, &o.reply.Enhanced, &o.reply.Text, &hold, &o.verdict.Category, &e.created); err != nil {
			rows.Close()
			return err
		}
		o.attempts = c.attempts
		if hold != "" {
			// Held back by shaping: the hold is why it waits, as the
			// deferral that held it said.
			o.reply = Reply{Stage: "shaping", Text: hold}
		}
		at := time.Unix(0, e.created).Add(w)
		if now.Before(at) {
			next = earlier(next, at)
			continue
		}
		if due[c.msgID] == nil {
			msgs = append(msgs, c.msgID)
		}
		due[c.msgID] = append(due[c.msgID], e.dsnEntry)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	r.warns.mu.Lock()
	r.warns.known, r.warns.next = true, earlier(next, r.warns.pending)
	r.warns.mu.Unlock()
	if len(msgs) == 0 {
		return nil
	}
	return r.store.Write(ctx, func(tx *store.Tx) error {
		for _, id := range msgs {
			msg, err := loadMessageTx(tx, id)
			if err != nil {
				return err
			}
			var kept []dsnEntry
			for _, e := range due[id] {
				// Still waiting and unwarned: a retry or a job may have
				// taken it since the scan.
				var n int
				if err := tx.QueryRow(`SELECT COUNT(*) FROM relay_recipients WHERE id = ? AND state = 'deferred' AND warned = 0`, e.c.id).Scan(&n); err != nil {
					return err
				}
				if n == 1 {
					e.until = msg.expires
					kept = append(kept, e)
				}
			}
			if len(kept) > 0 {
				if err := r.notifyTx(tx, msg, kept, true, now); err != nil {
					return err
				}
			}
		}
		return nil
	})
}
