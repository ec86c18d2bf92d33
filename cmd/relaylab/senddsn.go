package main

import (
	"flag"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/relaylab/relaylab/internal/dsn"
	"github.com/relaylab/relaylab/internal/smtpload"
)

// dsnFlags are send's DSN flags (RFC 3461), as given.
type dsnFlags struct {
	notify, ret, envid string
	orcpt              multiFlag
}

// orcptSelf is the --orcpt value that stands for each recipient's own
// address.
const orcptSelf = "self"

func (d *dsnFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&d.notify, "notify", "", "NOTIFY= on every RCPT (RFC 3461 4.1): NEVER, or a comma list of SUCCESS, FAILURE and DELAY (sent only when the server offers DSN, else left out with a note)")
	fs.StringVar(&d.ret, "ret", "", "RET= on MAIL (RFC 3461 4.3): FULL (a failure DSN returns the whole message) or HDRS (its header only)")
	fs.StringVar(&d.envid, "envid", "", "ENVID= on MAIL (RFC 3461 4.4): an id of this message that its DSNs quote, printable ASCII, at most 100 characters once written in xtext (a space, + or = takes 3)")
	fs.Var(&d.orcpt, "orcpt", "ORCPT= on RCPT (RFC 3461 4.2): the original recipient that DSNs name, [rfc822;|utf-8;]ADDR with ADDR as it is (send writes it in xtext; no type: rfc822, or utf-8 for a non-ASCII address); "+
		"given once it goes with every --to, repeated once per --to in their order; \""+orcptSelf+"\" is each recipient's own address, as Postfix sends it (default: no ORCPT, even with --notify)")
}

