package dsn

import (
	"strconv"
	"strings"
)

// This file reads the DSN parameters of MAIL and RCPT (RFC 3461 4): RET
// and ENVID per transaction, NOTIFY and ORCPT per recipient, as a server
// must check them. go-smtp parses them too, but takes a repeated parameter
// silently (the last wins) and checks neither the lengths nor the xtext
// strictly. The sink refuses every fault it finds here; the relay's
// submission listener refuses the faults of form (FormFault) the same
// way, and words the others itself, so that a message it takes is not
// refused for them by the next hop, after its 250.

// Lengths RFC 3461 allows: a MAIL line may grow by 100 characters for
// ENVID and a RCPT line by 500 for ORCPT (RFC 3461 4, 4.2, 4.4), each the
// value as written, in xtext.
const (
	MaxEnvID = 100
	MaxORCPT = 500
)

// ParamSyntaxText starts the text of the reply to a malformed DSN
// parameter, whose code is 501 (RFC 5321 4.2.2: a syntax error in
// parameters) and enhanced code 5.5.4 (RFC 3463 3.6: invalid command
// arguments); the fault's Why follows it.
const ParamSyntaxText = "Syntax error in parameters: "

// Params are the DSN parameters of one MAIL or RCPT command, as
// ParseParams read them.
type Params struct {
	Keys []string // the DSN keywords the command carries, upper case, in order
	// Ret is "FULL", "HDRS" or "" when not given; EnvID is decoded from
	// xtext, "" when not given (MAIL).
	Ret, EnvID string
	// Notify is NEVER, or some of SUCCESS, FAILURE and DELAY; nil when
	// not given (RCPT).
	Notify []string
	// ORCPT is "type;address" with the address decoded and the type as
	// the client wrote it ("rfc822;alice@example.com"); "" when not given.
	ORCPT string
	// Fault is the first fault, nil when the parameters are good; the
	// values after it are not read.
	Fault *ParamFault
}

// ParamFault is why a DSN parameter is refused.
type ParamFault struct {
	Key string // the keyword, upper case
	// Form marks a fault of the parameter's form, whatever its value's
	// syntax: given twice, without a value, or longer than RFC 3461
	// allows (FormFault).
	Form bool
	// Why says what is wrong and where the RFC says so, as in "RET is
	// given twice; it may appear once (RFC 3461 4)", for the text of a
	// 501 5.5.4 after ParamSyntaxText.
	Why string
}

// paramExample is how each parameter is written, for the fault of one
// without a value.
var paramExample = map[string]string{
	"RET": "RET=HDRS", "ENVID": "ENVID=QQ314159", "NOTIFY": "NOTIFY=FAILURE,DELAY", "ORCPT": "ORCPT=rfc822;alice@example.com",
}

// ParseParams reads the DSN parameters among params, the ESMTP parameters
// of a MAIL (mail true) or RCPT command, each KEY or KEY=VALUE. It returns
// nil when there is none; the other command's DSN keywords, and other
// parameters, are not its to read.
func ParseParams(params []string, mail bool) *Params {
	var d *Params
	seen := map[string]bool{}
	for _, p := range params {
		key, value, hasValue, ok := dsnParam(p, mail)
		if !ok {
			continue
		}
		if d == nil {
			d = &Params{}
		}
		d.Keys = append(d.Keys, key)
		if d.Fault != nil {
			continue
		}
		if f := formFault(key, value, hasValue, seen); f != nil {
			d.Fault = f
			continue
		}
		why := d.take(key, value)
		if why != "" {
			d.Fault = &ParamFault{Key: key, Why: why}
		}
	}
	return d
}

// FormFault returns the first fault of form among params, as ParseParams
// would find it (a keyword given twice, one without a value, an ENVID or
// ORCPT too long), whatever the syntax of the values; nil when there is
// none. A server that leaves the values to another parser (go-smtp, which
// takes the last of a repeated parameter) still refuses these as
// ParseParams does.
func FormFault(params []string, mail bool) *ParamFault {
	seen := map[string]bool{}
	for _, p := range params {
		key, value, hasValue, ok := dsnParam(p, mail)
		if !ok {
			continue
		}
		if f := formFault(key, value, hasValue, seen); f != nil {
			return f
		}
	}
	return nil
}

// dsnParam splits parameter p into its keyword, upper case, and value;
// ok is false when p is no DSN parameter of a MAIL (mail) or RCPT command.
func dsnParam(p string, mail bool) (key, value string, hasValue, ok bool) {
	key, value, hasValue = strings.Cut(p, "=")
	key = strings.ToUpper(key)
	switch key {
	case "RET", "ENVID":
		return key, value, hasValue, mail
	case "NOTIFY", "ORCPT":
		return key, value, hasValue, !mail
	}
	return "", "", false, false
}

