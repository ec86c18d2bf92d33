package sink

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/quiesce"
	"github.com/relaylab/relaylab/internal/smtpdata"
	"github.com/relaylab/relaylab/internal/textsafe"
)

// conn sits between the client's TCP connection and go-smtp. It records
// the transcript with timings, and it is where the behaviours go-smtp does
// not leave to a Session live: the greeting, STARTTLS (done here, so that
// the transcript stays readable after it), the reply to DATA, RSET and QUIT,
// the EHLO extension list, tarpits and drops.
//
// go-smtp calls Read and Write from one goroutine per connection; Close may
// come from another (Shutdown), so only closing is guarded.
type conn struct {
	net.Conn // the current transport: TCP, or TLS over it
	tcp      net.Conn
	tlsState *tls.ConnectionState
	sink     *Sink
	l        *listener
	id       int64
	client   netip.Addr
	start    time.Time
	clock    clock.Clock
	// startEpoch is the state's epoch when c began: what c counts has
	// this epoch or a later one (Sink.reconcile).
	startEpoch uint32

	sess *session // set at EHLO

	// Transcript.
	tr        bytes.Buffer
	partial   []byte // a client line not yet complete
	inData    bool
	dataBytes int
	dataEnd   smtpdata.Scanner // where the message ends, as go-smtp finds it
	bdatLeft  int              // bytes of a BDAT chunk still to come (RFC 3030)
	bdatOpen  bool             // a BDAT chunk that was not LAST came, and no LAST or RSET since
	inAuth    bool             // client lines are SASL responses
	cmds      []pendingCmd
	rcptTried int        // RCPT commands answered since the last accepted MAIL
	guard     lineGuard  // the client's line length, as go-smtp counts it
	held      []byte     // client bytes read but kept for the next Read
	short     bool       // held is the start of a command line: read on
	rerr      error      // the read error that came with the last bytes
	edits     []lineEdit // where observe found a line to rewrite for go-smtp
	// syntaxErrors counts the lines the sink refused as no command
	// (pendingCmd.own); past maxSyntaxErrors it closes with 421.
	syntaxErrors int
	// rcptRefused counts the RCPTs refused since the last message
	// accepted, authFailed the failed AUTHs: past the listener's
	// limits.max_refused_recipients, and maxAuthFailures, the sink closes
	// with 421 (errorLimit).
	rcptRefused, authFailed int
	// lastStage is the stage of the last reply to a command, which a
	// reply to none (the idle timeout) is recorded at (unasked).
	lastStage Stage
	// quitSeen: the client sent QUIT, after which no line is a command
	// (observe counts their octets in afterQuit, and notes them).
	quitSeen  bool
	afterQuit int
	// Of the message being read (DATA's, or a BDAT chunk): when the
	// first read for it began, by the wall clock as network deadlines
	// are; the chunk's size; and whether the deadline of the read in
	// progress is limits.min_data_rate's (transferDeadline).
	xferStart time.Time
	bdatSize  int
	slow      bool
	ready     []byte // client bytes observed, rewritten, not yet passed on
	replies   []replyRecord
	more      replyFold // the replies past maxReplies
	greeted   bool
	truncated bool
	// closing: the reply being noted ends the session (send), and goes
	// into the transcript after its truncation.
	closing bool
	// peekGreet: a connect-stage delay or tarpit held the greeting back,
	// so look for a client that spoke before it (pregreet).
	peekGreet bool
	// heard: the client's first bytes have come (firstBytes looked).
	heard bool

	// Server side.
	wbuf       []byte
	swallow    int    // replies from go-smtp to drop (after a refused DATA)
	inject     []byte // bytes Read returns before reading the client
	tarpit     time.Duration
	closeAfter bool // close after the reply being written (421)
	netClosed  bool // closed after a reply: write nothing more
	cut        bool // the connection ended in a message (cutTransfer)
	// silenced is the behaviour by which the sink closed the connection
	// without a reply (a drop, a hang, or a delay the sink stopped in),
	// for the attempts that end there (session.outcome); nil before.
	silenced *Behavior
	// replaceNext replaces go-smtp's next 2xx reply to MAIL, RCPT or the
	// final dot: a rule's own 2xx reply, or the sink's "accepted as" text.
	replaceNext *Reply
	// appendNext is added to the text of the next 2xx reply to RCPT or
	// the final dot: why pieces of the addresses that look like
	// directives are not. A refusal keeps its own words, which a client
	// (a relay) classifies it by.
	appendNext []replyNote
	// cmdFault: the reply being written refuses the command's syntax, and
	// is about no recipient (a BDAT go-smtp cannot parse).
	cmdFault bool
	// byNext names what chose the next reply (Behavior.By, or a limit of
	// the listener), or why the connection closes without one: for the
	// attempts that reply ends (session.attemptOf), the transcript and
	// the session's replies (send). "" for the sink's normal replies.
	byNext string
	// byWhy says what of the message met the rule of byNext (a content
	// rule's Behavior.Matched), for the transcript only.
	byWhy string

	closeOnce sync.Once
	uncounted atomic.Bool // counted out of the listener's open connections
	// clientCounted: counted in the listener's connections of its client
	// (limits.max_connections_per_client), until uncounted.
	clientCounted bool
	finished      chan struct{}
	quit          atomic.Bool // the reply to QUIT (or a closing 421) is on its way

	// For Shutdown (shutdown.go), under stopMu: waiting is set while Read
	// waits for the client's next command, waitTxn when that is inside a
	// transaction; shut once Shutdown has closed the socket.
	stopMu           sync.Mutex
	waiting, waitTxn bool
	shut             bool
}

// replyRecord is one reply the sink gave, for the session record.
type replyRecord struct {
	At       float64 `json:"t"` // seconds since the session began
	Stage    Stage   `json:"stage"`
	Code     int     `json:"code"`
	Enhanced string  `json:"enhanced,omitempty"`
	Text     string  `json:"text"`
	Attempt  int     `json:"attempt,omitempty"`
	Rcpt     string  `json:"recipient,omitempty"` // for replies about one recipient
	// Rcpts names the recipients of a refusal about several (of DATA, or
	// of the message after its final dot), at most maxReplyRcpts of them,
	// and MoreRcpts how many more there were (replyRecord.about).
	Rcpts     []string `json:"recipients,omitempty"`
	MoreRcpts int      `json:"more_recipients,omitempty"`
	By        string   `json:"by,omitempty"` // what chose the reply: conn.byNext
	// Count is how many replies the record stands for: 0 for one; more
	// for the replies past maxReplies folded into one (replyFold), each
	// with this stage, code and enhanced code, from First to At seconds.
	Count int     `json:"count,omitempty"`
	First float64 `json:"first,omitempty"`
}

