package sink

import (
	"bytes"
	"strconv"
	"strings"

	"github.com/emersion/go-smtp"
	"github.com/relaylab/relaylab/internal/dsn"
)

// This file reads the DSN parameters of MAIL and RCPT (RFC 3461): RET and
// ENVID per transaction, NOTIFY and ORCPT per recipient. go-smtp parses
// them too, but it takes a repeated parameter silently, checks neither the
// lengths nor the xtext strictly, and answers a listener without DSN with
// 504; the sink reads the command line itself (with dsn.ParseParams, which
// the relay's submission listener shares) so that every fault gets one
// deterministic reply that names it.

// mailDSN are the DSN parameters of a MAIL command.
type mailDSN struct {
	Ret   string // "FULL", "HDRS" or "" when not given
	EnvID string // decoded from xtext; "" when not given
}

// rcptDSN are the DSN parameters of a RCPT command.
type rcptDSN struct {
	Notify []string // NEVER, or some of SUCCESS, FAILURE, DELAY; nil when not given
	// ORCPT is "type;address" with the address decoded and the type as
	// the client wrote it ("rfc822;alice@example.com"); "" when not given.
	ORCPT string
}

// dsnCmd is what clientLine learns of the DSN parameters of one MAIL or
// RCPT command line.
type dsnCmd struct {
	keys  []string // the DSN keywords the line carries, in order
	mail  mailDSN
	rcpt  rcptDSN
	fault *Reply // the first fault, nil when the parameters are good
}

// maxEnvID is the longest ENVID RFC 3461 4.4 allows.
const maxEnvID = dsn.MaxEnvID

// dsnSyntax is the reply to a malformed DSN parameter: RFC 5321 4.2.2 has
// 501 for a syntax error in parameters, RFC 3463 3.6 X.5.4 for invalid
// command arguments.
func dsnSyntax(why string) *Reply {
	return &Reply{Code: 501, Enhanced: "5.5.4", Text: dsn.ParamSyntaxText + why}
}

// dsnNotOffered is the reply to a DSN parameter on a listener that hides
// DSN: RFC 5321 4.1.1.11 has 555 for a parameter not recognized or not
// implemented.
func dsnNotOffered(verb, key string) *Reply {
	return &Reply{Code: 555, Enhanced: "5.5.4", Text: verb + " parameter " + key + " not recognized: this listener does not offer DSN (hidden in its hide list; RFC 5321 4.1.1.11, RFC 3461 4)"}
}

// parseDSN reads the parameters after the path of a MAIL (mail true) or
// RCPT command line. It returns nil when the line has no DSN parameter.
func parseDSN(text []byte, mail bool) *dsnCmd {
	return parseDSNParams(paramsOf(text), mail)
}

// parseDSNParams is parseDSN on the parameters paramsOf found.
func parseDSNParams(params []string, mail bool) *dsnCmd {
	p := dsn.ParseParams(params, mail)
	if p == nil {
		return nil
	}
	d := &dsnCmd{keys: p.Keys, mail: mailDSN{Ret: p.Ret, EnvID: p.EnvID}, rcpt: rcptDSN{Notify: p.Notify, ORCPT: p.ORCPT}}
	if p.Fault != nil {
		d.fault = dsnSyntax(p.Fault.Why)
	}
	return d
}

// paramsOf returns the ESMTP parameters after the path of a MAIL or RCPT
// command line: what follows the '>' that closes the path, skipping '>'
// within a quoted local part.
func paramsOf(text []byte) []string {
	_, rest, ok := bytes.Cut(text, []byte(":"))
	if !ok {
		return nil
	}
	rest = bytes.TrimLeft(rest, " ")
	if len(rest) == 0 || rest[0] != '<' {
		return nil
	}
	quoted, escaped := false, false
	for i := 1; i < len(rest); i++ {
		switch c := rest[i]; {
		case escaped:
			escaped = false
		case c == '\\':
			escaped = true
		case c == '"':
			quoted = !quoted
		case c == '>' && !quoted:
			return strings.Fields(string(rest[i+1:]))
		}
	}
	return nil
}

// printable reports whether s is printable US-ASCII, space included, as
// RFC 3461 4.2 and 4.4 want of decoded ORCPT and ENVID values.
func printable(s string) bool { return dsn.Printable(s) }

func containsFold(list []string, w string) bool {
	for _, v := range list {
		if strings.EqualFold(v, w) {
			return true
		}
	}
	return false
}

// notifyWants reports whether NOTIFY asks for a DSN with this action
// (RFC 3461 4.1): failed needs FAILURE, delayed DELAY, delivered SUCCESS.
// Without NOTIFY a failure or delay is reported and a success is not, as
// RFC 3461 4.1 lets an MTA do ("FAILURE" or "FAILURE,DELAY").
func notifyWants(notify []string, action string) bool {
	word := map[string]string{"failed": "FAILURE", "delayed": "DELAY", "delivered": "SUCCESS"}[action]
	if len(notify) == 0 {
		return word != "SUCCESS"
	}
	return containsFold(notify, word)
}

// String is how the transcript shows the parameters, decoded.
func (m mailDSN) String() string {
	var parts []string
	if m.Ret != "" {
		parts = append(parts, "RET="+m.Ret)
	}
	if m.EnvID != "" {
		parts = append(parts, "ENVID="+strconv.Quote(m.EnvID))
	}
	return strings.Join(parts, " ")
}

func (r rcptDSN) String() string {
	var parts []string
	if r.Notify != nil {
		parts = append(parts, "NOTIFY="+strings.Join(r.Notify, ","))
	}
	if r.ORCPT != "" {
		parts = append(parts, "ORCPT="+strconv.Quote(r.ORCPT))
	}
	return strings.Join(parts, " ")
}

// rcptDSNOf takes NOTIFY and ORCPT as go-smtp read them.
func rcptDSNOf(opts *smtp.RcptOptions) rcptDSN {
	var r rcptDSN
	for _, n := range opts.Notify {
		r.Notify = append(r.Notify, string(n))
	}
	if opts.OriginalRecipient != "" {
		r.ORCPT = string(opts.OriginalRecipientType) + ";" + opts.OriginalRecipient
	}
	return r
}
