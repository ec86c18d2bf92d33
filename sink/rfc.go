package sink

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/relaylab/relaylab/internal/acceptreply"
	"github.com/relaylab/relaylab/internal/mailaddr"
	"github.com/relaylab/relaylab/internal/textsafe"
	"golang.org/x/net/idna"
)

// This file holds what the sink adds so that a hostile or broken client gets
// the reply RFC 5321 asks for where go-smtp's own reply differs: the checks,
// and the rewriting of go-smtp's replies that conn.serverReply applies.

// pendingCmd is a client command that awaits its reply.
type pendingCmd struct {
	stage    Stage
	known    bool // the verb is an SMTP command (RFC 5321 4.1 and extensions)
	bdat     bool // a BDAT command (RFC 3030)
	sasl     bool // a SASL response line within AUTH
	hugeSize bool // MAIL with a SIZE of digits too large for go-smtp
	badBDAT  bool // a BDAT whose arguments go-smtp refuses: no chunk follows
	bareVRFY bool // a VRFY without its string, which go-smtp answers 252
	// unknownParam is the first parameter of a MAIL or RCPT that go-smtp
	// does not know, as the client wrote its keyword.
	unknownParam string
	dsn          *dsnCmd // the DSN parameters of a MAIL or RCPT (RFC 3461)
	// own is the sink's reply to a line that is no command, which go-smtp
	// gets as a NOOP (conn.complete).
	own *Reply
	// heloExtra: an EHLO or HELO with more than one word after the verb.
	heloExtra bool
	// mailFault is the sink's refusal of a MAIL parameter go-smtp takes.
	mailFault *Reply
	// authExtra: an AUTH with more than a mechanism and an initial
	// response, which go-smtp ignores.
	authExtra bool
	// quotedLocal: the path of a MAIL or RCPT has a quoted local part as
	// written, which go-smtp hands on without its quotes (localFault).
	quotedLocal bool
	// emptyQuoted: that quoted local part is "" (`""@d.test`), which
	// go-smtp's parser refuses as a syntax error.
	emptyQuoted bool
	// notUTF8 says why the path of a MAIL or RCPT is not UTF-8, for a
	// path go-smtp's parser refuses with its generic syntax error
	// (pathNotUTF8); "" when it is.
	notUTF8 string
	// hugeBDAT is the chunk size of a BDAT too large for go-smtp, which
	// it refuses as malformed (hugeChunk); "" for any other.
	hugeBDAT string
}

// smtputf8Valued is the refusal of SMTPUTF8=value (RFC 6531 3.4: the
// parameter has no value), which go-smtp takes as SMTPUTF8.
var smtputf8Valued = Reply{Code: 501, Enhanced: "5.5.4", Text: "Syntax error: the SMTPUTF8 parameter of MAIL FROM takes no value; write SMTPUTF8 alone (RFC 6531 3.4)"}

// mailParamFault returns the sink's refusal of a MAIL parameter that
// go-smtp would take, or nil.
func mailParamFault(params []string) *Reply {
	for _, p := range params {
		if k, _, ok := strings.Cut(p, "="); ok && strings.EqualFold(k, "SMTPUTF8") {
			return &smtputf8Valued
		}
	}
	return nil
}

// maxSyntaxErrors is how many lines that are no command a session may
// send; the next gets its 500 and then 421, and the connection closes.
// Postfix's smtpd_hard_error_limit is 20 too; go-smtp's own limit (3)
// never sees these lines (conn.complete).
const maxSyntaxErrors = 20

// stockVerb reports whether go-smtp (v0.25.1) answers an upper-case verb
// of four letters without counting a protocol error.
func stockVerb(v string) bool {
	switch v {
	case "SEND", "SOML", "SAML", "EXPN", "HELP", "TURN", "HELO", "EHLO", "LHLO",
		"MAIL", "RCPT", "VRFY", "NOOP", "RSET", "BDAT", "DATA", "QUIT", "AUTH":
		return true
	}
	return false
}

// notACommand returns the sink's reply to a command line (without its
// CRLF) that go-smtp would refuse as a protocol error, counted towards
// closing the connection after the fourth, or nil for any other line.
// go-smtp's parser wants a verb of four letters and, for arguments, a
// space after it (STARTTLS aside), so it is mirrored here.
// upper is the line's verb in upper case.
func notACommand(text []byte, upper string, known bool) *Reply {
	n := len(text)
	if n >= 8 && strings.EqualFold(string(text[:8]), "STARTTLS") {
		return nil
	}
	switch {
	case n == 0:
		return &replyEmptyLine
	case n < 4 || n == 5 || n > 5 && text[4] != ' ':
		if known {
			return &replyMangled
		}
		return &replyUnrecognized
	case !stockVerb(upper): // here upper is text[:4]
		return &replyUnrecognized
	}
	return nil
}