func newConn(s *Sink, l *listener, raw net.Conn, id int64) *conn {
	c := &conn{Conn: raw, tcp: raw, sink: s, l: l, id: id, clock: s.clock, start: s.clock.Now(), finished: make(chan struct{}),
		startEpoch: s.state.epoch.Load()}
	if l.srv != nil {
		c.guard.limit = l.srv.MaxLineLength
	}
	if ap, err := netip.ParseAddrPort(raw.RemoteAddr().String()); err == nil {
		c.client = ap.Addr().Unmap()
	}
	if l.implicitTLS {
		c.Conn = tls.Server(raw, l.tlsConfig)
	}
	return c
}

// Bounds on what one session keeps in memory for its record, whatever a
// client sends (a NOOP flood must not grow the sink without end).
const (
	maxTranscript = 256 << 10
	maxLateNotes  = 4 << 10 // the sink's notes after maxTranscript
	maxReplies    = 2000
)

// note appends one transcript line: seconds since start, direction, text.
func (c *conn) note(dir byte, text []byte) {
	if c.truncated && !c.closing && (dir != '*' || c.tr.Len()+len(text) > maxTranscript+maxLateNotes) {
		// The sink's own notes go on a little longer: why the session
		// ended, what it did not take, which a flood must not hide; and
		// the reply that ends the session, whatever room is left.
		return
	}
	if !c.truncated && c.tr.Len()+len(text) > maxTranscript {
		c.truncated = true
		c.tr.WriteString("[transcript truncated here; the session went on]\n")
		if dir != '*' && !c.closing {
			return
		}
	}
	ms := c.clock.Now().Sub(c.start).Milliseconds()
	var num [24]byte
	b := strconv.AppendInt(num[:0], ms/1000, 10)
	b = append(b, '.', byte('0'+ms%1000/100), byte('0'+ms%100/10), byte('0'+ms%10), ' ')
	c.tr.Write(b)
	c.tr.WriteByte(dir)
	c.tr.WriteByte(' ')
	if dir != '*' && !printableASCII(text) {
		// A line goes in as it was sent, but for what could move a
		// terminal's cursor or hide text from who reads it (a TLS hello
		// sent to a port in the clear is binary; a reply echoes a
		// client's address with its direction controls): those as escapes.
		text = []byte(textsafe.Escape(string(text)))
	}
	if len(text) > 1024 {
		c.tr.Write(text[:1024])
		c.tr.WriteString("...")
	} else {
		c.tr.Write(text)
	}
	c.tr.WriteByte('\n')
}

func (c *conn) notef(dir byte, s string) { c.note(dir, []byte(s)) }

// printableASCII reports whether b is printable ASCII and tabs only, a
// line that textsafe.Escape would leave as it is: most lines are.
func printableASCII(b []byte) bool {
	for _, x := range b {
		if x < 0x20 && x != '\t' || x >= 0x7f {
			return false
		}
	}
	return true
}

func (c *conn) since() float64 {
	return float64(c.clock.Now().Sub(c.start).Milliseconds()) / 1000
}

// Read is the client's side of the conversation.
func (c *conn) Read(p []byte) (int, error) {
	if len(c.inject) > 0 {
		n := copy(p, c.inject)
		c.inject = c.inject[n:]
		return n, nil
	}
	if len(c.ready) > 0 {
		n := copy(p, c.ready)
		c.ready = c.ready[n:]
		return n, nil
	}
	for {
		n := 0
		if len(c.held) > 0 {
			n = copy(p, c.held)
			c.held = c.held[n:]
		}
		var err error
		if n == 0 || c.short {
			// Nothing held, or only the start of a command line: read on.
			c.short = false
			if c.rerr != nil {
				err = c.rerr
			} else {
				var m int
				if idle := c.l.cfg.Limits.IdleTimeout.D(); idle > 0 && (c.inData || c.bdatLeft > 0) {
					// go-smtp sets its idle deadline as it reads a command
					// line only, so a message would have to come whole
					// within it of its DATA or BDAT (and a delay before 354
					// spent it). RFC 5321 4.5.3.2.6 bounds each block.
					// Network deadlines are the wall clock's, as go-smtp's.
					c.Conn.SetReadDeadline(c.transferDeadline(idle))
				}
				// Nothing of the next command yet: Shutdown may end the
				// session here (shutdown.go).
				between := n == 0 && !c.inData && c.bdatLeft == 0 && !c.inAuth
				if between {
					if stop, closed := c.waitCommand(); closed {
						return 0, net.ErrClosed
					} else if stop {
						return c.shutDown()
					}
				}
				m, err = c.Conn.Read(p[n:])
				if between && c.waited(m, err) {
					return c.shutDown()
				}
				c.checkTLS()
				n += m
				if err != nil && m > 0 {
					// Said with the last bytes (TLS's close_notify): the
					// bytes first, the error once they are passed on.
					c.rerr, err = err, nil
				}
			}
		}
		c.firstBytes(p[:n])
		if err != nil {
			if c.inData || c.bdatLeft > 0 {
				var ne net.Error
				if errors.As(err, &ne) && ne.Timeout() {
					// The idle timeout ends the message: go-smtp's drain
					// of the rest of it, and any read after, gets the
					// same error at once, instead of waiting out a new
					// idle period (which kept a stalled client twice as
					// long, and one trickling bytes until its dot).
					c.rerr = err
				}
				c.cutTransfer(err)
			}
			if n > 0 {
				// RFC 5321 2.3.8: a line ends with CRLF; this one did not
				// end, so it is no command and gets no reply.
				when := "when the connection ended (" + err.Error() + ")"
				var ne net.Error
				switch {
				case errors.Is(err, io.EOF):
					when = "when the client closed the connection"
				case errors.As(err, &ne) && ne.Timeout():
					when = "at the idle timeout"
				}
				c.notef('*', "unterminated line "+strconv.Quote(string(p[:min(n, 200)]))+" "+when+": not a command (RFC 5321 2.3.8), not answered")
			}
			var ne net.Error
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) && !(errors.As(err, &ne) && ne.Timeout()) && !c.netClosed {
				// The connection broke (reset by the client, a TLS
				// record that does not decrypt): go-smtp answers with
				// "421 4.4.0 Connection error", which no client reads
				// on it. Noted, not recorded as a reply the sink gave.
				c.netClosed = true
				c.notef('*', "the connection broke ("+err.Error()+"): no reply sent")
			}
			return 0, err
		}
		if n == 0 {
			return 0, nil
		}
		if c.inData || c.bdatLeft > 0 {
			if end := c.messageEnd(p[:n]); end < n {
				// Commands after the message in the same read: held,
				// so that the next read takes them as commands (an
				// unterminated one is not run, a STARTTLS is the
				// sink's).
				c.held = append(bytes.Clone(p[end:n]), c.held...)
				n = end
			}
			return c.pass(p, n), nil
		}
		m, tlsLine := c.commandCut(p[:n])
		if tlsLine > 0 {
			c.held = append(bytes.Clone(p[tlsLine:n]), c.held...)
			wasTLS := c.tlsState != nil
			if herr := c.startTLS(bytes.TrimRight(p[:tlsLine], "\r\n")); herr != nil {
				return 0, herr
			}
			if !wasTLS && c.tlsState != nil && len(c.held) > 0 {
				// RFC 3207 5: what the client sent in the clear after
				// STARTTLS is not taken as said under TLS (a command
				// injected there would be; CVE-2011-0411).
				c.notef('*', strconv.Itoa(len(c.held))+" octets sent after STARTTLS before TLS began were dropped (RFC 3207 5)")
				c.held = nil
			}
			if len(c.inject) > 0 {
				k := copy(p, c.inject)
				c.inject = c.inject[k:]
				return k, nil
			}
			continue
		}
		if m == 0 && n < len(p) {
			// The start of a command line, and no more yet.
			c.held = append(bytes.Clone(p[:n]), c.held...)
			c.short = true
			continue
		}
		if m == 0 {
			m = n // as long as go-smtp's buffer: pass it on
		}
		if m < n {
			c.held = append(bytes.Clone(p[m:n]), c.held...)
		}
		return c.pass(p, m), nil
	}
}

