package relay

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/textproto"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/dsn"
	"github.com/relaylab/relaylab/internal/mailaddr"
)

// client is a small SMTP client. go-smtp's client neither pipelines nor
// lets us choose the EHLO name before STARTTLS, and a relay that reports
// each stage needs both, so we speak the protocol ourselves.
type client struct {
	conn     net.Conn
	r        *textproto.Reader
	w        *bufio.Writer
	ext      map[string]string
	tls      *tls.ConnectionState
	cmdWait  time.Duration
	dataWait time.Duration
	sent     int // messages sent on this connection
	used     int // transactions begun on it (MAIL sent), sent or not
	rec      *transcript
	// dead means a read or write failed (a timeout, a reset, the server's
	// close): the connection is gone or out of step, so quit does not
	// talk to it.
	dead bool
	// quit has run: the connection is closed.
	quitted bool
	// names are the first words of the greeting and of the EHLO reply:
	// the names the server gives itself (RFC 5321 4.2, 4.1.1.1).
	names []string
}

// Stage timeouts, RFC 5321 4.5.3.2.
const (
	defaultConnectTimeout = 30 * time.Second
	defaultCommandTimeout = 5 * time.Minute  // 4.5.3.2.1-3: greeting, MAIL, RCPT
	defaultDataTimeout    = 10 * time.Minute // 4.5.3.2.6: after the final dot
	// quitTimeout bounds the wait for the reply to QUIT and for the
	// server's close after it. RFC 5321 4.5.3.2 sets no QUIT timeout, and
	// nothing hangs on the 221: every outcome is decided by then. A
	// server that answers at all does so within a round trip; one that
	// does not (a hostile or hung host, often one that greeted with 5xx)
	// must not hold the MX walk and the destination's connection slot
	// for the minutes a command may take. qmail and Postfix
	// (smtp_skip_quit_response, default yes) do not wait for the 221 at
	// all; a short wait keeps the reply in the transcript.
	quitTimeout = 2 * time.Second
)

// stageError is a failure during stage without an SMTP reply.
type stageError struct {
	stage string
	err   error
}

func (e *stageError) Error() string { return e.stage + ": " + e.err.Error() }
func (e *stageError) Unwrap() error { return e.err }

// replyError is an SMTP reply that is not the one we wanted.
type replyError struct{ Reply }

func (e *replyError) Error() string { return e.Reply.String() }

// asReply turns any error of a client call into a Reply for classification.
func asReply(err error, stage string) Reply {
	var re *replyError
	if errors.As(err, &re) {
		return re.Reply
	}
	var se *stageError
	if errors.As(err, &se) {
		return Reply{Stage: se.stage, Text: se.err.Error()}
	}
	return Reply{Stage: stage, Text: err.Error()}
}

// deadline sets the socket's deadline d from now. Sockets time out in the
// machine's time, whatever clock the relay runs on, unless the connection
// keeps its deadlines on a clock of its own (a replay's).
func (c *client) deadline(d time.Duration) {
	setDeadline(c.conn, d)
}

// deadlineAfter is offered by a connection whose deadlines run on a clock
// other than the machine's (internal/quiesce in a replay): it takes the
// wait itself, which a time of the machine's would blur.
type deadlineAfter interface {
	SetDeadlineAfter(time.Duration) error
}

// setDeadline sets conn's deadline d from now, on the clock of the
// connection under any wrappers (TLS, the relay's own) when it has one.
func setDeadline(conn net.Conn, d time.Duration) {
	for c := conn; c != nil; {
		if da, ok := c.(deadlineAfter); ok {
			da.SetDeadlineAfter(d)
			return
		}
		u, ok := c.(interface{ NetConn() net.Conn })
		if !ok {
			break
		}
		c = u.NetConn()
	}
	conn.SetDeadline(wallClock().Add(d))
}

// wallClock is the machine's time, for socket deadlines only.
func wallClock() time.Time { return clock.Real{}.Now() }

func newClient(conn net.Conn, cmdWait, dataWait time.Duration, rec *transcript) *client {
	c := &client{cmdWait: cmdWait, dataWait: dataWait, rec: rec}
	c.setConn(conn)
	if tc, ok := conn.(*tls.Conn); ok {
		st := tc.ConnectionState()
		c.tls = &st
	}
	return c
}

