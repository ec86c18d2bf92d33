package scenario

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/relaylab/relaylab/internal/config"
	"github.com/relaylab/relaylab/sink"
)

// A sink rule's recipient: and sender: are checked against the envelopes
// the scenario gives the sink, as an expectation's match is against the
// addresses it sends to (checkMatch): a rule that meets none would never
// apply, and the replay would run as if it were not there, which reads
// as the relay's doing.

// maxTriedNumbers bounds how many of a numbered address's numbers the
// check tries; a rule that meets none of those, where count goes
// further, is left alone rather than refused on a guess.
const maxTriedNumbers = 1000

// maxPairedSenders bounds the senders whose envelopes are tried one by
// one for a rule with both a sender: and a recipient: (one sink.Explain
// each).
const maxPairedSenders = 8

// sinkEnvelope is the recipients that one sender's mail gives the sink:
// the scenario's messages from it, or, for the null sender, the relay's
// DSNs to every sender (and the messages of the null sender).
type sinkEnvelope struct {
	from string
	to   []string
}

// sinkEnvelopes are the envelopes the replay's relay can give the sink,
// one per sender in the file's order, numbered addresses tried up to
// maxTriedNumbers; whole is false when some count goes further.
func (sc *Scenario) sinkEnvelopes() (envs []sinkEnvelope, whole bool) {
	whole = true
	at := map[string]int{}
	seen := map[[2]string]bool{}
	add := func(from, to string) {
		if seen[[2]string{from, to}] {
			return
		}
		seen[[2]string{from, to}] = true
		i, ok := at[from]
		if !ok {
			i = len(envs)
			at[from] = i
			envs = append(envs, sinkEnvelope{from: from})
		}
		envs[i].to = append(envs[i].to, to)
	}
	for _, m := range sc.Messages {
		count := 1
		if m.Count != nil && (strings.Contains(m.From, "{n}") || slices.ContainsFunc(m.To, func(a string) bool { return strings.Contains(a, "{n}") })) {
			count = *m.Count
		}
		if count > maxTriedNumbers {
			count, whole = maxTriedNumbers, false
		}
		for n := 1; n <= count; n++ {
			from := expandN(m.From, n)
			for _, to := range m.To {
				add(from, expandN(to, n))
			}
			if from != "" {
				add("", from) // the relay's DSNs, and a sink's bounce relayed on
			}
		}
	}
	return envs, whole
}

// stageWithoutAddresses reports whether a rule at stage sees no
// recipient, and an empty sender, whatever the scenario sends (the
// sink refuses a pattern there that needs one; a sender: such as "*"
// matches the empty one).
func stageWithoutAddresses(stage string) bool {
	switch strings.ToLower(strings.TrimSpace(stage)) {
	case "connect", "ehlo", "helo", "starttls", "auth":
		return true
	}
	return false
}

// checkSinkRules is the problem of each sink rule whose recipient: or
// sender: meets no envelope of the scenario (sink.rules; a provider
// profile's rules answer for domains, whichever the scenario has). The
// sink's own decision says whether a pattern meets an address
// (sinkProbe), so globs, regexps and case are as the replay has them.
func (sc *Scenario) checkSinkRules() []error {
	var errs []error
	var envs []sinkEnvelope
	whole := false
	for i, r := range sc.Sink.Rules {
		if r.Recipient == "" && r.Sender == "" || stageWithoutAddresses(r.Stage) {
			continue
		}
		if envs == nil {
			envs, whole = sc.sinkEnvelopes()
		}
		if err := sc.checkSinkRule(i, r, envs, whole); err != nil {
			errs = append(errs, err)
		}
	}
	return errs
}

// checkSinkRule is checkSinkRules for rule i. With relay.dsn.verp the
// sink sees the relay's VERP address as every message's sender, which
// names the queue id, so a sender: is not judged.
func (sc *Scenario) checkSinkRule(i int, r sink.Rule, envs []sinkEnvelope, whole bool) error {
	key := fmt.Sprintf("sink.rules[%d]", i)
	named := ""
	if r.Name != "" {
		named = fmt.Sprintf(" (rule %q)", r.Name)
	}
	if !whole {
		return nil
	}
	var rcpts, senders []string
	for _, e := range envs {
		rcpts = append(rcpts, e.to...)
		if e.from != "" {
			senders = append(senders, e.from)
		}
	}
	if r.Recipient != "" {
		ok, err := sinkProbe("", rcpts, probeRule(sink.StageRcpt, r.Recipient, ""))
		if err != nil {
			return nil // an address explain refuses: not judged
		}
		if !ok {
			nor := ""
			if len(senders) > 0 {
				nor = fmt.Sprintf(", nor a sender (%s, who gets the relay's DSNs)", sc.listAddresses(true))
			}
			return config.Errorf(key+".recipient", "%q%s matches none of the addresses the scenario sends to (%s)%s, so the rule would never apply and the replay would run as if it were not there: correct the pattern%s, or remove the rule",
				r.Recipient, named, sc.listAddresses(false), nor, sc.nearAddress(r.Recipient, false))
		}
	}
	if r.Sender == "" || sc.Relay.DSN.VERP {
		return nil
	}
	// The sender: as a recipient: pattern over the senders (the same
	// patterns), and over the null sender at MAIL.
	ok, err := sinkProbe("", senders, probeRule(sink.StageMail, "", r.Sender), probeRule(sink.StageRcpt, r.Sender, ""))
	switch {
	case err != nil:
		return nil
	case !ok && len(senders) == 0:
		return config.Errorf(key+".sender", "%q%s matches no sender: every message of the scenario is from the null sender <>, so the rule would never apply and the replay would run as if it were not there: correct the pattern, or remove the rule",
			r.Sender, named)
	case !ok:
		return config.Errorf(key+".sender", "%q%s matches none of the scenario's senders (%s), nor the null sender <> of the relay's DSNs, so the rule would never apply and the replay would run as if it were not there: correct the pattern%s, or remove the rule",
			r.Sender, named, sc.listAddresses(true), sc.nearAddress(r.Sender, true))
	case r.Recipient == "" || len(envs) > maxPairedSenders:
		return nil
	}
	for _, e := range envs {
		ok, err := sinkProbe(e.from, e.to, probeRule(sink.StageRcpt, r.Recipient, r.Sender))
		if err != nil || ok {
			return nil
		}
	}
	return config.Errorf(key, "sender %q and recipient %q%s each match an address, but no envelope has both, so the rule would never apply and the replay would run as if it were not there; the scenario's envelopes: %s: correct a pattern, or remove the rule",
		r.Sender, r.Recipient, named, sc.listEnvelopes())
}

