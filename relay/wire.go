package relay

import (
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/relaylab/relaylab/internal/acceptreply"
	"github.com/relaylab/relaylab/internal/dsn"
	"github.com/relaylab/relaylab/internal/mailaddr"
	"github.com/relaylab/relaylab/internal/smtpdata"
	"github.com/relaylab/relaylab/internal/textsafe"
)

// wireConn sits between a submission client's connection and go-smtp's
// server, for what go-smtp v0.25 leaves to no Session:
//
//   - the first word of the EHLO and HELO reply is the relay's own name
//     (RFC 5321 4.1.1.1), where go-smtp writes "Hello CLIENT";
//   - a command line over the limit gets one reply, 500, and the session
//     goes on (RFC 5321 4.2.2, 4.5.3.1.4): go-smtp ran the start of a line
//     that came in two reads as a command, then answered the rest with
//     "500 Too long line" and closed, and it dropped the commands read
//     with an over-long line, unanswered (RFC 2920 3.1);
//   - TLS, STARTTLS and implicit, is done here: go-smtp would wrap this
//     conn in its own, and the EHLO reply under TLS would be out of reach.
//
// It hands go-smtp one command line per Read, so each command is answered
// before the next is looked at, and it knows whether the client's bytes
// are commands, a DATA message or a BDAT chunk. go-smtp calls Read and
// Write from one goroutine; Close may come from another (Shutdown).
type wireConn struct {
	net.Conn          // the transport: TCP, or TLS over it
	raw      net.Conn // the TCP connection
	tlsCfg   *tls.Config
	domain   string
	limit    int           // longest command line, CRLF included
	timeout  time.Duration // for a TLS handshake
	state    atomic.Pointer[tls.ConnectionState]
	needTLS  bool  // implicit TLS: handshake before the greeting
	maxSize  int64 // go-smtp's MaxMessageBytes: the SIZE limit its EHLO reply offers

	held     []byte           // client bytes read, not yet given to go-smtp
	rerr     error            // the read error behind held
	inject   []byte           // bytes Read returns before the client's
	swallow  int              // go-smtp replies not to send (to an injected RSET)
	dead     bool             // the connection failed here: nothing more goes out
	skipping bool             // discarding an over-long line up to its end
	greeting string           // "EHLO" or "HELO" while its reply is due
	needEHLO bool             // STARTTLS happened, no EHLO or HELO answered 250 since (RFC 3207 4.2)
	bdatOpen bool             // go-smtp took a BDAT chunk that was not LAST, and has not reset since
	bdatCmd  int              // bdatMore or bdatLast while go-smtp's reply to a BDAT is due
	bdatLeft int64            // octets of a BDAT chunk still to pass on
	inData   bool             // passing on a DATA message
	sasl     bool             // the next client line answers a 334 (RFC 4954 4), no command
	dotState smtpdata.Scanner // where the end of a DATA message is matched
	replyEnd bool             // the last write ended a reply (no continuation)
	// badParams are the parameters of the MAIL or RCPT command go-smtp is
	// answering whose refusal the relay words itself (see wireparams.go).
	badParams []*paramFault
	// orcpt is the reply to the RCPT command go-smtp is answering when
	// its ORCPT value is malformed: what is wrong, and how to write it.
	orcpt []byte
	// dsnForm is the fault of form of the DSN parameters of the MAIL or
	// RCPT command go-smtp is answering (dsnFormFault), which the session
	// refuses: go-smtp takes them. params are that command's parameters,
	// mail whether it is MAIL, for the sink's wording of a DSN parameter
	// go-smtp refuses itself (dsnParamFault).
	dsnForm *dsn.ParamFault
	params  []string
	mail    bool
	// bareRcpt: the RCPT command go-smtp is answering is RCPT
	// TO:<Postmaster> without a domain, which Read gave go-smtp with
	// postmasterMark as its domain (see session.Rcpt).
	bareRcpt bool
	// authReply: go-smtp's next reply answers AUTH or a SASL response;
	// authRefused: that reply refused it; afterAuth: the command line
	// being answered came right after such a refusal.
	authReply, authRefused, afterAuth bool
	// active is the listener's count of open connections, which Close
	// takes this one from, once (closed).
	active *atomic.Int64
	closed atomic.Bool
}