// cutTransfer notes that the connection ended with err in the middle of
// a message (DATA or a BDAT chunk). The message has no end and gets no
// reply: a reply go-smtp writes now is to no one (and the client may never
// read it), so it is neither sent nor recorded; the open recipients'
// attempts end here, with code 0, as after a drop.
func (c *conn) cutTransfer(err error) {
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return // the client is still there: session.Data answers
	}
	who := "the connection ended (" + err.Error() + ")"
	switch {
	case errors.Is(err, io.EOF):
		who = "the client closed the connection"
	case errors.Is(err, net.ErrClosed):
		who = "the sink closed the connection"
	}
	where := "in the message data after " + strconv.Itoa(c.dataBytes) + " octets"
	if c.bdatLeft > 0 {
		where = strconv.Itoa(c.bdatLeft) + " octets short of the end of a BDAT chunk"
	}
	text := who + " " + where + ": the message is incomplete and got no reply"
	c.notef('*', text)
	c.inData, c.bdatLeft = false, 0
	c.netClosed, c.cut = true, true
	if c.sess != nil {
		c.sess.recordOpen(StageDataEnd, Reply{Text: text})
	}
}

// pass observes p[:n], the client's bytes as go-smtp is to get them, and
// returns how many of p go-smtp gets now.
func (c *conn) pass(p []byte, n int) int {
	n = c.hold(p, n)
	c.observe(p[:n])
	return c.complete(p, n)
}

// commandCut looks at b, client bytes read where a command is due, and
// returns how many of them go-smtp may have now: up to a STARTTLS line,
// which the sink answers itself once the commands before it are answered,
// and without the start of a command line not yet ended, which waits for
// its end (or the close that shows it is none). When b begins with a
// STARTTLS line, it returns 0 and that line's length.
func (c *conn) commandCut(b []byte) (m, tlsLine int) {
	off := 0
	if len(c.partial) > 0 {
		// The end of a line go-smtp has the start of (one too long).
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			return len(b), 0
		}
		off = i + 1
	}
	for off < len(b) {
		i := bytes.IndexByte(b[off:], '\n')
		if i < 0 {
			break
		}
		line, sasl := b[off:off+i+1], off == 0 && c.inAuth
		if (c.l.starttls || c.l.implicitTLS) && isStartTLS(line) && !sasl {
			if off == 0 {
				return 0, i + 1
			}
			return off, 0
		}
		off += i + 1
		if off < len(b) && (sasl || turnsAround(line)) {
			// What follows may be the message, a SASL response or a
			// command, as the reply says: go-smtp answers first, so
			// conn knows which.
			return off, 0
		}
	}
	if tail := len(b) - off; tail > 0 && (c.guard.limit > 0 && tail > c.guard.limit || len(c.held) > 0) {
		// Too long for a command line: go-smtp refuses it as it comes.
		// Or b is only part of what is held: pass it on.
		return len(b), 0
	}
	return off, 0
}

// messageEnd returns how many of b, client bytes read in the middle of a
// message, belong to it: through the CRLF "." CRLF that ends DATA's
// message, where go-smtp's reader ends it (internal/smtpdata), or the rest
// of a BDAT chunk; all of b when the message goes on past it.
func (c *conn) messageEnd(b []byte) int {
	if c.bdatLeft > 0 {
		return min(c.bdatLeft, len(b))
	}
	sc := c.dataEnd // a look ahead: observe moves the scan itself
	n, _ := sc.Scan(b)
	return n
}

// turnsAround reports whether line is a DATA or AUTH command, after whose
// reply the client's lines may be other than commands (RFC 5321 4.1.1.4,
// RFC 4954 4).
func turnsAround(line []byte) bool {
	verb, _, _ := bytes.Cut(bytes.TrimRight(line, "\r\n"), []byte(" "))
	return bytes.EqualFold(verb, []byte("DATA")) || bytes.EqualFold(verb, []byte("AUTH"))
}

// isStartTLS reports whether line is a STARTTLS command (with or without
// an argument, which startTLS refuses).
func isStartTLS(line []byte) bool {
	const verb = "STARTTLS"
	line = bytes.TrimRight(line, "\r\n")
	return len(line) >= len(verb) && strings.EqualFold(string(line[:len(verb)]), verb) &&
		(len(line) == len(verb) || line[len(verb)] == ' ')
}

// postmasterMark is the domain conn.complete gives a bare <Postmaster>
// for go-smtp, whose parser wants one; session.Rcpt takes it off again.
// A control character: no address a client could send has it (a control
// character in a path gets 553 at MAIL and RCPT).
const postmasterMark = "\x00postmaster"

// lineEdit replaces del octets at at, in the client's bytes as observe saw
// them, with ins for go-smtp (see complete).
type lineEdit struct {
	at, del int
	ins     string
}

// complete rewrites p[:n], just observed, for go-smtp: RFC 5321 4.5.1
// has every server take RCPT TO:<Postmaster> without a domain, which
// go-smtp refuses as a syntax error; and a line that is no command becomes
// a NOOP, whose reply the sink replaces (pendingCmd.own), since go-smtp
// closes the connection after its fourth such line of a session. What does
// not fit in p comes next.
func (c *conn) complete(p []byte, n int) int {
	if len(c.edits) == 0 {
		return n
	}
	grow := 0
	for _, e := range c.edits {
		grow += len(e.ins)
	}
	out := make([]byte, 0, n+grow)
	prev := 0
	for _, e := range c.edits {
		out = append(out, p[prev:e.at]...)
		out = append(out, e.ins...)
		prev = e.at + e.del
	}
	out = append(out, p[prev:n]...)
	c.edits = c.edits[:0]
	m := copy(p, out)
	c.ready = append(out[m:len(out):len(out)], c.ready...)
	return m
}

// hold keeps back, for the next Read, the octets of p[:n] from the start
// of a line too long for go-smtp, so that the complete lines before it
// are read and answered first; it returns how many octets to pass on.
func (c *conn) hold(p []byte, n int) int {
	if c.bdatLeft > 0 {
		return n // a BDAT chunk is read without a line limit
	}
	m := c.guard.cut(p[:n])
	if m < n {
		c.held = append(bytes.Clone(p[m:n]), c.held...)
	}
	return m
}

