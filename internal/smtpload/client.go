// Package smtpload is relaylab's SMTP client side for testing: a small
// client that can record a faithful transcript (for "relaylab send") and a
// load generator built on it (for "relaylab load" and benchmarks).
//
// It speaks SMTP over net/textproto-style lines itself rather than through
// go-smtp's client, so that the transcript shows exactly what crossed the
// wire in each direction, after TLS, and so that the load generator can
// pipeline (RFC 2920) without extra copies.
package smtpload

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/relaylab/relaylab/internal/clock"
)

// Stages of an SMTP session, as they appear in errors and reply tables.
const (
	StageConnect  = "connect"
	StageGreeting = "greeting"
	StageEHLO     = "ehlo"
	StageLHLO     = "lhlo" // LMTP's EHLO (RFC 2033 4.1)
	StageStartTLS = "starttls"
	StageAuth     = "auth"
	StageMail     = "mail"
	StageRcpt     = "rcpt"
	StageData     = "data"
	StageDataEnd  = "data-end" // the reply to the final dot
	StageRset     = "rset"
	StageQuit     = "quit"
)

// Reply is one SMTP reply (RFC 5321 4.2).
type Reply struct {
	Code     int
	Enhanced string   // "5.1.1" when the server sent one (RFC 2034), else ""
	Lines    []string // the text of each line, without code or enhanced code
}

// Text is the reply's text on one line.
func (r Reply) Text() string { return strings.Join(r.Lines, " ") }

// String is the reply as "550 5.1.1 text".
func (r Reply) String() string {
	s := strconv.Itoa(r.Code)
	if r.Enhanced != "" {
		s += " " + r.Enhanced
	}
	if t := r.Text(); t != "" {
		s += " " + t
	}
	return s
}

// ReplyError is a reply that refused what the client asked, at a stage.
type ReplyError struct {
	Stage string
	Reply Reply
}

func (e *ReplyError) Error() string {
	kind := "rejected"
	if e.Reply.Code >= 400 && e.Reply.Code < 500 {
		kind = "temporarily refused"
	}
	return fmt.Sprintf("server %s %s: %s", kind, stageWhat(e.Stage), e.Reply)
}

// Temporary reports whether the reply was a 4xx (RFC 5321 4.2.1).
func (e *ReplyError) Temporary() bool { return e.Reply.Code >= 400 && e.Reply.Code < 500 }

func stageWhat(stage string) string {
	switch stage {
	case StageGreeting:
		return "the connection at its greeting"
	case StageEHLO:
		return "EHLO"
	case StageLHLO:
		return "LHLO"
	case StageStartTLS:
		return "STARTTLS"
	case StageAuth:
		return "the authentication (AUTH)"
	case StageMail:
		return "the sender at MAIL FROM"
	case StageRcpt:
		return "the recipient at RCPT TO"
	case StageData:
		return "DATA"
	case StageDataEnd:
		return "the message after its final dot"
	}
	return strings.ToUpper(stage)
}

// ProtocolError is a reply that does not follow RFC 5321's syntax.
type ProtocolError struct {
	Stage string
	Line  string
	Why   string
}

func (e *ProtocolError) Error() string {
	return fmt.Sprintf("bad reply at %s: %s: %q", e.Stage, e.Why, e.Line)
}

// Direction of a transcript line.
const (
	Sent     = "->"
	Received = "<-"
)