// What go-smtp's reply to a BDAT command answers.
const (
	bdatMore = 1 + iota // a chunk that is not the last
	bdatLast            // BDAT n LAST
)

// wireListener wraps each accepted connection in a wireConn.
type wireListener struct {
	net.Listener
	tlsCfg   *tls.Config // offered with STARTTLS, or, implicit, required
	implicit bool
	domain   string
	limit    int
	timeout  time.Duration
	maxSize  int64 // the server's MaxMessageBytes
	// maxConns caps the connections open at once (relay.max_connections),
	// as the sink's limits.max_connections does; active counts them.
	maxConns int
	active   atomic.Int64
}

func (l *wireListener) Accept() (net.Conn, error) {
	for {
		raw, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if n := l.active.Add(1); l.maxConns > 0 && n > int64(l.maxConns) {
			l.active.Add(-1)
			go l.refuse(raw)
			continue
		}
		w := &wireConn{Conn: raw, raw: raw, tlsCfg: l.tlsCfg, domain: l.domain, limit: l.limit, timeout: l.timeout,
			maxSize: l.maxSize, replyEnd: true, active: &l.active}
		if l.implicit {
			w.Conn, w.needTLS = tls.Server(raw, l.tlsCfg), true
		}
		return w, nil
	}
}

// refuseTimeout bounds the 421 to a connection over the limit.
const refuseTimeout = 10 * time.Second

// refuse answers a connection over maxConns with 421 in place of the
// greeting (RFC 5321 3.1: the server may refuse a connection this way)
// and closes it, in the sink's words, without a session: it costs no
// more than the reply.
func (l *wireListener) refuse(raw net.Conn) {
	defer raw.Close()
	raw.SetDeadline(time.Now().Add(refuseTimeout)) // network deadlines are the wall clock's, as go-smtp's
	c := raw
	if l.implicit {
		c = tls.Server(raw, l.tlsCfg)
	}
	c.Write([]byte("421 4.7.0 " + l.domain + " has too many connections (its limit is " + strconv.Itoa(l.maxConns) +
		" at once, relay.max_connections), try again later\r\n"))
}

// tlsState is the connection's TLS state, once TLS is in force.
func (w *wireConn) tlsState() (tls.ConnectionState, bool) {
	if st := w.state.Load(); st != nil {
		return *st, true
	}
	return tls.ConnectionState{}, false
}

// Close closes the connection; the first call gives its place back
// under the listener's limit.
func (w *wireConn) Close() error {
	if w.active != nil && w.closed.CompareAndSwap(false, true) {
		w.active.Add(-1)
	}
	return w.raw.Close()
}

func (w *wireConn) RemoteAddr() net.Addr { return w.raw.RemoteAddr() }
func (w *wireConn) LocalAddr() net.Addr  { return w.raw.LocalAddr() }

// handshake runs a TLS server handshake over raw, within the timeout.
func (w *wireConn) handshake(tc *tls.Conn) error {
	if w.timeout > 0 {
		w.raw.SetDeadline(time.Now().Add(w.timeout)) // network deadlines are the wall clock's, as go-smtp's
		defer w.raw.SetDeadline(time.Time{})
	}
	if err := tc.Handshake(); err != nil {
		w.dead = true
		w.raw.Close()
		return err
	}
	st := tc.ConnectionState()
	w.state.Store(&st)
	w.Conn = tc
	return nil
}