// observe splits client bytes into lines for the transcript and the queue
// of commands awaiting a reply.
func (c *conn) observe(b []byte) {
	size := len(b)
	for len(b) > 0 {
		if c.bdatLeft > 0 {
			n := min(c.bdatLeft, len(b))
			c.bdatLeft -= n
			b = b[n:]
			continue
		}
		if c.inData {
			n, end := c.dataEnd.Scan(b)
			c.dataBytes += n
			b = b[n:]
			if end {
				c.endData()
			}
			continue
		}
		if c.quitSeen {
			// go-smtp reads no command after QUIT: these are not
			// commands, and get no reply (noted below).
			c.afterQuit += len(b)
			break
		}
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			if len(c.partial) < 4096 {
				c.partial = append(c.partial, b[:min(len(b), 4096-len(c.partial))]...)
			}
			return
		}
		start := size - len(b)
		line := b[:i+1]
		b = b[i+1:]
		whole := len(c.partial) == 0
		if !whole {
			if len(c.partial) < 4096 {
				c.partial = append(c.partial, line[:min(len(line), 4096-len(c.partial))]...)
			}
			line = c.partial
			c.partial = c.partial[:0]
		}
		// A line begun in an earlier Read has gone to go-smtp in part:
		// too late to complete it, and rare (commands are short).
		if e, ok := c.clientLine(line); ok && whole {
			e.at += start
			c.edits = append(c.edits, e)
		}
	}
	if c.afterQuit > 0 {
		c.notef('*', strconv.Itoa(c.afterQuit)+" octets after QUIT were not read as commands and got no reply (QUIT ends the session, RFC 5321 4.1.1.10)")
		c.afterQuit = 0
	}
}

// endData notes the end of DATA's message, found by observe where
// go-smtp's reader finds it (RFC 5321 4.1.1.4: only CRLF "." CRLF ends
// it; a bare-LF "." line, or one after "\r\r\n", is data: no smuggling).
func (c *conn) endData() {
	c.inData = false
	c.notef('C', "["+strconv.Itoa(c.dataBytes-3)+" bytes of message]")
	c.notef('C', ".")
	c.cmds = append(c.cmds, pendingCmd{stage: StageDataEnd, known: true})
}

// bareRcptAt returns the index of the '>' of RCPT TO:<Postmaster> in a
// command line, or -1 for any other line.
func bareRcptAt(text []byte) int {
	const verb, path = "RCPT TO:", "<postmaster>"
	if len(text) < len(verb) || !strings.EqualFold(string(text[:len(verb)]), verb) {
		return -1
	}
	i := len(verb)
	for i < len(text) && text[i] == ' ' {
		i++
	}
	if len(text)-i < len(path) || !strings.EqualFold(string(text[i:i+len(path)]), path) {
		return -1
	}
	return i + len(path) - 1
}

// clientLine notes a complete client line and returns how go-smtp is to
// get it instead, if at all (see complete): RCPT TO:<Postmaster> with a
// domain, a line that is no command as a NOOP.
func (c *conn) clientLine(line []byte) (lineEdit, bool) {
	text := bytes.TrimRight(line, "\r\n")
	if c.inAuth {
		c.notef('C', "[credentials]")
		c.cmds = append(c.cmds, pendingCmd{stage: StageAuth, known: true, sasl: true})
		// One response per challenge: the next 334 asks for another.
		c.inAuth = false
		return lineEdit{}, false
	}
	verb, _, _ := bytes.Cut(text, []byte(" "))
	upper := strings.ToUpper(string(verb))
	stage := verbStage(upper)
	cmd := pendingCmd{known: knownVerb(upper)}
	if own := notACommand(text, upper, cmd.known); own != nil {
		c.note('C', text)
		cmd.stage, cmd.own = "other", own
		c.cmds = append(c.cmds, cmd)
		return lineEdit{del: len(line), ins: "NOOP\r\n"}, true
	}
	mark := -1
	switch upper {
	case "AUTH":
		if sp := bytes.IndexByte(text, ' '); sp > 0 {
			if sp2 := bytes.IndexByte(text[sp+1:], ' '); sp2 > 0 {
				// More than one word after the response is no AUTH.
				cmd.authExtra = len(bytes.Fields(text[sp+1+sp2:])) > 1
				text = append(text[:sp+1+sp2:sp+1+sp2], " [credentials]"...)
			}
		}
	case "MAIL":
		cmd.hugeSize = hugeSize(text)
		cmd.notUTF8 = pathNotUTF8(text)
		params := paramsOf(text)
		cmd.dsn = parseDSNParams(params, true)
		cmd.unknownParam = unknownParam(params, true)
		cmd.mailFault = mailParamFault(params)
		cmd.quotedLocal, cmd.emptyQuoted = pathQuoted(text)
		c.bdatOpen = false
	case "RCPT":
		mark = bareRcptAt(text)
		cmd.notUTF8 = pathNotUTF8(text)
		cmd.quotedLocal, cmd.emptyQuoted = pathQuoted(text)
		params := paramsOf(text)
		cmd.dsn = parseDSNParams(params, false)
		cmd.unknownParam = unknownParam(params, false)
	case "BDAT":
		n, last, ok := bdatArgs(text)
		if !ok {
			// go-smtp refuses it with 501 and reads no chunk: what follows
			// are commands, and the 501 is about no message.
			cmd.badBDAT = true
			cmd.hugeBDAT = hugeChunk(text)
			break
		}
		cmd.bdat = true
		c.bdatLeft, c.bdatSize = n, n
		c.bdatOpen = !last
		c.xferStart = time.Time{} // set at its first read (transferDeadline)
	case "EHLO", "HELO":
		c.bdatOpen = false
		if len(text) > 5 {
			// go-smtp takes the first word and drops the rest.
			cmd.heloExtra = bytes.IndexByte(bytes.TrimSpace(text[5:]), ' ') >= 0
		}
	case "RSET":
		c.bdatOpen = false
	case "QUIT":
		c.quitSeen = true
	case "VRFY":
		cmd.bareVRFY = len(bytes.TrimSpace(text)) == len("VRFY")
	}
	c.note('C', text)
	cmd.stage = stage
	c.cmds = append(c.cmds, cmd)
	if mark < 0 {
		return lineEdit{}, false
	}
	return lineEdit{at: mark, ins: "@" + postmasterMark}, true
}

// verbStage is the stage of a command by its upper-case verb: BDAT's is
// data-end, since it carries the message (RFC 3030).
func verbStage(verb string) Stage {
	switch verb {
	case "EHLO", "HELO", "LHLO":
		return StageEHLO
	case "AUTH":
		return StageAuth
	case "MAIL":
		return StageMail
	case "RCPT":
		return StageRcpt
	case "DATA":
		return StageData
	case "RSET":
		return StageRset
	case "QUIT":
		return StageQuit
	case "STARTTLS":
		return StageStartTLS
	case "BDAT":
		return StageDataEnd
	}
	return "other"
}