func (c *client) setConn(conn net.Conn) {
	c.conn = conn
	c.r = textproto.NewReader(bufio.NewReader(conn))
	c.w = bufio.NewWriter(conn)
}

// readReply reads one (possibly multi-line) reply.
func (c *client) readReply(stage string) (Reply, error) {
	var lines []string
	code := 0
	for {
		line, err := c.readLine()
		if err == nil && len(lines) == maxReplyLines {
			err = fmt.Errorf("the reply goes on past %d lines", maxReplyLines)
		}
		if err != nil {
			c.rec.note("reading the reply failed: %v", err)
			c.dead = true
			return Reply{}, &stageError{stage, fmt.Errorf("reading the reply: %w", err)}
		}
		c.rec.received(line)
		if stage == "greeting" && len(lines) == 0 && c.tls == nil && isTLSRecord(line) {
			c.dead = true
			return Reply{}, &stageError{stage, fmt.Errorf("the server sent a TLS record (%q), not a greeting: %s", line[:min(len(line), 8)], implicitTLSHint)}
		}
		if len(line) < 3 {
			c.dead = true // out of step: nothing more is said to it
			return Reply{}, &stageError{stage, fmt.Errorf("malformed reply %q", line)}
		}
		n, err := strconv.Atoi(line[:3])
		if err != nil || n < 200 || n > 599 || (code != 0 && n != code) {
			c.dead = true
			return Reply{}, &stageError{stage, fmt.Errorf("malformed reply %q", line)}
		}
		code = n
		text := ""
		if len(line) > 4 {
			text = line[4:]
		}
		lines = append(lines, text)
		if len(line) == 3 || line[3] != '-' {
			break
		}
	}
	r := Reply{Stage: stage, Code: code}
	// RFC 2034 4: the enhanced code starts each line of the text.
	if enh, rest, _ := strings.Cut(lines[0], " "); isEnhanced(enh) && int(enh[0]-'0') == code/100 {
		r.Enhanced = enh
		lines[0] = rest
		for i := 1; i < len(lines); i++ {
			lines[i] = strings.TrimPrefix(lines[i], enh+" ")
		}
	}
	r.Text = strings.Join(lines, "\n")
	return r, nil
}

// Bounds on one reply, so that a hostile server cannot grow the relay's
// memory until the command's timeout: RFC 5321 4.5.3.1.5 allows 512
// octets per reply line, and eight times that leaves room for verbose
// servers; an EHLO reply has a line per extension, a few dozen at most.
const (
	maxReplyLine  = 4096
	maxReplyLines = 200
)

// readLine reads one reply line without its CRLF (or bare LF), refusing a
// line longer than maxReplyLine. A last line cut by the end of the
// connection is returned as it is, as textproto does.
func (c *client) readLine() (string, error) {
	var line []byte
	for {
		frag, err := c.r.R.ReadSlice('\n')
		if len(line)+len(frag) > maxReplyLine+2 {
			return "", fmt.Errorf("a reply line longer than %d bytes (RFC 5321 4.5.3.1.5 allows 512)", maxReplyLine)
		}
		line = append(line, frag...)
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil && (err != io.EOF || len(line) == 0) {
			return "", err
		}
		break
	}
	line = bytes.TrimSuffix(line, []byte("\n"))
	line = bytes.TrimSuffix(line, []byte("\r"))
	return string(line), nil
}

// isEnhanced reports whether s is an RFC 3463 enhanced status code:
// class "." subject "." detail, a class of one digit (2, 4 or 5) and a
// subject and detail of one to three digits each.
func isEnhanced(s string) bool {
	parts := strings.Split(s, ".")
	if len(parts) != 3 || len(parts[0]) != 1 || strings.IndexByte("245", parts[0][0]) < 0 {
		return false
	}
	for _, p := range parts[1:] {
		if p == "" || len(p) > 3 {
			return false
		}
		for i := 0; i < len(p); i++ {
			if p[i] < '0' || p[i] > '9' {
				return false
			}
		}
	}
	return true
}

// sendFailed records that writing failed at stage: the connection is dead.
func (c *client) sendFailed(stage string, err error) error {
	c.rec.note("sending failed: %v", err)
	c.dead = true
	return &stageError{stage, err}
}