// Write passes go-smtp's replies on; go-smtp writes one line per Write.
func (w *wireConn) Write(b []byte) (int, error) {
	if w.needTLS {
		w.needTLS = false
		if err := w.handshake(w.Conn.(*tls.Conn)); err != nil {
			return 0, err
		}
	}
	if w.dead {
		return 0, net.ErrClosed
	}
	first, last := w.replyEnd, replyLineEnds(b)
	w.replyEnd = last
	if w.swallow > 0 {
		if last {
			w.swallow--
		}
		return len(b), nil
	}
	out := b
	if first && w.greeting != "" {
		if bytes.HasPrefix(b, []byte("250")) {
			// go-smtp took the EHLO or HELO: it has the new name, and has
			// reset as for RSET (RFC 5321 4.1.4), any BDAT transfer too.
			// A refused one changed nothing there, so nothing here.
			w.needEHLO, w.bdatOpen = false, false
		}
		out = w.greetingLine(b)
		w.greeting = ""
	}
	if first && w.bdatCmd != 0 {
		w.bdatSeen(b)
	}
	if first {
		for _, f := range w.badParams {
			if f.answers(b) {
				out = f.reply()
				break
			}
		}
		if f := dsnParamFault(b, w.params, w.mail, w.dsnForm); f != nil {
			out = dsnParamReply(f)
		} else if w.orcpt != nil && orcptRefused(b) {
			out = w.orcpt
		}
	}
	if first {
		out = w.stockReply(b, out)
	}
	if first && bytes.HasPrefix(b, []byte("354")) {
		w.inData, w.dotState = true, smtpdata.Scanner{}
	}
	if first {
		if w.authReply {
			// The reply to AUTH or to an answer to its 334: a refusal
			// ends the exchange, and a client that answers on anyway
			// sends lines that are no commands.
			w.authRefused = b[0] == '4' || b[0] == '5'
			w.authReply = false
		}
		w.sasl = bytes.HasPrefix(b, []byte("334"))
	}
	if _, err := w.Conn.Write(out); err != nil {
		return 0, err
	}
	return len(b), nil
}

// stockReply returns the reply to send for b, the first line of a reply
// of go-smtp's: its stock texts that say nothing of the limit or of what
// to do are worded here; out, what would be sent, otherwise.
func (w *wireConn) stockReply(b, out []byte) []byte {
	switch string(bytes.TrimRight(b, "\r\n")) {
	case "552 5.3.4 Maximum message size exceeded", "552 5.3.4 Max message size exceeded":
		// DATA past the limit; MAIL with a SIZE, or a BDAT chunk, over it.
		return []byte("552 5.3.4 Message size exceeds fixed maximum message size: this relay takes at most " +
			strconv.FormatInt(w.maxSize, 10) + " octets, the SIZE its EHLO reply names (RFC 1870); send a smaller message " +
			"(large files as links), or ask the relay's operator to raise relay.max_message_bytes\r\n")
	case "501 5.5.2 Bad command":
		// go-smtp's parser found no verb and space: a line too short, or
		// a SASL answer sent after the AUTH was refused.
		if w.afterAuth {
			return []byte("501 5.5.2 Syntax error: this line is not a command; the AUTH before it was refused, so no answer " +
				"to a 334 challenge is expected: see that refusal's reply, then send AUTH again\r\n")
		}
		return []byte("501 5.5.2 Syntax error: this line is not a command, which is a verb, then a space before its " +
			"arguments (RFC 5321 4.1.1)\r\n")
	case "454 4.7.0 Invalid base64 data":
		// A client's error, not a passing state of the server: 501, and
		// what AUTH takes (RFC 4954 4).
		return []byte("501 5.5.2 Syntax error in the AUTH data: it is not base64 (RFC 4954 4); send AUTH again with the response base64-encoded\r\n")
	case "504 5.7.4 Unsupported authentication mechanism":
		return []byte("504 5.5.4 Unsupported authentication mechanism: this relay takes AUTH PLAIN and AUTH LOGIN (RFC 4954 4)\r\n")
	case "501 5.0.0 Negotiation cancelled":
		return []byte("501 5.7.0 Authentication cancelled by the client's \"*\" (RFC 4954 4); send AUTH again to authenticate\r\n")
	case "502 5.5.1 Missing MAIL FROM command.":
		// go-smtp's 502 ("not implemented") for a command out of order:
		// 503, as RFC 5321 4.1.4 has it, and as the sink says it.
		return []byte("503 5.5.1 Bad sequence of commands: send MAIL FROM first (RFC 5321 4.1.4)\r\n")
	case "502 5.5.1 Missing RCPT TO command.":
		return []byte("503 5.5.1 Bad sequence of commands: no recipient was accepted in a transaction: send MAIL FROM, then RCPT TO, first (RFC 5321 4.1.4)\r\n")
	case "500 5.5.1 Too many errors. Quiting now":
		// go-smtp's close after its fourth syntax error, written after
		// that error's own reply: 421, as the sink says it (RFC 5321 3.8).
		return []byte("421 4.7.0 Too many unrecognized commands: closing the connection (RFC 5321 3.8)\r\n")
	}
	if addr, rcpt, ok := acceptreply.Stock(string(b)); ok {
		// go-smtp's stock 250 to MAIL or RCPT, in the sink's words and
		// with the enhanced code RFC 3463 3.2 gives it (2.1.0, 2.1.5).
		// go-smtp echoes the path with its local part unquoted: <a
		// b@x.test> is no address. RFC 5321 4.1.2 quotes it, as the
		// relay records and sends it; at most acceptreply.MaxAddr octets
		// of it, so that the reply stays within 512 (RFC 5321 4.5.3.1.5).
		path := recordedPath(addr)
		if w.bareRcpt {
			path = postmasterAddress(w.domain) // as session.Rcpt records it
		}
		return []byte(acceptreply.Line(rcpt, path) + "\r\n")
	}
	return out
}