// hugeSize reports whether a MAIL command line declares a SIZE of 11 to 20
// digits (RFC 1870 allows 20) that does not fit go-smtp's 32 bits.
func hugeSize(text []byte) bool {
	for _, f := range bytes.Fields(text) {
		k, v, ok := bytes.Cut(f, []byte("="))
		if ok && strings.EqualFold(string(k), "SIZE") && isDigits(string(v), 20) {
			n, err := strconv.ParseUint(string(v), 10, 32)
			return err != nil || n > 1<<32-1
		}
	}
	return false
}

// hugeChunk returns the chunk size of a BDAT command line (without its
// CRLF) when it is digits that do not fit go-smtp's 32 bits, which it
// refuses as a malformed argument, or "".
func hugeChunk(text []byte) string {
	f := bytes.Fields(text)
	if len(f) < 2 || !isDigits(string(f[1]), len(f[1])) {
		return ""
	}
	if _, err := strconv.ParseUint(string(f[1]), 10, 32); err == nil {
		return ""
	}
	return textsafe.Cut(string(f[1]), 40)
}

// bdatArgs reads a BDAT command line as go-smtp does (RFC 3030 2: BDAT SP
// chunk-size [SP end-marker]): the chunk size, whether it is the LAST, and
// whether go-smtp takes the command and so reads the chunk after it (a
// size of 32 bits, without a sign; LAST the only marker).
func bdatArgs(text []byte) (size int, last, ok bool) {
	f := bytes.Fields(text)
	if len(f) < 2 || len(f) > 3 {
		return 0, false, false
	}
	if len(f) == 3 && !bytes.EqualFold(f[2], []byte("LAST")) {
		return 0, false, false
	}
	n, err := strconv.ParseUint(string(f[1]), 10, 32)
	if err != nil {
		return 0, false, false
	}
	return int(n), len(f) == 3, true
}

// unknownParam returns the keyword of the first parameter of a MAIL (mail
// true) or RCPT command that go-smtp (v0.25.1) does not know, or "".
func unknownParam(params []string, mail bool) string {
	for _, p := range params {
		key, _, _ := strings.Cut(p, "=")
		switch strings.ToUpper(key) {
		case "SIZE", "BODY", "SMTPUTF8", "REQUIRETLS", "RET", "ENVID", "AUTH":
			if mail {
				continue
			}
		case "NOTIFY", "ORCPT", "RRVS", "BY", "MT-PRIORITY":
			if !mail {
				continue
			}
		}
		return key
	}
	return ""
}

// knownVerb reports whether an upper-case verb is a command the sink knows
// of, implemented or not.
func knownVerb(v string) bool {
	switch v {
	case "EHLO", "HELO", "LHLO", "MAIL", "RCPT", "DATA", "BDAT", "RSET", "NOOP", "QUIT",
		"VRFY", "EXPN", "HELP", "SEND", "SOML", "SAML", "TURN", "AUTH", "STARTTLS":
		return true
	}
	return false
}

// Replies the sink gives in place of go-smtp's.
var (
	// RFC 5321 4.2.4: 500 for a command that is not recognized; 501 is for
	// a known command whose arguments are wrong.
	replyUnrecognized = Reply{Code: 500, Enhanced: "5.5.2", Text: "Command unrecognized: not an SMTP command (RFC 5321 4.2.4); " + offered}
	// RFC 5321 3.8: a server that ends the session says 421 first.
	replyTooManyErrors = Reply{Code: 421, Enhanced: "4.7.0", Text: "Too many unrecognized commands: closing the connection (RFC 5321 3.8)"}
	replyRset          = Reply{Code: 250, Enhanced: "2.0.0", Text: "OK: the mail transaction is reset (RFC 5321 4.1.1.5)"}
	replyEmptyLine     = Reply{Code: 500, Enhanced: "5.5.2", Text: "Syntax error: an empty line is not a command; a command is a verb and its arguments, ended by CRLF (RFC 5321 4.1.1)"}
	// A known verb with something stuck to it ("QUITX", "QUIT "): the
	// command is known, its syntax is wrong (RFC 5321 4.2.2: 501).
	replyMangled = Reply{Code: 501, Enhanced: "5.5.2", Text: "Syntax error: a command is its verb, then one space before its arguments, if any (RFC 5321 4.1.1)"}
)

