package reports

import "strings"

// AdviseOutsideSenders rewrites the advice of the recipients of d, a
// sink's record, that the sink deferred and that relaylab's relay did not
// send (relayed, the relay's record, has none of their addresses; nil
// for none): the classification was written for the relay, which
// retries ("nothing; it is retried"), and the sender under test may not:
// swaks and many applications send once.
func (d *Data) AdviseOutsideSenders(relayed *Data) {
	ours := map[string]bool{}
	if relayed != nil {
		for _, r := range relayed.Recipients {
			ours[strings.ToLower(r.Address)] = true
		}
	}
	for _, r := range d.Recipients {
		if r.Status == "deferred" && r.Advice != "" && !ours[strings.ToLower(r.Address)] {
			r.Advice = OutsideSenderAdvice(r.Advice)
		}
	}
}

// OutsideSenderAdvice is advice, written for a sender that retries, for
// a sender relaylab did not run: whether the deferral clears on its own
// depends on whether that sender retries, and the clauses that say it is
// retried (or sent at the next attempt) give way to that; what is left
// of advice (what to do if it recurs) follows.
func OutsideSenderAdvice(advice string) string {
	const lead = "nothing if the sender retries: an MTA such as Postfix does, on its own schedule (expect --wait waits for it), but swaks and many applications send once and do not, so send the message again (a new message is a record of its own: this one stays deferred, so an expectation of one delivery to the address then sees two, unless you clear the sink or give the new send its own address tag first)"
	var keep []string
	for _, clause := range strings.FieldsFunc(strings.NewReplacer(". ", ";", "; ", ";").Replace(advice), func(r rune) bool { return r == ';' }) {
		clause = strings.TrimSpace(clause)
		lower := strings.ToLower(clause)
		if clause == "" || strings.HasPrefix(lower, "nothing") || strings.Contains(lower, "retried") || strings.Contains(lower, "next attempt") ||
			strings.Contains(lower, "tried when") || strings.Contains(lower, "tried again") || strings.Contains(lower, "sent when") {
			continue
		}
		keep = append(keep, strings.ToLower(clause[:1])+clause[1:])
	}
	if len(keep) == 0 {
		return lead
	}
	return lead + "; " + strings.Join(keep, "; ")
}
