package smtpload

import (
	"bytes"
	"errors"
	"fmt"
)

// Transaction is one message to send: its envelope and its content in
// wire form (see WireFormat).
type Transaction struct {
	From string
	To   []string
	// MailParams are appended to MAIL FROM:<...> ("SIZE=1234").
	MailParams string
	// RcptParams are appended to each RCPT TO:<...>, by the recipient's
	// index ("NOTIFY=FAILURE"); a missing or empty entry appends none.
	RcptParams []string
	// Parts are written one after the other as the content, each already in
	// wire form; the final dot is added by the client.
	Parts [][]byte
}

// TxResult holds every reply of one transaction.
type TxResult struct {
	Mail  Reply
	Rcpts []Reply // one per recipient, in order
	Data  Reply   // the reply to DATA (354 when it went on)
	// DataEnd is the reply to the final dot. In LMTP, where each
	// recipient gets its own (RcptDataEnd), it is the first 2xx of them,
	// else the first reply read; Code 0 when none was read.
	DataEnd Reply
	// RcptDataEnd holds, in LMTP (LMTP true), the replies to the final
	// dot, one per recipient accepted at RCPT (RFC 2033 4.2), at the
	// recipient's index in Rcpts: Code 0 for a recipient refused at RCPT,
	// which gets none, and for one whose reply never came.
	RcptDataEnd []Reply
	LMTP        bool
	// Rset is the reply to the RSET sent after a refusal (Code 0 when
	// none was sent, or none came).
	Rset Reply
	// Stage is where the transaction stopped ("" when the message was
	// accepted).
	Stage    string
	Accepted int // recipients accepted at RCPT (any 2xx: 250, 251, 252)
	// ResetErr is why the RSET after a refusal failed (the server replied
	// and hung up, or answered the RSET itself with a 421 or another
	// refusal): the refusal stands, and the connection is done.
	ResetErr error
	// DotSent reports that the content and its final dot were written.
	// With no reply to the dot (DataEnd.Code 0), the message's fate is
	// unknown: the server may have delivered it (RFC 5321 4.5.4.1).
	DotSent bool
}

// FateUnknown reports whether the message's final dot was sent and its
// reply never read: the server may have delivered it, or not. (The empty
// content sent after every recipient was refused is never delivered.)
// In LMTP the fate is unknown as soon as one recipient's reply to the dot
// is missing: the server may have delivered to that one.
func (r *TxResult) FateUnknown() bool {
	return r.DotSent && r.Stage == "" && (r.DataEnd.Code == 0 || r.DotNoReply() > 0)
}

// OK reports whether the server took the message: a 2xx after the final
// dot (RFC 5321 4.2.1; 250 is the one RFC 5321 4.3.2 gives); in LMTP, a
// 2xx for at least one recipient, with every recipient's reply read.
func (r *TxResult) OK() bool {
	return r.Stage == "" && Positive(r.DataEnd.Code) && r.DotNoReply() == 0
}

// Partial reports whether the server took the message for only some of
// its recipients: others were refused at RCPT or, in LMTP, after the
// final dot.
func (r *TxResult) Partial() bool {
	if !r.OK() {
		return false
	}
	if r.Accepted < len(r.Rcpts) {
		return true
	}
	for i, d := range r.RcptDataEnd {
		if rcptAccepted(r.Rcpts[i].Code) && !Positive(d.Code) {
			return true
		}
	}
	return false
}

// DotNoReply is, in LMTP, how many recipients accepted at RCPT got no
// reply to the final dot that was sent (the connection broke, or the run
// was stopped first); 0 in SMTP.
func (r *TxResult) DotNoReply() int {
	if !r.LMTP || !r.DotSent {
		return 0
	}
	n := 0
	for i, x := range r.Rcpts {
		if rcptAccepted(x.Code) && (i >= len(r.RcptDataEnd) || r.RcptDataEnd[i].Code == 0) {
			n++
		}
	}
	return n
}

// pipelineWindow is how many RCPT commands Send writes before it reads
// their replies.
const pipelineWindow = 100