// offered is what a client that sent a command the sink does not take
// can do instead: EHLO names the extensions its listener offers (some are
// hidden: ListenerConfig.Hide), and a transaction needs none of them.
const offered = "send EHLO to see what this listener offers, then MAIL, RCPT and DATA"

// notImplemented is the sink's 502 to a command of SMTP that go-smtp
// implements in no state (EXPN, HELP, SEND, SOML, SAML, TURN), in place
// of its "EXPN command not implemented"; verb as go-smtp wrote it, in
// upper case.
func notImplemented(verb string) *Reply {
	return &Reply{Code: 502, Enhanced: "5.5.1", Text: "Command not implemented: the sink does not offer " + verb + " (RFC 5321 4.2.4); " + offered}
}

// parseWireReply reads the code and the enhanced code of the last line of
// a reply as go-smtp wrote it ("502 5.5.1 text\r\n").
func parseWireReply(r []byte) (code int, enhanced string, text string) {
	last := bytes.TrimRight(r, "\r\n")
	if i := bytes.LastIndexByte(last, '\n'); i >= 0 {
		last = last[i+1:]
	}
	if len(last) < 3 {
		return 0, "", ""
	}
	code, _ = strconv.Atoi(string(last[:3]))
	if len(last) > 4 {
		text = string(last[4:])
	}
	if first, after, ok := bytes.Cut([]byte(text), []byte(" ")); ok && validEnhanced(string(first)) {
		enhanced, text = string(first), string(after)
	}
	return code, enhanced, text
}

// isFailure tells a 4xx or 5xx reply from the rest by its first octet, so
// that the replies of a successful session are not parsed twice more.
func isFailure(r []byte) bool { return len(r) > 0 && (r[0] == '4' || r[0] == '5') }

// isTooManyErrors recognises the reply go-smtp adds, unasked, before it
// closes a connection that made too many errors.
func isTooManyErrors(r []byte) bool {
	if !isFailure(r) {
		return false
	}
	code, _, text := parseWireReply(r)
	return code == 500 && bytes.HasPrefix([]byte(text), []byte("Too many errors"))
}