func (c *conn) checkTLS() {
	if c.tlsState != nil {
		return
	}
	if tc, ok := c.Conn.(*tls.Conn); ok {
		if st := tc.ConnectionState(); st.HandshakeComplete {
			c.tlsState = &st
			c.notef('*', "TLS established: "+tlsDescription(&st))
		}
	}
}

func tlsDescription(st *tls.ConnectionState) string {
	if st == nil {
		return ""
	}
	return tls.VersionName(st.Version) + " " + tls.CipherSuiteName(st.CipherSuite)
}

// startTLS answers a STARTTLS command here rather than in go-smtp (RFC 3207).
func (c *conn) startTLS(line []byte) error {
	c.note('C', line)
	if c.l.hidden("STARTTLS") {
		return c.reply(StageStartTLS, Reply{Code: 502, Enhanced: "5.5.1", Text: "Command not implemented: this listener does not offer STARTTLS (hidden in its hide list)"})
	}
	if len(line) > len("STARTTLS") {
		return c.reply(StageStartTLS, Reply{Code: 501, Enhanced: "5.5.4", Text: "Syntax error: STARTTLS takes no parameters (RFC 3207 4)"})
	}
	if c.tlsState != nil {
		return c.reply(StageStartTLS, Reply{Code: 503, Enhanced: "5.5.1", Text: "TLS is already active"})
	}
	if c.bdatOpen {
		// Between the chunks of one message (RFC 3030: only BDAT, RSET
		// or QUIT may follow a chunk that is not the last), TLS would
		// split the message between the clear and TLS.
		return c.reply(StageStartTLS, Reply{Code: 503, Enhanced: "5.5.1", Text: "Bad sequence of commands: a BDAT transfer is in progress; send its LAST chunk or RSET before STARTTLS"})
	}
	in := c.baseInput(StageStartTLS)
	b := c.sink.decide(in, c.sessionDirectives())
	if stop, err := c.before(b); stop {
		return err
	}
	if b.Reply != nil && b.Reply.Code != 220 {
		c.byNext = b.By
		if err := c.reply(StageStartTLS, *b.Reply); err != nil {
			return err
		}
		if b.Reply.Code == 421 {
			c.closeSocket()
			return net.ErrClosed
		}
		return nil
	}
	if err := c.reply(StageStartTLS, Reply{Code: 220, Enhanced: "2.0.0", Text: "Ready to start TLS"}); err != nil {
		return err
	}
	if c.sess != nil {
		// Before TLS is in force: an open transaction's recipients are
		// recorded as attempts made in the clear, which they were.
		c.sess.resetTransaction()
	}
	tc := tls.Server(c.tcp, c.l.tlsConfig)
	if err := tc.HandshakeContext(c.sink.hardCtx); err != nil {
		c.notef('*', c.l.handshakeFailure(err).note())
		c.closeSocket()
		// go-smtp answers the failed read with a 421 that no client can
		// read on a connection whose TLS never began: not recorded as a
		// reply the sink gave.
		c.netClosed = true
		return err
	}
	c.Conn = tc
	c.checkTLS()
	// RFC 3207 4.2: forget what the client said before; a new EHLO follows.
	// go-smtp never saw the STARTTLS: an RSET of ours, whose reply is not
	// sent, clears its envelope (the session's was cleared above), and
	// the session refuses MAIL and AUTH
	// until the next EHLO, and forgets an AUTH (go-smtp keeps no mark of
	// it: see authServer).
	c.inject = append(c.inject, "RSET\r\n"...)
	c.swallow++
	if c.sess != nil {
		c.sess.needHelo = true
		if u := c.sess.authUser; u != "" {
			// An AUTH in the clear is knowledge from before TLS too
			// (RFC 3207 4.2; RFC 4954 4): the client must AUTH again.
			c.sess.authUser, c.sess.authBeforeTLS = "", u
			c.notef('*', "authentication as "+u+" forgotten with STARTTLS (RFC 3207 4.2): AUTH again under TLS")
		}
	}
	return nil
}

// pregreet notes a client that sent before the greeting, which RFC 5321
// 4.3.1 has it wait for (a bot that does not is what postscreen's pregreet
// test finds). It reads what is waiting at once, for the next Read to
// take as usual: one read more, only for a greeting a rule held back.
// Under implicit TLS the client speaks first (its TLS hello). A listener's
// pregreet: refuses such a client instead (pregreetTest).
func (c *conn) pregreet() {
	if c.l.implicitTLS || c.tlsState != nil {
		return
	}
	if n := c.peekEarly(); n > 0 {
		c.notef('*', "the client spoke before the greeting: "+strconv.Itoa(n)+" octets were waiting when it was sent (RFC 5321 4.3.1: a client waits for the 220)")
	}
}

// writeDeadline gives the next write the idle timeout from now (none
// when the listener has no idle timeout): a wait the sink plays itself is
// not the client's, but a client that reads nothing for the idle timeout
// is cut off.
func (c *conn) writeDeadline() {
	var t time.Time
	if idle := c.l.cfg.Limits.IdleTimeout.D(); idle > 0 {
		t = time.Now().Add(idle)
	}
	c.Conn.SetWriteDeadline(t)
}

// chose notes b as what chose the next reply (session.apply): a reply of
// its own, or none (a drop, a hang).
func (c *conn) chose(b Behavior) {
	if b.Reply != nil || b.Drop || b.Hang {
		c.byNext = b.By
	}
}

// before applies the waiting parts of b: delay, drop, hang. stop reports
// that the connection is gone and no reply must follow.
func (c *conn) before(b Behavior) (stop bool, err error) {
	if b.Delay > 0 {
		c.notef('*', "delay "+b.Delay.String()+" ("+b.Rule+")")
		if err := quiesce.Sleep(c.sink.hardCtx, c.clock, c.tcp, b.Delay); err != nil {
			c.closeSocket()
			c.netClosed = true
			c.silenced = &Behavior{Delay: b.Delay, Rule: b.Rule}
			return true, err
		}
		// A write deadline go-smtp set before the delay (the idle
		// timeout, at DATA, RSET, QUIT or a later EHLO) is not the
		// client's fault: the reply gets a fresh one.
		c.writeDeadline()
	}
	// After a drop or a hang go-smtp still writes the reply of the error
	// it is given: netClosed keeps it out of the transcript and the
	// replies, and silenced out of the attempts, since the client never
	// gets it.
	if b.Drop {
		c.notef('*', "drop ("+b.Rule+")")
		c.closeSocket()
		c.netClosed = true
		c.silenced = &Behavior{Drop: true, Rule: b.Rule}
		return true, net.ErrClosed
	}
	if b.Hang {
		c.notef('*', "hang ("+b.Rule+")")
		c.hang()
		c.netClosed = true
		c.silenced = &Behavior{Hang: true, Rule: b.Rule}
		return true, net.ErrClosed
	}
	if b.Tarpit > 0 {
		c.tarpit = b.Tarpit
	}
	return false, nil
}