// Options configure a client connection.
type Options struct {
	// Helo is the name sent in EHLO (LHLO); "localhost" when empty.
	Helo string
	// LMTP speaks LMTP (RFC 2033) instead of SMTP: LHLO in place of EHLO,
	// with no HELO to fall back on, and after the final dot one reply for
	// each recipient accepted at RCPT (TxResult.RcptDataEnd).
	LMTP bool
	// TLS, when not nil, is used for STARTTLS and implicit TLS.
	TLS *tls.Config
	// Timeout bounds each exchange (a command and its reply); zero means 5
	// minutes (RFC 5321 4.5.3.2).
	Timeout time.Duration
	// Clock sets the deadlines; nil means the real clock.
	Clock clock.Clock
	// Trace, when not nil, gets every line sent and received, with its
	// direction (Sent or Received) and without its CRLF. Nil costs nothing.
	// AUTH's credentials reach it as HiddenCredentials.
	Trace func(dir, line string)
	// TLSStarted, when not nil, is called once STARTTLS's handshake is
	// done, before the EHLO that follows it.
	TLSStarted func(tls.ConnectionState)
	// AuthMech is the AUTH mechanism to use, "PLAIN" or "LOGIN"; empty
	// means PLAIN when offered, else LOGIN.
	AuthMech string
}

// HiddenCredentials stands for AUTH data in a transcript, as in the
// relay's transcripts.
const HiddenCredentials = "[credentials hidden]"

// Client is one SMTP connection. It is not safe for concurrent use.
type Client struct {
	conn net.Conn
	r    *bufio.Reader
	w    *bufio.Writer
	opts Options
	// Ext holds the EHLO keywords (upper case) and their parameters.
	Ext map[string]string
	tls bool
	// waiting is the stage of the reply last waited for (Waiting).
	waiting string
}

// Waiting is the stage of the reply the client last waited for, or
// StageMail once Send has begun to write a transaction: where a failure
// without a reply (a timeout, a hang-up) came.
func (c *Client) Waiting() string { return c.waiting }

// NewClient wraps an open connection. Call Greeting next.
func NewClient(conn net.Conn, opts Options) *Client {
	if opts.Timeout <= 0 {
		opts.Timeout = 5 * time.Minute
	}
	if opts.Clock == nil {
		opts.Clock = clock.Real{}
	}
	if opts.Helo == "" {
		opts.Helo = "localhost"
	}
	c := &Client{conn: conn, opts: opts}
	_, c.tls = conn.(*tls.Conn)
	c.r = bufio.NewReaderSize(conn, 4096)
	c.w = bufio.NewWriterSize(conn, 16384)
	return c
}

// UnixPrefix starts a target that is a unix-domain socket: "unix:/path".
const UnixPrefix = "unix:"

// Network splits a target into the network and address to dial: "unix"
// and the path for "unix:/path", else "tcp" and host:port.
func Network(target string) (network, addr string) {
	if path, ok := strings.CutPrefix(target, UnixPrefix); ok {
		return "unix", path
	}
	return "tcp", target
}

// Dial connects to addr (host:port, or unix:/path for a unix-domain
// socket, see Network), with TLS first when implicitTLS (RFC 8314 3.3)
// and opts.TLS is set.
func Dial(ctx context.Context, addr string, implicitTLS bool, opts Options) (*Client, error) {
	d := net.Dialer{Timeout: opts.Timeout}
	if d.Timeout == 0 {
		d.Timeout = time.Minute
	}
	network, address := Network(addr)
	conn, err := d.DialContext(ctx, network, address)
	if err != nil {
		return nil, err
	}
	if implicitTLS {
		cfg := opts.TLS
		if cfg == nil {
			cfg = &tls.Config{}
		}
		tc := tls.Client(conn, cfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			conn.Close()
			return nil, fmt.Errorf("TLS handshake with %s: %w", addr, err)
		}
		conn = tc
	}
	return NewClient(conn, opts), nil
}

// Conn is the underlying connection (a *tls.Conn after STARTTLS).
func (c *Client) Conn() net.Conn { return c.conn }

// TLS reports whether the connection is encrypted.
func (c *Client) TLS() bool { return c.tls }

// Close closes the connection without QUIT.
func (c *Client) Close() error { return c.conn.Close() }

func (c *Client) deadline() {
	c.conn.SetDeadline(c.opts.Clock.Now().Add(c.opts.Timeout))
}

