package smtptest

import (
	"io"
	"strings"

	"github.com/emersion/go-smtp"
)

var _ smtp.LMTPSession = (*session)(nil)

// LMTPData answers the final dot once per recipient (RFC 2033 4.2), by
// the recipient's address: "full..." 552 5.2.2, "over..." 452 4.2.2, any
// other 250; "X-Reject: yes" refuses the message for all of them.
func (ss *session) LMTPData(r io.Reader, status smtp.StatusCollector) error {
	if err := ss.Data(r); err != nil {
		return err
	}
	for _, to := range ss.to {
		if e := DotReply(to); e != nil {
			status.SetStatus(to, e)
		}
	}
	return nil // the recipients not set get 250
}

// DotReply is the LMTP reply to the final dot for recipient to, as the
// server gives it: nil for a delivery (250).
func DotReply(to string) *smtp.SMTPError {
	switch {
	case strings.HasPrefix(to, "full"):
		return &smtp.SMTPError{Code: 552, EnhancedCode: smtp.EnhancedCode{5, 2, 2}, Message: "mailbox full"}
	case strings.HasPrefix(to, "over"):
		return &smtp.SMTPError{Code: 452, EnhancedCode: smtp.EnhancedCode{4, 2, 2}, Message: "over quota, try later"}
	}
	return nil
}

// LMTP returns an answer for Script that plays an LMTP server (RFC 2033)
// on one connection: LHLO gets lhlo, MAIL 250, each RCPT TO:<addr> the
// reply rcpt(addr) ("" for 250), DATA 354 when a recipient was accepted
// and 503 when none was (RFC 2033 4.2), and the final dot one reply per
// accepted recipient, in their order, dot(addr) ("" for 250). A dot reply
// of "-" sends nothing for that recipient and hangs up: the replies
// before it went out, those after it never come. RSET clears the
// transaction. Use a new one for each connection.
func LMTP(lhlo string, rcpt, dot func(addr string) string) func(cmd string) (reply string, hangup bool) {
	var accepted []string
	return func(cmd string) (string, bool) {
		switch {
		case strings.HasPrefix(cmd, "LHLO"):
			return lhlo, false
		case strings.HasPrefix(cmd, "MAIL"):
			accepted = accepted[:0]
			return "250 2.1.0 ok", false
		case strings.HasPrefix(cmd, "RCPT TO:<"):
			addr, _, _ := strings.Cut(strings.TrimPrefix(cmd, "RCPT TO:<"), ">")
			r := rcpt(addr)
			if r == "" {
				accepted = append(accepted, addr)
				r = "250 2.1.5 ok"
			}
			return r, false
		case cmd == "DATA":
			if len(accepted) == 0 {
				return "503 5.5.1 no valid recipients", false
			}
			return "354 go ahead", false
		case cmd == ".":
			replies := make([]string, 0, len(accepted))
			for _, a := range accepted {
				r := dot(a)
				switch r {
				case "-":
					return strings.Join(replies, "\r\n"), true
				case "":
					r = "250 2.0.0 <" + a + "> delivered"
				}
				replies = append(replies, r)
			}
			accepted = accepted[:0]
			return strings.Join(replies, "\r\n"), false
		case cmd == "RSET":
			accepted = accepted[:0]
			return "250 2.0.0 ok", false
		}
		return "500 5.5.1 unknown command", false
	}
}