// replyLineEnds reports whether b is the last line of a reply ("250 ..."
// rather than "250-...").
func replyLineEnds(b []byte) bool {
	return len(b) < 4 || b[3] != '-'
}

// greetingLine rewrites the first line of go-smtp's reply to EHLO or HELO:
// "250-Hello CLIENT" becomes "250-DOMAIN Hello CLIENT" (RFC 5321 4.1.1.1:
// the server's domain comes first), HELO's "250 2.0.0 Hello CLIENT" loses
// its enhanced code too (RFC 2034 3: none on the reply to EHLO or HELO),
// and STARTTLS joins the extensions while TLS is not in force.
func (w *wireConn) greetingLine(b []byte) []byte {
	if len(b) < 4 || !bytes.HasPrefix(b, []byte("250")) {
		return b // a refusal: left as it is
	}
	rest := bytes.TrimPrefix(b[4:], []byte("2.0.0 "))
	if !bytes.HasPrefix(rest, []byte("Hello ")) {
		return b
	}
	out := append([]byte(nil), b[:4]...)
	out = append(out, w.domain...)
	out = append(out, ' ')
	// The client's name, at most a domain's 255 octets (the reply stays
	// within 512, RFC 5321 4.5.3.1.5).
	name := strings.TrimSuffix(strings.TrimPrefix(string(rest), "Hello "), "\r\n")
	out = append(out, "Hello "+textsafe.Cut(name, 255)+"\r\n"...)
	if _, on := w.tlsState(); b[3] == '-' && w.tlsCfg != nil && !on {
		out = append(out, "250-STARTTLS\r\n"...)
	}
	return out
}

// reply writes a reply of the relay's own, in place of go-smtp's.
func (w *wireConn) reply(s string) error {
	w.replyEnd = true
	_, err := w.Conn.Write([]byte(s + "\r\n"))
	return err
}

