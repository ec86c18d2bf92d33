package relay

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
)

// TestSlotWaitersServedInQueueOrder: jobs that wait for a destination's
// connection (max_connections 1, held by a slow delivery) get it in the
// order their messages were queued. Before, every waiter was woken when
// the connection came free and the first goroutine to run took it, so a
// message queued first could wait behind any number of later ones.
func TestSlotWaitersServedInQueueOrder(t *testing.T) {
	t.Parallel()
	const waiting = 8
	mta, inData, release := holdingMTA(t, "first@r.test")
	cfg := testConfig(mta.addr)
	cfg.Paths[0].MaxConnections = 1
	h := newHarness(t, cfg, Options{})
	ids := []string{h.enqueue("a@s.test", "first@r.test")}
	h.v.Advance(0)
	<-inData // the one connection is taken
	want := []string{"first@r.test"}
	for i := range waiting {
		to := fmt.Sprintf("m%d@r.test", i)
		want = append(want, to)
		ids = append(ids, h.enqueue("a@s.test", to))
	}
	h.v.Advance(0)
	waitFor(t, "the later jobs to wait for the connection", func() bool { return h.r.parked.Load() == waiting })
	close(release)
	h.runUntil("all delivered", h.allDone(ids))
	var got []string
	for _, m := range mta.received() {
		got = append(got, m.to...)
	}
	if !slices.Equal(got, want) {
		t.Errorf("order of delivery over the one connection:\n got %v\nwant %v (the order they were queued)", got, want)
	}
}

// TestWorkerSlotsServedInQueueOrder: with every worker busy (workers 1)
// the jobs waiting for one start in the order their messages were queued.
// No fix was needed there: only the scheduler's goroutine takes worker
// slots, one job after another in the order it claimed them (due time,
// then queueing); this test keeps it so.
func TestWorkerSlotsServedInQueueOrder(t *testing.T) {
	t.Parallel()
	const waiting = 8
	mta, inData, release := holdingMTA(t, "first@r.test")
	cfg := testConfig(mta.addr)
	cfg.Workers = 1
	h := newHarness(t, cfg, Options{})
	ids := []string{h.enqueue("a@s.test", "first@r.test")}
	h.v.Advance(0)
	<-inData // the one worker is busy
	want := []string{"first@r.test"}
	for i := range waiting {
		to := fmt.Sprintf("m%d@r.test", i)
		want = append(want, to)
		ids = append(ids, h.enqueue("a@s.test", to))
	}
	h.v.Advance(0)
	waitFor(t, "the scheduler to wait for a worker", func() bool { return h.r.parked.Load() == 1 })
	close(release)
	h.runUntil("all delivered", h.allDone(ids))
	var got []string
	for _, m := range mta.received() {
		got = append(got, m.to...)
	}
	if !slices.Equal(got, want) {
		t.Errorf("order of delivery with one worker:\n got %v\nwant %v (the order they were queued)", got, want)
	}
}

// TestSlotQueueOrderAndGivingUp: waiters are served by job number, not
// by when they joined; one that gives up after a slot came free for it
// passes the wake on, so the slot is not lost with it.
func TestSlotQueueOrderAndGivingUp(t *testing.T) {
	t.Parallel()
	var parked atomic.Int64
	d := newDest("path:p", &path{cfg: PathConfig{MaxConnections: 1}}, &parked)
	if !d.tryAcquire() {
		t.Fatal("the first slot was not free")
	}
	late := d.join(7)
	early := d.join(3)
	last := d.join(9)
	for _, w := range []*slotWaiter{late, early, last} {
		if !d.block(w) {
			t.Fatalf("waiter %d: woken before any slot came free", w.seq)
		}
	}
	if !d.first(early) || d.first(late) || d.first(nil) {
		t.Fatalf("the first waiter is not job 3, the earliest planned, which joined second")
	}
	if n := parked.Load(); n != 3 {
		t.Fatalf("parked %d, want 3", n)
	}
	d.release()
	if len(early.ready) != 1 || len(late.ready) != 0 || len(last.ready) != 0 {
		t.Fatalf("a released slot woke %d, %d, %d (jobs 3, 7, 9); want job 3 alone", len(early.ready), len(late.ready), len(last.ready))
	}
	if n := parked.Load(); n != 2 {
		t.Fatalf("parked %d after job 3 was woken, want 2", n)
	}
	d.leave(early) // it gave up (its context ended) as the slot came free
	if len(late.ready) != 1 || !d.first(late) {
		t.Fatalf("job 3 gave up: job 7 was not woken to take the slot in its place")
	}
	<-late.ready
	if !d.tryAcquire() {
		t.Fatal("the slot job 3 gave up was lost")
	}
	d.leave(late)
	// Job 9 looks (another slot may have come free with job 7's); it
	// finds none and waits again.
	if !d.first(last) || len(last.ready) != 1 || d.block(last) {
		t.Fatalf("after job 7 took the slot: job 9 first %v, woken %d; want first and woken to look", d.first(last), len(last.ready))
	}
	<-last.ready
	if d.tryAcquire() || !d.block(last) || parked.Load() != 1 {
		t.Fatalf("job 9 could take a slot, or did not wait again (parked %d)", parked.Load())
	}
	d.leave(last)
	if n := parked.Load(); n != 0 || waitingAt(d) != 0 {
		t.Fatalf("all gone: parked %d, waiting %d; want 0, 0", n, waitingAt(d))
	}
}