// Send runs one mail transaction. With pipeline (and the server's
// PIPELINING, RFC 2920), MAIL, every RCPT and DATA go out in one write and
// their replies are read after. Refusals are recorded in the result and are
// not errors; the error is for broken connections and protocol violations,
// after which the client must be closed. After a refusal the transaction is
// reset with RSET so the connection can be reused; when the RSET fails the
// refusal stands, ResetErr says why, and Closing reports true. A 421 ends
// the transaction where it came (RFC 5321 3.8: the server is closing): no
// further command is sent and no further reply read.
func (c *Client) Send(tx *Transaction, pipeline bool) (TxResult, error) {
	res := TxResult{Rcpts: make([]Reply, 0, len(tx.To)), LMTP: c.opts.LMTP}
	mail := tx.MailCommand()
	if err := checkLines(mail, tx.To, tx.RcptParams); err != nil {
		return res, err
	}
	pipeline = pipeline && c.Has("PIPELINING")
	var err error
	c.deadline()
	c.waiting = StageMail // a write that fails fails the transaction's start
	if pipeline {
		// The commands go out in groups of at most pipelineWindow, each
		// group's replies read before the next is written: a server that
		// stops reading until its replies are read (RFC 2920 3.1 allows
		// it) would otherwise leave both sides blocked on writing.
		mailRead, owed := false, 0
		readOwed := func() error {
			if err := c.w.Flush(); err != nil {
				return err
			}
			if !mailRead {
				if res.Mail, err = c.ReadReply(StageMail); err != nil {
					return err
				}
				mailRead = true
			}
			for ; owed > 0 && !closing(&res); owed-- {
				rep, err := c.ReadReply(StageRcpt)
				if err != nil {
					return err
				}
				res.Rcpts = append(res.Rcpts, rep)
			}
			return nil
		}
		c.writeLine(mail)
		for i := range tx.To {
			c.writeLine(tx.RcptCommand(i))
			if owed++; owed == pipelineWindow && i < len(tx.To)-1 {
				if err := readOwed(); err != nil {
					return res, err
				}
				if closing(&res) {
					break
				}
			}
		}
		if !closing(&res) {
			c.writeLine("DATA")
			if err := readOwed(); err != nil {
				return res, err
			}
		}
		// After a 421 the server closes: the replies still owed, DATA's
		// among them, never come.
		if !closing(&res) {
			if res.Data, err = c.ReadReply(StageData); err != nil {
				return res, err
			}
		}
	} else {
		res.Mail, err = c.Cmd(StageMail, 250, mail)
		if !replyOnly(err) {
			return res, err
		}
		if Positive(res.Mail.Code) {
			for i := range tx.To {
				rep, err := c.Cmd(StageRcpt, 250, tx.RcptCommand(i))
				if !replyOnly(err) {
					return res, err
				}
				res.Rcpts = append(res.Rcpts, rep)
				if rep.Code == 421 {
					break
				}
			}
		}
	}
	for _, r := range res.Rcpts {
		if rcptAccepted(r.Code) {
			res.Accepted++
		}
	}
	switch {
	case !Positive(res.Mail.Code):
		res.Stage = StageMail
	case res.Accepted == 0 || rcptClosing(&res):
		// A 421 to DATA (read here when pipelined) is DATA's refusal,
		// not the recipients'.
		res.Stage = StageRcpt
	}
	if !pipeline && res.Stage == "" {
		res.Data, err = c.Cmd(StageData, 354, "DATA")
		if !replyOnly(err) {
			return res, err
		}
	}
	if c := res.Data.Code; c != 0 && c != 354 && c < 400 {
		// RFC 5321 4.1.1.4: DATA is answered 354, or refused with a 4xx or
		// 5xx. A 250 is neither: the server did not ask for the content,
		// and what it would make of it is unknown.
		return res, &ProtocolError{Stage: StageData, Line: res.Data.String(),
			Why: fmt.Sprintf("the server answered DATA with %d instead of 354 (a protocol violation: it never asked for the message)", c)}
	}
	if res.LMTP && res.Data.Code == 354 && res.Accepted == 0 {
		// RFC 2033 4.2: with no recipient accepted, DATA must fail (503);
		// after the dot there would be no reply to read, or one no rule
		// gives.
		return res, &ProtocolError{Stage: StageData, Line: res.Data.String(),
			Why: "the LMTP server answered DATA with 354 though it had accepted no recipient (RFC 2033 4.2: DATA must then fail with 503)"}
	}
	if res.Stage == "" && res.Data.Code != 354 {
		res.Stage = StageData
	}
	if res.Data.Code == 354 {
		// RFC 2920 3.1: a 354 after all recipients failed still needs a
		// content; an empty one is enough, and it is not delivered.
		var parts [][]byte
		if res.Stage == "" {
			parts = tx.Parts
		}
		if res.DotSent, err = c.writeData(parts); err != nil {
			return res, err
		}
		if res.LMTP {
			err = c.readRcptDataEnd(&res)
		} else {
			res.DataEnd, err = c.ReadReply(StageDataEnd)
		}
		if err != nil {
			return res, err
		}
		if res.Stage == "" && !Positive(res.DataEnd.Code) {
			res.Stage = StageDataEnd
		}
	}
	if res.Stage != "" && !closing(&res) {
		// The refusal is the outcome; the server hanging up after it (a
		// 500 then close) is not a second failure to report. An RSET
		// refused is not harmless either: a 421 closes the session (RFC
		// 5321 3.8), and after any other the transaction's state is not
		// known, so the connection is not used again.
		if res.Rset, err = c.Cmd(StageRset, 250, "RSET"); err != nil {
			res.ResetErr = err
		}
	}
	return res, nil
}

// rcptAccepted reports whether a reply to RCPT accepted the recipient:
// 250, 251 (will forward, RFC 5321 3.4), 252 (cannot verify but will
// try, RFC 5321 3.5.3), or any other 2yz (RFC 5321 4.2.1).
func rcptAccepted(code int) bool { return Positive(code) }