// cmd sends one command and reads its reply, which must have class want
// (2 or 3).
func (c *client) cmd(stage string, want int, line string) (Reply, error) {
	return c.cmdShown(stage, want, line, line)
}

// cmdShown is cmd that records shown in the transcript instead of line,
// to keep credentials out of it.
func (c *client) cmdShown(stage string, want int, line, shown string) (Reply, error) {
	c.deadline(c.cmdWait)
	c.rec.sent(shown)
	if _, err := c.w.WriteString(line + "\r\n"); err != nil {
		return Reply{}, c.sendFailed(stage, err)
	}
	if err := c.w.Flush(); err != nil {
		return Reply{}, c.sendFailed(stage, err)
	}
	return c.expect(stage, want)
}

func (c *client) expect(stage string, want int) (Reply, error) {
	r, err := c.readReply(stage)
	if err != nil {
		return r, err
	}
	if r.Code/100 != want {
		return r, &replyError{r}
	}
	return r, nil
}

// greet reads the greeting and says EHLO (HELO when EHLO is refused).
func (c *client) greet(helo string) error {
	c.deadline(c.cmdWait)
	g, err := c.expect("greeting", 2)
	if err == nil {
		c.names = append(c.names, firstWord(g.Text))
	}
	if err != nil {
		var se *stageError
		if c.tls == nil && isTimeout(err) && errors.As(err, &se) {
			// A port that speaks TLS from the first byte waits for the
			// client's handshake and never greets a plaintext client.
			return &stageError{"greeting", fmt.Errorf("no greeting within %s (the path's command_timeout); %s: %w", c.cmdWait, implicitTLSHint, se.err)}
		}
		return err
	}
	return c.ehlo(helo)
}

// implicitTLSHint is said of a plaintext connection whose server sent no
// greeting, or a TLS record: the reverse of tls: implicit pointed at a
// plaintext port (deliver.go, connect).
const implicitTLSHint = "the port may expect TLS from the first byte (tls: implicit on the path, usually port 465)"

// isTLSRecord reports whether line starts as a TLS record a server sends,
// a handshake (22) or an alert (21), of TLS 1.x (RFC 8446 5.1: legacy
// version 0x03 0x0N).
func isTLSRecord(line string) bool {
	return len(line) >= 2 && (line[0] == 0x16 || line[0] == 0x15) && line[1] == 0x03
}

func (c *client) ehlo(helo string) error {
	r, err := c.cmd("ehlo", 2, "EHLO "+helo)
	var re *replyError
	if errors.As(err, &re) && (re.Code == 500 || re.Code == 502) {
		c.ext = map[string]string{}
		_, err = c.cmd("ehlo", 2, "HELO "+helo)
		return err
	}
	if err != nil {
		return err
	}
	c.names = append(c.names, firstWord(r.Text))
	c.ext = map[string]string{}
	for _, l := range strings.Split(r.Text, "\n")[1:] {
		k, v, _ := strings.Cut(l, " ")
		c.ext[strings.ToUpper(k)] = v
	}
	return nil
}

// firstWord is the first word of a reply's text: the server's name in a
// greeting or an EHLO reply.
func firstWord(text string) string {
	line, _, _ := strings.Cut(text, "\n")
	w, _, _ := strings.Cut(strings.TrimSpace(line), " ")
	return w
}

// loopsTo reports whether the server named itself self, the relay's own
// hostname, in its greeting or EHLO reply: the mail would come back to
// this relay (Postfix: "mail for X loops back to myself").
func (c *client) loopsTo(self string) bool {
	self = strings.TrimSuffix(self, ".")
	return self != "" && slices.ContainsFunc(c.names, func(n string) bool { return strings.EqualFold(strings.TrimSuffix(n, "."), self) })
}

func (c *client) has(ext string) bool {
	_, ok := c.ext[ext]
	return ok
}

// startTLS upgrades the connection and says EHLO again (RFC 3207 4.2).
func (c *client) startTLS(cfg *tls.Config, helo string) error {
	if _, err := c.cmd("starttls", 2, "STARTTLS"); err != nil {
		return err
	}
	tc := tls.Client(c.conn, cfg)
	c.deadline(c.cmdWait)
	if err := tc.Handshake(); err != nil {
		c.rec.note("TLS handshake failed: %v", err)
		c.dead = true
		return &stageError{"starttls", fmt.Errorf("TLS handshake: %w", err)}
	}
	st := tc.ConnectionState()
	c.tls = &st
	c.rec.note("TLS handshake done: %s, %s", tls.VersionName(st.Version), tls.CipherSuiteName(st.CipherSuite))
	c.setConn(tc)
	return c.ehlo(helo)
}

