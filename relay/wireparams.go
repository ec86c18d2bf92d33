package relay

import (
	"bytes"
	"strings"
)

// RFC 5321 4.1.1.11 and 4.2.2: a MAIL or RCPT parameter that a server does
// not recognize, or does not implement, gets 555. go-smtp (v0.25) answers
// "500 5.5.4 Unknown MAIL FROM argument" to the first, a reply for a
// command that is not recognized (4.2.4), and 504 to the second; neither
// names the parameter. The wireConn puts this reply in their place.

// paramFault is a MAIL or RCPT parameter the submission listener does not
// take.
type paramFault struct {
	command string // "MAIL FROM" or "RCPT TO"
	param   string // the keyword as the client wrote it, with =VALUE where the value is what is missing
	known   bool   // go-smtp knows it, but this relay does not offer it
}

func (f *paramFault) reply() []byte {
	why := " not recognized"
	if f.known {
		why = " not implemented: this relay does not offer it in its EHLO reply"
	}
	return []byte("555 5.5.4 " + f.command + " parameter " + f.param + why + " (RFC 5321 4.1.1.11)\r\n")
}

// The parameters the submission listener takes: those of the extensions
// its go-smtp server offers (SIZE, 8BITMIME, SMTPUTF8, DSN, AUTH).
var (
	mailParamsTaken = []string{"SIZE", "BODY", "SMTPUTF8", "RET", "ENVID", "AUTH"}
	rcptParamsTaken = []string{"NOTIFY", "ORCPT"}
	// go-smtp knows these, and refuses them with 504 while its server has
	// their extension off, as this relay's has.
	paramsKnown = []string{"REQUIRETLS", "RRVS", "BY", "MT-PRIORITY"}
)

// unknownParam returns the first parameter of a MAIL FROM or RCPT TO
// command line (arg: what follows the verb) that the listener does not
// take, or nil.
func unknownParam(command string, arg []byte) *paramFault {
	taken := mailParamsTaken
	if command == "RCPT TO" {
		taken = rcptParamsTaken
	}
	for _, p := range bytes.Fields(afterPath(arg)) {
		key, val, _ := strings.Cut(string(p), "=")
		upper := strings.ToUpper(key)
		switch {
		case upper == "BODY" && strings.EqualFold(val, "BINARYMIME"):
			// RFC 3030 3: BINARYMIME needs CHUNKING and BINARYMIME, which
			// go-smtp offers only when told to.
			return &paramFault{command: command, param: string(p), known: true}
		case containsFold(taken, upper):
		default:
			return &paramFault{command: command, param: key, known: containsFold(paramsKnown, upper)}
		}
	}
	return nil
}

func containsFold(list []string, upper string) bool {
	for _, s := range list {
		if s == upper {
			return true
		}
	}
	return false
}

// afterPath returns what follows the path of "FROM:<path> params" or
// "TO:<path> params": the parameters. A quoted local part may hold '>' and
// spaces (RFC 5321 4.1.2), so quoted strings are skipped.
func afterPath(arg []byte) []byte {
	_, rest, ok := bytes.Cut(arg, []byte(":"))
	if !ok {
		return nil
	}
	rest = bytes.TrimLeft(rest, " ")
	if len(rest) == 0 || rest[0] != '<' {
		// go-smtp refuses a path without its brackets before the
		// parameters matter.
		return nil
	}
	quoted := false
	for i := 1; i < len(rest); i++ {
		switch c := rest[i]; {
		case quoted && c == '\\':
			i++
		case c == '"':
			quoted = !quoted
		case !quoted && c == '>':
			return rest[i+1:]
		}
	}
	return nil
}

// paramRefusal reports whether b, the first line of go-smtp's reply to
// MAIL or RCPT, refuses a parameter as unknown or not implemented, rather
// than for its value or the command's syntax.
func paramRefusal(b []byte) bool {
	s := string(bytes.TrimRight(b, "\r\n"))
	switch {
	case s == "500 5.5.4 Unknown MAIL FROM argument", s == "500 5.5.4 Unknown RCPT TO argument":
		return true
	case strings.HasPrefix(s, "504 5.5.4 ") && strings.HasSuffix(s, " is not implemented"):
		return true
	}
	return false
}
