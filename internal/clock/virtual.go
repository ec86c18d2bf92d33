package clock

import (
	"container/heap"
	"sync"
	"sync/atomic"
	"time"
)

// Virtual is a clock that moves only when Advance, AdvanceTo or
// AdvanceToNext is called. Timers due at the same instant fire in the order
// they were created, so a run is reproducible.
type Virtual struct {
	mu      sync.Mutex
	now     time.Time
	seq     uint64
	pending timerHeap
	// changed is closed and replaced whenever a timer is added or removed,
	// so that a driver can wait for the set of sleepers to settle.
	changed chan struct{}
	// running counts AfterFunc callbacks started and not yet returned.
	nrun atomic.Int64
}

var _ Clock = (*Virtual)(nil)

// NewVirtual returns a virtual clock that reads start.
func NewVirtual(start time.Time) *Virtual {
	return &Virtual{now: start, changed: make(chan struct{})}
}

// Now returns the virtual time.
func (v *Virtual) Now() time.Time {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.now
}

// NewTimer returns a timer that fires when the clock reaches now+d.
func (v *Virtual) NewTimer(d time.Duration) Timer {
	t := &vtimer{v: v, c: make(chan time.Time, 1)}
	v.schedule(t, d)
	return t
}

// AfterFunc calls f in a new goroutine when the clock reaches now+d.
func (v *Virtual) AfterFunc(d time.Duration, f func()) Timer {
	t := &vtimer{v: v, f: f}
	v.schedule(t, d)
	return t
}

func (v *Virtual) schedule(t *vtimer, d time.Duration) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if d < 0 {
		d = 0
	}
	v.seq++
	t.when, t.seq = v.now.Add(d), v.seq
	heap.Push(&v.pending, t)
	v.notifyLocked()
}

func (v *Virtual) notifyLocked() {
	close(v.changed)
	v.changed = make(chan struct{})
}

// Changed returns a channel that is closed the next time a timer is added,
// stopped or fired.
func (v *Virtual) Changed() <-chan struct{} {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.changed
}

// Pending is the number of timers not yet fired or stopped.
func (v *Virtual) Pending() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return len(v.pending)
}

// Running is the number of AfterFunc callbacks that have started and not
// yet returned: work the clock set off that a driver must wait for.
func (v *Virtual) Running() int { return int(v.nrun.Load()) }

// Next returns when the earliest pending timer is due.
func (v *Virtual) Next() (time.Time, bool) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if len(v.pending) == 0 {
		return time.Time{}, false
	}
	return v.pending[0].when, true
}

// Advance moves the clock forward by d, firing every timer due on the way.
func (v *Virtual) Advance(d time.Duration) { v.AdvanceTo(v.Now().Add(d)) }

// AdvanceTo moves the clock to t (never backwards), firing due timers in
// order; the clock reads each timer's due time while it fires.
func (v *Virtual) AdvanceTo(t time.Time) {
	for v.fireFirst(&t) {
	}
}

// FireNext moves the clock to the earliest pending timer and fires that one
// alone, even when others are due at the same instant; it reports false
// when nothing was pending. A driver that lets the work settle between
// calls so sees timers that fall due together act one after the other,
// in the order they were set, instead of racing.
func (v *Virtual) FireNext() bool { return v.fireFirst(nil) }

// fireFirst fires the earliest pending timer, moving the clock to its due
// time, and reports whether there was one; with until, only a timer due by
// then, and without one the clock moves to until.
func (v *Virtual) fireFirst(until *time.Time) bool {
	v.mu.Lock()
	if len(v.pending) == 0 || until != nil && v.pending[0].when.After(*until) {
		if until != nil && until.After(v.now) {
			v.now = *until
		}
		v.mu.Unlock()
		return false
	}
	next := heap.Pop(&v.pending).(*vtimer)
	next.index = -1
	if next.when.After(v.now) {
		v.now = next.when
	}
	now := v.now
	v.notifyLocked()
	v.mu.Unlock()
	next.fire(now)
	return true
}

// AdvanceToNext jumps to the earliest pending timer and fires every timer due
// then. It reports false when nothing was pending.
func (v *Virtual) AdvanceToNext() bool {
	when, ok := v.Next()
	if !ok {
		return false
	}
	v.AdvanceTo(when)
	return true
}

type vtimer struct {
	v     *Virtual
	c     chan time.Time
	f     func()
	when  time.Time
	seq   uint64
	index int
}

func (t *vtimer) C() <-chan time.Time { return t.c }

func (t *vtimer) fire(now time.Time) {
	if t.f != nil {
		v := t.v
		v.nrun.Add(1)
		go func() {
			defer v.nrun.Add(-1)
			t.f()
		}()
		return
	}
	select {
	case t.c <- now:
	default:
	}
}

func (t *vtimer) Stop() bool {
	v := t.v
	v.mu.Lock()
	defer v.mu.Unlock()
	if t.index < 0 {
		return false
	}
	heap.Remove(&v.pending, t.index)
	t.index = -1
	v.notifyLocked()
	return true
}

func (t *vtimer) Reset(d time.Duration) bool {
	was := t.Stop()
	t.v.schedule(t, d)
	return was
}

type timerHeap []*vtimer

func (h timerHeap) Len() int { return len(h) }
func (h timerHeap) Less(i, j int) bool {
	if h[i].when.Equal(h[j].when) {
		return h[i].seq < h[j].seq
	}
	return h[i].when.Before(h[j].when)
}
func (h timerHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
func (h *timerHeap) Push(x any) {
	t := x.(*vtimer)
	t.index = len(*h)
	*h = append(*h, t)
}
func (h *timerHeap) Pop() any {
	old := *h
	t := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return t
}
