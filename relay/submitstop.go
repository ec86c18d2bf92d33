package relay

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-smtp"
)

// RFC 5321 3.8: a server that is shut down SHOULD answer 421 and close.
// The submission listener stops as the sink does (sink/shutdown.go): when
// Shutdown begins, every session waiting for the client's next command
// outside a transaction is answered 421 4.3.2 and closed at once, so that
// an idle client (EHLO, then nothing) holds nothing; one in a transaction
// finishes it, beside the deliveries in progress and under the same
// deadline, and is answered 421 at its next command. When the deadline
// passes, a session waiting for a command in a transaction gets the 421
// too, and any other (in a message, a SASL exchange, a TLS handshake, or
// while its command is run) is closed without a word: there is no place
// for a reply there.
//
// go-smtp v0.25 has no hook for this, and the wireConn (wire.go) sits
// between it and the client: so the TCP connection under the wireConn
// (and under TLS) is a stopConn, which sees go-smtp ask for a command
// line (it sets its read deadline then, and only then: Conn.readLine) and
// can cut the read that waits for it short. Whether the session is idle
// is decided on the session's own goroutine, which reads the wireConn's
// and the session's state as they are.

// shutdownReply is the 421 of a relay that is shutting down: RFC 3463
// X.3.2, system not accepting network messages, in the sink's words.
func shutdownReply(domain string) string {
	return "421 4.3.2 " + domain + " shutting down, try again later"
}

// stopWriteTimeout bounds the write of the 421: a client that reads
// nothing must not hold the shutdown.
const stopWriteTimeout = 5 * time.Second

// stopSet follows the submission connections open, for a shutdown.
type stopSet struct {
	mu      sync.Mutex
	conns   map[*stopConn]struct{}
	changed chan struct{} // closed (and replaced) when a connection closes
	// draining: the shutdown began; hard: its deadline passed.
	draining, hard atomic.Bool
	// told counts the sessions answered 421; cut, those still open when
	// the deadline passed.
	told, cut atomic.Int64
}

func newStopSet() *stopSet {
	return &stopSet{conns: map[*stopConn]struct{}{}, changed: make(chan struct{})}
}

// open is the number of connections open.
func (s *stopSet) open() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// listener wraps l, a submission listener, for srv: each connection it
// accepts is a stopConn under the wireConn that wire puts before go-smtp.
func (s *stopSet) listener(r *Relay, l net.Listener, tcfg *tls.Config, implicit bool, srv *smtp.Server) net.Listener {
	return watchListener{r.wire(stopListener{Listener: l, set: s}, tcfg, implicit, srv)}
}

// stopListener makes each connection a stopConn.
type stopListener struct {
	net.Listener
	set *stopSet
}

func (l stopListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	sc := &stopConn{Conn: c, set: l.set}
	l.set.mu.Lock()
	l.set.conns[sc] = struct{}{}
	l.set.mu.Unlock()
	return sc, nil
}

// watchListener tells each stopConn the wireConn over it, through which
// a 421 is written (under TLS when TLS is in force).
type watchListener struct{ net.Listener }

func (l watchListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if w, ok := c.(*wireConn); ok {
		if sc, ok := w.raw.(*stopConn); ok {
			sc.w = w
		}
	}
	return c, err
}

// attach tells the stopConn under c the session go-smtp made for it (at
// EHLO or HELO), whose transaction decides whether it is idle.
func attach(c net.Conn, sess *session) {
	if w, ok := c.(*wireConn); ok {
		if sc, ok := w.raw.(*stopConn); ok {
			sc.sess = sess
		}
	}
}

// begin starts a shutdown: each session waiting for a command is woken,
// and an idle one says 421 and closes (stopConn.Read).
func (s *stopSet) begin() {
	s.draining.Store(true)
	s.wake(false)
}

// wake cuts short the reads of the sessions waiting for a command; when
// hard, it closes every other connection.
func (s *stopSet) wake(hard bool) {
	s.mu.Lock()
	open := make([]*stopConn, 0, len(s.conns))
	for c := range s.conns {
		open = append(open, c)
	}
	s.mu.Unlock()
	for _, c := range open {
		c.wake(hard)
	}
}

// drain waits until every connection has closed, or until ctx ends: then
// the rest are answered 421 or closed (see above), and counted as cut.
func (s *stopSet) drain(ctx context.Context) {
	hard := false
	for {
		s.mu.Lock()
		n, changed := len(s.conns), s.changed
		s.mu.Unlock()
		if n == 0 {
			return
		}
		if !hard {
			select {
			case <-changed:
				continue
			case <-ctx.Done():
			}
			hard = true
			s.cut.Store(int64(n))
			s.hard.Store(true)
			s.wake(true)
			continue
		}
		<-changed // each 421 is bounded by stopWriteTimeout; the rest are closed
	}
}

