// Package quiesce tells when two parties that talk over loopback TCP and
// share one virtual clock (a replay's relay and sink) can do nothing more
// until that clock moves: every end of every connection waits, on the clock
// or for bytes its peer is not about to send, and no byte is on its way.
//
// Without it a replay cannot play a sink that delays its reply: the sink
// would wait for the clock, the clock for the replay's driver, and the
// driver for the relay, which waits for the reply. With it the driver moves
// the clock as soon as everyone waits, so a 30 s delay or a ten-minute hang
// costs milliseconds, and the outcome is the same on every run.
//
// Deadlines set on a tracked connection run on the virtual clock as well, so
// that the relay's command timeout meets the sink's hang in virtual time
// (RFC 5321 4.5.3.2 timeouts of minutes play in a replay too).
package quiesce

import (
	"context"
	"errors"
	"net"
	"os"
	"sync"
	"time"

	"github.com/relaylab/relaylab/internal/clock"
)

// Side is which end of a connection a tracked conn is.
type Side int

const (
	// Client is the end that dialed (the relay).
	Client Side = iota
	// Server is the end that accepted (the sink).
	Server
)

// Tracker follows the tracked connections of one replay.
type Tracker struct {
	clk clock.Clock
	// now is the machine's time, which callers' deadlines are computed
	// from (SetReadDeadline); a test sets it.
	now func() time.Time

	mu    sync.Mutex
	gen   uint64 // counts every change of state
	pairs map[string]*pair
}

// pair is one TCP connection's two ends, keyed by its client and server
// addresses; an end is nil until its side has wrapped it.
type pair struct{ ends [2]*Conn }

// New returns a tracker whose deadlines run on clk.
func New(clk clock.Clock) *Tracker {
	return &Tracker{clk: clk, now: time.Now, pairs: map[string]*pair{}}
}

// Wrap tracks c as side's end of its connection.
func (t *Tracker) Wrap(c net.Conn, side Side) net.Conn {
	local, remote := c.LocalAddr().String(), c.RemoteAddr().String()
	key := local + " " + remote
	if side == Server {
		key = remote + " " + local
	}
	e := &Conn{Conn: c, t: t, side: side, key: key}
	t.mu.Lock()
	defer t.mu.Unlock()
	p := t.pairs[key]
	if p == nil {
		p = &pair{}
		t.pairs[key] = p
	}
	p.ends[side] = e
	t.gen++
	return e
}

// Quiet reports whether every tracked connection waits, and how many client
// ends wait in a read for their peer's reply: each of those is a job of the
// client's that only the clock can move on. Client ends outside a read are
// taken to be idle (kept for reuse) or busy; the caller knows how many jobs
// the client runs and compares. gen identifies the state Quiet looked at:
// Gen returns another value once anything has changed since.
func (t *Tracker) Quiet() (readers int, gen uint64, ok bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for key, p := range t.pairs {
		c, s := p.ends[Client], p.ends[Server]
		if c == nil || s == nil {
			return 0, t.gen, false // dialed, not yet accepted (or the reverse)
		}
		if c.closed && s.closed {
			delete(t.pairs, key)
			continue
		}
		for _, e := range []*Conn{c, s} {
			peer := c
			if e == c {
				peer = s
			}
			switch {
			case e.closed:
			case e.kicked || (e.reading && e.expired):
				return 0, t.gen, false // woken by the clock, not yet running
			case e.reading:
				if peer.closed || peer.written != e.read {
					return 0, t.gen, false // bytes or an end of file on the way
				}
				if e.side == Client {
					readers++
				}
			case e.sleeping:
			case e.side == Server:
				return 0, t.gen, false // the server is at work
			}
		}
	}
	return readers, t.gen, true
}

// Open is the number of side's ends that are tracked and not closed. A
// server that still works on a connection after closing its socket (the
// sink, recording the session) can be told from one that is done with it
// by comparing its own count of connections with this.
func (t *Tracker) Open(side Side) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for _, p := range t.pairs {
		if e := p.ends[side]; e != nil && !e.closed {
			n++
		}
	}
	return n
}

// Gen is the tracker's current state number (see Quiet).
func (t *Tracker) Gen() uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.gen
}

// Conn is a tracked end of a connection.
type Conn struct {
	net.Conn
	t    *Tracker
	side Side
	key  string

	// guarded by t.mu
	reading  bool  // blocked in Read
	sleeping bool  // waiting on the clock in Sleep
	kicked   bool  // the clock woke it; it is not waiting any more
	closed   bool  // Close was called
	written  int64 // bytes handed to Write, counted before they are sent
	read     int64 // bytes Read returned, counted once it runs again

	deadline clock.Timer // the read deadline's timer on the clock
	expired  bool        // the read deadline passed
}

