package relay

import (
	"fmt"
	"slices"
	"strings"

	"github.com/relaylab/relaylab/internal/config"
)

// Warnings are the values of c that Validate takes but the relay does not
// run as written, each a *config.FieldError at its key under prefix
// ("relay"), which config.Locate places at its line in the file: the
// relay.classify rules whose disposition the relay overrides for every
// reply they can match (forcedDisposition, and a late bounce's). The relay
// logs them at Start. Under relay.suppression.disabled, the keys that
// would add addresses to the suppression list (a rule's disposition
// suppress, soft_bounces) are warned of too: they add none. So is a
// relay.dkim domain whose only key is Ed25519 (ed25519Only).
func (c *Config) Warnings(prefix string) []error {
	var out []error
	at := func(k, format string, args ...any) {
		if prefix != "" {
			k = prefix + "." + k
		}
		out = append(out, config.Errorf(k, format, args...))
	}
	for i, r := range c.Classify {
		k := fmt.Sprintf("classify[%d].disposition", i)
		if msg := r.overridden(); msg != "" {
			at(k, "%s", msg)
		} else if r.Disposition == Suppress && c.Suppression.Disabled {
			at(k, "suppress while relay.suppression.disabled is true: the relay bounces the replies this rule matches but adds no address to the suppression list, so later mail to them is sent again. "+
				"Write disposition: bounce to say so, or turn suppression on (relay.suppression.disabled: false)")
		}
	}
	for _, i := range ed25519Only(c.DKIM) {
		d := c.DKIM[i]
		name, _ := dkimDomain(d.Domain)
		at(fmt.Sprintf("dkim[%d]", i), "the Ed25519 key %s is the only key of %s: receivers that do not implement Ed25519 (RFC 8463) see its mail as unsigned, and DMARC fails there unless SPF aligns; add an RSA key beside it (relaylab dkim keygen --type rsa, with a selector other than %s, as another relay.dkim entry for %s)",
			d.KeyFile, name, d.Selector, name)
	}
	for i, d := range c.DKIM {
		if w := d.SignsNothing(); w != "" {
			at(fmt.Sprintf("dkim[%d].domain", i), "%s", w)
		}
	}
	if c.Suppression.Disabled && c.Suppression.SoftBounces > 0 {
		at("suppression.soft_bounces", "%d while relay.suppression.disabled is true: no address is suppressed after its soft bounces, or for any other reason. "+
			"Remove soft_bounces, or turn suppression on (relay.suppression.disabled: false)", c.Suppression.SoftBounces)
	}
	out = append(out, c.networkWarnings(prefix)...)
	return out
}

// warnRules logs, at start, Config.Warnings: the classification rules
// whose disposition the relay overrides (before, such a rule was taken
// without a word, and its 451s were retried however plainly it said
// bounce), and the others.
func (r *Relay) warnRules() {
	for _, w := range r.cfg.Warnings("relay") {
		r.log.Warn("relay: " + w.Error())
	}
}