// hiddenCredentials stands for AUTH data in a transcript.
const hiddenCredentials = "[credentials hidden]"

// auth authenticates with PLAIN (RFC 4616) or LOGIN.
func (c *client) auth(mech, user, pass string) error {
	if strings.EqualFold(mech, "LOGIN") {
		if _, err := c.cmd("auth", 3, "AUTH LOGIN"); err != nil {
			return err
		}
		if _, err := c.cmdShown("auth", 3, base64.StdEncoding.EncodeToString([]byte(user)), hiddenCredentials); err != nil {
			return err
		}
		_, err := c.cmdShown("auth", 2, base64.StdEncoding.EncodeToString([]byte(pass)), hiddenCredentials)
		return err
	}
	ir := base64.StdEncoding.EncodeToString([]byte("\x00" + user + "\x00" + pass))
	_, err := c.cmdShown("auth", 2, "AUTH PLAIN "+ir, "AUTH PLAIN "+hiddenCredentials)
	return err
}

// envelope is one transaction to send.
type envelope struct {
	from   string
	ret    string
	envid  string
	rcpts  []envRcpt
	data   []byte
	eight  bool // the data has 8-bit bytes
	useDSN bool // pass RFC 3461 parameters on
}

// asciiEnvelope is env with the domains of its addresses in A-labels, for
// a server without SMTPUTF8; ok is false when that does not make the
// envelope ASCII (a local part that is not), or when the message's header
// is not ASCII, which needs SMTPUTF8 whatever the envelope (RFC 6532 3).
func asciiEnvelope(env envelope) (envelope, bool) {
	if !isASCII(string(headerSection(env.data))) {
		return env, false
	}
	from, ok := asciiAddress(env.from)
	if !ok {
		return env, false
	}
	rcpts := make([]envRcpt, len(env.rcpts))
	for i, r := range env.rcpts {
		a, ok := asciiAddress(r.addr)
		if !ok {
			return env, false
		}
		rcpts[i] = r
		rcpts[i].addr = a
	}
	env.from, env.rcpts = from, rcpts
	return env, true
}

// asciiLocalParts reports whether every address of env has an ASCII
// local part: one that could go without SMTPUTF8, its domain in A-labels.
func asciiLocalParts(env envelope) bool {
	if _, ok := asciiAddress(env.from); !ok {
		return false
	}
	for _, r := range env.rcpts {
		if _, ok := asciiAddress(r.addr); !ok {
			return false
		}
	}
	return true
}

type envRcpt struct {
	addr, notify, orcpt string
}

// transaction is the outcome of one MAIL..DATA exchange: a reply for each
// recipient (the RCPT reply when it failed, else the DATA or final reply).
type transaction struct {
	rcpts []Reply
	// accepted says which recipients the server took at RCPT, whatever
	// became of the transaction after.
	accepted []bool
	// broken means the connection cannot be reused.
	broken bool
	// dsn means the server took the RFC 3461 parameters on: DSNs are
	// now its business (RFC 3461 5.2).
	dsn bool
}