// RcptAccepted reports whether a reply to RCPT accepted the recipient.
func RcptAccepted(r Reply) bool { return rcptAccepted(r.Code) }

// closing reports whether a reply of the transaction was 421: the server
// is closing the connection (RFC 5321 3.8).
func closing(r *TxResult) bool {
	if r.Mail.Code == 421 || r.Data.Code == 421 || r.DataEnd.Code == 421 || r.Rset.Code == 421 || rcptClosing(r) {
		return true
	}
	for _, x := range r.RcptDataEnd {
		if x.Code == 421 {
			return true
		}
	}
	return false
}

// rcptClosing reports whether a reply to RCPT was 421.
func rcptClosing(r *TxResult) bool {
	for _, x := range r.Rcpts {
		if x.Code == 421 {
			return true
		}
	}
	return false
}

// Closing reports whether the connection is done: the server said it is
// closing it (421), or did not answer the RSET after a refusal with a 2xx.
func (r *TxResult) Closing() bool { return closing(r) || r.ResetErr != nil }

// replyOnly reports whether err is nil or only a refusal.
func replyOnly(err error) bool {
	var re *ReplyError
	return err == nil || errors.As(err, &re)
}

func checkLines(mail string, to, rcptParams []string) error {
	if bytes.ContainsAny([]byte(mail), "\r\n") {
		return errors.New("the sender address or a MAIL parameter contains a line break")
	}
	for _, t := range to {
		if bytes.ContainsAny([]byte(t), "\r\n") {
			return errors.New("a recipient address contains a line break")
		}
	}
	for _, p := range rcptParams {
		if bytes.ContainsAny([]byte(p), "\r\n") {
			return errors.New("a RCPT parameter contains a line break")
		}
	}
	return nil
}

// MailCommand is the transaction's MAIL command, with its parameters.
func (tx *Transaction) MailCommand() string {
	line := "MAIL FROM:<" + tx.From + ">"
	if tx.MailParams != "" {
		line += " " + tx.MailParams
	}
	return line
}

// RcptCommand is the RCPT command of recipient i, with its parameters.
func (tx *Transaction) RcptCommand(i int) string {
	line := "RCPT TO:<" + tx.To[i] + ">"
	if i < len(tx.RcptParams) && tx.RcptParams[i] != "" {
		line += " " + tx.RcptParams[i]
	}
	return line
}

// writeData writes the content and the final dot (RFC 5321 4.1.1.4);
// sent reports that the dot went out.
func (c *Client) writeData(parts [][]byte) (sent bool, err error) {
	c.deadline()
	for _, p := range parts {
		if c.opts.Trace != nil {
			traceLines(c.opts.Trace, p)
		}
		c.w.Write(p)
	}
	c.writeLine(".")
	if err := c.w.Flush(); err != nil {
		return false, err
	}
	return true, nil
}

// readRcptDataEnd reads LMTP's replies to the final dot: one for each
// recipient accepted at RCPT, in their order (RFC 2033 4.2), each within
// the timeout, as each may be a delivery of its own. It stops at the
// first that does not come; those not read stay Code 0.
func (c *Client) readRcptDataEnd(res *TxResult) error {
	res.RcptDataEnd = make([]Reply, len(res.Rcpts))
	for i, r := range res.Rcpts {
		if !rcptAccepted(r.Code) {
			continue
		}
		c.deadline()
		rep, err := c.ReadReply(StageDataEnd)
		if err != nil {
			return err
		}
		res.RcptDataEnd[i] = rep
		if res.DataEnd.Code == 0 || Positive(rep.Code) && !Positive(res.DataEnd.Code) {
			res.DataEnd = rep
		}
	}
	return nil
}

func traceLines(trace func(dir, line string), p []byte) {
	for len(p) > 0 {
		line, rest, _ := bytes.Cut(p, []byte("\n"))
		trace(Sent, string(bytes.TrimSuffix(line, []byte("\r"))))
		p = rest
	}
}

// Quit ends the session politely (RFC 5321 4.1.1.10) and closes it.
func (c *Client) Quit() error {
	_, err := c.Cmd(StageQuit, 221, "QUIT")
	c.conn.Close()
	return err
}

// WireFormat returns msg with every line ended by CRLF, a final line break
// added if missing, and lines that start with a dot doubled (RFC 5321
// 4.5.2), ready to follow DATA.
func WireFormat(msg []byte) []byte {
	out := make([]byte, 0, len(msg)+len(msg)/32+2)
	bol := true
	for i := 0; i < len(msg); i++ {
		c := msg[i]
		if bol && c == '.' {
			out = append(out, '.')
		}
		bol = false
		switch c {
		case '\r':
			out = append(out, '\r', '\n')
			if i+1 < len(msg) && msg[i+1] == '\n' {
				i++
			}
			bol = true
		case '\n':
			out = append(out, '\r', '\n')
			bol = true
		default:
			out = append(out, c)
		}
	}
	if !bol {
		out = append(out, '\r', '\n')
	}
	return out
}
