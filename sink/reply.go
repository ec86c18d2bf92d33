package sink

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-smtp"
)

// Stage is the point of an SMTP session at which a behaviour applies.
type Stage string

// The stages of a session, in the order a client meets them.
const (
	StageConnect  Stage = "connect"  // before the greeting
	StageEHLO     Stage = "ehlo"     // EHLO or HELO
	StageStartTLS Stage = "starttls" // the STARTTLS command
	StageAuth     Stage = "auth"     // the AUTH command
	StageMail     Stage = "mail"     // MAIL FROM
	StageRcpt     Stage = "rcpt"     // RCPT TO
	StageData     Stage = "data"     // the DATA command, before 354
	StageDataEnd  Stage = "data-end" // after the final dot
	StageRset     Stage = "rset"
	StageQuit     Stage = "quit"
)

// Stages lists every stage.
func Stages() []Stage {
	return []Stage{StageConnect, StageEHLO, StageStartTLS, StageAuth, StageMail, StageRcpt, StageData, StageDataEnd, StageRset, StageQuit}
}

func parseStage(s string) (Stage, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	switch s {
	case "helo":
		return StageEHLO, true
	case "dataend", "data_end", "dot", "eod":
		return StageDataEnd, true
	}
	for _, st := range Stages() {
		if string(st) == s {
			return st, true
		}
	}
	return "", false
}

// Reply is an SMTP reply: a code, an enhanced status code (RFC 3463) and text.
// The text of a reply of several lines has them separated by "\n", each
// without its code and enhanced code, as relaylab's relay keeps the
// replies it gets (RFC 5321 4.2.1: one code for all of them).
type Reply struct {
	Code     int    `json:"code"`
	Enhanced string `json:"enhanced,omitempty"` // "5.1.1"; empty for none
	Text     string `json:"text,omitempty"`
}

// ParseReply reads "550 5.1.1 text", "451 text" or "250".
func ParseReply(s string) (Reply, error) {
	s = strings.TrimSpace(s)
	codeStr, rest, _ := strings.Cut(s, " ")
	code, err := strconv.Atoi(codeStr)
	if err != nil || len(codeStr) != 3 || code < 200 || code > 599 {
		return Reply{}, fmt.Errorf("reply %q: want a 3-digit code from 200 to 599 first, like \"550 5.1.1 no such user\"", s)
	}
	r := Reply{Code: code}
	rest = strings.TrimSpace(rest)
	if first, after, _ := strings.Cut(rest, " "); validEnhanced(first) {
		if first[0] != codeStr[0] {
			return Reply{}, fmt.Errorf("reply %q: enhanced code %s must start with the class of %d (RFC 3463 3.1)", s, first, code)
		}
		r.Enhanced, rest = first, strings.TrimSpace(after)
	}
	if strings.ContainsAny(rest, "\r\n") {
		return Reply{}, fmt.Errorf("reply %q: text must be one line", s)
	}
	r.Text = rest
	if r.Text == "" {
		r.Text = defaultText(code)
	}
	return r, nil
}

// validEnhanced reports whether s is class.subject.detail (RFC 3463 2).
func validEnhanced(s string) bool {
	// Cut rather than Split: this runs for every reply, and allocates
	// nothing.
	class, rest, ok := strings.Cut(s, ".")
	if !ok || (class != "2" && class != "4" && class != "5") {
		return false
	}
	subject, detail, ok := strings.Cut(rest, ".")
	return ok && isDigits(subject, 3) && isDigits(detail, 3)
}

