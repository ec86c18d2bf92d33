package relay

import (
	"fmt"
	"regexp"
	"strings"
	"time"
)

// restAdvice is the advice of the relay.deferred event of recipient c,
// whose attempt ended in res with verdict v, where a destination's rest
// is concerned: the table's words are for throttling ("lower the path's
// rate"), which a plain 421, not counted as throttling, is not. Then the
// receiver only asked the relay to come back later; the operator is told
// when the rest ends and how to end it now, and, for the message whose
// 421 began it, that its retries rest the destination again. Other
// verdicts keep v's advice. It is for the operator: the sender's DSN
// takes its words from the verdict, not from this.
func (r *Relay) restAdvice(c claimed, res result, v Verdict) string {
	// What deferralVerdict added to the table's words (the route's paths
	// that failed) stays; words of its own (an expiry ahead) replace them.
	added, ok := strings.CutPrefix(v.Advice, res.verdict.Advice)
	if !ok {
		return v.Advice
	}
	if res.reply.Stage == "shaping" {
		m := restRE.FindStringSubmatch(res.reply.Text)
		if m == nil || v.Category != "destination-backoff" {
			return v.Advice
		}
		key := m[1]
		until, err := time.Parse(time.RFC3339, m[2])
		if err != nil {
			return v.Advice
		}
		cause := r.destCause(key)
		if r.throttles(cause) {
			return v.Advice
		}
		what := "a 421"
		if cause.reply != (Reply{}) {
			what = "a plain 421 (" + cause.reply.String() + "), not counted as throttling"
		}
		advice := fmt.Sprintf("nothing for this message: the destination answered %s, asking the relay to come back later, so the relay holds its mail until the rest ends at %s; %s",
			what, until.UTC().Format(time.RFC3339), endRestNow(key))
		if id := causeMessage(cause); id != "" && id != c.msgID {
			advice += fmt.Sprintf("; if message %s keeps meeting the 421, each retry rests the destination again: hold it (relaylab queue hold %s) or delete it", id, id)
		}
		return advice + added
	}
	if res.reply.Code != 421 || v.Category == "rate-limited" || res.notBefore.IsZero() {
		return v.Advice
	}
	key, until, ok := r.restBegunBy(c.msgID, res.notBefore)
	if !ok {
		return v.Advice
	}
	return fmt.Sprintf("%s. The relay rests the destination %s until %s after this 421 and holds all its mail meanwhile; %s; if this message keeps meeting the 421, each retry rests the destination again: hold it (relaylab queue hold %s) or delete it",
		strings.TrimSuffix(res.verdict.Advice, "."), key, until.UTC().Format(time.RFC3339), endRestNow(key), c.msgID) + added
}

// endRestNow says how an operator ends the rest of key now.
func endRestNow(key string) string {
	return "to end the rest now, run relaylab queue unrest " + key + ", or press \"End the rest now\" beside it on the web UI's Queue page"
}

// causeMessageRE reads the message out of a rest's cause as the operator
// is told it (restCauseOf's origin).
var causeMessageRE = regexp.MustCompile(`\(message (\S+)\)$`)

// causeMessage is the id of the message whose reply began or lengthened
// the rest (cause), or "" when not known.
func causeMessage(cause restCause) string {
	if m := causeMessageRE.FindStringSubmatch(cause.origin); m != nil {
		return m[1]
	}
	return ""
}

// restBegunBy finds this relay's rest that message msgID's reply began
// or lengthened, ending at until: its key.
func (r *Relay) restBegunBy(msgID string, until time.Time) (string, time.Time, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for key, d := range r.dests {
		d.mu.Lock()
		ok := d.until.Equal(until) && causeMessage(d.cause) == msgID
		d.mu.Unlock()
		if ok {
			return key, until, true
		}
	}
	return "", time.Time{}, false
}
