package scenario

import (
	"fmt"
	"time"

	"github.com/relaylab/relaylab/internal/config"
)

// checkReach refuses, at load, the expectations that the clock limit
// rules out whatever the sink answers: an attempt_times entry after the
// limit (counted from the first message's at, the earliest any attempt
// can be), and with a list schedule an attempts count whose last attempt
// the schedule puts after it. Such a replay could only stop at the limit
// with the expectation not judged. The error names the expectation's key
// and the keys that decide: clock.limit, relay.retry.
func (sc *Scenario) checkReach() []error {
	if len(sc.Messages) == 0 || sc.Clock.Limit < 0 || len(config.BadUnder(sc.bad, "clock.limit")) > 0 ||
		sc.Clock.Limit == 0 && config.KeyLine(sc.data, "clock.limit") > 0 {
		return nil // the limit has a problem of its own
	}
	first := sc.Messages[0].At.D()
	for _, m := range sc.Messages {
		first = min(first, m.At.D())
	}
	limit := sc.limit()
	which := "the default clock limit, " + limit.String() + " (set clock.limit for more)"
	if sc.Clock.Limit > 0 {
		which = "clock.limit, " + limit.String()
	}
	var errs []error
	for i, r := range sc.Expect.Recipients {
		k := fmt.Sprintf("expect.recipients[%d]", i)
		for j, at := range r.AttemptTimes {
			if first+at.D() > limit {
				errs = append(errs, config.Errorf(fmt.Sprintf("%s.attempt_times[%d]", k, j), "+%s is after %s, counted from the first message's at (+%s): the replay stops at the limit first, so that attempt could never be seen; raise clock.limit, or shorten the retry policy (relay.retry) and its times",
					at, which, sc.Messages[0].At))
				break
			}
		}
		if len(r.AttemptTimes) > 0 || !r.Attempts.Set || r.Attempts.Min < 2 {
			continue
		}
		if at, ok := sc.earliestAttempt(r.Attempts.Min); ok && first+at > limit {
			errs = append(errs, config.Errorf(k+".attempts", "%s: the retry schedule (relay.retry) puts attempt %d at +%s at the earliest, after %s: the replay stops at the limit first, so %d attempts could never be seen; raise clock.limit, or shorten relay.retry.schedule",
				r.Attempts, r.Attempts.Min, at, which, r.Attempts.Min))
		}
	}
	return errs
}

// earliestAttempt is when attempt n of a message comes at the earliest
// under a list schedule, from its queueing: the schedule's delays before
// it, or the one last attempt at max_age, if sooner; ok false for a
// schedule of another kind (its delays depend on the message's age or
// on jitter) or when max_attempts rules the attempt out.
func (sc *Scenario) earliestAttempt(n int) (time.Duration, bool) {
	rp := sc.Relay.Retry.Resolved()
	if rp.Kind != "list" || len(rp.Schedule) == 0 || rp.MaxAttempts > 0 && n > rp.MaxAttempts {
		return 0, false
	}
	var at time.Duration
	for i := 1; i < n; i++ {
		at += rp.Schedule[min(i, len(rp.Schedule))-1].D()
	}
	if rp.MaxAge > 0 {
		at = min(at, rp.MaxAge.D())
	}
	return at, true
}
