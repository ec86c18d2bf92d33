package sink

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/relaylab/relaylab/internal/events"
	"github.com/relaylab/relaylab/internal/store"
)

// Cleared is what Clear deleted (store.ClearSink) and forgot.
type Cleared struct {
	store.SinkCleared
	Forgotten Forgotten `json:"forgotten"`
}

// clearPayload is the payload of the sink.reset event a clear appends:
// what every reset's says (lastReset reads it as a Forgotten), and what
// the clear deleted.
type clearPayload struct {
	Forgotten
	Cleared store.SinkCleared `json:"cleared"`
}

// Clear deletes what the sink recorded in st, its sessions, messages,
// attempts, bounces done with and their events (store.ClearSink says what
// stays), and makes it forget its attempt counters and greylist as
// ResetState does: a clean slate for the next test. It works on a store no
// sink runs on and on one that a sink in another process runs on, which
// follows from its next connection. A sink in this process clears with
// (*Sink).Clear.
func Clear(ctx context.Context, st *store.Store) (Cleared, error) {
	// What the counters held before, for the answer: rebuilt from the
	// record, as a restarted sink would.
	before := newState()
	if _, _, err := readState(ctxQuerier{ctx, st.DB()}, before); err != nil {
		return Cleared{}, fmt.Errorf("sink: reading the attempt counters: %w", err)
	}
	res, err := st.ClearSink(ctx, store.PruneOptions{})
	if err != nil {
		return Cleared{SinkCleared: res}, fmt.Errorf("sink: %w (what was deleted before the failure stays deleted; clear again to finish)", err)
	}
	// The reset counts the sessions after the last one the store still
	// names of those cleared (a kept message's): a sink started later
	// numbers its sessions from the last one the store names, so they
	// count, and so do those recorded during the clear.
	f := Forgotten{Pairs: len(before.pairs), Messages: len(before.msgs), Before: res.KeptSession}
	err = st.Write(ctx, func(tx *store.Tx) error {
		r, err := tx.Exec(`DELETE FROM sink_greylist`)
		if err != nil {
			return err
		}
		n, _ := r.RowsAffected()
		f.Greylist = int(n)
		_, err = tx.Append(events.Event{Kind: EventReset}.WithPayload(clearPayload{Forgotten: f, Cleared: res}))
		return err
	})
	if err != nil {
		return Cleared{SinkCleared: res}, fmt.Errorf("sink: the record is deleted, but forgetting the attempt counters and greylist failed: %w (clear again, or relaylab sink reset)", err)
	}
	return Cleared{SinkCleared: res, Forgotten: f}, nil
}

// Clear clears this running sink's record (see the package's Clear) and
// makes it forget its counters and greylist in memory at once.
func (s *Sink) Clear(ctx context.Context) (Cleared, error) {
	c, err := Clear(ctx, s.store)
	if err != nil {
		return c, err
	}
	// What this sink had counted, sessions not yet written included.
	st := s.state
	st.mu.Lock()
	f := &c.Forgotten
	f.Pairs, f.Messages, f.Greylist = max(f.Pairs, len(st.pairs)), max(f.Messages, len(st.msgs)), max(f.Greylist, len(st.grey))
	st.mu.Unlock()
	s.followReset(ctx)
	return c, nil
}

// DeleteMessage deletes the message id this sink stored and its
// sink.message event, and says so with a sink.deleted event
// (DeleteMessages); deleted is nil when no message has that id. A message
// a bounce still due quotes is refused with store.ErrBounceDue and the
// bounce's due time.
func (s *Sink) DeleteMessage(ctx context.Context, id int64) (deleted []store.Pruned, due time.Time, err error) {
	d, err := s.DeleteMessages(ctx, []int64{id})
	if err != nil {
		return nil, time.Time{}, err
	}
	if when, ok := d.Due[id]; ok {
		return nil, when, fmt.Errorf("sink: message %d: %w", id, store.ErrBounceDue)
	}
	if len(d.IDs) == 0 {
		return nil, time.Time{}, nil
	}
	return d.Tables, time.Time{}, nil
}

// LastReset is the last session the last reset (ResetState, Clear) made
// uncounted: the sink counts the attempts of the sessions after it only.
// 0 when there was no reset.
func LastReset(ctx context.Context, db *sql.DB) (int64, error) {
	_, before, err := lastReset(ctxQuerier{ctx, db})
	if err != nil {
		return 0, fmt.Errorf("sink: reading the last reset: %w", err)
	}
	return before, nil
}

// MessageGone reports whether the sink stored a message with id once and
// holds it no more: deleted, cleared or pruned. Message ids only grow
// (AUTOINCREMENT), so one at or below the largest given out was given out.
func MessageGone(ctx context.Context, db *sql.DB, id int64) (bool, error) {
	var gone bool
	err := db.QueryRowContext(ctx, `SELECT ? <= COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'sink_messages'), 0)
		AND NOT EXISTS (SELECT 1 FROM sink_messages WHERE id = ?)`, id, id).Scan(&gone)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("sink: message %d: %w", id, err)
	}
	return gone, nil
}
