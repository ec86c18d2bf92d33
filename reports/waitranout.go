package reports

import (
	"fmt"
	"strings"
	"time"

	"github.com/relaylab/relaylab/internal/mailaddr"
)

// AddRelayRetries gives the records of d, a sink's record, that are not
// final when the relay of rel (the relay's record of the same store, a
// relaylab serve's) tries their address again: the earliest next attempt
// of its recipients of the address that are not final. WaitRanOut says
// it.
func (d *Data) AddRelayRetries(rel *Data) {
	if rel == nil {
		return
	}
	next := map[string]time.Time{}
	for _, r := range rel.Recipients {
		if r.Final() || r.next.IsZero() {
			continue
		}
		k := mailaddr.Key(r.Address)
		if t, ok := next[k]; !ok || r.next.Before(t) {
			next[k] = r.next
		}
	}
	for _, r := range d.Recipients {
		if !r.Final() {
			r.next = next[mailaddr.Key(r.Address)]
		}
	}
}

// WaitRanOut rewrites the advice of d's records that are deferred when
// expect --wait ran out (after wait, at end): the advice was written for
// a sender that retries ("nothing; it is retried"), which reads as if
// waiting had been enough, where the wait ended first. It says so, when
// the next attempt comes (the relay's, as AddRelayRetries gave it; a
// sender relaylab did not run keeps its own schedule), and what to do.
func (d *Data) WaitRanOut(wait time.Duration, end time.Time) {
	for _, r := range d.Recipients {
		if r.Status != "deferred" {
			continue
		}
		r.Advice = waitRanOutAdvice(wait, end, r.next)
	}
}

// waitRanOutAdvice is the advice of a record still deferred when a wait
// of wait ran out at end; next is when the relay tries it again, zero
// when not known (a sender relaylab did not run).
func waitRanOutAdvice(wait time.Duration, end, next time.Time) string {
	head := fmt.Sprintf("--wait %s ran out while it was deferred, so its sender's next attempt was not seen", wait)
	switch {
	case next.IsZero():
		return head + ": a sender relaylab did not run tries again on its own schedule (Postfix: its queue runs, every queue_run_delay, and minimal_backoff_time); " +
			"raise --wait past that, or shorten the schedule in the test setup"
	case next.After(end):
		head += fmt.Sprintf(": the relay tries it again at %s, %s after the wait ended", next.UTC().Format(time.RFC3339), next.Sub(end).Round(time.Second))
	default:
		head += fmt.Sprintf(": the relay's next attempt was due at %s, before the wait ended, and had not reached the sink (its queue or shaping held it)", next.UTC().Format(time.RFC3339))
	}
	return head + "; raise --wait past it, or shorten the retry schedule in the serve's configuration (relay.retry, such as {kind: list, schedule: [5s, 5s, 5s]}) so that a test's retries come sooner"
}

// waitNotePrefix begins the note of an expect --wait that ran out
// (WaitNote), which the JUnit output gives each failure's text as well
// as its system-out: CI pages show a failure's text, and a failure that
// a longer wait might have turned must say so there.
const waitNotePrefix = "--wait "

// WaitNote is the note of an expect --wait of wait that ran out while
// pending (what it still waited for).
func WaitNote(wait time.Duration, pending string) string {
	return fmt.Sprintf("%s%s ran out while %s: the sink's record was judged as it stood then", waitNotePrefix, wait, pending)
}

// isWaitNote reports whether n is a WaitNote.
func isWaitNote(n string) bool {
	return strings.HasPrefix(n, waitNotePrefix) && strings.Contains(n, " ran out while ")
}