// rfcReply returns the reply to send instead of go-smtp's r to cmd, or nil
// to send r as it is. Only replies go-smtp writes itself are rewritten: the
// state checked here shows that no rule of the sink was asked.
func (c *conn) rfcReply(cmd pendingCmd, r []byte) *Reply {
	if fix := plainAccept(cmd.stage, r); fix != nil {
		return fix
	}
	if cmd.bareVRFY {
		// RFC 5321 4.1.1.6: "VRFY" SP String CRLF.
		return &Reply{Code: 501, Enhanced: "5.5.4", Text: "Syntax error: VRFY needs a user name or mailbox (RFC 5321 4.1.1.6)"}
	}
	if !isFailure(r) {
		return nil // every other reply rewritten here is a 4xx or 5xx
	}
	code, enhanced, text := parseWireReply(r)
	if fix := c.dsnReply(cmd, code, text); fix != nil {
		return fix
	}
	switch {
	case code == 501 && cmd.stage == "other" && !cmd.known:
		// go-smtp answers 501 "Bad command" to a verb it cannot parse.
		return &replyUnrecognized
	case code == 502 && text == "TLS not supported" && !cmd.known:
		// go-smtp takes any line that begins with STARTTLS for one
		// (STARTTLSX); the sink answers every real one itself.
		return &replyUnrecognized
	case code == 502 && enhanced == "5.5.1" && cmd.stage == "other" && cmd.known && strings.HasSuffix(text, " command not implemented"):
		return notImplemented(strings.TrimSuffix(text, " command not implemented"))
	case code == 502 && enhanced == "5.5.1":
		return c.badSequence(cmd.stage, text)
	case code == 500 && text == "Too long line, closing connection":
		// RFC 5321 4.2.2: 500 covers "command line too long"; say the limit.
		return &Reply{Code: 500, Enhanced: "5.4.0", Text: fmt.Sprintf("Line too long: the limit is %d octets (RFC 5321 4.5.3.1.4); closing the connection", c.guard.limit)}
	case cmd.stage == StageAuth && code == 502 && enhanced == "5.5.4":
		// go-smtp's "Missing parameter": a syntax error in the arguments
		// (RFC 5321 4.2.2), not a command that is not implemented.
		return &Reply{Code: 501, Enhanced: "5.5.4", Text: "Syntax error: AUTH needs a mechanism, such as AUTH PLAIN (RFC 4954 4)"}
	case cmd.stage == StageAuth && code == 454 && text == "Invalid base64 data":
		// RFC 4954 4: a response that is not BASE64 gets 501.
		what := "the initial response"
		if cmd.sasl {
			what = "the response"
		}
		return &Reply{Code: 501, Enhanced: "5.5.2", Text: "Syntax error: " + what + " is not valid BASE64 (RFC 4954 4)"}
	case code == 500 && (text == "Unknown MAIL FROM argument" || text == "Unknown RCPT TO argument"):
		// RFC 5321 4.1.1.11: 555 for a parameter not recognized; 500 is
		// for a command that is not (4.2.4).
		verb := "MAIL FROM"
		if cmd.stage == StageRcpt {
			verb = "RCPT TO"
		}
		what := verb + " parameter not recognized"
		if cmd.unknownParam != "" {
			what = verb + " parameter " + cmd.unknownParam + " not recognized"
		}
		return &Reply{Code: 555, Enhanced: "5.5.4", Text: what + " (RFC 5321 4.1.1.11)"}
	case code == 421 && text == goIdleText:
		// Outside a message; the one in a message is session.Data's.
		// (With no command awaiting a reply, unasked gives this one.)
		return c.idleReply()
	case cmd.stage == StageEHLO && code == 501 && strings.HasPrefix(text, "Domain/address argument required"):
		return &Reply{Code: 501, Enhanced: "5.5.2", Text: "Syntax error: EHLO and HELO need the client's domain or address literal, as in EHLO client.example (RFC 5321 4.1.1.1)"}
	case cmd.emptyQuoted && code == 501 && (strings.HasPrefix(text, "Was expecting MAIL arg syntax") || strings.HasPrefix(text, "Was expecting RCPT arg syntax")):
		// RFC 5321 4.1.2's grammar has room for "" as a local part, and
		// go-smtp refuses it as a syntax error; the sink says what it is,
		// in the words of its other refusals of a local part.
		who, enhanced := "sender", "5.1.7"
		if cmd.stage == StageRcpt {
			who, enhanced = "recipient", "5.1.3"
		}
		return &Reply{Code: 553, Enhanced: enhanced, Text: "Bad " + who + ` address syntax: the local part is empty ("" before the @): no mailbox has an empty name, and receivers refuse it; check the address`}
	case cmd.notUTF8 != "" && code == 501 && (strings.HasPrefix(text, "Was expecting MAIL arg syntax") || strings.HasPrefix(text, "Was expecting RCPT arg syntax")):
		// As session.Mail and Rcpt name the octet of an address go-smtp
		// parsed (addrFault), for one its parser refused.
		if cmd.stage == StageRcpt {
			return &Reply{Code: 501, Enhanced: "5.1.3", Text: "Bad recipient address syntax: " + cmd.notUTF8}
		}
		return &Reply{Code: 501, Enhanced: "5.1.7", Text: "Bad sender address syntax: " + cmd.notUTF8}
	case cmd.stage == StageMail && code == 501 && strings.HasPrefix(text, "Was expecting MAIL arg syntax"):
		return &Reply{Code: 501, Enhanced: "5.5.2", Text: "Syntax error: MAIL needs FROM: and the sender's address in angle brackets, or <> for no sender, as in MAIL FROM:<a@example.test> (RFC 5321 4.1.1.2)"}
	case cmd.stage == StageRcpt && code == 501 && strings.HasPrefix(text, "Was expecting RCPT arg syntax"):
		return &Reply{Code: 501, Enhanced: "5.5.2", Text: "Syntax error: RCPT needs TO: and one recipient's address in angle brackets, as in RCPT TO:<b@example.test>; <> is only MAIL's null sender (RFC 5321 4.1.1.3)"}
	case cmd.stage == StageMail && code == 504 && strings.HasSuffix(text, " is not implemented"):
		// RFC 5321 4.1.1.11: 555 for a parameter the server does not
		// offer; 504 is for a parameter's value not implemented.
		param := strings.TrimSuffix(text, " is not implemented")
		what := param
		if param == "BINARYMIME" {
			what = "BODY=BINARYMIME"
		}
		return &Reply{Code: 555, Enhanced: "5.5.4", Text: "MAIL FROM parameter " + what + " not supported: this listener does not offer " + param + " in its EHLO reply (RFC 5321 4.1.1.11); send the message as 8BITMIME or 7BIT"}
	case cmd.stage == StageMail && code == 500 && strings.HasPrefix(text, "Malformed AUTH parameter"):
		// RFC 5321 4.2.2: 501 is a syntax error in the arguments.
		return &Reply{Code: 501, Enhanced: "5.5.4", Text: "Syntax error in the AUTH parameter of MAIL FROM: its value is the submitter's address in xtext, or <> (RFC 4954 5)"}
	case cmd.stage == StageAuth && code == 501 && text == "Negotiation cancelled":
		return &Reply{Code: 501, Enhanced: "5.7.0", Text: "Authentication cancelled: the client answered * (RFC 4954 4); the client is not authenticated, and may send AUTH again"}
	case cmd.hugeSize && code == 501 && text == "Unable to parse SIZE as an integer":
		// RFC 1870 6: a SIZE the server cannot take is 552, at MAIL.
		limit := c.l.cfg.Limits.MaxMessageBytes
		if limit <= 0 {
			limit = 1<<32 - 1 // what go-smtp can take
			return &Reply{Code: 552, Enhanced: "5.3.4", Text: fmt.Sprintf("Message size exceeds the limit of %d octets (RFC 1870 6)", limit)}
		}
		c.byNext = sizeLimitBy
		return &Reply{Code: 552, Enhanced: "5.3.4", Text: fmt.Sprintf("Message size exceeds the limit of %d octets (RFC 1870 6): %s", limit, c.l.raiseSize())}
	case cmd.hugeBDAT != "" && code == 501 && text == "Malformed size argument":
		// A number, over any limit: as a SIZE over it at MAIL (RFC 1870
		// 6), 552 names the limit. go-smtp reads no chunk after it.
		limit := c.l.cfg.Limits.MaxMessageBytes
		if limit <= 0 {
			limit = 1<<32 - 1 // what go-smtp can take in a chunk
			return &Reply{Code: 552, Enhanced: "5.3.4", Text: fmt.Sprintf("Message size exceeds the limit of %d octets: BDAT declared a chunk of %s octets (RFC 3030 2, RFC 1870 6)", limit, cmd.hugeBDAT)}
		}
		c.byNext = sizeLimitBy
		return &Reply{Code: 552, Enhanced: "5.3.4", Text: fmt.Sprintf("Message size exceeds the limit of %d octets: BDAT declared a chunk of %s octets (RFC 3030 2, RFC 1870 6); %s", limit, cmd.hugeBDAT, c.l.raiseSize())}
	}
	return nil
}