// unanswered is the record of an attempt that ends at stage without a
// reply, because of b: a drop, a hang, or the sink stopping in b's delay.
// Code 0 says no reply was given; the text says the sink meant it, and by
// which rule or directive, so that no one reads a fault of the network.
func unanswered(stage Stage, b Behavior) Reply {
	where := "at " + strings.ToUpper(string(stage))
	switch stage {
	case StageDataEnd:
		where = "after the final dot"
	case "":
		where = "in the session"
	}
	switch {
	case b.Drop:
		return Reply{Text: "the sink dropped the connection on purpose " + where + " (" + b.Rule + ")"}
	case b.Hang:
		return Reply{Text: "the sink gave no reply on purpose " + where + " and waited for the client to give up (" + b.Rule + ")"}
	}
	return Reply{Text: "the sink stopped during a delay " + where + " (" + b.Rule + ") and closed the connection without a reply"}
}

// hang reads and discards until the client gives up or the sink stops.
// The listener's idle timeout does not end it: a hang lasts until the
// client's own timeout (RFC 5321 4.5.3.2), which is what it tests.
func (c *conn) hang() {
	stop := context.AfterFunc(c.sink.hardCtx, func() { c.closeSocket() })
	defer stop()
	c.Conn.SetReadDeadline(time.Time{})
	buf := make([]byte, 512)
	for {
		if _, err := c.Conn.Read(buf); err != nil {
			c.closeSocket()
			return
		}
	}
}

// reply writes r as the answer to the command at the head of the queue.
func (c *conn) reply(stage Stage, r Reply) error {
	if len(c.cmds) > 0 {
		c.cmds = c.cmds[1:]
	}
	return c.send(stage, r.wire())
}

// send writes one whole reply, slowly when tarpitting, and records it.
func (c *conn) send(stage Stage, wire []byte) error {
	if c.netClosed {
		return net.ErrClosed // the sink closed it: nothing more is said
	}
	if did, err := c.handshake(c.l.cfg.Limits.IdleTimeout.D()); err != nil {
		return err // the greeting of a TLS that did not begin: never sent
	} else if did {
		c.writeDeadline() // go-smtp's for this reply, which the handshake took
	}
	by, why := c.byNext, c.byWhy
	c.byNext, c.byWhy = "", ""
	if stage != "other" {
		c.lastStage = stage
	}
	// The reply that ends the session (to QUIT, or a 421 the sink closes
	// after: RFC 5321 3.8) goes into a truncated transcript too, with what
	// chose it; the others' "reply by" notes do not, so as not to use up
	// the room kept for why the session ended (maxLateNotes).
	c.closing = stage == StageQuit || c.closeAfter || bytes.HasPrefix(wire, []byte("421"))
	switch {
	case c.truncated && !c.closing:
	case by != "" && why != "":
		c.notef('*', "reply by "+by+" (matched "+why+")")
	case by != "":
		c.notef('*', "reply by "+by)
	}
	for rest := wire; len(rest) > 0; {
		line := rest
		if i := bytes.IndexByte(rest, '\n'); i >= 0 {
			line, rest = rest[:i+1], rest[i+1:]
		} else {
			rest = nil
		}
		c.note('S', bytes.TrimRight(line, "\r\n"))
	}
	c.closing = false
	c.recordReply(stage, wire, by)
	var err error
	if c.tarpit > 0 {
		d := c.tarpit
		c.tarpit = 0
		// The idle timeout's write deadline (go-smtp's WriteTimeout) is
		// for a reply sent at once, not for one spread over minutes:
		// each byte gets its own, so that a client that stops reading
		// still cannot hold the session for ever.
		for i := 0; i < len(wire) && err == nil; i++ {
			if i > 0 {
				if err = quiesce.Sleep(c.sink.hardCtx, c.clock, c.tcp, d); err != nil {
					break
				}
			}
			c.writeDeadline()
			_, err = c.Conn.Write(wire[i : i+1])
		}
	} else {
		_, err = c.Conn.Write(wire)
	}
	c.checkTLS()
	// errors.AsType, not errors.As into a variable: that variable
	// escaped to the heap, an allocation for every reply sent.
	if ne, ok := errors.AsType[net.Error](err); ok && ne.Timeout() {
		// go-smtp goes on after a failed write: close, as at the idle
		// timeout of a read, instead of answering the commands already
		// received into the void.
		c.notef('*', "the client did not read this reply in time (it has read nothing for the idle timeout): closing the connection")
		c.netClosed = true
		c.closeSocket()
	}
	if c.closeAfter {
		c.closeAfter = false
		c.netClosed = true
		c.closeSocket()
	}
	return err
}

func (c *conn) recordReply(stage Stage, wire []byte, by string) {
	whole := bytes.TrimRight(wire, "\r\n")
	last := whole
	i := bytes.LastIndexByte(last, '\n')
	if i >= 0 {
		last = last[i+1:]
	}
	if len(last) < 3 {
		return
	}
	code, _ := strconv.Atoi(string(last[:3]))
	rest := ""
	if len(last) > 4 {
		rest = string(last[4:])
	}
	rr := replyRecord{At: c.since(), Stage: stage, Code: code, Text: rest, By: by}
	if first, after, ok := strings.Cut(rest, " "); ok && validEnhanced(first) {
		rr.Enhanced, rr.Text = first, after
	}
	if i >= 0 && !(stage == StageEHLO && code/100 == 2) {
		// A reply of several lines (a rule's) is recorded whole, as the
		// client gets it; an EHLO reply's lines are its extensions.
		rr.Text = wireLines(whole, rr.Enhanced)
	}
	switch {
	case c.sess == nil:
	case stage == StageRcpt:
		// Only a reply to a RCPT that reached the session is about its
		// recipient; go-smtp answers a syntax error itself.
		if c.sess.rcptCalled {
			rr.Attempt, rr.Rcpt = c.sess.lastAttempt, c.sess.lastRcpt
		}
		c.sess.rcptCalled = false
	case stage == StageDataEnd && !c.cmdFault, stage == StageData && c.sess.dataRefused:
		// About the recipients accepted at RCPT, whose attempts end
		// here: named now, while the session has them. The session's
		// sink.reply events are written at its end (writeSession), after
		// go-smtp's reset at the end of DATA (handleData's deferred
		// reset) and at QUIT (Logout) has let go of them. A DATA go-smtp
		// refuses itself (its syntax) is about none (dataRefused: the
		// refusal is session.dataBehavior's).
		rr.about(c.sess.rcpts)
	}
	c.cmdFault = false
	if len(c.replies) < maxReplies {
		c.replies = append(c.replies, rr)
	} else {
		c.more.add(rr)
	}
}

// wireLines is the text of the reply of several lines w (without its
// last CRLF): each line's text without its code and "-", and without
// enhanced when the line starts with it, joined by "\n" (Reply.Text).
func wireLines(w []byte, enhanced string) string {
	var b strings.Builder
	for len(w) > 0 {
		line := w
		if i := bytes.IndexByte(w, '\n'); i >= 0 {
			line, w = w[:i], w[i+1:]
		} else {
			w = nil
		}
		line = bytes.TrimRight(line, "\r")
		if len(line) > 4 {
			line = line[4:]
		} else {
			line = nil
		}
		if enhanced != "" && len(line) > len(enhanced) && line[len(enhanced)] == ' ' && string(line[:len(enhanced)]) == enhanced {
			line = line[len(enhanced)+1:]
		}
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		b.Write(line)
	}
	return b.String()
}