// send runs one transaction, pipelining MAIL and RCPT when the server
// offers PIPELINING (RFC 2920).
func (c *client) send(env envelope) transaction {
	tr := transaction{rcpts: make([]Reply, len(env.rcpts)), accepted: make([]bool, len(env.rcpts))}
	fail := func(r Reply, broken bool) transaction {
		for i := range tr.rcpts {
			if tr.rcpts[i].Code == 0 || tr.rcpts[i].Code/100 == 2 {
				tr.rcpts[i] = r
			}
		}
		tr.broken = broken
		return tr
	}
	// RFC 6531 3.4: a non-ASCII address needs SMTPUTF8, and a server
	// that does not offer it must not be given the message (5.6.7).
	utf8Env := !isASCII(env.from)
	for _, r := range env.rcpts {
		utf8Env = utf8Env || !isASCII(r.addr)
	}
	if utf8Env && !c.has("SMTPUTF8") {
		if down, ok := asciiEnvelope(env); ok {
			// RFC 6531 3.2: an address whose local part is ASCII may go
			// with its domain in A-labels, the same domain in the DNS; the
			// message needs no SMTPUTF8 when its header is ASCII too.
			c.rec.note("the server does not offer SMTPUTF8: the envelope's domains are sent in A-labels (RFC 6531 3.2)")
			env, utf8Env = down, false
		}
	}
	if utf8Env && !c.has("SMTPUTF8") {
		if !isASCII(string(headerSection(env.data))) && asciiLocalParts(env) {
			// The envelope alone would have gone in A-labels: the header
			// is what needs SMTPUTF8.
			c.rec.note("not sent: the message's header has non-ASCII text and the server does not offer SMTPUTF8")
			return fail(Reply{Stage: "mail", Code: 553, Enhanced: "5.6.7", Local: true,
				Text: "the message's header has non-ASCII (UTF-8) text, which needs SMTPUTF8 (RFC 6532), and the server does not offer it, so the message cannot be handed to it " +
					"(its envelope's internationalized domains alone would have gone as A-labels): write the header's non-ASCII words as encoded-words (RFC 2047) and addresses' domains in A-labels, and send it again"}, false)
		}
		c.rec.note("not sent: the envelope has a non-ASCII address and the server does not offer SMTPUTF8")
		return fail(Reply{Stage: "mail", Code: 553, Enhanced: "5.6.7", Local: true,
			Text: "the envelope has a non-ASCII (internationalized) address and the server does not offer SMTPUTF8 (RFC 6531), so the message cannot be handed to it"}, false)
	}
	if env.eight && !c.has("8BITMIME") && !c.has("SMTPUTF8") {
		// RFC 6152 3: 8-bit data must not go to a server that does not
		// offer 8BITMIME; the client converts it to 7 bits or fails it.
		// The relay does not rewrite messages, so it fails it.
		c.rec.note("not sent: the message has 8-bit data and the server offers neither 8BITMIME nor SMTPUTF8")
		return fail(Reply{Stage: "mail", Code: 554, Enhanced: "5.6.3", Local: true,
			Text: "the message has 8-bit data (octets over 127) and the server does not offer 8BITMIME (RFC 6152), so the message cannot be handed to it without a conversion the relay does not make"}, false)
	}
	c.used++
	mail := "MAIL FROM:<" + smtpPath(env.from) + ">"
	if c.has("SMTPUTF8") && (utf8Env || !isASCII(string(headerSection(env.data)))) {
		mail += " SMTPUTF8"
	}
	if c.has("SIZE") {
		mail += " SIZE=" + strconv.Itoa(len(env.data))
	}
	if env.eight && c.has("8BITMIME") {
		mail += " BODY=8BITMIME"
	}
	withDSN := env.useDSN && c.has("DSN")
	tr.dsn = withDSN
	if withDSN && env.ret != "" {
		mail += " RET=" + env.ret
	}
	if withDSN && env.envid != "" {
		mail += " ENVID=" + dsn.Xtext(env.envid)
	}
	lines := []string{mail}
	for _, r := range env.rcpts {
		l := "RCPT TO:<" + smtpPath(r.addr) + ">"
		if withDSN && r.notify != "" {
			l += " NOTIFY=" + r.notify
		}
		if withDSN && r.orcpt != "" {
			l += " ORCPT=" + dsn.ORCPTParam(r.orcpt)
		}
		lines = append(lines, l)
	}
	pipelined := c.has("PIPELINING")
	var mailReply Reply
	for i, l := range lines {
		// RFC 5321 4.5.3.2: each command has its own timeout, so a server
		// slow on every RCPT of a long list is not cut off at the sum.
		if !pipelined || i == 0 {
			c.deadline(c.cmdWait)
		}
		c.rec.sent(l)
		if _, err := c.w.WriteString(l + "\r\n"); err != nil {
			c.sendFailed(stageAt(i), err)
			return fail(Reply{Stage: stageAt(i), Text: err.Error()}, true)
		}
		if pipelined && i < len(lines)-1 {
			continue
		}
		if err := c.w.Flush(); err != nil {
			c.sendFailed(stageAt(i), err)
			return fail(Reply{Stage: stageAt(i), Text: err.Error()}, true)
		}
		if !pipelined {
			r, err := c.readAt(i)
			if err != nil {
				return fail(asReply(err, "mail"), true)
			}
			if i > 0 {
				tr.rcpts[i-1], tr.accepted[i-1] = r, r.Code/100 == 2
			}
			switch {
			case r.Code == 421:
				return c.closing(fail, r)
			case i == 0 && r.Code/100 != 2:
				return fail(r, false)
			}
		}
	}
	if pipelined {
		for i := range lines {
			r, err := c.readAt(i)
			if err != nil {
				return fail(asReply(err, "rcpt"), true)
			}
			if i == 0 {
				mailReply = r
			} else {
				tr.rcpts[i-1], tr.accepted[i-1] = r, r.Code/100 == 2
			}
			if r.Code == 421 {
				// The server is closing: no replies to the rest follow.
				return c.closing(fail, r)
			}
		}
		if mailReply.Code/100 != 2 {
			for i := range tr.rcpts {
				tr.rcpts[i] = mailReply
			}
			tr.broken = !c.reset()
			return tr
		}
	}
	accepted := 0
	for _, r := range tr.rcpts {
		if r.Code/100 == 2 {
			accepted++
		}
	}
	if accepted == 0 {
		tr.broken = !c.reset()
		return tr
	}
	if _, err := c.cmd("data", 3, "DATA"); err != nil {
		rep := asReply(err, "data")
		if !isReply(err) || rep.Code == 421 {
			return fail(rep, true)
		}
		// A refused DATA leaves the server's MAIL and RCPT state open to
		// its reading (RFC 5321 4.1.1.4 does not say it ends the
		// transaction): RSET ends it, so that the next message on this
		// connection does not meet "503 nested MAIL" and bounce for it.
		tr = fail(rep, false)
		tr.broken = !c.reset()
		return tr
	}
	dw := c.textWriter()
	c.rec.sent(fmt.Sprintf("[%d bytes of message data]", len(env.data)))
	// RFC 5321 4.5.3.2.5: the data is timed block by block, not as a
	// whole, so a long message to a server that reads at a steady pace
	// is not cut off at the data timeout. A failure while sending the
	// data means the server has not seen the final dot: stage data, not
	// dot, as nothing can have been delivered.
	for off := 0; off == 0 || off < len(env.data); off += dataBlock {
		c.deadline(c.dataWait)
		if _, err := dw.Write(env.data[off:min(off+dataBlock, len(env.data))]); err != nil {
			c.rec.note("sending the message data failed: %v", err)
			c.dead = true
			return fail(Reply{Stage: "data", Text: "sending the message data: " + err.Error()}, true)
		}
	}
	c.rec.sent(".")
	// RFC 5321 4.5.3.2.6: the wait for the reply to the final dot is its
	// own, whatever time sending the data took. It starts as the dot goes
	// out, before the server can see it: on a replay's clock a server's
	// wait of the same length, which starts after, then always ends second.
	c.deadline(c.dataWait)
	if err := dw.Close(); err != nil {
		c.rec.note("sending the message data failed: %v", err)
		c.dead = true
		return fail(Reply{Stage: "data", Text: "sending the message data: " + err.Error()}, true)
	}
	final, err := c.expect("dot", 2)
	if err != nil {
		return fail(asReply(err, "dot"), !isReply(err))
	}
	c.sent++
	for i := range tr.rcpts {
		if tr.rcpts[i].Code/100 == 2 {
			tr.rcpts[i] = final
		}
	}
	return tr
}