// Greeting reads the server's 220 greeting (RFC 5321 4.3.1).
func (c *Client) Greeting() (Reply, error) {
	c.deadline()
	return c.expect(StageGreeting, 220)
}

// HelloStage is the stage of Hello: StageLHLO in LMTP, else StageEHLO.
func (c *Client) HelloStage() string {
	if c.opts.LMTP {
		return StageLHLO
	}
	return StageEHLO
}

// Hello sends EHLO and records the extensions; a server that refuses EHLO
// with 500/502 gets HELO instead (RFC 5321 4.1.1.1). In LMTP it sends
// LHLO, which has no such fallback (RFC 2033 4.1: HELO and EHLO are not
// LMTP commands).
func (c *Client) Hello() (Reply, error) {
	verb := "EHLO "
	if c.opts.LMTP {
		verb = "LHLO "
	}
	rep, err := c.Cmd(c.HelloStage(), 250, verb+c.opts.Helo)
	var re *ReplyError
	if !c.opts.LMTP && errors.As(err, &re) && (re.Reply.Code == 500 || re.Reply.Code == 502) {
		c.Ext = map[string]string{}
		return c.Cmd(StageEHLO, 250, "HELO "+c.opts.Helo)
	}
	if err != nil {
		return rep, err
	}
	c.Ext = make(map[string]string, len(rep.Lines))
	for _, l := range rep.Lines[1:] {
		k, v, _ := strings.Cut(l, " ")
		c.Ext[strings.ToUpper(k)] = v
	}
	return rep, nil
}

// Has reports whether the server advertised the EHLO keyword ext.
func (c *Client) Has(ext string) bool {
	_, ok := c.Ext[ext]
	return ok
}

// StartTLS upgrades the connection (RFC 3207 4) and says EHLO again, as
// the server forgets what it knew (RFC 3207 4.2).
func (c *Client) StartTLS() error {
	if c.opts.TLS == nil {
		return errors.New("STARTTLS asked without a TLS configuration")
	}
	if !c.Has("STARTTLS") {
		return notOffered("the server does not offer STARTTLS in its EHLO reply; drop --starttls or enable TLS on the server")
	}
	if _, err := c.Cmd(StageStartTLS, 220, "STARTTLS"); err != nil {
		return err
	}
	tc := tls.Client(c.conn, c.opts.TLS)
	c.deadline()
	if err := tc.Handshake(); err != nil {
		return fmt.Errorf("TLS handshake after STARTTLS: %w", err)
	}
	c.conn, c.tls = tc, true
	c.r.Reset(tc)
	c.w.Reset(tc)
	if c.opts.TLSStarted != nil {
		c.opts.TLSStarted(tc.ConnectionState())
	}
	_, err := c.Hello()
	return err
}

// Auth authenticates with PLAIN (RFC 4616) or, when only that is offered,
// LOGIN; Options.AuthMech chooses one.
func (c *Client) Auth(user, pass string) error {
	mechs := strings.Fields(strings.ToUpper(c.Ext["AUTH"]))
	want := strings.ToUpper(c.opts.AuthMech)
	has := func(m string) bool {
		if want != "" && want != m {
			return false
		}
		for _, x := range mechs {
			if x == m {
				return true
			}
		}
		return false
	}
	switch {
	case len(mechs) > 0 && want != "" && !has(want):
		return notOffered(fmt.Sprintf("the server offers AUTH %s, not %s", strings.Join(mechs, " "), want))
	case has("PLAIN"):
		resp := base64.StdEncoding.EncodeToString([]byte("\x00" + user + "\x00" + pass))
		_, err := c.cmdShown(StageAuth, 235, "AUTH PLAIN "+resp, "AUTH PLAIN "+HiddenCredentials)
		return err
	case has("LOGIN"):
		if _, err := c.Cmd(StageAuth, 334, "AUTH LOGIN"); err != nil {
			return err
		}
		if _, err := c.cmdShown(StageAuth, 334, base64.StdEncoding.EncodeToString([]byte(user)), HiddenCredentials); err != nil {
			return err
		}
		_, err := c.cmdShown(StageAuth, 235, base64.StdEncoding.EncodeToString([]byte(pass)), HiddenCredentials)
		return err
	case len(mechs) == 0:
		if !c.tls {
			return notOffered("the server offers no AUTH here; many servers offer it only after TLS: add --starttls or --tls")
		}
		return notOffered("the server does not offer AUTH")
	}
	return notOffered(fmt.Sprintf("the server offers AUTH %s but neither PLAIN nor LOGIN", strings.Join(mechs, " ")))
}