// Write is go-smtp's side: it is buffered up to the end of each reply, then
// rewritten or replaced as the behaviour says, then sent.
func (c *conn) Write(p []byte) (int, error) {
	c.wbuf = append(c.wbuf, p...)
	for {
		end := replyEnd(c.wbuf)
		if end < 0 {
			return len(p), nil
		}
		r := c.wbuf[:end]
		err := c.serverReply(r)
		c.wbuf = c.wbuf[:copy(c.wbuf, c.wbuf[end:])]
		if err != nil {
			return 0, err
		}
	}
}

// replyEnd returns the length of the first complete reply in b (through
// the CRLF of its last line, "NNN " or "NNN"), or -1.
func replyEnd(b []byte) int {
	off := 0
	for {
		i := bytes.IndexByte(b[off:], '\n')
		if i < 0 {
			return -1
		}
		line := b[off : off+i+1]
		off += i + 1
		if len(line) < 4 || line[3] != '-' {
			return off
		}
	}
}

// replyNote is a note for a 2xx reply (conn.appendNext): its text, and
// the recipient it is on when the reply is about several (after the final
// dot), else "".
type replyNote struct{ text, on string }

// withNotes adds notes to the text of the last line of reply r, as many
// as keep that line within RFC 5321 4.5.3.1.5's 512 octets, and then says
// how many more the transcript has, and which recipients they are on
// (notesOn). (The attempt's record has them after its text, so on its
// last line too: session.attemptOf.)
func withNotes(r []byte, notes []replyNote) []byte {
	const most = 512 - len("; and 99 more in the transcript\r\n")
	out := bytes.TrimRight(r, "\r\n")
	start := bytes.LastIndexByte(out, '\n') + 1
	for i, n := range notes {
		if len(out)-start+2+len(n.text) > most {
			if len(out)-start <= most {
				out = append(strconv.AppendInt(append(out, "; and "...), int64(len(notes)-i), 10), " more in the transcript"...)
				out = notesOn(out, start, notes[i:])
			} // else a rule's line near 512 octets already: the notes stay in the transcript
			break
		}
		out = append(append(out, "; "...), n.text...)
	}
	return append(out, "\r\n"...)
}

// notesOn names, after "and N more in the transcript", the recipients the
// notes left out are on, as many as the line (from start) has room for:
// the reply after the final dot is one for all recipients, and a client
// (a relay) records it for each, so each one's record then says that
// there is a note on it, where it showed only the first recipient's.
func notesOn(out []byte, start int, left []replyNote) []byte {
	const room = 512 - len(", ...\r\n")
	sep, last := ", on <", ""
	for _, n := range left {
		if n.on == "" || n.on == last {
			continue
		}
		if len(out)-start+len(sep)+len(n.on)+1 > room {
			if last == "" {
				return out // not even one fits
			}
			return append(out, ", ..."...)
		}
		out = append(append(append(out, sep...), n.on...), '>')
		sep, last = ", <", n.on
	}
	return out
}

func (c *conn) serverReply(r []byte) error {
	if c.swallow > 0 {
		c.swallow--
		return nil
	}
	if isTooManyErrors(r) {
		// An extra reply, to no command: go-smtp closes next. RFC 5321
		// 3.8 wants 421 from a server that closes.
		c.closeAfter = true
		return c.send("other", replyTooManyErrors.wire())
	}
	if len(c.cmds) == 0 && c.greeted {
		if at, rep, ok := c.unasked(r); ok {
			return c.send(at, rep)
		}
	}
	stage := StageConnect
	cmd := pendingCmd{stage: StageConnect, known: true}
	if len(c.cmds) > 0 {
		cmd = c.cmds[0]
		stage = cmd.stage
		c.cmds = c.cmds[1:]
	} else if c.greeted {
		stage = "other"
		cmd.stage = stage
	}
	c.cmdFault = cmd.badBDAT
	if cmd.own != nil {
		// go-smtp answered the NOOP complete gave it for a line that is
		// no command: the reply is the sink's.
		if err := c.send(stage, cmd.own.wire()); err != nil {
			return err
		}
		if c.syntaxErrors++; c.syntaxErrors > maxSyntaxErrors {
			c.closeAfter = true
			return c.send("other", replyTooManyErrors.wire())
		}
		return nil
	}
	if fix := c.rfcReply(cmd, r); fix != nil {
		r = fix.wire()
	}
	code := 0
	if len(r) >= 3 {
		code, _ = strconv.Atoi(string(r[:3]))
	}
	if ne, ok := errors.AsType[net.Error](c.rerr); cmd.bdat && code >= 400 && ok && ne.Timeout() {
		// go-smtp's 554 "transaction failed: read tcp ...: i/o timeout"
		// for a chunk that stalled: one 421, and close, as for a message
		// that stalls after DATA (session.Data).
		c.closeAfter = true
		r = c.stallReply("a BDAT chunk").wire()
		code = 421
	}
	if cmd.bdat && code >= 400 && c.sess != nil && !c.netClosed {
		// go-smtp refused a chunk itself (over the size limit): the
		// recipients did get a message, refused, not none at all.
		rc, enh, text := parseWireReply(r)
		c.sess.recordOpen(StageDataEnd, Reply{Code: rc, Enhanced: enh, Text: text})
	}
	switch {
	case stage == StageMail && code/100 == 2:
		c.rcptTried = 0
	case stage == StageRcpt:
		c.rcptTried++
	}
	// The replacement belongs to this reply only, whatever its stage.
	repl := c.replaceNext
	c.replaceNext = nil
	// A rule's reply in place of go-smtp's: a 2xx to MAIL, RCPT or the
	// final dot, and the greeting's 220 (a banner of its own, of several
	// lines as some servers send; listener.admit).
	replaced := repl != nil && (code/100 == 2 && (stage == StageMail || stage == StageRcpt || stage == StageDataEnd) ||
		stage == StageConnect && code == 220)
	if replaced {
		r = repl.wire()
	} else if repl != nil {
		// A rule's 2xx that this reply does not use (EHLO keeps its
		// extension list): go-smtp's reply is not the rule's.
		c.byNext = ""
	}
	if notes := c.appendNext; notes != nil {
		c.appendNext = nil
		if code/100 == 2 && (stage == StageRcpt || stage == StageDataEnd) {
			r = withNotes(r, notes)
		}
	}
	switch stage {
	case StageConnect:
		c.greeted = true
		if c.peekGreet {
			c.pregreet()
		}
		if code == 220 && !replaced {
			r = []byte("220 " + c.l.cfg.Hostname + " ESMTP " + c.l.greeting + "\r\n")
		}
	case StageEHLO:
		if code == 250 {
			if s := c.sess; s != nil {
				if !s.fresh {
					// A later EHLO or HELO (after STARTTLS, after RSET, or
					// at any time: RFC 5321 4.1.4) meets the checks and
					// rules of the first, which NewSession applied.
					b, refuse := s.greetAgain(s.sc.Hostname(), cmd.heloExtra)
					if stop, err := c.before(b); stop {
						return err
					}
					if refuse != nil {
						c.byNext = b.By
						c.closeAfter = refuse.Code == 421
						return c.send(stage, refuse.wire())
					}
				}
				// The client is named anew: records and rules use the
				// name of the last EHLO that was accepted.
				s.fresh = false
				s.helo, s.needHelo = s.sc.Hostname(), false
			}
			r = c.ehloReply(r)
		}
	case StageAuth:
		c.inAuth = code == 334
	case StageData:
		if code == 354 && c.sess != nil {
			b := c.sess.dataBehavior()
			if stop, err := c.before(b); stop {
				// dataBehavior recorded a drop or hang; a delay the sink
				// stopped in ends the attempts here too.
				c.sess.recordOpen(StageData, unanswered(StageData, *c.silenced))
				return err
			}
			if b.Reply != nil && b.Reply.Code != 354 {
				// Refuse DATA: go-smtp has already committed to reading a
				// message, so feed it an empty one and drop its reply.
				c.inject, c.swallow = []byte(".\r\n"), 1
				c.sess.dataRefused = true
				c.byNext = b.By
				c.closeAfter = b.Reply.Code == 421
				return c.send(stage, b.Reply.wire())
			}
			if b.Reply != nil && code == 354 {
				// The rule's own go-ahead, in place of go-smtp's text.
				c.byNext = b.By
				r = b.Reply.wire()
			} else {
				r = goAhead(len(c.sess.rcpts)).wire()
			}
		}
		if code == 354 {
			c.inData, c.dataBytes, c.dataEnd = true, 0, smtpdata.Scanner{}
			c.xferStart = time.Time{} // set at its first read (transferDeadline)
		}
	case StageRset, StageQuit:
		if stage == StageQuit {
			c.quit.Store(true)
		} else if code == 250 {
			// go-smtp's "Session reset": RSET ends the transaction only
			// (RFC 5321 4.1.1.5); EHLO, TLS and AUTH stay.
			r = replyRset.wire()
		}
		if c.sess != nil {
			b := c.sink.decide(c.sess.input(stage, ""), c.sessionDirectives())
			if stop, err := c.before(b); stop {
				return err
			}
			if b.Reply != nil {
				c.byNext = b.By
				c.closeAfter = b.Reply.Code == 421
				return c.send(stage, b.Reply.wire())
			}
		}
	}
	if err := c.send(stage, r); err != nil {
		return err
	}
	if bye := c.errorLimit(stage, code); bye != nil {
		// One more reply, after the one that passed the limit, as
		// for lines that are no command (maxSyntaxErrors).
		c.closeAfter = true
		return c.send(stage, bye.wire())
	}
	return nil
}