// parse checks the DSN flags (set: the flags given) and returns what they
// ask for on the wire, nil when none was given. to is the recipients, for
// --orcpt.
func (d *dsnFlags) parse(to []string, set map[string]bool) (*smtpload.DSN, error) {
	if !set["notify"] && !set["ret"] && !set["envid"] && !set["orcpt"] {
		return nil, nil
	}
	out := &smtpload.DSN{}
	if set["notify"] {
		// A list written with spaces after its commas is still meant as
		// the list.
		words, why := dsn.ParseNotify(strings.ReplaceAll(d.notify, " ", ""))
		if why != "" {
			return nil, usageError("--notify %q: %s; give NEVER alone (no DSN at all), or a comma list of SUCCESS, FAILURE and DELAY (RFC 3461 4.1)", d.notify, why)
		}
		out.Notify = words
	}
	if set["ret"] {
		r := strings.ToUpper(d.ret)
		if r != "FULL" && r != "HDRS" {
			return nil, usageError("--ret %q: give FULL (a failure DSN returns the whole message) or HDRS (its header only) (RFC 3461 4.3)", d.ret)
		}
		out.Ret = r
	}
	if set["envid"] {
		if err := checkEnvID(d.envid); err != nil {
			return nil, err
		}
		out.EnvID = d.envid
	}
	if set["orcpt"] {
		var err error
		if out.ORCPT, err = orcpts(d.orcpt, to); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// checkEnvID refuses an ENVID that RFC 3461 4.4 does not allow: empty, not
// printable US-ASCII, or over 100 characters in xtext (as the sink and the
// relay's submission listener count it, the value on the wire).
func checkEnvID(v string) error {
	if v == "" {
		return usageError("--envid \"\": give an id of one or more printable ASCII characters, or leave --envid out")
	}
	for i, r := range v {
		if r < ' ' || r > '~' {
			return usageError("--envid %q: character %d, %q, is not printable ASCII; ENVID holds printable US-ASCII and spaces only (RFC 3461 4.4)", truncateArg(v), utf8.RuneCountInString(v[:i])+1, r)
		}
	}
	if n := len(dsn.Xtext(v)); n > dsn.MaxEnvID {
		return usageError("--envid: %d characters are %d once written in xtext (a space, + or = takes 3); ENVID allows at most %d (RFC 3461 4.4)", len(v), n, dsn.MaxEnvID)
	}
	return nil
}

// orcpts gives each recipient of to its ORCPT, "type;address", from the
// --orcpt values: one for all, or one per recipient in order.
func orcpts(values, to []string) ([]string, error) {
	if len(values) != 1 && len(values) != len(to) {
		return nil, usageError("--orcpt is given %d times for %d --to: give it once (for every recipient), or once per --to in their order", len(values), len(to))
	}
	out := make([]string, len(to))
	for i := range to {
		v := values[0]
		if len(values) > 1 {
			v = values[i]
		}
		o, err := orcptOf(v, to[i])
		if err != nil {
			return nil, err
		}
		out[i] = o
	}
	return out, nil
}

// orcptOf reads one --orcpt value for recipient rcpt: "self", or
// [TYPE;]ADDR with TYPE rfc822 or utf-8 (the ones the sink and the relay
// take; RFC 6533 3 for utf-8).
func orcptOf(v, rcpt string) (string, error) {
	typ, addr := "", v
	if strings.EqualFold(v, orcptSelf) {
		addr = rcpt
	} else if t, a, ok := strings.Cut(v, ";"); ok && addrType(t) {
		typ, addr = strings.ToLower(t), a
		if typ != "rfc822" && typ != "utf-8" {
			return "", usageError("--orcpt %q: address type %q is not rfc822 or utf-8 (RFC 3461 4.2, RFC 6533 3)", truncateArg(v), t)
		}
	}
	if addr == "" {
		return "", usageError("--orcpt %q: no address; give [rfc822;]ADDR, as in --orcpt rfc822;alice@example.com", v)
	}
	if typ == "" {
		typ = "rfc822"
		if !isASCII(addr) {
			typ = "utf-8"
		}
	}
	switch {
	case typ == "rfc822" && !dsn.Printable(addr):
		return "", usageError("--orcpt %q: an rfc822 address is printable ASCII (RFC 3461 4.2); for a non-ASCII address give utf-8;ADDR, or leave the type out", truncateArg(v))
	case typ == "utf-8" && (!utf8.ValidString(addr) || strings.ContainsFunc(addr, func(r rune) bool { return r < ' ' || r == 0x7f })):
		return "", usageError("--orcpt %q: a utf-8 address is valid UTF-8 without control characters (RFC 6533 3)", truncateArg(v))
	}
	o := typ + ";" + addr
	if n := len(dsn.ORCPTParam(o)); n > dsn.MaxORCPT {
		return "", usageError("--orcpt %q: %d characters once encoded; ORCPT allows at most %d (RFC 3461 4.2)", truncateArg(v), n, dsn.MaxORCPT)
	}
	return o, nil
}

// addrType reports whether s reads as an addr-type (RFC 3461 4.2: an
// atom of letters, digits and hyphens), so that "x400;..." is an unknown
// type while a ";" inside a quoted local part is not taken for one.
func addrType(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// applyDSN puts the DSN parameters asked for on tx when the server offers
// DSN; when it does not, the message goes without them, as swaks-like
// tools send it, with a note naming what was left out (RFC 3461 4: a
// client sends them only to a server that offers DSN; one that does not
// refuses them, 555 5.5.4, and that refusal would say nothing of its DSNs).
func applyDSN(e *env, c *smtpload.Client, tx *smtpload.Transaction, d *smtpload.DSN) {
	if d.Empty() || c.ApplyDSN(tx, d) {
		return
	}
	var left []string
	for _, p := range []struct {
		name string
		on   bool
	}{{"RET", d.Ret != ""}, {"ENVID", d.EnvID != ""}, {"NOTIFY", d.Notify != nil}, {"ORCPT", len(d.ORCPT) > 0}} {
		if p.on {
			left = append(left, p.name)
		}
	}
	fmt.Fprintf(e.stdout, "=== note: the server does not offer DSN (its EHLO reply has no DSN, RFC 3461 4), so the message goes without the DSN parameters asked for (left out: %s); "+
		"its DSNs, if any, follow the server's own defaults (as a rule a failure DSN and no other)\n", strings.Join(left, ", "))
}