// isDigits says whether s is 1 to max decimal digits.
func isDigits(s string, max int) bool {
	if len(s) == 0 || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func defaultText(code int) string {
	switch {
	case code == 421:
		return "Service not available, closing the connection"
	case code >= 500:
		return "Rejected by the relaylab sink"
	case code >= 400:
		return "Try again later (relaylab sink)"
	default:
		return "OK"
	}
}

// String is the reply on one line, as a one-line reply goes on the wire
// without CRLF; the lines of a longer one are joined with a space (as a
// DSN's Diagnostic-Code has them).
func (r Reply) String() string {
	text := r.Text
	if strings.IndexByte(text, '\n') >= 0 {
		text = strings.ReplaceAll(text, "\n", " ")
	}
	if r.Enhanced == "" {
		return strconv.Itoa(r.Code) + " " + text
	}
	return strconv.Itoa(r.Code) + " " + r.Enhanced + " " + text
}

// wire is the reply as it goes on the wire, every line with its CRLF.
func (r Reply) wire() []byte {
	if strings.IndexByte(r.Text, '\n') < 0 {
		// One allocation: String's line, then CRLF, built in place.
		b := make([]byte, 0, len(r.Enhanced)+len(r.Text)+8)
		b = strconv.AppendInt(b, int64(r.Code), 10)
		b = append(b, ' ')
		if r.Enhanced != "" {
			b = append(append(b, r.Enhanced...), ' ')
		}
		return append(append(b, r.Text...), "\r\n"...)
	}
	// RFC 5321 4.2.1: "NNN-" on every line but the last. The enhanced
	// code goes on every line (RFC 2034 4: each line of the text starts
	// with it), as Gmail and Postfix write theirs.
	var b []byte
	lines := strings.Split(r.Text, "\n")
	for i, ln := range lines {
		b = strconv.AppendInt(b, int64(r.Code), 10)
		if i < len(lines)-1 {
			b = append(b, '-')
		} else {
			b = append(b, ' ')
		}
		if r.Enhanced != "" {
			b = append(append(b, r.Enhanced...), ' ')
		}
		b = append(append(b, ln...), "\r\n"...)
	}
	return b
}

// smtpError turns r into the error go-smtp writes as is. go-smtp
// type-asserts *smtp.SMTPError, so it is returned unwrapped.
func (r Reply) smtpError() *smtp.SMTPError {
	e := &smtp.SMTPError{Code: r.Code, Message: r.Text}
	if r.Enhanced == "" {
		e.EnhancedCode = smtp.NoEnhancedCode
		return e
	}
	var a, b, c int
	fmt.Sscanf(r.Enhanced, "%d.%d.%d", &a, &b, &c)
	e.EnhancedCode = smtp.EnhancedCode{a, b, c}
	if strings.IndexByte(r.Text, '\n') >= 0 {
		// go-smtp (v0.25.1) writes the enhanced code on the last line
		// only: the others carry it in their text, so that the wire has
		// it on every line, as wire writes it (replyOf takes it off).
		lines := strings.Split(r.Text, "\n")
		for i := range lines[:len(lines)-1] {
			lines[i] = r.Enhanced + " " + lines[i]
		}
		e.Message = strings.Join(lines, "\n")
	}
	return e
}

// Behavior is what the sink does at one stage instead of its normal reply.
// The zero Behavior is the normal reply.
type Behavior struct {
	Reply    *Reply        // nil: the normal reply
	Delay    time.Duration // wait this long before replying
	Tarpit   time.Duration // write the reply one byte per Tarpit
	Hang     bool          // never reply; wait for the client to give up
	Drop     bool          // close the connection without a reply
	Greylist *Greylist     // rcpt only: greylist the triple
	Bounce   *Bounce       // data-end only: accept, then bounce later
	// Rule names what chose this behaviour ("rule 2", "directive rcpt550",
	// "profile gmail"), for the record.
	Rule string
	// By names it as the record of a reply says it (Sink.decide sets it):
	// a rule by its name, or "rule 2" by its position when it has none;
	// a profile's rule with the profile and the recipient's domain; a
	// directive.
	By string
	// Matched says what of the message met a rule's header:, body: or
	// size: (Sink.decide sets it), for the transcript's "reply by" line.
	Matched string
	// usedUp: the normal reply, because a directive of this stage has
	// had its attempts (Sink.decide).
	usedUp usedUp
}

// Greylist is greylisting per (client IP, sender, recipient).
type Greylist struct {
	MinDelay time.Duration // retries before this get 451 again
	Expiry   time.Duration // a triple not retried within this after its first attempt starts over
	// KeepPassed: a triple that got through is let through until this
	// long after its last delivery.
	KeepPassed time.Duration
	Reply      Reply
}

// defaultKeepPassed is how long a triple that passed the greylist stays
// let through, after its last delivery: postgrey's default --max-age (35
// days), so that a sender that writes once a month is not delayed again,
// while the retry window (Expiry, postgrey's --retry-window) stays short.
const defaultKeepPassed = 35 * 24 * time.Hour

// Bounce is an asynchronous bounce: accept now, send a DSN later.
type Bounce struct {
	After time.Duration
	Reply Reply // the failure the DSN reports
}

// ClientIPToken in a reply's text stands for the client's address: the
// sink writes "[203.0.113.5]" where a rule or profile says
// "[{client_ip}]", as receivers that name the sending IP do.
const ClientIPToken = "{client_ip}"

// forClient is b with ClientIPToken in its replies' texts replaced by
// ip; b itself when none has it (the replies of rules are shared).
func (b Behavior) forClient(ip netip.Addr) Behavior {
	if b.Reply != nil && strings.Contains(b.Reply.Text, ClientIPToken) {
		b.Reply = b.Reply.forClient(ip)
	}
	if b.Greylist != nil && strings.Contains(b.Greylist.Reply.Text, ClientIPToken) {
		g := *b.Greylist
		g.Reply = *g.Reply.forClient(ip)
		b.Greylist = &g
	}
	if b.Bounce != nil && strings.Contains(b.Bounce.Reply.Text, ClientIPToken) {
		bo := *b.Bounce
		bo.Reply = *bo.Reply.forClient(ip)
		b.Bounce = &bo
	}
	return b
}

func (r *Reply) forClient(ip netip.Addr) *Reply {
	c := *r
	who := "unknown"
	if ip.IsValid() {
		who = ip.Unmap().String()
	}
	c.Text = strings.ReplaceAll(c.Text, ClientIPToken, who)
	return &c
}

func (b Behavior) isZero() bool {
	return b.Reply == nil && b.Delay == 0 && b.Tarpit == 0 && !b.Hang && !b.Drop && b.Greylist == nil && b.Bounce == nil
}

func defaultGreyReply() Reply {
	return Reply{Code: 451, Enhanced: "4.7.1", Text: "Greylisted: this sender is new here, please try again later"}
}

func defaultBounceReply() Reply {
	return Reply{Code: 550, Enhanced: "5.1.1", Text: "The mailbox does not exist (asynchronous bounce from the relaylab sink)"}
}

// goAhead is the sink's 354 to DATA for a message to n accepted
// recipients, in place of go-smtp's: what to send and how to end it. A 3xx
// has no enhanced code (RFC 3463 2: the classes are 2, 4 and 5).
func goAhead(n int) Reply {
	rcpts := strconv.Itoa(n) + " recipients"
	if n == 1 {
		rcpts = "1 recipient"
	}
	return Reply{Code: 354, Text: "Go ahead. Send the message for its " + rcpts + ", then end it with a line of a single dot: <CR><LF>.<CR><LF> (RFC 5321 4.1.1.4)"}
}