// fill reads more of the client's bytes into held.
func (w *wireConn) fill() error {
	if w.rerr != nil {
		return w.rerr
	}
	if w.needTLS {
		w.needTLS = false
		if err := w.handshake(w.Conn.(*tls.Conn)); err != nil {
			w.rerr = io.EOF
			return w.rerr
		}
	}
	var buf [4096]byte
	n, err := w.Conn.Read(buf[:])
	w.held = append(w.held, buf[:n]...)
	if err != nil {
		w.rerr = err
		if n == 0 {
			return err
		}
	}
	return nil
}

// Read gives go-smtp the client's bytes: one command line at a time, or
// the message as it comes.
func (w *wireConn) Read(p []byte) (int, error) {
	for {
		if len(w.inject) > 0 {
			n := copy(p, w.inject)
			w.inject = w.inject[n:]
			return n, nil
		}
		if w.dead {
			return 0, io.EOF
		}
		if w.inData || w.bdatLeft > 0 {
			if len(w.held) == 0 {
				if err := w.fill(); err != nil {
					if err == io.EOF && w.bdatLeft > 0 {
						// RFC 3030 2: a chunk is as long as its BDAT says.
						// go-smtp reads it through an io.LimitReader, which
						// takes a plain EOF for a chunk that ended, and
						// would pass a BDAT LAST cut short on as the whole
						// message.
						err = io.ErrUnexpectedEOF
					}
					return 0, err
				}
			}
			n := copy(p, w.held[:w.messageCut(w.held)])
			w.held = w.held[n:]
			w.messageSeen(p[:n])
			return n, nil
		}
		i := bytes.IndexByte(w.held, '\n')
		if i < 0 {
			if len(w.held) > w.limit {
				w.held, w.skipping = w.held[:0], true
			}
			if err := w.fill(); err != nil {
				// RFC 5321 2.3.8: a line that never ended is no command.
				return 0, err
			}
			continue
		}
		line := w.held[:i+1]
		if w.skipping || len(line) > w.limit {
			w.held, w.skipping = w.held[i+1:], false
			if err := w.reply("500 5.5.2 Syntax error: command line too long (the limit is " + strconv.Itoa(w.limit) +
				" octets with its CRLF; RFC 5321 4.5.3.1.4); the line was not run"); err != nil {
				return 0, err
			}
			continue
		}
		verb, arg := commandVerb(line)
		w.afterAuth, w.authRefused = w.authRefused, false
		if w.sasl {
			verb = "" // a SASL response, whatever it spells
			w.authReply = true
		}
		if verb == "AUTH" {
			w.authReply = true
		}
		w.badParams, w.bdatCmd, w.orcpt, w.bareRcpt, w.dsnForm, w.params = nil, 0, nil, false, nil, nil
		switch verb {
		case "STARTTLS":
			w.held = w.held[i+1:]
			if err := w.startTLS(arg); err != nil {
				return 0, err
			}
			continue
		case "MAIL", "AUTH":
			if w.needEHLO {
				w.held = w.held[i+1:]
				if err := w.reply("503 5.5.1 Bad sequence of commands: send EHLO again after STARTTLS (RFC 3207 4.2)"); err != nil {
					return 0, err
				}
				continue
			}
			if verb == "MAIL" {
				w.badParams = paramFaults("MAIL FROM", arg, w.maxSize)
				w.params, w.mail = paramsOf(arg), true
				w.dsnForm = dsnFormFault(w.params, true)
			}
		case "RCPT":
			w.badParams = paramFaults("RCPT TO", arg, w.maxSize)
			w.orcpt = orcptFault(arg)
			w.params, w.mail = paramsOf(arg), false
			w.dsnForm = dsnFormFault(w.params, false)
			if at := bareRcptAt(line); at >= 0 {
				// RFC 5321 4.5.1: a relay takes <Postmaster> without a
				// domain, which go-smtp's parser refuses as a syntax
				// error (501 5.5.2): it gets a domain to parse, and the
				// session knows the path had none.
				w.held, w.bareRcpt = w.held[i+1:], true
				edited := slices.Concat(line[:at], []byte("@"+postmasterMark), line[at:])
				n := copy(p, edited)
				w.inject = append(w.inject, edited[n:]...)
				return n, nil
			}
		case "EHLO", "HELO":
			if why := greetingFault(arg); why != "" {
				// go-smtp would take the name and echo it in its reply.
				w.held = w.held[i+1:]
				if err := w.reply("501 5.5.2 Syntax error in the " + verb + " argument: " + why); err != nil {
					return 0, err
				}
				continue
			}
			// needEHLO waits for the reply: go-smtp keeps the name of the
			// EHLO before STARTTLS when it refuses this one.
			w.greeting = verb
		case "RSET":
			w.bdatOpen = false
		case "BDAT":
			// RFC 3030 2: the chunk follows the command, even when go-smtp
			// refuses it, whenever go-smtp can read its size.
			f := bytes.Fields(arg)
			w.bdatCmd = bdatMore
			if len(f) == 2 && bytes.EqualFold(f[1], []byte("LAST")) {
				w.bdatCmd = bdatLast
			}
			if len(f) == 1 || w.bdatCmd == bdatLast {
				if n, err := strconv.ParseUint(string(f[0]), 10, 32); err == nil {
					w.bdatLeft = int64(n)
				}
			}
		}
		n := copy(p, line)
		w.held = w.held[n:]
		return n, nil
	}
}

