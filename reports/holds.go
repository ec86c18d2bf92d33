package reports

import (
	"slices"
	"strings"
	"time"
)

// AddRelayHolds gives the recipients of a sink's record (FromSink) the
// holds of the relay's shaping that hold them now, from rel, the relay's
// record of the same store (a relaylab serve's): a recipient the sink
// deferred that the relay holds back while its destination rests after
// another message's 421 gets no try until the rest ends, which a check
// of the sink's record alone cannot tell from a sender that gave up.
// Only the holds after the sink's last attempt for the address are
// added, from relay recipients not final whose last hold came after
// their last attempt; a relay recipient held before any try, which the
// sink never saw, is added as it is in the relay's record.
func (d *Data) AddRelayHolds(rel *Data) {
	if rel == nil {
		return
	}
	held := map[string][]Hold{}
	for _, r := range rel.Recipients {
		if r.Final() || len(r.Holds) == 0 {
			continue
		}
		h := r.Holds[len(r.Holds)-1]
		if n := len(r.Attempts); n > 0 && h.Time.Before(r.Attempts[n-1].Time) {
			continue
		}
		k := strings.ToLower(r.Address)
		held[k] = append(held[k], r.Holds...)
	}
	seen := map[string]bool{}
	for _, r := range d.Recipients {
		seen[strings.ToLower(r.Address)] = true
	}
	// A recipient the relay held before its first try never reached the
	// sink: without a record of its own, a check for it would find no
	// recipient at all ("found 0"), where the hold is the answer.
	for _, r := range rel.Recipients {
		k := strings.ToLower(r.Address)
		if seen[k] || r.Final() || len(r.Attempts) > 0 || len(held[k]) == 0 {
			continue
		}
		seen[k] = true
		c := *r
		c.Holds = slices.Clone(held[k])
		slices.SortStableFunc(c.Holds, func(a, b Hold) int { return a.Time.Compare(b.Time) })
		d.Recipients = append(d.Recipients, &c)
	}
	for _, r := range d.Recipients {
		hs := held[strings.ToLower(r.Address)]
		if len(hs) == 0 || len(r.Attempts) == 0 || r.Final() {
			continue
		}
		last := r.Attempts[len(r.Attempts)-1].Time
		for _, h := range hs {
			if !h.Time.Before(last) {
				r.Holds = append(r.Holds, h)
			}
		}
		// Those of several relay recipients of the address interleave.
		slices.SortStableFunc(r.Holds, func(a, b Hold) int { return a.Time.Compare(b.Time) })
	}
}

// heldAdvice is what to do about a check that failed while its recipient
// was held (see heldNote): the hold ends at until, and a check made
// before then cannot see the recipient delivered.
func heldAdvice(until time.Time) string {
	when := "the rest ends"
	if !until.IsZero() {
		when = until.UTC().Format(time.RFC3339)
	}
	return "the relay sends nothing to this destination until " + when + ", so a check that judges before then (relaylab expect with a --wait that ends sooner) cannot see it delivered; " +
		"give tests of 421s and rate limits a recipient domain of their own, so that their rests hold no other test's mail, or lower the path's backoff (relay.paths[].backoff) in the test configuration"
}