// tooManyRecipients reports whether rep refuses a recipient for the
// server's limit on recipients per transaction. RFC 5321 4.5.3.1.10: a
// server with such a limit answers 452 to each RCPT over it (RFC 3463 3.6:
// X.5.3, too many recipients), and the client sends those recipients in a
// later transaction; a server without enhanced codes says it in the text
// (an enhanced code of another kind, 4.2.2 or 5.3.4, is that kind).
// The classification table's rule for it matches the same replies. Some
// servers answer 552 instead (5.5.3), which RFC 5321 4.5.3.1.10 asks
// clients to treat as temporary all the same.
func tooManyRecipients(rep Reply) bool {
	return rep.Stage == "rcpt" && (rep.Code == 452 || rep.Code == 552) &&
		(rep.Enhanced == "4.5.3" || rep.Enhanced == "5.5.3" || rep.Enhanced == "" && tooManyText.MatchString(rep.Text))
}

var tooManyText = regexp.MustCompile(`(?i)too many (recipients|rcpts)`)

// readAt reads the reply to the i-th line of MAIL and RCPTs, each within
// the command timeout from when it is awaited.
func (c *client) readAt(i int) (Reply, error) {
	c.deadline(c.cmdWait)
	return c.readReply(stageAt(i))
}

// stageAt is the stage of the i-th line of MAIL and RCPTs.
func stageAt(i int) string {
	if i == 0 {
		return "mail"
	}
	return "rcpt"
}