// greetingFault explains why the argument of EHLO or HELO cannot be the
// client's name, a domain or an address literal (RFC 5321 4.1.1.1, 4.1.3),
// in the sink's words, or returns "": it has a control character, or a
// byte that is not UTF-8 (RFC 6531 3.3 allows UTF-8 in it, nothing else
// above ASCII). The reply to EHLO would echo it as it is.
func greetingFault(arg []byte) string {
	if i := mailaddr.ControlAt(string(arg)); i >= 0 {
		return fmt.Sprintf("control character 0x%02x at octet %d is not allowed in a domain (RFC 5321 4.1.1.1)", arg[i], i+1)
	}
	for i := 0; i < len(arg); {
		r, n := utf8.DecodeRune(arg[i:])
		if r == utf8.RuneError && n <= 1 {
			return fmt.Sprintf("octet 0x%02x at octet %d is not UTF-8, and a domain is ASCII or UTF-8 (RFC 6531 3.3)", arg[i], i+1)
		}
		i += n
	}
	return ""
}

// bdatSeen follows a BDAT transfer by b, the first line of go-smtp's
// reply to a BDAT command. go-smtp (v0.25) answers 501 to a command it
// cannot read, before it looks at the transfer; 250 to a chunk that is not
// the last, which leaves the transfer open; and to anything else (the LAST
// chunk, taken or not, 502 without a transaction, 552 over the size limit,
// a failed chunk) it resets, or had no transfer open.
func (w *wireConn) bdatSeen(b []byte) {
	switch {
	case bytes.HasPrefix(b, []byte("501")):
	case bytes.HasPrefix(b, []byte("250")) && w.bdatCmd == bdatMore:
		w.bdatOpen = true
	default:
		w.bdatOpen = false
	}
	w.bdatCmd = 0
}

// bareRcptAt returns the index of the '>' of RCPT TO:<Postmaster> (any
// case, no domain) in a command line, or -1 for any other line.
func bareRcptAt(line []byte) int {
	const verb, path = "RCPT TO:", "<postmaster>"
	if len(line) < len(verb) || !bytes.EqualFold(line[:len(verb)], []byte(verb)) {
		return -1
	}
	i := len(verb)
	for i < len(line) && line[i] == ' ' {
		i++
	}
	if len(line)-i < len(path) || !bytes.EqualFold(line[i:i+len(path)], []byte(path)) {
		return -1
	}
	return i + len(path) - 1
}

