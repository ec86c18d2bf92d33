package reports

import "time"

// heldNow is the hold r is in at the end of its record: its last hold,
// when r is not final, no attempt came after that hold, and it is not a
// release. ok is false otherwise.
func (r *Recipient) heldNow() (Hold, bool) {
	if r.Final() || len(r.Holds) == 0 {
		return Hold{}, false
	}
	h := r.Holds[len(r.Holds)-1]
	if h.Category == handRelease {
		return Hold{}, false
	}
	if n := len(r.Attempts); n > 0 && h.Time.Before(r.Attempts[n-1].Time) {
		return Hold{}, false
	}
	return h, true
}

// state is r's status as the heading of its timeline shows it (the
// text, the Markdown's status column, the HTML's, a JUnit failure, the
// states a clock limit names): Status, except for a recipient held at
// the end of its record (heldNow) that no server deferred, which says
// it is held, by what, and until when. Status itself stays the relay's
// ("deferred" for a hold of its shaping, as the queue has it), which the
// JSON carries and expectations judge; as a heading, "deferred" alone
// read as a server that asked to wait, where the relay held the mail
// back itself. A recipient a server deferred before the hold keeps
// "deferred" and that deferral's category, and its why tells of the
// hold (heldNote, handHeldNote).
func (r *Recipient) state() string {
	h, ok := r.heldNow()
	if !ok || len(r.Attempts) > 0 && r.Status == "deferred" {
		return r.Status
	}
	if h.Category == handHold {
		return "held by hand (relaylab queue hold) since " + h.Time.UTC().Format(time.RFC3339)
	}
	s := "held by the relay's shaping"
	if !h.Until.IsZero() {
		s += " until " + h.Until.UTC().Format(time.RFC3339)
	}
	return s
}

// handHeldNote says, of a recipient a server deferred and that is now
// held by hand (on a sink's record, to which AddRelayHolds gives the
// relay's holds, its status stays the sink's "deferred"), that it is
// held, by whom and since when; "" otherwise. A relay's record has such
// a recipient "held", and why says so in its own words.
func (r *Recipient) handHeldNote() string {
	h, ok := r.heldNow()
	if !ok || h.Category != handHold || len(r.Attempts) == 0 || r.Status == "held" {
		return ""
	}
	return "now held by hand (relaylab queue hold) since " + h.Time.UTC().Format(time.RFC3339) + ": " + h.Text
}

// nextAttemptLine is the line under a deferred recipient's heading that
// says when the relay tries it again (its last deferral's next_attempt,
// or on a sink's record the relay's, AddRelayRetries), relative to its
// queueing as its timeline's times are: the wait it is in, which the
// attempts behind it do not show. "" when there is none to tell: a
// final recipient, one held by hand or released (tried now), or a log
// without the time.
func (r *Recipient) nextAttemptLine() string {
	t, ok := r.nextAttempt()
	if !ok {
		return ""
	}
	return "  next attempt: +" + t.Sub(r.Queued).Round(time.Second).String() + " (" + t.UTC().Format(time.RFC3339) + "), when the relay tries it again"
}

// nextAttempt is when the relay tries a deferred r again (see
// nextAttemptLine).
func (r *Recipient) nextAttempt() (time.Time, bool) {
	if r.Status != "deferred" || r.next.IsZero() {
		return time.Time{}, false
	}
	return r.next, true
}

// beforeDelivery is the words that mark a delivered recipient's earlier
// category and reason (DeferredBeforeDelivery): "held before delivery"
// when only the relay held it back (a rest of its destination, its
// shaping, a hold by hand) and every server it reached took it, else
// "deferred before delivery". A recipient that no server deferred read
// as one a server had asked to wait.
func (r *Recipient) beforeDelivery() string {
	if len(r.Holds) == 0 {
		return "deferred before delivery"
	}
	for _, a := range r.Attempts {
		if a.Code < 200 || a.Code > 299 {
			return "deferred before delivery"
		}
	}
	return "held before delivery"
}
