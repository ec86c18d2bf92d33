package relay

import "slices"

// The jobs that find all of a destination's connections in use
// (max_connections) wait in a queue, oldest job first, and only the first
// may take the next slot or kept connection that comes free: first come,
// first served, as Postfix's queue manager hands out a destination's
// concurrency. Before, every waiter was woken at once and whichever
// goroutine ran first took the connection, so under steady load a message
// queued early could wait behind any number of later ones, and a replay's
// timeline depended on the goroutines' order.

// slotWaiter is one job's place in a dest's queue of waiters.
type slotWaiter struct {
	// seq is the job's number (job.seq): the queue is in planned order,
	// which is the order the scheduler claimed the recipients in (due
	// time, then queueing), not the order the jobs' goroutines got here.
	seq int64
	// ready holds a token when a slot may have come free for the waiter;
	// only d.mu's holder sends, only the waiter receives.
	ready chan struct{}
	// parked: the waiter is blocked and counted in the relay's parked
	// jobs (d.parked) until wake takes it off.
	parked bool
}

// first reports whether the job waiting as w (nil: not waiting) may take
// a connection slot or a kept connection of d now: when no job waits, or
// when w is the first in the queue.
func (d *dest) first(w *slotWaiter) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.waiting) == 0 || d.waiting[0] == w
}

// join queues job seq among d's waiters, behind the jobs planned before it.
func (d *dest) join(seq int64) *slotWaiter {
	w := &slotWaiter{seq: seq, ready: make(chan struct{}, 1)}
	d.mu.Lock()
	defer d.mu.Unlock()
	i := slices.IndexFunc(d.waiting, func(o *slotWaiter) bool { return o.seq > seq })
	if i < 0 {
		i = len(d.waiting)
	}
	d.waiting = slices.Insert(d.waiting, i, w)
	return w
}

// leave takes w (nil: none) out of d's queue, once it has its slot or
// gives up waiting, and wakes the waiter now first: a slot that came free
// for w while it gave up goes to the next, and when several came free at
// once the next takes another.
func (d *dest) leave(w *slotWaiter) {
	if w == nil {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if i := slices.Index(d.waiting, w); i >= 0 {
		d.waiting = slices.Delete(d.waiting, i, i+1)
	}
	if w.parked {
		w.parked = false
		d.parked.Add(-1)
	}
	d.wakeLocked()
}

// block counts w as parked before it waits on w.ready; it reports false
// when a token is there already (the waiter takes it and looks again
// instead of waiting).
func (d *dest) block(w *slotWaiter) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(w.ready) > 0 {
		return false
	}
	w.parked = true
	d.parked.Add(1)
	return true
}

// notify tells d's first waiter that a connection was released or became
// idle.
func (d *dest) notify() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.wakeLocked()
}

// wakeLocked wakes the first waiter, with d.mu held. It counts as running
// from now, before its goroutine does, so that a replay does not take it
// for waiting meanwhile.
func (d *dest) wakeLocked() {
	if len(d.waiting) == 0 {
		return
	}
	w := d.waiting[0]
	select {
	case w.ready <- struct{}{}:
	default: // woken already
	}
	if w.parked {
		w.parked = false
		d.parked.Add(-1)
	}
}
