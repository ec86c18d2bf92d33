package relay

import (
	"fmt"
	"strings"
	"time"
)

// SkippedPath is a path of a route that an attempt did not try for a
// recipient, because the relay's own shaping held it back (its
// destination resting after a 421 or rate limit, its warm-up cap), before
// the attempt went on to the route's next path. Without it a failover
// showed the mail going to the second path with no word of the first.
type SkippedPath struct {
	Path string `json:"path"`
	// Text says why, with the hold's end and the reply that began it:
	// "path primary not tried: its destination path:primary rests until
	// T after 2 failures, the last: 421 4.3.2 ...".
	Text     string    `json:"text"`
	Until    time.Time `json:"until,omitzero"`
	Category string    `json:"category,omitempty"`
}

// restSkipText is the SkippedPath text of path name, whose destination
// key rests until until after failures replies that asked for a rest (0:
// not known, a rest restored from the store at start), the last of them
// cause (a restCause's public text; "" when not known).
func restSkipText(name, key string, until time.Time, failures int, cause string) string {
	after := "a 421 or rate limit"
	switch {
	case cause != "" && failures == 1:
		after = "1 failure: " + cause
	case cause != "" && failures > 1:
		after = fmt.Sprintf("%d failures, the last: %s", failures, cause)
	case cause != "":
		after = cause
	}
	return fmt.Sprintf("path %s not tried: its destination %s rests until %s after %s", name, key, until.UTC().Format(time.RFC3339), after)
}

// heldSkipText is the SkippedPath text of path name for another hold of
// the relay's shaping (its warm-up cap), whose reply text says why.
func heldSkipText(name, hold string) string {
	return "path " + name + " not tried: " + strings.TrimPrefix(hold, "not tried: ")
}

// skipsOf places the paths skipped for each recipient of a job (results'
// skipped) on the events record writes: each on the first attempt event
// of the recipient on a later path of the route (onAttempt, by place in
// log), as that exchange came after the skip; those no later attempt
// followed (the next path held it too, or its lookup bounced at once) on
// the recipient's outcome event (onOutcome, by recipient).
func skipsOf(j *job, results []result, log []attempt) (onAttempt map[int][]SkippedPath, onOutcome map[int][]SkippedPath) {
	order := make(map[string]int, len(j.paths))
	for k, p := range j.paths {
		order[p.cfg.Name] = k
	}
	left := make(map[int][]SkippedPath)
	for i, res := range results {
		if len(res.skipped) > 0 {
			left[i] = res.skipped
		}
	}
	if len(left) == 0 {
		return nil, nil
	}
	onAttempt = map[int][]SkippedPath{}
	for k, a := range log {
		s := left[a.rcpt]
		n := 0
		for n < len(s) && order[s[n].Path] < order[a.path] {
			n++
		}
		if n > 0 {
			onAttempt[k] = s[:n]
			left[a.rcpt] = s[n:]
		}
	}
	onOutcome = map[int][]SkippedPath{}
	for i, s := range left {
		if len(s) > 0 {
			onOutcome[i] = s
		}
	}
	return onAttempt, onOutcome
}

// skipTexts is the texts of skipped, for the log.
func skipTexts(skipped []SkippedPath) string {
	out := make([]string, len(skipped))
	for k, s := range skipped {
		out[k] = s.Text
	}
	return strings.Join(out, "; ")
}