// plainAccept replaces go-smtp's stock 250 to MAIL or RCPT with the
// enhanced code RFC 3463 3.2 gives it, X.1.0 (other address status: the
// sender is fine) or X.1.5 (destination address valid), in plain words
// (acceptreply, which the relay's submission uses too). A rule's or
// directive's own 250 has other words and stays.
func plainAccept(stage Stage, r []byte) *Reply {
	addr, rcpt, ok := acceptreply.Stock(string(r))
	switch {
	case ok && stage == StageMail && !rcpt:
		return acceptedAddr(acceptreply.SenderCode, "Sender", addr)
	case ok && stage == StageRcpt && rcpt:
		return acceptedAddr(acceptreply.RecipientCode, "Recipient", addr)
	}
	return nil
}

// acceptedAddr is the sink's 250 to MAIL (2.1.0, "Sender") or RCPT
// (2.1.5, "Recipient") for addr, as the client wrote it, cut to
// acceptreply.MaxAddr octets.
func acceptedAddr(enhanced, who, addr string) *Reply {
	return &Reply{Code: 250, Enhanced: enhanced, Text: acceptreply.Text(who, addr)}
}

// RFC 5321 4.5.3.1.5: a reply line is at most 512 octets with its CRLF,
// and a path may be longer than that (RFC 5321 4.5.3.1.3 bounds it at 256
// but asks servers to take longer ones). A reply echoes at most
// acceptreply.MaxAddr octets of an address and maxEchoName of an EHLO
// name, with room left for the notes withNotes adds.
const maxEchoName = 255 // a domain's limit (RFC 5321 4.5.3.1.2)