// probeName names the stand-in rules of sinkProbe.
const probeName = "scenario check"

// probeRule is a stand-in rule at stage with the recipient and sender
// patterns given, which does nothing but be seen (a delay).
func probeRule(stage sink.Stage, recipient, sender string) sink.Rule {
	return sink.Rule{Stage: string(stage), Recipient: recipient, Sender: sender, Delay: config.Duration(time.Second)}
}

// sinkProbe reports whether one of rules applies at some stage of a
// session from from to the recipients to, as the sink decides
// (sink.Explain), with no directives and nothing else but the rules. A
// session that ends early (a provider profile's 421 to a recipient no
// rule matches) goes on in another with the recipients left.
func sinkProbe(from string, to []string, rules ...sink.Rule) (bool, error) {
	off := false
	for i := range rules {
		rules[i].Name = fmt.Sprintf("%s %d", probeName, i)
	}
	cfg := sink.Config{
		Listeners:  []sink.ListenerConfig{sink.DefaultListener("check", "127.0.0.1:0", sink.DefaultHostname("check"))},
		Directives: &off,
		Rules:      rules,
	}
	for first := true; first || len(to) > 0; first = false {
		steps, err := sink.Explain(cfg, sink.Envelope{From: from, To: to})
		if err != nil {
			return false, err
		}
		seen := 0
		for _, st := range steps {
			if strings.Contains(st.Rule, probeName) {
				return true, nil
			}
			if st.Stage == sink.StageRcpt {
				seen++
			}
		}
		if seen == 0 {
			return false, nil // the session ended before RCPT
		}
		to = to[seen:]
	}
	return false, nil
}

// nearAddress is " (did you mean ADDR?)" when a glob (not a regexp) is a
// near miss of a recipient of the scenario, or of a sender when senders.
func (sc *Scenario) nearAddress(pattern string, senders bool) string {
	if strings.HasPrefix(pattern, "/") {
		return ""
	}
	var sent []sentAddress
	for _, a := range sc.sentAddresses() {
		if !senders || a.sender {
			sent = append(sent, a)
		}
	}
	near, ok := closestSent(strings.ToLower(pattern), sent)
	if !ok {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", nearPattern(pattern, near.addr))
}

// nearPattern is what a "did you mean" offers for pattern, near the
// address addr: a glob with * or ? mended as little as can be to match
// it (*@example.tst gives *@example.test, not one address), else addr.
func nearPattern(pattern, addr string) string {
	if p := sink.MendPattern(pattern, addr); p != "" {
		return p
	}
	return addr
}

// maxListed is how many addresses an error lists.
const maxListed = 6

// listAddresses lists the scenario's recipients, or its senders, as the
// file writes them ("user{n}@example.test (n = 1 to 3)").
func (sc *Scenario) listAddresses(senders bool) string {
	var out []string
	for _, a := range sc.sentAddresses() {
		if a.sender == senders {
			out = append(out, numbered(a.addr, a.count))
		}
	}
	if len(out) == 0 {
		return "none"
	}
	return listSome(out)
}

// listEnvelopes lists each sender with its recipients, as the file
// writes them, then the null sender's.
func (sc *Scenario) listEnvelopes() string {
	var froms []string
	to := map[string][]string{}
	dsns := false
	for _, m := range sc.Messages {
		count := 1
		if m.Count != nil {
			count = *m.Count
		}
		from := numbered(m.From, count)
		if m.From != "" {
			dsns = true
		}
		if _, ok := to[from]; !ok {
			froms = append(froms, from)
		}
		for _, a := range m.To {
			if a := numbered(a, count); !slices.Contains(to[from], a) {
				to[from] = append(to[from], a)
			}
		}
	}
	var out []string
	for _, f := range froms {
		if f != "" {
			out = append(out, fmt.Sprintf("from %s to %s", f, listSome(to[f])))
		}
	}
	null, ok := to[""]
	switch {
	case ok && dsns:
		out = append(out, fmt.Sprintf("from <> to %s, and the relay's DSNs to the senders", listSome(null)))
	case ok:
		out = append(out, fmt.Sprintf("from <> to %s", listSome(null)))
	case dsns:
		out = append(out, "the relay's DSNs from <> to the senders")
	}
	return strings.Join(out, "; ")
}

// numbered is addr, with the numbers "{n}" in it stands for.
func numbered(addr string, count int) string {
	if strings.Contains(addr, "{n}") && count > 1 {
		return fmt.Sprintf("%s (n = 1 to %d)", addr, count)
	}
	return addr
}

// listSome joins the first maxListed of list, and says how many more.
func listSome(list []string) string {
	if len(list) <= maxListed {
		return strings.Join(list, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(list[:maxListed], ", "), len(list)-maxListed)
}
