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
// 504; the sink reads the command line itself so that every fault gets
// one deterministic reply that names it.

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

// Lengths RFC 3461 allows: a MAIL line may grow by 100 characters for
// ENVID and a RCPT line by 500 for ORCPT (RFC 3461 4, 4.2, 4.4).
const (
	maxEnvID = 100
	maxORCPT = 500
)

// dsnSyntax is the reply to a malformed DSN parameter: RFC 5321 4.2.2 has
// 501 for a syntax error in parameters, RFC 3463 3.6 X.5.4 for invalid
// command arguments.
func dsnSyntax(why string) *Reply {
	return &Reply{Code: 501, Enhanced: "5.5.4", Text: "Syntax error in parameters: " + why}
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
	var d *dsnCmd
	seen := map[string]bool{}
	for _, p := range params {
		key, value, hasValue := strings.Cut(p, "=")
		key = strings.ToUpper(key)
		switch key {
		case "RET", "ENVID":
			if !mail {
				continue // go-smtp refuses them at RCPT as unknown
			}
		case "NOTIFY", "ORCPT":
			if mail {
				continue
			}
		default:
			continue
		}
		if d == nil {
			d = &dsnCmd{}
		}
		d.keys = append(d.keys, key)
		if d.fault != nil {
			continue
		}
		if seen[key] {
			d.fault = dsnSyntax(key + " is given twice; it may appear once (RFC 3461 4)")
			continue
		}
		seen[key] = true
		if !hasValue || value == "" {
			d.fault = dsnSyntax(key + " needs a value, as in " + dsnExample[key] + " (RFC 3461 4)")
			continue
		}
		switch key {
		case "RET":
			v := strings.ToUpper(value)
			if v != "FULL" && v != "HDRS" {
				d.fault = dsnSyntax("RET=" + value + " is neither FULL nor HDRS (RFC 3461 4.3)")
				continue
			}
			d.mail.Ret = v
		case "ENVID":
			if len(value) > maxEnvID {
				d.fault = dsnSyntax("ENVID is " + itoa(len(value)) + " characters long; at most 100 are allowed (RFC 3461 4.4)")
				continue
			}
			v, why := xtextOrWhy(dsn.DecodeXtext(value))
			if why == "" && !printable(v) {
				why = "its decoded value has a control or non-ASCII character"
			}
			if why != "" {
				d.fault = dsnSyntax("ENVID is not valid xtext: " + why + " (RFC 3461 4, 4.4)")
				continue
			}
			d.mail.EnvID = v
		case "NOTIFY":
			n, why := parseNotify(value)
			if why != "" {
				d.fault = dsnSyntax("NOTIFY=" + value + ": " + why + " (RFC 3461 4.1)")
				continue
			}
			d.rcpt.Notify = n
		case "ORCPT":
			o, why := parseORCPT(value)
			if why != "" {
				d.fault = dsnSyntax("ORCPT: " + why + " (RFC 3461 4.2)")
				continue
			}
			d.rcpt.ORCPT = o
		}
	}
	return d
}

var dsnExample = map[string]string{
	"RET": "RET=HDRS", "ENVID": "ENVID=QQ314159", "NOTIFY": "NOTIFY=FAILURE,DELAY", "ORCPT": "ORCPT=rfc822;alice@example.com",
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

// parseNotify reads NOTIFY's value: NEVER alone, or a list of SUCCESS,
// FAILURE and DELAY, each at most once (RFC 3461 4.1).
func parseNotify(v string) ([]string, string) {
	var out []string
	for _, w := range strings.Split(v, ",") {
		w = strings.ToUpper(w)
		switch w {
		case "NEVER", "SUCCESS", "FAILURE", "DELAY":
		case "":
			return nil, "an empty item in the list"
		default:
			return nil, w + " is not NEVER, SUCCESS, FAILURE or DELAY"
		}
		for _, o := range out {
			if o == w {
				return nil, w + " is listed twice"
			}
		}
		out = append(out, w)
	}
	if len(out) > 1 && containsFold(out, "NEVER") {
		return nil, "NEVER must stand alone"
	}
	return out, ""
}

// parseORCPT reads ORCPT's addr-type ";" xtext, keeping the type as
// written and decoding the address: rfc822 in xtext and printable ASCII,
// utf-8 in utf-8-addr-xtext (RFC 6533 3). go-smtp refuses other types.
func parseORCPT(v string) (string, string) {
	if len(v) > maxORCPT {
		return "", "the value is " + itoa(len(v)) + " characters long; at most 500 are allowed"
	}
	typ, addr, ok := strings.Cut(v, ";")
	if !ok || typ == "" || addr == "" {
		return "", "want addr-type;address, as in ORCPT=rfc822;alice@example.com"
	}
	switch strings.ToUpper(typ) {
	case "RFC822":
		a, why := xtextOrWhy(dsn.DecodeXtext(addr))
		if why == "" && !printable(a) {
			why = "the decoded address has a control or non-ASCII character"
		}
		if why != "" {
			return "", "the rfc822 address is not valid xtext: " + why
		}
		addr = a
	case "UTF-8":
		a, why := xtextOrWhy(dsn.DecodeUTF8AddrXtext(addr))
		if why != "" {
			return "", "the utf-8 address is not valid utf-8-addr-xtext (RFC 6533 3): " + why
		}
		addr = a
	default:
		return "", "address type " + typ + " is not rfc822 or utf-8"
	}
	return typ + ";" + addr, ""
}

// xtextOrWhy turns what a strict dsn decoder returns into the decoded
// value and, when it refused, its reason, which names the octet and what
// is wrong there, for the 501 reply.
func xtextOrWhy(v string, err error) (string, string) {
	if err != nil {
		return "", err.Error()
	}
	return v, ""
}

// printable reports whether s is printable US-ASCII, space included, as
// RFC 3461 4.2 and 4.4 want of decoded ORCPT and ENVID values.
func printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

func containsFold(list []string, w string) bool {
	for _, v := range list {
		if strings.EqualFold(v, w) {
			return true
		}
	}
	return false
}

func itoa(n int) string { return strconv.Itoa(n) }

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