// addrFault explains why addr, a path's mailbox that mailaddr.Fault took,
// is not one, or returns "": octets that are not UTF-8 (RFC 6531 3.3;
// only a non-ASCII address is looked at), a domain that is no domain
// name (mailaddr.DomainFault; an address literal was checked already).
// The code for it is 501 for UTF-8 and 553 for the domain, as Postfix's
// and the sink's other refusals of a mailbox.
func addrFault(addr string) (code int, why string) {
	if i := notUTF8(addr); i >= 0 {
		return 501, notUTF8Why(addr[i], i, "an address")
	}
	at := strings.LastIndexByte(addr, '@')
	if at < 0 {
		return 0, "" // the null sender, or a bare Postmaster
	}
	dom := addr[at+1:]
	if strings.HasPrefix(dom, "[") {
		return 0, ""
	}
	if why := mailaddr.DomainFault(dom); why != "" {
		return 553, "the domain " + strconv.Quote(textsafe.Cut(dom, 64)) + " is not a domain name: " + why + "; check the address"
	}
	return 0, ""
}

// notUTF8 returns the place of the first octet of s that is not UTF-8,
// or -1; an ASCII s costs one look at each octet.
func notUTF8(s string) int {
	if isASCII(s) {
		return -1
	}
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return -1
}

// notUTF8Why says that octet b, at place i of what, is not UTF-8.
func notUTF8Why(b byte, i int, what string) string {
	return fmt.Sprintf("octet 0x%02x at octet %d is not UTF-8, which %s must be (RFC 6531 3.3, RFC 3629)", b, i+1, what)
}

// pathNotUTF8 says why the path of a MAIL FROM or RCPT TO command line is
// not UTF-8, counting octets from the start of the address as addrFault
// does, or returns "". go-smtp refuses some such paths itself (an octet
// that is not UTF-8 before a special, as in <\xc3(@x.test>) with its
// generic syntax error; rfcReply names the octet instead. An ASCII line
// costs one look at each octet.
func pathNotUTF8(text []byte) string {
	ascii := true
	for _, b := range text {
		if b >= 0x80 {
			ascii = false
			break
		}
	}
	if ascii {
		return ""
	}
	i := bytes.IndexByte(text, ':')
	if i < 0 {
		return ""
	}
	p := bytes.TrimLeft(text[i+1:], " ")
	if len(p) > 0 && p[0] == '<' {
		p = p[1:]
		if j := bytes.IndexByte(p, '>'); j >= 0 {
			p = p[:j]
		}
	} else if j := bytes.IndexByte(p, ' '); j >= 0 {
		p = p[:j]
	}
	if j := notUTF8(string(p)); j >= 0 {
		return notUTF8Why(p[j], j, "an address")
	}
	return ""
}

// echoName is an EHLO name as the 250 echoes it: in ASCII, as RFC 5321
// 4.2 has reply text (the client has not said SMTPUTF8 yet), so a name
// with U-labels (RFC 6531 3.3) as its A-labels (RFC 5890), or escaped
// when it has none; cut to maxEchoName octets.
func echoName(name string) string {
	if !isASCII(name) {
		if a, err := idna.Lookup.ToASCII(name); err == nil && isASCII(a) {
			name = a
		} else {
			name = strings.Trim(strconv.QuoteToASCII(name), `"`)
		}
	}
	return textsafe.Cut(name, maxEchoName)
}

// localFault explains why the local part of addr, a path's mailbox as
// go-smtp parsed it (quotes and escapes taken off), was no Dot-string as
// the client wrote it, or returns "": RFC 5321 4.1.2 allows a leading or
// trailing dot, two dots in a row, or an '@' ("a@@x.test") only in a
// Quoted-string, and go-smtp takes them unquoted. cmd is the command's
// line as clientLine read it; a quoted local part (or an unknown line)
// is not judged here. A good address costs a scan of its local part.
func localFault(addr string, cmd *pendingCmd) string {
	at := strings.LastIndexByte(addr, '@')
	if at < 0 || cmd == nil || cmd.quotedLocal {
		return "" // the null sender, a bare Postmaster, or quoted
	}
	local := addr[:at]
	fault := mailaddr.DotStringFault(local)
	if fault == "" {
		return ""
	}
	why := "the local part " + strconv.Quote(textsafe.Cut(local, 64)) + " " + fault + ": RFC 5321 4.1.2 allows that only within double quotes"
	if q := mailaddr.Quote(addr); len(q) <= 200 {
		why += ", as in " + q
	}
	return why + "; check the address"
}