func (s *stopSet) remove(c *stopConn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.conns[c]; ok {
		delete(s.conns, c)
		close(s.changed)
		s.changed = make(chan struct{})
	}
}

// stopConn is a submission client's TCP connection (see above).
type stopConn struct {
	net.Conn
	set  *stopSet
	w    *wireConn // set before go-smtp reads or writes (watchListener)
	sess *session  // set at EHLO or HELO (attach)

	mu sync.Mutex
	// awaiting: go-smtp asked for a command line, and since then no octet
	// came and nothing was written.
	awaiting bool
	reading  bool      // a Read waits on the socket
	woken    bool      // wake cut that Read short
	deadline time.Time // the read deadline last set, which a wake puts back
}

// SetReadDeadline is go-smtp's, as it reads a command line (through TLS,
// when TLS is in force).
func (c *stopConn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	c.deadline, c.awaiting = t, true
	c.mu.Unlock()
	return c.Conn.SetReadDeadline(t)
}

// SetDeadline is the wireConn's, around a TLS handshake: no command is
// awaited then.
func (c *stopConn) SetDeadline(t time.Time) error {
	c.mu.Lock()
	c.deadline = t
	c.mu.Unlock()
	return c.Conn.SetDeadline(t)
}

func (c *stopConn) Write(b []byte) (int, error) {
	c.mu.Lock()
	c.awaiting = false
	c.mu.Unlock()
	return c.Conn.Write(b)
}

func (c *stopConn) Close() error {
	err := c.Conn.Close()
	c.set.remove(c)
	return err
}

// Read is go-smtp's (through the wireConn, and TLS), on the session's
// goroutine.
func (c *stopConn) Read(p []byte) (int, error) {
	for {
		switch c.beforeRead() {
		case stopSay:
			return c.say421()
		case stopCut:
			return 0, net.ErrClosed
		}
		n, err := c.Conn.Read(p)
		switch c.afterRead(n, err) {
		case stopSay:
			return c.say421()
		case stopCut:
			return 0, net.ErrClosed
		case stopAgain:
			continue
		}
		return n, err
	}
}

// What a stopConn's read does, as the shutdown has it.
const (
	stopOn    = iota // read, or pass on what was read
	stopSay          // answer 421 and end the session
	stopCut          // the grace is over and there is no place for a reply: end
	stopAgain        // the wake ended nothing: read again
)

func (c *stopConn) beforeRead() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.set.draining.Load() && c.awaiting {
		if c.idle() {
			return stopSay
		}
		if c.set.hard.Load() {
			c.Conn.Close()
			return stopCut
		}
	}
	if c.set.hard.Load() && !c.awaiting {
		// The grace is over and this read is no command's (the rest
		// of a message, a handshake): there is no place for a reply.
		c.Conn.Close()
		return stopCut
	}
	c.reading = true
	return stopOn
}

func (c *stopConn) afterRead(n int, err error) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reading = false
	if n > 0 {
		c.awaiting = false
	}
	if !c.woken {
		return stopOn
	}
	c.woken = false
	var ne net.Error
	if n > 0 || !errors.As(err, &ne) || !ne.Timeout() {
		// Octets (or the end) came first: the session goes on, with its
		// own deadline again.
		c.Conn.SetReadDeadline(c.deadline)
		return stopOn
	}
	switch {
	case c.awaiting && c.idle():
		return stopSay
	case c.set.hard.Load():
		c.Conn.Close()
		return stopCut
	}
	c.Conn.SetReadDeadline(c.deadline)
	return stopAgain
}

// idle reports whether the session may be answered 421 now: it waits for
// a command, not for a SASL response, a message or a TLS handshake, and
// outside a transaction unless the grace is over. It reads the wireConn
// and the session, so only the session's goroutine calls it.
func (c *stopConn) idle() bool {
	w := c.w
	if w == nil || w.dead || w.needTLS || w.sasl || w.inData || w.bdatLeft > 0 {
		return false
	}
	return c.set.hard.Load() || c.sess == nil || !c.sess.mailOK
}

