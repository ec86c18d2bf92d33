package scenario

import (
	"context"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/relay"
)

// The relay's stage timeouts are socket deadlines in the machine's time.
// In a replay the sink's delays and tarpits wait on the virtual clock, so a
// 30 s delay would take no wall time at all while a 5 min command timeout
// would take five real minutes (and the driver, which moves the clock only
// when the relay waits for it, would never move it). A replay therefore
// dials through virtualDialer: its connections turn each deadline the relay
// sets into a timer on the virtual clock, and count the reads and writes
// that are blocked, so that the driver can tell when all the relay's work
// waits on the sink.

// virtualDialer wraps the relay's dialer so that its connections keep
// their deadlines on vc.
type virtualDialer struct {
	inner relay.Dialer
	vc    *clock.Virtual

	mu    sync.Mutex
	conns map[*vconn]struct{} // open
}

var _ relay.Dialer = (*virtualDialer)(nil)

func (d *virtualDialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	c, err := d.inner.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	vc := &vconn{Conn: c, d: d, local: c.LocalAddr().String()}
	d.mu.Lock()
	if d.conns == nil {
		d.conns = map[*vconn]struct{}{}
	}
	d.conns[vc] = struct{}{}
	d.mu.Unlock()
	return vc, nil
}

// waiting reports whether the relay reads or writes on some connection,
// and every read or write it has in progress waits for the clock: it has
// a virtual deadline, and the sink at the other end is marked as waiting
// for the clock (a delay, a tarpit, a hang). Then only a move of the
// clock can end those waits: the sink's reply or the relay's timeout.
func (d *virtualDialer) waiting() bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	n := 0
	for c := range d.conns {
		if c.io.Load() == 0 {
			continue
		}
		n++
		if c.armed.Load() != c.io.Load() || !d.vc.Marked(c.local) {
			return false
		}
	}
	return n > 0
}

// vconn is a connection whose deadlines run on the virtual clock.
type vconn struct {
	net.Conn
	d     *virtualDialer
	local string // the relay's end, the name the sink marks its waits by
	// io counts the reads and writes in progress, armed those of them
	// with a deadline set.
	io, armed atomic.Int64

	mu    sync.Mutex
	read  vdeadline
	write vdeadline
}

// vdeadline is one direction's deadline: a virtual timer that, when it
// fires, sets the socket's real deadline to the past so that the blocked
// call returns the same timeout error a real deadline gives.
type vdeadline struct {
	t   clock.Timer
	gen uint64
}

// deadlineStep rounds a deadline's distance from now: the relay computes
// it from the wall clock a moment before setting it, and a replay must
// give the same virtual times on every run.
const deadlineStep = time.Millisecond

func (c *vconn) Read(p []byte) (int, error) {
	defer c.enter(&c.read)()
	return c.Conn.Read(p)
}

func (c *vconn) Write(p []byte) (int, error) {
	defer c.enter(&c.write)()
	return c.Conn.Write(p)
}

// enter counts a read or write in progress; the returned func ends it.
func (c *vconn) enter(dl *vdeadline) func() {
	c.mu.Lock()
	armed := dl.t != nil
	c.mu.Unlock()
	if armed {
		c.armed.Add(1)
	}
	c.io.Add(1)
	return func() {
		c.io.Add(-1)
		if armed {
			c.armed.Add(-1)
		}
	}
}

func (c *vconn) SetDeadline(t time.Time) error {
	if err := c.SetReadDeadline(t); err != nil {
		return err
	}
	return c.SetWriteDeadline(t)
}

func (c *vconn) SetReadDeadline(t time.Time) error {
	return c.set(&c.read, t, c.Conn.SetReadDeadline)
}

func (c *vconn) SetWriteDeadline(t time.Time) error {
	return c.set(&c.write, t, c.Conn.SetWriteDeadline)
}

// set replaces dl by a virtual timer due as far from the virtual now as t
// is from the wall clock's; a zero t clears it.
func (c *vconn) set(dl *vdeadline, t time.Time, real func(time.Time) error) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if dl.t != nil {
		dl.t.Stop()
		dl.t = nil
	}
	dl.gen++
	if err := real(time.Time{}); err != nil {
		return err
	}
	if t.IsZero() {
		return nil
	}
	d := time.Until(t).Round(deadlineStep)
	gen := dl.gen
	dl.t = c.d.vc.AfterFunc(d, func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		if dl.gen == gen {
			// A moment in the past: the blocked call returns at once with
			// os.ErrDeadlineExceeded, as it would have in real time.
			real(time.Unix(1, 0))
		}
	})
	return nil
}

// Close stops the deadlines' timers, so that a closed connection leaves
// nothing on the virtual clock for the driver to jump to.
func (c *vconn) Close() error {
	c.mu.Lock()
	for _, dl := range []*vdeadline{&c.read, &c.write} {
		if dl.t != nil {
			dl.t.Stop()
		}
		dl.gen++
	}
	c.mu.Unlock()
	c.d.mu.Lock()
	delete(c.d.conns, c)
	c.d.mu.Unlock()
	return c.Conn.Close()
}