// dataBlock is how much of a message is sent within one data timeout.
const dataBlock = 64 << 10

func (c *client) textWriter() interface {
	Write([]byte) (int, error)
	Close() error
} {
	return textproto.NewWriter(c.w).DotWriter()
}

func isReply(err error) bool {
	var re *replyError
	return errors.As(err, &re)
}

// reset ends a transaction that sent no data. It reports whether the
// server took the RSET: when not, the connection is not to be used again.
func (c *client) reset() bool {
	_, err := c.cmd("rset", 2, "RSET")
	return err == nil
}

// closing ends a transaction at a 421 among the replies to MAIL and
// RCPT: RFC 5321 3.8, the server closes the connection after it, so no
// more replies come and no RSET is sent. Each recipient without a
// failure of its own gets the 421, instead of a lost connection for
// those after it.
func (c *client) closing(fail func(Reply, bool) transaction, r Reply) transaction {
	c.rec.note("the server is closing the connection (421): the transaction ends here")
	return fail(r, true)
}

// quit says QUIT and waits, at most quitWait, for the reply and for the
// server to close (RFC 5321 4.1.1.10), so that a connection counts as
// closed on both sides before its slot is reused; then it closes the
// connection. The transcript says how it ended. A dead connection is
// closed without a word.
func (c *client) quit() {
	if c.quitted {
		return
	}
	c.quitted = true
	defer c.conn.Close()
	if c.dead {
		return
	}
	wait := c.quitWait()
	c.deadline(wait)
	c.rec.sent("QUIT")
	_, err := c.w.WriteString("QUIT\r\n")
	if err == nil {
		err = c.w.Flush()
	}
	if err != nil {
		c.dead = true
		c.rec.note("sending QUIT failed: %v; the connection is closed", err)
		return
	}
	if _, err := c.readReply("quit"); err != nil {
		if isTimeout(err) {
			c.rec.note("no reply to QUIT within %v; the connection is closed by us", wait)
		}
		return
	}
	if _, err := io.Copy(io.Discard, c.r.R); isTimeout(err) {
		c.rec.note("the server did not close the connection within %v of QUIT; it is closed by us", wait)
	}
}

// quitWait is how long quit waits: quitTimeout, or the path's command
// timeout when that is shorter.
func (c *client) quitWait() time.Duration {
	if c.cmdWait > 0 && c.cmdWait < quitTimeout {
		return c.cmdWait
	}
	return quitTimeout
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// smtpPath writes addr as the inside of a MAIL FROM or RCPT TO path, in
// the form the relay records it: a local part that is not a Dot-string
// must be a Quoted-string, with \ and " escaped (RFC 5321 4.1.2), and one
// quoted already is left as it is; the one trailing dot of the domain,
// which a path cannot have (RFC 5321 2.3.5), is dropped. The relay
// records an address in this form (session.Mail, session.Rcpt), so that
// what it echoes, records and sends is one address; an address queued
// over HTTP unquoted is quoted here, on its way out.
func smtpPath(addr string) string {
	i := strings.LastIndexByte(addr, '@')
	if i < 0 {
		return addr // "" (the null path) or a bare postmaster
	}
	return mailaddr.Valid(addr[:i] + "@" + mailaddr.WithoutRootDot(addr[i+1:]))
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// headerSection returns data up to the empty line that ends the header.
func headerSection(data []byte) []byte {
	if i := bytes.Index(data, []byte("\r\n\r\n")); i >= 0 {
		return data[:i+2]
	}
	if i := bytes.Index(data, []byte("\n\n")); i >= 0 {
		return data[:i+1]
	}
	return data
}
