package relay

import (
	"bytes"
	"strconv"
	"strings"

	"github.com/relaylab/relaylab/internal/dsn"
)

// RFC 5321 4.1.1.11 and 4.2.2: a MAIL or RCPT parameter that a server does
// not recognize, or does not implement, gets 555. go-smtp (v0.25) answers
// "500 5.5.4 Unknown MAIL FROM argument" to the first, a reply for a
// command that is not recognized (4.2.4), and 504 to the second; neither
// names the parameter. The wireConn puts this reply in their place.
//
// RFC 1870 3 and 6: a SIZE value is 1*20DIGIT, and one over the server's
// fixed maximum gets 552 5.3.4. go-smtp reads SIZE into 32 bits and answers
// "501 5.5.4 Unable to parse SIZE as an integer" to a value of 2^32 or
// more, as to a value that is no number; the wireConn answers the first
// with 552 as the RFC says. go-smtp keeps the parameters in a map, so which
// one it refuses first is read from its reply.

// paramFault is a MAIL or RCPT parameter the submission listener does not
// take.
type paramFault struct {
	command string // "MAIL FROM" or "RCPT TO"
	param   string // the keyword as the client wrote it, with =VALUE where the value is what is missing
	known   bool   // go-smtp knows it, but this relay does not offer it
	// size is a SIZE value of 2^32 or more, 1*20DIGIT, and maxSize the
	// listener's limit; param and known are then unused.
	size    string
	maxSize int64
}

// sizeRefusal is go-smtp's reply to a SIZE value it cannot read.
const sizeRefusal = "501 5.5.4 Unable to parse SIZE as an integer"

// answers reports whether b, the first line of go-smtp's reply to the
// command, is the refusal that f words.
func (f *paramFault) answers(b []byte) bool {
	if f.size != "" {
		return string(bytes.TrimRight(b, "\r\n")) == sizeRefusal
	}
	return paramRefusal(b)
}