func (e *Conn) set(f func()) {
	e.t.mu.Lock()
	f()
	e.t.gen++
	e.t.mu.Unlock()
}

// Read reads, marked as waiting for the peer meanwhile.
func (e *Conn) Read(b []byte) (int, error) {
	e.set(func() { e.reading = true })
	n, err := e.Conn.Read(b)
	e.set(func() {
		e.reading, e.kicked = false, false
		e.read += int64(n)
		if err != nil && e.expired && errors.Is(err, os.ErrDeadlineExceeded) {
			// The clock's deadline: said without the connection's
			// ephemeral ports, which differ from one replay to the next.
			err = os.ErrDeadlineExceeded
		}
	})
	return n, err
}

// Write counts the bytes before they leave, so that they count as on the
// way until the peer has read them.
func (e *Conn) Write(b []byte) (int, error) {
	e.set(func() { e.written += int64(len(b)) })
	n, err := e.Conn.Write(b)
	if n < len(b) {
		e.set(func() { e.written -= int64(len(b) - n) })
	}
	return n, err
}

// Close closes the connection and its deadline's timer.
func (e *Conn) Close() error {
	e.set(func() {
		e.closed = true
		if e.deadline != nil {
			e.deadline.Stop()
			e.deadline = nil
		}
	})
	return e.Conn.Close()
}

// SetDeadline sets the read deadline on the clock and the write deadline
// as it is.
func (e *Conn) SetDeadline(t time.Time) error {
	e.SetReadDeadline(t)
	return e.Conn.SetWriteDeadline(t)
}

// SetReadDeadline moves the read deadline onto the tracker's clock. Callers
// compute t from the machine's time (time.Now().Add(d)); the wait d is kept,
// rounded to 10 ms so that the time spent in between does not make two
// replays differ (SetDeadlineAfter takes the wait itself). When the clock
// reaches it, a read in progress and every later one fail as timed out, as
// with a deadline of the machine.
func (e *Conn) SetReadDeadline(t time.Time) error {
	if t.IsZero() {
		return e.readAfter(0, false)
	}
	return e.readAfter(max(t.Sub(e.t.now()).Round(10*time.Millisecond), 0), true)
}

// SetDeadlineAfter sets the read deadline d from now on the tracker's
// clock, and the write deadline d from now on the machine's: a caller that
// knows the wait passes it as it is.
func (e *Conn) SetDeadlineAfter(d time.Duration) error {
	e.readAfter(d, true)
	return e.Conn.SetWriteDeadline(time.Now().Add(d))
}

func (e *Conn) readAfter(d time.Duration, set bool) error {
	var err error
	e.set(func() {
		if e.deadline != nil {
			e.deadline.Stop()
			e.deadline = nil
		}
		e.expired = false
		err = e.Conn.SetReadDeadline(time.Time{})
		if !set || err != nil {
			return
		}
		var tm clock.Timer
		tm = e.t.clk.AfterFunc(d, func() {
			e.set(func() {
				if e.deadline != tm {
					return // replaced or closed since
				}
				e.expired = true
				e.Conn.SetReadDeadline(time.Unix(1, 0))
			})
		})
		e.deadline = tm
	})
	return err
}

// Sleep waits d on clk. When conn is a tracked end, it counts as waiting on
// the clock meanwhile, and the clock's firing wakes it before the clock's
// Running count drops, so a replay cannot move on in between.
func Sleep(ctx context.Context, clk clock.Clock, conn net.Conn, d time.Duration) error {
	e, ok := conn.(*Conn)
	if !ok {
		return clock.Sleep(ctx, clk, d)
	}
	if d <= 0 {
		return ctx.Err()
	}
	done := make(chan struct{})
	// The wake-up is on the clock before the end counts as sleeping: a
	// replay that found it sleeping with the timer not yet set took the
	// next timer on the clock (a deadline minutes away) for the next
	// thing due, and fired it first.
	tm := clk.AfterFunc(d, func() {
		e.set(func() { e.kicked = true })
		close(done)
	})
	e.set(func() { e.sleeping = true })
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		tm.Stop()
		err = ctx.Err()
	}
	e.set(func() { e.sleeping, e.kicked = false, false })
	return err
}