// pathQuoted reports whether the path of a MAIL FROM or RCPT TO command
// line starts its local part with a double quote, as go-smtp reads it:
// after the colon and spaces, an optional '<', and a source route
// ("@a,@b:") that it skips; empty when that quoted local part is "".
func pathQuoted(text []byte) (quoted, empty bool) {
	i := bytes.IndexByte(text, ':')
	if i < 0 {
		return false, false
	}
	p := bytes.TrimLeft(text[i+1:], " \t")
	if len(p) > 0 && p[0] == '<' {
		p = p[1:]
	}
	if len(p) > 0 && p[0] == '@' {
		if j := bytes.IndexByte(p, ':'); j >= 0 {
			p = p[j+1:]
		}
	}
	return len(p) > 0 && p[0] == '"', bytes.HasPrefix(p, []byte(`""@`))
}

// dsnReply replaces go-smtp's refusal of a DSN parameter: 555 instead of
// 504 where the listener hides DSN, and the first fault in the order the
// client wrote them instead of the one go-smtp met first in its map.
func (c *conn) dsnReply(cmd pendingCmd, code int, text string) *Reply {
	d := cmd.dsn
	if d == nil || code < 500 || (cmd.stage != StageMail && cmd.stage != StageRcpt) {
		return nil
	}
	about := strings.Contains(text, "ESMTP parameters")
	for _, k := range d.keys {
		about = about || strings.Contains(text, k)
	}
	if !about {
		return nil // refused for another parameter
	}
	verb := "MAIL FROM"
	if cmd.stage == StageRcpt {
		verb = "RCPT TO"
	}
	switch {
	case !c.l.srv.EnableDSN:
		return dsnNotOffered(verb, d.keys[0])
	case d.fault != nil:
		return d.fault
	}
	return nil
}

// badSequence turns go-smtp's 502 5.5.1 ("command not implemented") for a
// command sent out of order into 503 5.5.1 (RFC 5321 4.1.4, 4.3.2).
func (c *conn) badSequence(stage Stage, text string) *Reply {
	bad := func(why string) *Reply {
		return &Reply{Code: 503, Enhanced: "5.5.1", Text: "Bad sequence of commands: " + why + " (RFC 5321 4.1.4)"}
	}
	inTransfer := bytes.Contains([]byte(text), []byte("during message transfer"))
	switch stage {
	case StageMail, StageAuth:
		if c.sess == nil {
			return bad("send EHLO or HELO first")
		}
		if inTransfer {
			return bad("finish the BDAT transfer first")
		}
	case StageRcpt:
		if c.sess == nil || !c.sess.inTxn {
			return bad("send MAIL FROM first")
		}
		if inTransfer {
			return bad("finish the BDAT transfer first")
		}
	case StageData, StageDataEnd:
		if c.sess == nil || !c.sess.inTxn {
			return bad("send MAIL FROM and RCPT TO first")
		}
		if inTransfer {
			// RFC 3030 2: DATA and BDAT are not used in one transaction;
			// a DATA after BDAT gets 503.
			return bad("this transaction's message is being sent with BDAT, and DATA cannot follow BDAT (RFC 3030 2); send the rest as BDAT chunks ending with BDAT LAST, or RSET to start over")
		}
		if len(c.sess.rcpts) > 0 {
			return nil
		}
		if c.rcptTried > 0 {
			// RFC 5321 3.3: no valid recipients may also be 554.
			return &Reply{Code: 554, Enhanced: "5.5.1", Text: "No valid recipients: every RCPT TO of this transaction was refused (RFC 5321 3.3)"}
		}
		return bad("send RCPT TO first")
	}
	return nil
}

// heloFault is mailaddr.Fault for the argument of EHLO or HELO: one domain
// or address literal (RFC 5321 4.1.1.1, 4.1.3), neither of which has a
// control character (the sink would echo it in its reply otherwise).
// extra: more words followed it, which go-smtp drops. Only the syntax is
// checked: RFC 5321 4.1.4 asks that a name that does not resolve, or is
// not the client's, be taken.
func heloFault(helo string, extra bool) string {
	if i := mailaddr.ControlAt(helo); i >= 0 {
		return fmt.Sprintf("control character 0x%02x at octet %d is not allowed in a domain (RFC 5321 4.1.1.1)", helo[i], i+1)
	}
	if i := notUTF8(helo); i >= 0 {
		// As MAIL and RCPT say of an address (addrFault); the 250 would
		// echo the octet otherwise.
		return notUTF8Why(helo[i], i, "a domain")
	}
	if extra {
		return "EHLO and HELO take one domain or address literal, with no space in it (RFC 5321 4.1.1.1)"
	}
	if strings.HasPrefix(helo, "[") {
		if !strings.HasSuffix(helo, "]") {
			return strconv.QuoteToASCII(textsafe.Cut(helo, 64)) + " is not an address literal: it does not end in ] (RFC 5321 4.1.3)"
		}
		return mailaddr.LiteralFault("x@" + helo)
	}
	// An underscore is taken, though no domain name has one: Windows
	// machines name themselves so ("my_pc"), and Postfix takes it too.
	if why := mailaddr.DomainFault(strings.ReplaceAll(helo, "_", "x")); why != "" {
		return strconv.QuoteToASCII(textsafe.Cut(helo, 64)) + " is neither a domain name nor an address literal: " + why
	}
	return ""
}