// formFault is the fault of form of parameter key=value, nil when it has
// none; seen holds the keywords before it, and gets this one.
func formFault(key, value string, hasValue bool, seen map[string]bool) *ParamFault {
	if seen[key] {
		return &ParamFault{Key: key, Form: true, Why: key + " is given twice; it may appear once (RFC 3461 4)"}
	}
	seen[key] = true
	switch {
	case !hasValue || value == "":
		return &ParamFault{Key: key, Form: true, Why: key + " needs a value, as in " + paramExample[key] + " (RFC 3461 4)"}
	case key == "ENVID" && len(value) > MaxEnvID:
		return &ParamFault{Key: key, Form: true, Why: "ENVID is " + strconv.Itoa(len(value)) + " characters long; at most 100 are allowed (RFC 3461 4.4)"}
	case key == "ORCPT" && len(value) > MaxORCPT:
		return &ParamFault{Key: key, Form: true, Why: "ORCPT: the value is " + strconv.Itoa(len(value)) + " characters long; at most 500 are allowed (RFC 3461 4.2)"}
	}
	return nil
}

// take reads the value of parameter key into d, or says why it cannot.
func (d *Params) take(key, value string) string {
	switch key {
	case "RET":
		v := strings.ToUpper(value)
		if v != "FULL" && v != "HDRS" {
			return "RET=" + value + " is neither FULL nor HDRS (RFC 3461 4.3)"
		}
		d.Ret = v
	case "ENVID":
		v, why := xtextOrWhy(DecodeXtext(value))
		if why == "" && !Printable(v) {
			why = "its decoded value has a control or non-ASCII character"
		}
		if why != "" {
			return "ENVID is not valid xtext: " + why + " (RFC 3461 4, 4.4)"
		}
		d.EnvID = v
	case "NOTIFY":
		n, why := ParseNotify(value)
		if why != "" {
			return "NOTIFY=" + value + ": " + why + " (RFC 3461 4.1)"
		}
		d.Notify = n
	case "ORCPT":
		o, why := parseORCPT(value)
		if why != "" {
			return "ORCPT: " + why + " (RFC 3461 4.2)"
		}
		d.ORCPT = o
	}
	return ""
}

// ParseNotify reads NOTIFY's value: NEVER alone, or a list of SUCCESS,
// FAILURE and DELAY, each at most once (RFC 3461 4.1). It returns the
// words upper case, or why the value is refused.
func ParseNotify(v string) ([]string, string) {
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
	if len(out) > 1 && containsWord(out, "NEVER") {
		return nil, "NEVER must stand alone"
	}
	return out, ""
}

// parseORCPT reads ORCPT's addr-type ";" xtext, keeping the type as
// written and decoding the address: rfc822 in xtext and printable ASCII,
// utf-8 in utf-8-addr-xtext (RFC 6533 3). go-smtp refuses other types.
func parseORCPT(v string) (string, string) {
	typ, addr, ok := strings.Cut(v, ";")
	if !ok || typ == "" || addr == "" {
		return "", "want addr-type;address, as in ORCPT=rfc822;alice@example.com"
	}
	switch strings.ToUpper(typ) {
	case "RFC822":
		a, why := xtextOrWhy(DecodeXtext(addr))
		if why == "" && !Printable(a) {
			why = "the decoded address has a control or non-ASCII character"
		}
		if why != "" {
			return "", "the rfc822 address is not valid xtext: " + why
		}
		addr = a
	case "UTF-8":
		a, why := xtextOrWhy(DecodeUTF8AddrXtext(addr))
		if why != "" {
			return "", "the utf-8 address is not valid utf-8-addr-xtext (RFC 6533 3): " + why
		}
		addr = a
	default:
		return "", "address type " + typ + " is not rfc822 or utf-8"
	}
	return typ + ";" + addr, ""
}

// xtextOrWhy turns what a strict decoder returns into the decoded value
// and, when it refused, its reason, which names the octet and what is
// wrong there.
func xtextOrWhy(v string, err error) (string, string) {
	if err != nil {
		return "", err.Error()
	}
	return v, ""
}

// Printable reports whether s is printable US-ASCII, space included, as
// RFC 3461 4.2 and 4.4 want of decoded ORCPT and ENVID values.
func Printable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}

func containsWord(list []string, w string) bool {
	for _, v := range list {
		if v == w {
			return true
		}
	}
	return false
}