// commandVerb splits a command line into its verb (upper case) and the
// rest.
func commandVerb(line []byte) (string, []byte) {
	line = bytes.TrimRight(line, "\r\n")
	verb, arg, _ := bytes.Cut(line, []byte(" "))
	return string(bytes.ToUpper(verb)), arg
}

// messageCut returns how many of b belong to the message being passed
// on: the rest of a BDAT chunk, or DATA's message through its ending
// CRLF "." CRLF, matched as go-smtp's reader matches it (internal/smtpdata,
// which the sink's wire layer uses too): were it matched elsewhere,
// message lines would be taken here for commands (a STARTTLS among them).
func (w *wireConn) messageCut(b []byte) int {
	if w.bdatLeft > 0 {
		return int(min(w.bdatLeft, int64(len(b))))
	}
	sc := w.dotState // a look ahead: messageSeen moves the scan itself
	n, _ := sc.Scan(b)
	return n
}

// messageSeen notes that b, cut by messageCut, went to go-smtp.
func (w *wireConn) messageSeen(b []byte) {
	if w.bdatLeft > 0 {
		w.bdatLeft -= int64(len(b))
		return
	}
	if _, end := w.dotState.Scan(b); end {
		w.inData, w.dotState = false, smtpdata.Scanner{}
	}
}

// startTLS answers STARTTLS here (RFC 3207), so that the session under
// TLS still goes through this conn.
func (w *wireConn) startTLS(arg []byte) error {
	_, on := w.tlsState()
	switch {
	case len(bytes.TrimSpace(arg)) > 0:
		return w.reply("501 5.5.4 Syntax error: STARTTLS takes no parameters (RFC 3207 4)")
	case on:
		return w.reply("503 5.5.1 Bad sequence of commands: TLS is already in force")
	case w.tlsCfg == nil:
		return w.reply("502 5.5.1 Command not implemented: this listener has no certificate for STARTTLS")
	case w.bdatOpen:
		return w.reply("503 5.5.1 Bad sequence of commands: a BDAT transfer is in progress; send its LAST chunk or RSET before STARTTLS")
	}
	if err := w.reply("220 2.0.0 Ready to start TLS"); err != nil {
		return err
	}
	// RFC 3207 5: what came in the clear after STARTTLS is not taken as
	// said under TLS.
	w.held, w.rerr = nil, nil
	if err := w.handshake(tls.Server(w.raw, w.tlsCfg)); err != nil {
		return io.EOF // go-smtp ends the session quietly
	}
	// RFC 3207 4.2: forget what the client said before. go-smtp never saw
	// the STARTTLS: an RSET of ours, whose reply is not sent, clears its
	// envelope, and MAIL and AUTH wait for a new EHLO.
	w.inject = append(w.inject, "RSET\r\n"...)
	w.swallow++
	w.needEHLO, w.greeting = true, ""
	return nil
}

// orcptRefused reports whether b, the first line of go-smtp's reply to
// RCPT, refuses the command's ORCPT value: go-smtp says only "Malformed
// ORCPT parameter value", or, for a value with a second "=", that it could
// not parse the parameters at all.
func orcptRefused(b []byte) bool {
	s := string(bytes.TrimRight(b, "\r\n"))
	return s == "501 5.5.4 Malformed ORCPT parameter value" || s == "501 5.5.4 Unable to parse RCPT ESMTP parameters"
}