// lineGuard follows the length of the client's current line as go-smtp's
// line limit counts it, so that conn.Read can hand go-smtp the complete
// lines before an overlong one in a Read of their own: go-smtp drops the
// whole Read in which the limit is passed, and with it the commands a
// pipelining client sent before the overlong line (RFC 2920 3.1: each
// gets its reply).
type lineGuard struct {
	limit int // go-smtp's MaxLineLength; 0 for none
	cur   int
}

// cut returns how many octets of b to pass on now.
func (g *lineGuard) cut(b []byte) int {
	if g.limit <= 0 {
		return len(b)
	}
	// The same count as go-smtp's lineLimitReader, which adds one per
	// octet and restarts at 1 on each '\n', a line at a time.
	cur, start, over := g.cur, 0, -1
	for off := 0; ; {
		i := bytes.IndexByte(b[off:], '\n')
		end := len(b)
		if i >= 0 {
			end = off + i
		}
		cur += end - off
		if end > off && cur > g.limit && over < 0 {
			over = start
		}
		if i < 0 {
			break
		}
		cur, start, off = 1, end+1, end+1
	}
	if over > 0 {
		g.cur = 1 // the '\n' before b[over] counts as 1, as go-smtp counts it
		return over
	}
	g.cur = cur
	return len(b)
}

// errTooLarge is readMessage's error for a message over the listener's
// limit: the reply names the limit, as the refusal of a MAIL SIZE over it
// does (session.Mail), and the key to raise, which only the listener
// knows (session.Data makes the reply).
type errTooLarge struct{ limit int64 }

func (e errTooLarge) Error() string {
	return fmt.Sprintf("message over the size limit of %d octets", e.limit)
}

func (e errTooLarge) reply(l *listener) *Reply {
	return &Reply{Code: 552, Enhanced: "5.3.4", Text: fmt.Sprintf("Message size exceeds the limit of %d octets (RFC 1870), the SIZE this listener's EHLO reply names: %s", e.limit, l.raiseSize())}
}

// raiseSize ends the sink's replies to a message over l's size limit:
// the relay under test has a limit of its own (relay.max_message_bytes),
// so the key is named whole, with the listener's place.
func (l *listener) raiseSize() string {
	return "send a smaller message, or raise " + l.key() + ".limits.max_message_bytes"
}

// sizeLimitBy names the listener's size limit in the transcript's "reply
// by" note and the attempts, as the other limits are (conn.byNext).
const sizeLimitBy = "limits.max_message_bytes"

// readMessage reads a message into one slice. It reads into chunks of at
// most 1 MiB (the first one sized for the SIZE the client declared, RFC
// 1870) and joins them at the end, so that a client streaming past the
// listener's limit costs about the limit in memory, not the next power of
// two plus the copy before it; a message within the limit costs at most
// twice its size for the moment of the join, once when SIZE was right.
// Without SIZE the first chunk is 4 KiB: most messages are a few KiB, and a
// larger first chunk is memory cleared and collected for every message.
func readMessage(r io.Reader, hint, limit int64) ([]byte, error) {
	const maxChunk = 1 << 20
	size := int64(4 << 10)
	if hint > 0 {
		size = hint + 1 // one more octet to see the end
	}
	if limit > 0 {
		size = min(size, limit+1)
	}
	var chunks [][]byte
	total := 0
	buf := make([]byte, 0, size)
	for {
		if len(buf) == cap(buf) {
			chunks = append(chunks, buf)
			buf = make([]byte, 0, min(2*cap(buf), maxChunk))
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		total += n
		if limit > 0 && int64(total) > limit {
			return nil, errTooLarge{limit}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	if len(chunks) == 0 {
		return buf, nil
	}
	msg := make([]byte, 0, total)
	for _, c := range chunks {
		msg = append(msg, c...)
	}
	return append(msg, buf...), nil
}
