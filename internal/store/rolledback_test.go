package store

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/events"
)

// TestGroupCommitWholeRollback: when SQLite rolls a group commit's whole
// transaction back by itself partway (as after a full disk or an I/O
// error; here a write ends it with ROLLBACK), no write of the group is
// stored and every caller is told so. The writes after it used to run in
// a transaction of their own, begun by their SAVEPOINT and committed by
// its RELEASE, and be reported as failed all the same when the group's
// COMMIT failed: stored twice when the callers tried them again.
func TestGroupCommitWholeRollback(t *testing.T) {
	t.Parallel()
	s, _ := openTest(t)
	ctx := context.Background()
	hold, held := make(chan struct{}), make(chan struct{})
	go s.Write(ctx, func(tx *Tx) error { // holds the writer while the group queues
		close(held)
		<-hold
		return nil
	})
	<-held
	boom := errors.New("the transaction is gone")
	fns := []func(*Tx) error{
		func(tx *Tx) error {
			_, err := tx.Append(events.Event{Kind: "test.write", Target: "before"})
			return err
		},
		func(tx *Tx) error {
			if _, err := tx.Exec(`ROLLBACK`); err != nil {
				return err
			}
			return boom
		},
		func(tx *Tx) error { _, err := tx.Append(events.Event{Kind: "test.write", Target: "after"}); return err },
	}
	errs := make([]chan error, len(fns))
	for i, fn := range fns {
		errs[i] = make(chan error, 1)
		go func() { errs[i] <- s.Write(ctx, fn) }()
		for deadline := time.Now().Add(10 * time.Second); len(s.reqs) < i+1; time.Sleep(time.Millisecond) { // in order, one group
			if time.Now().After(deadline) {
				t.Fatalf("write %d never queued", i)
			}
		}
	}
	close(hold)
	var got []string
	for i := range fns {
		got = append(got, fmt.Sprint(<-errs[i] != nil))
	}
	evs, err := s.Events(ctx, events.Filter{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != "[true true true]" || len(evs) != 0 {
		t.Errorf("failed: %v, stored %+v; want every write of the group failed and none stored", got, evs)
	}
	// The store goes on.
	if err := s.Write(ctx, func(tx *Tx) error { _, err := tx.Append(events.Event{Kind: "test.write", Target: "later"}); return err }); err != nil {
		t.Fatalf("a write after the rollback: %v", err)
	}
}