func (f *paramFault) reply() []byte {
	if f.size != "" {
		limit := "the largest this relay can take, 4294967295 octets"
		if f.maxSize > 0 && f.maxSize < 1<<32 {
			limit = "this relay's limit of " + strconv.FormatInt(f.maxSize, 10) + " octets, the SIZE its EHLO reply names"
		}
		return []byte("552 5.3.4 Message size exceeds fixed maximum message size: MAIL FROM parameter SIZE=" + f.size +
			" is over " + limit + " (RFC 1870 6)\r\n")
	}
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

// paramFaults returns the refusals the wireConn words itself for a MAIL
// FROM or RCPT TO command line (arg: what follows the verb): an unknown
// parameter's, and at MAIL a SIZE over 32 bits'. maxSize is the listener's
// SIZE limit.
func paramFaults(command string, arg []byte, maxSize int64) []*paramFault {
	var out []*paramFault
	if f := unknownParam(command, arg); f != nil {
		out = append(out, f)
	}
	if command == "MAIL FROM" {
		if v := hugeSize(arg); v != "" {
			out = append(out, &paramFault{command: command, size: v, maxSize: maxSize})
		}
	}
	return out
}

// hugeSize returns the SIZE value of a MAIL FROM line when it is a valid
// size-value (RFC 1870 3: 1*20DIGIT) that go-smtp cannot read, 2^32 or
// more; else "". go-smtp takes the last of several SIZE parameters, and so
// does this.
func hugeSize(arg []byte) string {
	v, found := "", false
	for _, p := range bytes.Fields(afterPath(arg)) {
		key, val, _ := strings.Cut(string(p), "=")
		if strings.EqualFold(key, "SIZE") {
			v, found = val, true
		}
	}
	if !found || len(v) == 0 || len(v) > 20 || strings.Trim(v, "0123456789") != "" {
		return ""
	}
	if _, err := strconv.ParseUint(v, 10, 32); err == nil {
		return ""
	}
	return v
}

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

// dsnFormFault returns the fault of form of the DSN parameters of a MAIL
// FROM (mail) or RCPT TO command (params: paramsOf its line), as the
// sink finds it (dsn.FormFault): RET, ENVID, NOTIFY or ORCPT given twice,
// an ENVID over 100 characters, an ORCPT over 500 (RFC 3461 4, 4.2, 4.4);
// nil when there is none. go-smtp takes them (the last of a repeated
// parameter wins, so that NOTIFY=FAILURE NOTIFY=NEVER asked for no DSN),
// and the next hop, the sink or Postfix, would refuse the message for
// them after the relay's 250, in a DSN about a parameter the relay took.
func dsnFormFault(params []string, mail bool) *dsn.ParamFault {
	return dsn.FormFault(params, mail)
}

// paramsOf returns the parameters of a MAIL FROM or RCPT TO command line
// (arg: what follows the verb), each KEY or KEY=VALUE.
func paramsOf(arg []byte) []string {
	var params []string
	for _, p := range bytes.Fields(afterPath(arg)) {
		params = append(params, string(p))
	}
	return params
}

// goSMTPDSNRefusals are go-smtp's (v0.25) refusals of a DSN parameter of
// MAIL or RCPT, by the keyword each is about: "" for its refusal of a
// parameter with more than one "=" (RET=a=b, ORCPT=a=b), which names
// none. They say neither what is wrong nor what to write; the wireConn
// puts the sink's reply in their place (dsnParamFault).
var goSMTPDSNRefusals = map[string]string{
	"501 5.5.4 Unknown RET value":                     "RET",
	"501 5.5.4 Malformed ENVID parameter value":       "ENVID",
	"501 5.5.4 Malformed NOTIFY parameter value":      "NOTIFY",
	"501 5.5.4 Malformed ORCPT parameter value":       "ORCPT",
	"501 5.5.4 Unable to parse MAIL ESMTP parameters": "",
	"501 5.5.4 Unable to parse RCPT ESMTP parameters": "",
}

// dsnParamFault returns the sink's fault (dsn.ParseParams) for the DSN
// parameters of a MAIL (mail) or RCPT command, params, that go-smtp
// refused with b, the first line of its reply; nil when b is none of
// goSMTPDSNRefusals, or when the sink finds no fault there (go-smtp's
// reply then stands). A fault of form (form, dsnFormFault: a parameter
// without a value, or given twice) comes first, as the sink finds it
// before the value; else the fault of the value go-smtp refused: the
// parameter b names (given once, or form would have said so), or the DSN
// parameter with more than one "=" that go-smtp could not parse. An
// ORCPT value has a reply of its own, which names the octet at fault
// (orcptFault).
func dsnParamFault(b []byte, params []string, mail bool, form *dsn.ParamFault) *dsn.ParamFault {
	key, ok := goSMTPDSNRefusals[string(bytes.TrimRight(b, "\r\n"))]
	switch {
	case !ok:
		return nil
	case form != nil:
		return form
	}
	for _, p := range params {
		k, v, _ := strings.Cut(p, "=")
		k = strings.ToUpper(k)
		if k == "ORCPT" || key != "" && k != key || key == "" && !strings.Contains(v, "=") {
			continue
		}
		if d := dsn.ParseParams([]string{p}, mail); d != nil && d.Fault != nil {
			return d.Fault
		}
	}
	return nil
}

// dsnParamReply is the reply to a DSN parameter that f refuses: 501
// 5.5.4, as the sink words it (sink/dsnparams.go), on one line of
// printable ASCII within RFC 5321's 512 octets (4.5.3.1.5), as the value
// it may echo is the client's.
func dsnParamReply(f *dsn.ParamFault) []byte {
	line := "501 5.5.4 " + dsn.ParamSyntaxText + oneLineASCII(f.Why)
	if len(line) > rfcReplyLine-2 {
		line = line[:rfcReplyLine-2-len(cutMark)] + cutMark
	}
	return []byte(line + "\r\n")
}
