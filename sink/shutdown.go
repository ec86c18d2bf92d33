package sink

import (
	"errors"
	"io"
	"net"
	"time"
)

// RFC 5321 3.8: a server that is shut down SHOULD send 421 and close; the
// client reads it after its next command. Shutdown asks that of every
// session at once where the session waits for the client's next command
// outside a transaction; one in a transaction finishes it first (or is
// asked when the grace ends), and one in the middle of a message, a SASL
// exchange or a reply is closed without a word when the grace ends, as
// before: there is no place for a reply there.

// shutdownReply is the 421 of a sink that is shutting down: RFC 3463
// X.3.2, system not accepting network messages.
func shutdownReply(hostname string) Reply {
	return Reply{Code: 421, Enhanced: "4.3.2", Text: hostname + " shutting down, try again later"}
}

// waitCommand is Read's, before it waits for the client's next command:
// stop says to end the session with the 421 now, closed that Shutdown
// closed the connection already. Otherwise c counts as waiting until
// waited.
func (c *conn) waitCommand() (stop, closed bool) {
	c.stopMu.Lock()
	defer c.stopMu.Unlock()
	if c.shut {
		return false, true
	}
	if c.stopNow() {
		return true, false
	}
	c.waiting, c.waitTxn = true, c.sess != nil && c.sess.inTxn
	return false, false
}

// waited is Read's, after the read waitCommand let it do returned m
// octets and err: it reports whether to end the session with the 421 (the
// read was cut short by stopIdle). Octets that came are taken, with the
// idle timeout running again from now should stopIdle have cut the
// deadline short too.
func (c *conn) waited(m int, err error) bool {
	c.stopMu.Lock()
	c.waiting = false
	shut := c.shut
	c.stopMu.Unlock()
	if shut || !c.sink.draining.Load() {
		return false
	}
	var ne net.Error
	if m == 0 && errors.As(err, &ne) && ne.Timeout() {
		return c.stopNow()
	}
	var t time.Time
	if idle := c.l.cfg.Limits.IdleTimeout.D(); idle > 0 {
		t = time.Now().Add(idle)
	}
	c.tcp.SetReadDeadline(t)
	return false
}

// stopNow reports whether a session waiting for a command ends now: the
// sink is shutting down, and the session is outside a transaction and not
// spared, or the grace is over.
func (c *conn) stopNow() bool {
	if !c.sink.draining.Load() {
		return false
	}
	if c.sink.hardCtx.Err() != nil {
		return true
	}
	return (c.sess == nil || !c.sess.inTxn) && !c.spared()
}

// Spared is a connection, as Options.Wrap makes it, that may ask a
// shutdown to let its session run on between its commands too, for as
// long as Spare reports true and the grace lasts. relaylab serve marks so
// the connections of its own relay: a delivery it lets finish, or the
// next on the same connection, is served, not answered 421 as an idle
// session (the relay would record a deferral and rest its path to the
// sink, over a stop it asked for). Such a session ends when its client
// closes it. Spare must not turn from false to true during a stop.
type Spared interface {
	Spare() bool
}

// spared reports whether c's connection asks to be spared now.
func (c *conn) spared() bool {
	sp, ok := c.tcp.(Spared)
	return ok && sp.Spare()
}

// OpenSessions is the number of connections the sink has open; while
// Shutdown runs, those it still waits for.
func (s *Sink) OpenSessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// shutdownWriteTimeout bounds the write of the 421: a client that reads
// nothing must not hold the shutdown.
const shutdownWriteTimeout = 5 * time.Second

// shutDown sends the 421 and closes: go-smtp gets the end of the
// connection, on which it says nothing more.
func (c *conn) shutDown() (int, error) {
	c.notef('*', "the sink is shutting down: 421 to a session waiting for its next command, and close (RFC 5321 3.8)")
	c.quit.Store(true) // Flush waits for the record of a session that has its last reply
	c.closeAfter = true
	c.tcp.SetWriteDeadline(time.Now().Add(shutdownWriteTimeout))
	c.send("other", shutdownReply(c.l.cfg.Hostname).wire())
	return 0, io.EOF
}

// stopIdle is Shutdown's, for each connection: at its start (hard false)
// it wakes a session waiting for its next command outside a transaction
// (and not Spared), which then says 421 and closes (Read); when the grace
// is over (hard),
// one waiting for a command in a transaction too, and it closes any other
// at once, as in the middle of a message there is no place for a reply.
func (c *conn) stopIdle(hard bool) {
	c.stopMu.Lock()
	defer c.stopMu.Unlock()
	switch {
	case c.waiting && (hard || !c.waitTxn && !c.spared()):
		// A deadline past makes the read return at once; the wall
		// clock's, as network deadlines are.
		c.tcp.SetReadDeadline(time.Unix(1, 0))
	case hard:
		c.shut = true
		c.closeSocket()
	}
}
