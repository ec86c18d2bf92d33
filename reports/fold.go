package reports

import (
	"fmt"
	"strings"
	"time"
)

// A fold is a run of tries that repeat, which a timeline prints as one
// line: the same try again and again (a host that answers 452 for days),
// or a cycle of tries that comes round again (a route's primary and
// backup paths both refusing: each try reaching both, or tries that
// alternate between them). The JSON keeps every attempt.
type fold struct {
	first, last int // the attempts (indexes in Attempts) the fold begins and ends with
	period      int // tries per cycle: 1 for the same try repeated
	cycles      int // how many times the cycle came
	tries       int // tries folded: period × cycles
}

// maxPeriod is the longest cycle of tries a timeline folds: a route's
// paths taken in turn, or an MX walk's hosts, seldom number more.
const maxPeriod = 4

// minCycles is how many times a try, or a cycle of them, must come in a
// row to be folded: two would save no line worth the reader's trouble.
const minCycles = 3

// tryIndex is what foldAt needs of a recipient's tries, worked out once
// per timeline: a recipient the sink saw a hundred thousand times must
// not cost a pass over every attempt for each line.
type tryIndex struct {
	starts []int       // the index in Attempts of each try's first exchange
	of     map[int]int // the try (an index of starts) an attempt begins
	sigs   []string    // each try's hosts, replies and notes, to compare tries by
}

func (r *Recipient) tryIndex() *tryIndex {
	x := &tryIndex{starts: r.tries(), of: map[int]int{}}
	for t, i := range x.starts {
		x.of[i] = t
		var parts []string
		for j := i; j < x.end(t, len(r.Attempts)); j++ {
			a := r.Attempts[j]
			parts = append(parts, strings.Join([]string{a.Path, a.Host, a.Shown(), a.TLS, a.By, a.WalkStopped, a.Auth.String()}, "\x00"))
		}
		x.sigs = append(x.sigs, strings.Join(parts, "\x01"))
	}
	return x
}

// end is one past try t's last exchange, of n attempts in all.
func (x *tryIndex) end(t, n int) int {
	if t+1 < len(x.starts) {
		return x.starts[t+1]
	}
	return n
}

// foldAt is the fold that begins at attempt i, the first exchange of a
// try, when one does: the period (1 to maxPeriod) whose whole cycles
// cover the most tries from there, the shorter on a tie; no fold spans
// a hold of the relay's shaping (from the h-th on), nor a DSN's step at
// stop (zero: none to come), which are printed in their place. ok is
// false when no run from i is worth folding.
func (r *Recipient) foldAt(x *tryIndex, i, h int, stop time.Time) (f fold, ok bool) {
	t, ok := x.of[i]
	if !ok {
		return fold{}, false
	}
	// clear is whether no hold, and no DSN, comes before try k's last
	// exchange.
	clear := func(k int) bool {
		last := r.Attempts[x.end(k, len(r.Attempts))-1].Time
		return (h >= len(r.Holds) || !r.Holds[h].Time.Before(last)) && (stop.IsZero() || !stop.Before(last))
	}
	if !clear(t) {
		return fold{}, false
	}
	best := fold{}
	for p := 1; p <= maxPeriod; p++ {
		n := 0 // tries from t that repeat the cycle of p
		for k := t; k < len(x.starts) && clear(k); k++ {
			if k >= t+p && x.sigs[k] != x.sigs[k-p] {
				break
			}
			n++
		}
		if c := n / p; c >= minCycles && c*p > best.tries {
			best = fold{first: i, last: x.starts[t+c*p-1], period: p, cycles: c, tries: c * p}
		}
	}
	return best, best.tries > 0
}

// foldLine is f as a timeline prints it: the tries' numbers and times,
// then each try of the cycle (each host it reached, in order), and how
// often (try is r.tryNumbers()): "#3-#241 +10m0s ... +119h0m0s primary 127.0.0.1 535 ..., then
// backup 127.0.0.1 535 ...  (239 times)", or for a cycle of several
// tries "(alternating, 120 times each)".
func (r *Recipient) foldLine(f fold, try []int, at func(time.Time) string, tail func(Attempt) string) string {
	var cycle []string
	var one []string
	for j := f.first; j < len(r.Attempts) && len(cycle) < f.period; j++ {
		a := r.Attempts[j]
		one = append(one, fmt.Sprintf("%s %s %s%s", a.Path, a.Host, a.Shown(), tail(a)))
		if j+1 == len(r.Attempts) || try[j+1] != try[j] {
			cycle = append(cycle, strings.Join(one, ", then "))
			one = nil
		}
	}
	how := fmt.Sprintf("(%d times)", f.cycles)
	switch {
	case f.period == 2:
		how = fmt.Sprintf("(alternating, %d times each)", f.cycles)
	case f.period > 2:
		how = fmt.Sprintf("(in turn, %d times each)", f.cycles)
	}
	return fmt.Sprintf("#%d-#%d %s ... %s %s  %s", try[f.first], try[f.last], at(r.Attempts[f.first].Time), at(r.Attempts[f.last].Time), strings.Join(cycle, "; "), how)
}

// foldEnd is one past the last attempt of f; try is r.tryNumbers().
func (r *Recipient) foldEnd(f fold, try []int) int {
	j := f.last + 1
	for j < len(r.Attempts) && try[j] == try[f.last] {
		j++
	}
	return j
}
