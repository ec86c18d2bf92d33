package sink

import (
	"fmt"
	"strings"
	"time"
)

// This file holds the bounds on what one client may make the sink do in a
// session, beyond the lines that are no command (maxSyntaxErrors): RCPTs
// refused, AUTHs failed, a message sent an octet now and then; and how
// the replies that end such a session, and the idle timeout's, say where
// the session was.

// maxAuthFailures is how many AUTHs may fail (535) in one session; the
// next failure gets its 535, then 421, and the connection closes.
// Postfix counts each failed AUTH towards smtpd_hard_error_limit (20),
// and slows every reply once smtpd_soft_error_limit (10) is passed; the
// sink does not slow down, so it stops there: a client given the wrong
// password tries it once or twice, and one that guesses gets ten tries a
// connection.
const maxAuthFailures = 10

// errorLimit counts the reply with code just given at stage towards the
// session's limits on refused recipients and failed AUTHs, and returns the
// 421 that ends the session when one is passed, or nil.
func (c *conn) errorLimit(stage Stage, code int) *Reply {
	switch {
	case stage == StageRcpt && code >= 400:
		c.rcptRefused++
		if max := c.l.cfg.Limits.MaxRefusedRecipients; max > 0 && c.rcptRefused > max {
			return &Reply{Code: 421, Enhanced: "4.7.0", Text: fmt.Sprintf("Too many refused recipients: %d RCPT commands refused since the last message accepted, over this listener's limit of %d (limits.max_refused_recipients); closing the connection (RFC 5321 3.8)", c.rcptRefused, max)}
		}
	case stage == StageAuth && code == 535:
		c.authFailed++
		if c.authFailed > maxAuthFailures {
			return &Reply{Code: 421, Enhanced: "4.7.0", Text: fmt.Sprintf("Too many failed authentications: %d in this session, over the sink's limit of %d; closing the connection (RFC 5321 3.8)", c.authFailed, maxAuthFailures)}
		}
	}
	return nil
}

// unasked returns the stage to record r at, and what to send, for a reply
// go-smtp gives when no command awaits one: the reply to a message that
// never ended (session.Data's, to a stall or an overlong line in it), at
// data-end; go-smtp's idle timeout, at the stage of the last command
// answered, which its text names (Postfix logs "timeout after MAIL"). ok
// is false for any other reply, which is recorded at "other".
func (c *conn) unasked(r []byte) (at Stage, rep []byte, ok bool) {
	if c.inData {
		return StageDataEnd, r, true
	}
	if !isFailure(r) {
		return "", nil, false
	}
	if code, _, text := parseWireReply(r); code == 421 && text == goIdleText {
		at = c.lastStage
		if at == "" {
			at = StageConnect
		}
		return at, c.idleReply().wire(), true
	}
	return "", nil, false
}

// goIdleText is go-smtp's text for its idle timeout (v0.25.1).
const goIdleText = "Idle timeout, bye bye"

// idleReply is the sink's reply at the idle timeout between commands,
// naming the listener's limit and what the client last sent.
func (c *conn) idleReply() *Reply {
	after := ""
	switch c.lastStage {
	case StageConnect, "":
		after = " after the greeting"
	case StageDataEnd:
		after = " after a message"
	default:
		after = " after " + strings.ToUpper(string(c.lastStage))
	}
	return &Reply{Code: 421, Enhanced: "4.4.2", Text: fmt.Sprintf("Timeout: no command for the idle timeout (%s, limits.idle_timeout; RFC 5321 4.5.3.2.7)%s; closing the connection", c.l.cfg.Limits.IdleTimeout.D(), after)}
}

// transferDeadline is the read deadline in the middle of a message: the
// idle timeout from now, or sooner the time that limits.min_data_rate
// gives the message's octets so far after an idle timeout from its start
// (Postfix's smtpd_min_data_rate), so that a client sending an octet now
// and then, each within the idle timeout, cannot hold the session for
// ever. slow notes which of the two it is, for the reply (stallReply).
// The message starts at its first read, when go-smtp wants it: after the
// 354 is sent, however slowly a tarpit sends it, and after the commands
// before a BDAT pipelined with them are answered, however long a delay
// holds them; the sink's own slowness is not the client's.
func (c *conn) transferDeadline(idle time.Duration) time.Time {
	now := time.Now()
	if c.xferStart.IsZero() {
		c.xferStart = now
	}
	d := now.Add(idle)
	c.slow = false
	if rate := c.l.cfg.Limits.MinDataRate; rate > 0 {
		allowed := idle + time.Duration(float64(c.transferred())/float64(rate)*float64(time.Second))
		if by := c.xferStart.Add(allowed); by.Before(d) {
			d, c.slow = by, true
		}
	}
	return d
}

// transferred is how many octets of the message being read came so far.
func (c *conn) transferred() int {
	if c.bdatLeft > 0 {
		return c.bdatSize - c.bdatLeft
	}
	return c.dataBytes
}

// stallReply is the reply when a read in the middle of what (the message,
// a BDAT chunk) timed out: the idle timeout, or limits.min_data_rate
// (transferDeadline).
func (c *conn) stallReply(what string) Reply {
	lim := c.l.cfg.Limits
	if c.slow {
		took := time.Since(c.xferStart).Round(time.Millisecond)
		return Reply{Code: 421, Enhanced: "4.4.2", Text: fmt.Sprintf("Timeout: %s came too slowly, %d octets in %s: after the first %s (limits.idle_timeout) this listener wants %d octets a second (limits.min_data_rate); closing the connection", what, c.transferred(), took, lim.IdleTimeout.D(), lim.MinDataRate)}
	}
	return Reply{Code: 421, Enhanced: "4.4.2", Text: fmt.Sprintf("Timeout: no data for the idle timeout (%s, limits.idle_timeout; RFC 5321 4.5.3.2.6) in the middle of %s; closing the connection", lim.IdleTimeout.D(), what)}
}