// TestSlotWaiterCancelled: a job waiting for a connection whose context
// ends (a shutdown past its grace) leaves the queue at once, and the next
// waiter still gets the connection when it comes free.
func TestSlotWaiterCancelled(t *testing.T) {
	t.Parallel()
	mta := startMTA(t, nil)
	cfg := testConfig(mta.addr)
	cfg.Paths[0].MaxConnections = 1
	h := newHarness(t, cfg, Options{})
	p := h.r.paths["primary"]
	d := h.r.destFor(p.destKey("r.test"), p)
	if !d.tryAcquire() {
		t.Fatal("the one slot was not free")
	}
	type got struct {
		pc  *pooled
		err error
	}
	wait := func(ctx context.Context, seq int64) chan got {
		ch := make(chan got, 1)
		go func() {
			pc, _, err := h.r.conn(ctx, p, d, mta.addr, mta.addr, d.key+"|"+mta.addr, false,
				slotTurn{seq: seq, turn: func() {}, parked: func() func() { return func() {} }})
			ch <- got{pc, err}
		}()
		return ch
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	first := wait(ctx, 1)
	waitFor(t, "job 1 to wait", func() bool { return h.r.parked.Load() == 1 })
	second := wait(context.Background(), 2)
	waitFor(t, "job 2 to wait", func() bool { return h.r.parked.Load() == 2 })
	cancel()
	if g := <-first; g.err == nil || !errors.Is(g.err, context.Canceled) {
		t.Fatalf("job 1, cancelled: %v, %v; want context.Canceled", g.pc, g.err)
	}
	// Job 2, woken by job 1's leaving, looks and waits again.
	waitFor(t, "job 2 to wait alone", func() bool { return h.r.parked.Load() == 1 && waitingAt(d) == 1 })
	d.release()
	g := <-second
	if g.err != nil || g.pc == nil {
		t.Fatalf("job 2 after the slot came free: %v, %v; want a connection", g.pc, g.err)
	}
	g.pc.c.quit()
	d.release()
	if n := h.r.parked.Load(); n != 0 || !d.first(nil) || len(d.sem) != 0 {
		t.Errorf("after: parked %d, waiters %d, slots taken %d; want none", n, waitingAt(d), len(d.sem))
	}
}

// waitingAt is the number of jobs in d's queue of waiters.
func waitingAt(d *dest) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.waiting)
}

// holdingMTA is a fake next hop that holds the DATA of a message whose
// first recipient is rcpt: it signals inData once the message is there
// and answers only when release is closed, so that the delivery keeps
// its connection (or its worker) meanwhile.
func holdingMTA(t *testing.T, rcpt string) (mta *fakeMTA, inData <-chan struct{}, release chan struct{}) {
	t.Helper()
	release = make(chan struct{})
	in := make(chan struct{}, 1)
	mta = startMTA(t, func(f *fakeMTA) {
		f.onData = func(rcpts []string) error {
			if rcpts[0] == rcpt {
				in <- struct{}{}
				<-release
			}
			return nil
		}
	})
	return mta, in, release
}
