package relay

import (
	"context"
	"sync"

	"github.com/relaylab/relaylab/internal/store"
)

// batcher writes the outcomes of many jobs in one store request: at most
// one request is in flight, and the outcomes that arrive meanwhile go
// together in the next. The store commits them with the submissions of the
// moment, so that deliveries add few requests and fsyncs to the 250s.
type batcher struct {
	st      *store.Store
	mu      sync.Mutex
	busy    bool
	pending *recBatch

	// rounds are the open rounds by the ids of the recipients whose
	// jobs have not recorded yet.
	rmu    sync.Mutex
	rounds map[int64]*round
}

type recBatch struct {
	fns  []func(*store.Tx) error
	err  error
	done chan struct{}
}

// write runs fn in a store transaction shared with other callers and
// returns once it is committed. If any function of a batch fails, the
// batch is undone and every caller gets the error (the recipients stay in
// flight until record writes them again alone, or puts them back as deferred).
func (b *batcher) write(ctx context.Context, fn func(*store.Tx) error) error {
	b.mu.Lock()
	if b.pending == nil {
		b.pending = &recBatch{done: make(chan struct{})}
	}
	mine := b.pending
	mine.fns = append(mine.fns, fn)
	if b.busy {
		b.mu.Unlock()
		<-mine.done
		return mine.err
	}
	b.busy = true
	b.pending = nil
	b.mu.Unlock()
	// Leader: write this batch, then the ones that gathered meanwhile.
	batch := mine
	for {
		batch.err = b.st.Write(context.WithoutCancel(ctx), func(tx *store.Tx) error {
			for _, f := range batch.fns {
				if err := f(tx); err != nil {
					return err
				}
			}
			return nil
		})
		close(batch.done)
		b.mu.Lock()
		batch = b.pending
		b.pending = nil
		if batch == nil {
			b.busy = false
			b.mu.Unlock()
			return mine.err
		}
		b.mu.Unlock()
	}
}

// round is what one claim took of a message: its jobs (one per recipient
// domain and route) hand their failures and delay warnings to the last of
// them to record, which writes them with one DSN of each action (record).
type round struct {
	left       int              // recipients whose job has not recorded yet
	parts      []*recPart       // failures handed over, their recipients still in flight
	delayed    []dsnEntry       // delay warnings of deferrals written or being written
	suppressed []suppressedRcpt // recipients the claim found suppressed, still in flight
}

// startRound opens a round for the claimed recipients ids, all of one
// message, with the recipients sup of it that the claim found suppressed.
func (b *batcher) startRound(ids []int64, sup []suppressedRcpt) {
	rd := &round{left: len(ids), suppressed: sup}
	b.rmu.Lock()
	defer b.rmu.Unlock()
	if b.rounds == nil {
		b.rounds = map[int64]*round{}
	}
	for _, id := range ids {
		b.rounds[id] = rd
	}
}

// handOver takes job j's recipients out of their round and calls fn with
// the round, under the round's lock; last reports whether no other job of
// the round is still to record. A job of no round (its message's only
// recipient, or its only one due) does not call fn.
func (b *batcher) handOver(j *job, fn func(rd *round, last bool)) {
	b.rmu.Lock()
	defer b.rmu.Unlock()
	if len(j.rcpts) == 0 || b.rounds == nil {
		return
	}
	rd := b.rounds[j.rcpts[0].id]
	if rd == nil {
		return
	}
	for _, c := range j.rcpts {
		if b.rounds[c.id] == rd {
			delete(b.rounds, c.id)
			rd.left--
		}
	}
	fn(rd, rd.left <= 0)
}
