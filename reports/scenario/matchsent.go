package scenario

import (
	"fmt"
	"strings"

	"github.com/relaylab/relaylab/internal/config"
	"github.com/relaylab/relaylab/reports"
)

// sentAddress is an address a scenario's recipients can have: one it
// sends to, or a sender, to whom the relay writes its DSNs (bounces,
// expiries, delay warnings, late bounces relayed on). "{n}" in it stands
// for the numbers 1 to count.
type sentAddress struct {
	addr   string
	count  int
	sender bool
}

// sentAddresses are the addresses of the scenario's messages, each once,
// in the order the file gives them. The null sender gets no DSN.
func (sc *Scenario) sentAddresses() []sentAddress {
	var out []sentAddress
	seen := map[sentAddress]bool{}
	add := func(a sentAddress) {
		if !strings.Contains(a.addr, "{n}") {
			a.count = 1
		}
		if !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
	}
	for _, m := range sc.Messages {
		count := 1
		if m.Count != nil {
			count = *m.Count
		}
		for _, to := range m.To {
			add(sentAddress{addr: to, count: count})
		}
		if m.From != "" {
			add(sentAddress{addr: m.From, count: count, sender: true})
		}
	}
	return out
}

// checkSent is the problem of the recipient expectation i with what the
// scenario sends (checkMatch, checkMessageName, checkNullSender): each
// would make it fail at the end of the replay for a slip in the file,
// which reads as the relay's fault. An expectation whose count is 0
// asserts that no recipient matches, and is left alone; any other count,
// an upper bound included, could then never fail or never hold.
func (sc *Scenario) checkSent(prefix string, i int) error {
	r := sc.Expect.Recipients[i]
	if r.Count.Set && r.Count.Max == 0 {
		return nil
	}
	key := fmt.Sprintf("%s.recipients[%d]", prefix, i)
	if err := sc.checkMatch(key, r); err != nil {
		return err
	}
	if err := sc.checkMessageName(key, r); err != nil {
		return err
	}
	return sc.checkNullSender(key, r)
}

// checkMatch refuses a recipient expectation whose match meets none of
// the addresses the scenario sends to, nor a sender: it would find 0
// recipients. message: narrows a match further at the end, so an address
// that some message has is enough here.
func (sc *Scenario) checkMatch(key string, r reports.RecipientExpectation) error {
	sent := sc.sentAddresses()
	glob := strings.ToLower(r.Match)
	if matchesSent(glob, sent) {
		return nil
	}
	msg := fmt.Sprintf("%q matches none of the addresses the scenario sends to, nor a sender (who gets the relay's DSNs), so it would find 0 recipients", r.Match)
	if near, ok := closestSent(glob, sent); ok {
		note := ""
		if near.sender {
			note = " (a sender, who gets the relay's DSNs)"
		}
		msg += fmt.Sprintf(": did you mean %q%s?", nearPattern(r.Match, near.addr), note)
	}
	msg += " (to assert that no recipient matches, give count: 0)"
	return config.Errorf(key+".match", "%s", msg)
}

// matchesSent reports whether the lower-case glob matches an address in
// sent, as the replay's judgement matches them (reports.Glob, case
// ignored). A numbered address is tried for each of its numbers: at most
// a million, once per expectation that matches nothing.
func matchesSent(glob string, sent []sentAddress) bool {
	for _, a := range sent {
		tmpl := strings.ToLower(a.addr)
		for n := 1; n <= a.count; n++ {
			if reports.MatchAddress(glob, expandN(tmpl, n)) {
				return true
			}
		}
	}
	return false
}

// suggestNumbers is how many of a numbered address's numbers a
// suggestion looks at: they differ in their digits only.
const suggestNumbers = 100

// closestSent is the address of sent that the glob is fewest edits from
// (the first of those, in the file's order), with "{n}" expanded, when it
// is a near miss (reports.NearMiss).
func closestSent(glob string, sent []sentAddress) (sentAddress, bool) {
	var best sentAddress
	bestD := -1
	for _, a := range sent {
		for n := 1; n <= min(a.count, suggestNumbers); n++ {
			addr := expandN(a.addr, n)
			if d := reports.GlobDistance(glob, strings.ToLower(addr)); bestD < 0 || d < bestD {
				best, bestD = sentAddress{addr: addr, sender: a.sender}, d
			}
		}
	}
	return best, bestD >= 0 && reports.NearMiss(glob, strings.ToLower(best.addr))
}
