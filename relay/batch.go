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