// wake is the shutdown's (another goroutine): a read waiting for a
// command returns at once, its deadline past (the wall clock's, as
// network deadlines are); when hard, any other connection is closed.
func (c *stopConn) wake(hard bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case c.reading && c.awaiting:
		c.woken = true
		c.Conn.SetReadDeadline(time.Unix(1, 0))
	case hard && !c.awaiting && c.reading:
		// Blocked in the middle of a message: closed. One that is not
		// reading may have just written its reply and not yet asked for
		// the next command; its next read decides (beforeRead): a 421
		// where a command is awaited, else the end. Closing it here cut
		// such a session without its 421.
		c.Conn.Close()
	}
}

// say421 writes the 421 through the wireConn (in TLS when TLS is in
// force) and ends the session: go-smtp reads the end of the connection,
// on which it says nothing more.
func (c *stopConn) say421() (int, error) {
	c.set.told.Add(1)
	c.Conn.SetWriteDeadline(time.Now().Add(stopWriteTimeout))
	c.w.reply(shutdownReply(c.w.domain))
	c.w.dead = true
	return 0, io.EOF
}

// InProgress is what the relay has under way: submission sessions open
// and deliveries being made (a delivery is one job: a message's
// recipients for one destination). relaylab serve says it while it stops.
func (r *Relay) InProgress() (sessions, deliveries int) {
	if r.sub != nil {
		sessions = r.sub.stops.open()
	}
	return sessions, len(r.slots)
}

// SessionsCut is, after a Shutdown whose deadline passed, the number of
// submission sessions it closed before they had finished.
func (r *Relay) SessionsCut() int {
	if r.sub == nil {
		return 0
	}
	return int(r.sub.stops.cut.Load())
}

// PutBack is the number of recipients Shutdown put back in the queue
// untried: claimed, but their attempt had not begun (they waited for a
// worker, a connection or their turn in a rate). They wait as they did
// before the claim, due at the same time.
func (r *Relay) PutBack() int { return int(r.putBacks.Load()) }

// InFlight counts the recipients in flight in the store: after Shutdown,
// those whose deliveries it cut, which the next start tries again.
func (r *Relay) InFlight(ctx context.Context) (int, error) {
	var n int
	err := r.store.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM relay_recipients WHERE state = 'inflight'`).Scan(&n)
	return n, err
}

// OwnsClient reports whether addr (host:port) is the local address of one
// of the relay's open connections to servers (a delivery's, or one kept
// for the next): a sink in the same process sees it as its client's.
func (r *Relay) OwnsClient(addr string) bool {
	r.live.mu.Lock()
	defer r.live.mu.Unlock()
	for c := range r.live.conns {
		if a := c.LocalAddr(); a != nil && a.String() == addr {
			return true
		}
	}
	return false
}

// Names of the submission listeners, as Accepting gives them.
const (
	ListenerSubmission = "submission" // relay.listen
	ListenerTLS        = "tls"        // relay.tls_listen
)

// acceptState is what Accepting says of one submission listener.
type acceptState struct {
	name string
	// failing is the error of the last accept while accepts fail (out of
	// file descriptors), nil once one works again; ended is the error
	// that ended the listener's Serve.
	failing, ended atomic.Pointer[error]
}

// acceptWatch notes each accept of its listener in st.
type acceptWatch struct {
	net.Listener
	st  *acceptState
	log *slog.Logger
}

func (l acceptWatch) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		// Once for a run of failures: go-smtp tries again at once, then
		// at most a second apart, which would be a line a second.
		if l.st.failing.Swap(&err) == nil && !errors.Is(err, net.ErrClosed) {
			l.log.Warn("relay: a submission listener cannot accept connections (tried again until it can; /readyz says not ready meanwhile); if it says too many open files, raise the limit (ulimit -n) or lower relay.max_connections",
				"listener", l.st.name, "err", err)
		}
		return nil, err
	}
	if p := l.st.failing.Swap(nil); p != nil {
		l.log.Info("relay: the submission listener accepts connections again", "listener", l.st.name, "after", (*p).Error())
	}
	return c, nil
}

// accepting is Accepting's map: closed (net.ErrClosed) from the start of
// the shutdown, and the error of a listener whose accepts fail or whose
// Serve ended.
func (s *submission) accepting() map[string]error {
	out := map[string]error{}
	for _, st := range s.accepts {
		var err error
		switch {
		case s.closed.Load():
			err = net.ErrClosed
		case st.ended.Load() != nil:
			err = fmt.Errorf("stopped accepting (restart the relay): %w", *st.ended.Load())
		case st.failing.Load() != nil:
			err = *st.failing.Load()
		}
		out[st.name] = err
	}
	return out
}