// ErrNotOffered is what StartTLS and Auth return (errors.Is) when the
// server's EHLO reply does not offer what was asked: nothing was sent.
var ErrNotOffered = errors.New("not offered by the server")

type notOfferedError string

func (e notOfferedError) Error() string        { return string(e) }
func (e notOfferedError) Is(target error) bool { return target == ErrNotOffered }

func notOffered(msg string) error { return notOfferedError(msg) }

// Cmd sends one command line and reads its reply, which must have code
// want (RFC 5321 4.2).
func (c *Client) Cmd(stage string, want int, line string) (Reply, error) {
	return c.cmdShown(stage, want, line, line)
}

// cmdShown is Cmd with shown in the transcript in place of line.
func (c *Client) cmdShown(stage string, want int, line, shown string) (Reply, error) {
	if strings.ContainsAny(line, "\r\n") {
		return Reply{}, fmt.Errorf("%s: command contains a line break", stage)
	}
	c.deadline()
	c.writeLineShown(line, shown)
	if err := c.w.Flush(); err != nil {
		return Reply{}, err
	}
	return c.expect(stage, want)
}

// writeLine buffers one line; Flush sends it.
func (c *Client) writeLine(line string) { c.writeLineShown(line, line) }

func (c *Client) writeLineShown(line, shown string) {
	if c.opts.Trace != nil {
		c.opts.Trace(Sent, shown)
	}
	c.w.WriteString(line)
	c.w.WriteString("\r\n")
}

// expect reads a reply and turns a code other than want into a ReplyError.
func (c *Client) expect(stage string, want int) (Reply, error) {
	rep, err := c.ReadReply(stage)
	if err != nil {
		return rep, err
	}
	if rep.Code != want {
		if Positive(want) && Positive(rep.Code) {
			// RFC 5321 4.2.1: a 2yz is a positive completion, whatever its
			// other digits (RCPT's 251 and 252, a 299 to the dot), and a
			// client acts on the first digit, as Postfix's does.
			return rep, nil
		}
		if rep.Code < 400 && stage != StageData {
			// A positive reply of another kind than the one due (a 3xx
			// where a 2xx completes) is no refusal: the server broke the
			// protocol (Send explains DATA's own way).
			return rep, &ProtocolError{Stage: stage, Line: rep.String(),
				Why: fmt.Sprintf("the server answered %s with %d where %d was due (a protocol violation, not a refusal)", stageWhat(stage), rep.Code, want)}
		}
		return rep, &ReplyError{Stage: stage, Reply: rep}
	}
	return rep, nil
}

// Positive reports whether code is a positive completion reply, 2yz (RFC
// 5321 4.2.1): the command was done, whatever the code's other digits.
func Positive(code int) bool { return code >= 200 && code < 300 }

// Unusual reports whether code is a 2yz other than the one RFC 5321
// gives the reply to stage (a 299 after the final dot, a 220 to RCPT): it
// is taken all the same (Positive), and worth a note.
func Unusual(stage string, code int) bool {
	if !Positive(code) {
		return false
	}
	switch stage {
	case StageGreeting, StageStartTLS:
		return code != 220
	case StageQuit:
		return code != 221
	case StageAuth:
		return code != 235
	case StageRcpt:
		return code != 250 && code != 251 && code != 252 // RFC 5321 3.4, 3.5.3
	case StageEHLO, StageLHLO, StageMail, StageDataEnd, StageRset:
		return code != 250
	}
	return false
}