// ehloReply rebuilds go-smtp's EHLO reply with the listener's name and its
// own extension list.
func (c *conn) ehloReply(r []byte) []byte {
	lines := strings.Split(strings.TrimRight(string(r), "\r\n"), "\n")
	if len(lines) == 1 { // HELO
		return []byte("250 " + c.l.cfg.Hostname + " Hello " + echoName(c.helo()) + "\r\n")
	}
	out := []string{c.l.cfg.Hostname + " Hello " + echoName(c.helo())}
	if c.l.starttls && c.tlsState == nil && !c.l.hidden("STARTTLS") {
		out = append(out, "STARTTLS")
	}
	for _, ln := range lines[1:] {
		ext := strings.TrimRight(ln, "\r")
		if len(ext) > 4 {
			ext = ext[4:]
		}
		name, _, _ := strings.Cut(ext, " ")
		if strings.EqualFold(name, "AUTH") && c.l.cfg.Auth.RequireTLS && c.tlsState == nil {
			// AUTH is taken only under TLS: not offered before it, as
			// Postfix's smtpd_tls_auth_only (RFC 4954 4 lets a server
			// offer it so); an AUTH sent anyway gets 538.
			continue
		}
		if !c.l.hidden(name) {
			if max := c.l.cfg.Limits.MaxMessageBytes; ext == "SIZE" && max > 0 {
				ext = "SIZE " + strconv.FormatInt(max, 10) // RFC 1870 4: the limit
			}
			out = append(out, ext)
		}
		if max := c.l.cfg.Limits.MaxRecipients; name == "SIZE" && max > 0 && !c.l.hidden("LIMITS") {
			// RFC 9422: the recipient limit, which the session
			// enforces (go-smtp, which does not know it, would put it
			// here, after SIZE).
			out = append(out, "LIMITS RCPTMAX="+strconv.Itoa(max))
		}
	}
	var b strings.Builder
	for i, ln := range out {
		if i == len(out)-1 {
			b.WriteString("250 ")
		} else {
			b.WriteString("250-")
		}
		b.WriteString(ln)
		b.WriteString("\r\n")
	}
	return []byte(b.String())
}

func (c *conn) helo() string {
	if c.sess != nil {
		return c.sess.helo
	}
	return ""
}

func (c *conn) baseInput(stage Stage) *input {
	if c.sess != nil {
		return c.sess.input(stage, "")
	}
	return &input{stage: stage, listener: c.l.cfg.Name, client: c.client}
}

// current returns the command go-smtp is handling now, when it is at
// stage (see currentDSN), or nil.
func (c *conn) current(stage Stage) *pendingCmd {
	if len(c.cmds) == 0 || c.cmds[0].stage != stage {
		return nil
	}
	return &c.cmds[0]
}

// currentDSN returns the DSN parameters of the command go-smtp is
// handling now, when it is at stage; go-smtp handles one command at a
// time and answers it before it reads the next, so it heads the queue.
func (c *conn) currentDSN(stage Stage) (*dsnCmd, bool) {
	if len(c.cmds) == 0 || c.cmds[0].stage != stage {
		return nil, false
	}
	return c.cmds[0].dsn, true
}

func (c *conn) sessionDirectives() []Directive {
	if c.sess == nil {
		return nil
	}
	return c.sess.allDirectives()
}

// Close is called by go-smtp when the session ends: record it.
func (c *conn) Close() error {
	c.closeNotify()
	err := c.closeSocket()
	c.closeOnce.Do(func() {
		c.sink.finish(c)
		close(c.finished)
	})
	return err
}

// closeSocket closes c's socket, and counts c out of its listener's open
// connections first: a client that sees the close may connect again at
// once, and that connection must not find c still counted (a replay's
// max_concurrent_per_destination saw 4 of a relay's 3 that way).
func (c *conn) closeSocket() error {
	if c.uncounted.CompareAndSwap(false, true) {
		c.l.active.Add(-1)
		if c.clientCounted {
			c.l.perClient.done(c.client)
		}
	}
	return c.tcp.Close()
}