// overridden says how the relay overrides r's disposition for every
// reply r can match, and how to write the rule so that it says what
// happens; "" when it does not, or only for some of them (a rule without
// a code or stage, whose disposition holds where the relay allows it).
func (r Rule) overridden() string {
	var stages []string // nil: any
	if r.Stage != "" {
		for st := range strings.SplitSeq(r.Stage, "|") {
			stages = append(stages, strings.TrimSpace(st))
		}
	}
	permanent, what, known := r.replyClass(stages)
	if slices.Equal(stages, []string{"async"}) {
		return r.asyncOverride(permanent, what, known)
	}
	if !known {
		return ""
	}
	d := r.Disposition
	if !permanent {
		if forcedDisposition(d, Reply{}) == d {
			return ""
		}
		instead := "bouncing them"
		if d == Suppress {
			instead = "bouncing them and suppressing the address"
		}
		msg := fmt.Sprintf("%s for %s: the relay never bounces a 4xx reply or a failure without a reply, whatever a rule says, as it is temporary (RFC 5321 4.2.1) and the retry policy decides when to give up; so it retries these replies instead of %s. Write disposition: retry to say so (the rule's category, reason and advice still apply), and shorten relay.retry.max_age if such mail should give up sooner",
			d, what, instead)
		if strings.HasPrefix(r.Code, "4") || strings.HasPrefix(r.Enhanced, "4") {
			msg += "; to bounce a permanent refusal, match its 5xx instead (code: \"5\" or enhanced: \"5.\")"
		}
		return msg
	}
	// A 552 at RCPT TO for too many recipients (tooManyRecipients) is
	// sent again at once, whatever the rule says: a rule that can match
	// one retries it as it says, and one that matches nothing else is
	// overridden unless it says retry.
	tooMany := r.Code == "552" && (r.Enhanced == "" || r.Enhanced == "none" || strings.HasPrefix("5.5.3", r.Enhanced)) &&
		(stages == nil || slices.Contains(stages, "rcpt"))
	if tooMany && d != Retry && r.Enhanced == "5.5.3" && slices.Equal(stages, []string{"rcpt"}) {
		return fmt.Sprintf("%s for a 552 5.5.3 at RCPT TO: that reply is the server's limit on recipients per transaction, which RFC 5321 4.5.3.1.10 asks clients to treat as temporary, and the relay sends the refused recipients again at once in a new transaction, whatever a rule says. Write disposition: retry to say so (the rule's category, reason and advice still apply), and set the path's max_recipients to the server's limit so that no RCPT is refused", d)
	}
	// A rule of code 530 matches only the 530s that refuse the path at
	// MAIL, RCPT or DATA (refusesPath); any other 5xx stands for the
	// replies of a shorter code, or of none.
	code := 550
	if r.Code == "530" {
		code = 530
	}
	var at []string // the stages where the relay overrides d
	where := ""
	if stages == nil {
		// A 530 comes at AUTH or a command of the transaction (RFC 4954
		// 6, RFC 3207 4), where it refuses the path: a rule of code
		// 530 for any stage holds.
		if forcedDisposition(d, Reply{Code: code}) == d || tooMany || code == 530 {
			return ""
		}
		where = " at any stage but auth, starttls and tls"
	} else {
		for _, st := range stages {
			if forcedDisposition(d, Reply{Stage: st, Code: code}) != d && !(tooMany && st == "rcpt") {
				at = append(at, st)
			}
		}
		if len(at) == 0 {
			return ""
		}
		where = " at stage " + strings.Join(at, ", ")
	}
	instead := "retrying them"
	if d == Reroute {
		instead = "sending them on to the next path"
	}
	msg := fmt.Sprintf("%s for %s%s: the relay bounces a 5xx whatever a rule says, as a permanent refusal gets the same answer when sent again (RFC 5321 4.2.1), except at stages auth, starttls and tls, and a 530 at mail, rcpt or data (AUTH or STARTTLS required first, RFC 4954 6, RFC 3207 4), where it refuses the path (its credentials or TLS) rather than the message; so it bounces these replies instead of %s. Write disposition: bounce (or suppress) to say so; if the replies you mean come at AUTH or STARTTLS, limit the rule to those stages (stage: auth, starttls or tls)",
		d, what, where, instead)
	if code != 530 && strings.HasPrefix("530", r.Code) && (stages == nil || slices.ContainsFunc(at, func(st string) bool { return st == "mail" || st == "rcpt" || st == "data" })) {
		msg += `; if they are a 530 at MAIL, RCPT or DATA, write code: "530"`
	}
	return msg
}

// replyClass says whether every reply a rule of stages (nil: any) can
// match is a 5xx (permanent), or none is (a 4xx, or a failure without a
// reply), and which of the rule's fields says so (what); known is false
// when it can match either, or only replies that need no verdict (2xx).
func (r Rule) replyClass(stages []string) (permanent bool, what string, known bool) {
	if r.Code != "" {
		switch r.Code[0] {
		case '0':
			return false, `a failure without a reply (code: "0")`, true
		case '3', '4':
			return false, fmt.Sprintf("a %cxx reply (code: %q)", r.Code[0], r.Code), true
		case '5':
			return true, fmt.Sprintf("a 5xx reply (code: %q)", r.Code), true
		}
		return false, "", false
	}
	if e := r.Enhanced; e != "" && e != "none" {
		switch e[0] {
		case '4':
			return false, fmt.Sprintf("a 4xx reply (enhanced: %q, a temporary failure by RFC 3463)", e), true
		case '5':
			return true, fmt.Sprintf("a 5xx reply (enhanced: %q, a permanent failure by RFC 3463)", e), true
		}
		return false, "", false
	}
	// The relay's own failures before any server answered: connect
	// (dial), shaping (its holds) have no reply code.
	if len(stages) > 0 && !slices.ContainsFunc(stages, func(st string) bool { return st != "connect" && st != "shaping" }) {
		return false, fmt.Sprintf("a failure without a reply (stage: %s)", r.Stage), true
	}
	return false, "", false
}

// asyncOverride is overridden for a rule of stage async alone: a late
// bounce (queueapi.go) is recorded as bounced whatever the verdict, and
// its address suppressed exactly when the DSN's status is 5.x.x.
func (r Rule) asyncOverride(permanent bool, what string, known bool) string {
	d := r.Disposition
	does, want := "", "bounce (or suppress)"
	switch {
	case known && permanent:
		does, want = "; so it bounces these and suppresses the address", "suppress"
	case known:
		does, want = "; so it bounces these and does not suppress the address", "bounce"
	}
	if d != Retry && d != Reroute && (!known || string(d) == want) {
		return ""
	}
	if what != "" {
		what = " for " + what
	}
	return fmt.Sprintf("%s at stage async%s: the relay records a late bounce (a DSN that came back after the upstream had taken the message) as bounced whatever a rule says, as the upstream has given up on it already, and suppresses its address exactly when the DSN's status is 5.x.x%s. Write disposition: %s to say so (the rule's category, reason and advice are used as written)",
		d, what, does, want)
}