// maxReplyLines bounds a multi-line reply from a hostile server.
const maxReplyLines = 200

// ReadReply reads one possibly multi-line reply (RFC 5321 4.2.1).
func (c *Client) ReadReply(stage string) (Reply, error) {
	var rep Reply
	c.waiting = stage
	for n := 0; ; n++ {
		line, err := c.readLine()
		if err != nil {
			var pe *ProtocolError
			if errors.As(err, &pe) && pe.Stage == "" {
				pe.Stage = stage // readLine does not know which reply it reads
			}
			if errors.Is(err, io.EOF) && n == 0 {
				return rep, fmt.Errorf("the server closed the connection at %s without a reply: %w", stage, io.ErrUnexpectedEOF)
			}
			return rep, err
		}
		if c.opts.Trace != nil {
			c.opts.Trace(Received, line)
		}
		if len(line) < 3 || !digits(line[:3]) || (len(line) > 3 && line[3] != ' ' && line[3] != '-') {
			return rep, &ProtocolError{Stage: stage, Line: line, Why: "a reply line starts with three digits and a space or hyphen"}
		}
		code := int(line[0]-'0')*100 + int(line[1]-'0')*10 + int(line[2]-'0')
		if code < 200 || code > 599 {
			// RFC 5321 4.2.1: the first digit is 2 to 5; anything else
			// is no refusal, and a 9xx must not bounce a message as a 5xx.
			return rep, &ProtocolError{Stage: stage, Line: line, Why: fmt.Sprintf("reply code %d is outside 200-599", code)}
		}
		if n > 0 && code != rep.Code {
			return rep, &ProtocolError{Stage: stage, Line: line, Why: fmt.Sprintf("code changed from %d within a multi-line reply", rep.Code)}
		}
		rep.Code = code
		text := ""
		if len(line) > 4 {
			text = line[4:]
		}
		if enh, rest, ok := cutEnhanced(text, code); ok {
			rep.Enhanced, text = enh, rest
		}
		rep.Lines = append(rep.Lines, text)
		if len(line) == 3 || line[3] == ' ' {
			return rep, nil
		}
		if n >= maxReplyLines {
			return rep, &ProtocolError{Stage: stage, Line: line, Why: fmt.Sprintf("more than %d lines in one reply", maxReplyLines)}
		}
	}
}

// maxLine is twice RFC 5321 4.5.3.1.5's reply line limit of 512.
const maxLine = 1024

func (c *Client) readLine() (string, error) {
	b, err := c.r.ReadSlice('\n')
	if err == bufio.ErrBufferFull || (err == nil && len(b) > maxLine) {
		return "", &ProtocolError{Line: truncate(string(b), 80), Why: fmt.Sprintf("reply line longer than %d bytes", maxLine)}
	}
	if err != nil {
		if err == io.EOF && len(b) > 0 {
			return "", io.ErrUnexpectedEOF
		}
		return "", err
	}
	b = b[:len(b)-1]
	if n := len(b); n > 0 && b[n-1] == '\r' {
		b = b[:n-1]
	}
	return string(b), nil
}

// cutEnhanced splits "5.1.1 text" when the class matches the reply's
// (RFC 2034 4).
func cutEnhanced(text string, code int) (enh, rest string, ok bool) {
	word, rest, _ := strings.Cut(text, " ")
	if len(word) < 5 || int(word[0]-'0') != code/100 || word[1] != '.' {
		return "", text, false
	}
	parts := strings.Split(word, ".")
	if len(parts) != 3 {
		return "", text, false
	}
	for _, p := range parts {
		if len(p) == 0 || len(p) > 3 || !digits(p) {
			return "", text, false
		}
	}
	return word, rest, true
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return len(s) > 0
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