// orcptFault returns the reply to a RCPT TO command line (arg: what
// follows the verb) whose ORCPT value is malformed, saying which octet is
// wrong and how to write the value; nil when its ORCPT is well formed or
// it has none. RFC 3461 4.2: ORCPT=addr-type ";" xtext, where xtext
// (RFC 3461 4) writes "+", "=" and every octet that is not printable
// ASCII as "+" and two upper-case hex digits; RFC 6533 3: a utf-8 address
// writes them as \x{HEX}.
func orcptFault(arg []byte) []byte {
	value, found := "", false
	for _, p := range bytes.Fields(afterPath(arg)) {
		key, val, _ := strings.Cut(string(p), "=")
		if strings.EqualFold(key, "ORCPT") {
			value, found = val, true // go-smtp takes the last
		}
	}
	if !found {
		return nil
	}
	typ, addr, ok := strings.Cut(value, ";")
	var why string
	switch {
	case !ok || typ == "" || addr == "":
		why = "ORCPT=" + echoed(value) + " is not addr-type;address, as in ORCPT=" + rewrite("rfc822", xtextHint(value)) + " (RFC 3461 4.2)"
	case strings.EqualFold(typ, "rfc822"):
		_, err := dsn.DecodeXtext(addr)
		var xe *dsn.XtextError
		if !errors.As(err, &xe) {
			return nil
		}
		why = "ORCPT=" + echoed(value) + ": the address is xtext (RFC 3461 4, 4.2), and " + octetFault(addr, xe.Octet, xe.Reason) +
			"; write it as ORCPT=" + rewrite(typ, xtextHint(addr))
	case strings.EqualFold(typ, "utf-8"):
		_, err := dsn.DecodeUTF8AddrXtext(addr)
		var xe *dsn.XtextError
		if !errors.As(err, &xe) {
			return nil
		}
		why = "ORCPT=" + echoed(value) + ": a utf-8 address is utf-8-addr-xtext (RFC 6533 3), and " + xe.Reason +
			"; write it as ORCPT=" + rewrite(typ, dsn.UTF8AddrXtext(dsn.DecodeUTF8AddrLenient(addr)))
	default:
		why = "ORCPT=" + echoed(value) + ": address type " + echoed(typ) + " is not one this relay takes: rfc822 or utf-8 (RFC 3461 4.2, RFC 6533 3)"
	}
	line := "501 5.5.4 Malformed ORCPT parameter value: " + oneLineASCII(why)
	if len(line) > rfcReplyLine-2 {
		line = line[:rfcReplyLine-2-len(cutMark)] + cutMark
	}
	return []byte(line + "\r\n")
}

// RFC 5321 4.5.3.1.5: a reply line is at most 512 octets with its CRLF.
// The client's ORCPT value may be nearly that long itself, and its xtext
// rewrite up to three times longer, so a reply echoes at most maxEcho
// octets of either, marked cut with cutMark.
const (
	rfcReplyLine = 512
	maxEcho      = 64
	cutMark      = "..."
)

// echoed is s, a part of the client's command, cut to maxEcho octets.
func echoed(s string) string {
	if len(s) > maxEcho {
		return s[:maxEcho] + cutMark
	}
	return s
}

// rewrite is typ;addr, the ORCPT value a reply suggests, when it is short
// enough to echo whole: a rewrite cut short could not be copied, so a long
// one is described instead.
func rewrite(typ, addr string) string {
	if len(typ)+1+len(addr) <= maxEcho {
		return typ + ";" + addr
	}
	return echoed(typ) + ";ADDRESS, with ADDRESS in xtext (too long to repeat here)"
}

// octetFault words an xtext fault at octet n (from 1) of addr: a "+" that
// starts no hex escape is most likely one the address holds, which xtext
// writes +2B.
func octetFault(addr string, n int, reason string) string {
	if n >= 1 && n <= len(addr) && addr[n-1] == '+' {
		return `the "+" at octet ` + strconv.Itoa(n) + " of the address is not followed by two upper-case hex digits; " +
			`a "+" that is part of the address is written +2B`
	}
	return reason
}

// xtextHint is addr written as xtext, read leniently first, so that a
// "+2B" the client wrote stays one "+".
func xtextHint(addr string) string {
	return dsn.Xtext(dsn.DecodeXtextLenient(addr))
}

// oneLineASCII keeps a reply on one line of printable ASCII: any other
// octet (the client's, echoed) becomes "?".
func oneLineASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c < ' ' || c > '~' {
			b[i] = '?'
		}
	}
	return string(b)
}
