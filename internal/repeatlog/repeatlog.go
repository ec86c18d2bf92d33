// Package repeatlog keeps a failure that repeats many times a second (every
// write to a store on a full disk) from flooding the log: the first failure
// is logged at once with its error and what to do, then at most one line a
// minute says how many times it failed since the line before, and one line
// says when it works again. A full disk under load had written a line per
// session and per message, thousands in seconds, burying everything else.
// A Limiter words these lines itself; a Throttle makes the same decisions
// and leaves the words to its caller (the store's and the relay
// scheduler's lines keep their own).
package repeatlog

import (
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Limiter limits the log lines of one kind of failure. Set What (and
// Advice) before first use; it is safe for concurrent use. Times come from
// the caller (its clock), so that tests move them.
type Limiter struct {
	// What is what failed, the start of every line: "sink: storing a
	// message" gives "sink: storing a message failed; ...".
	What string
	// Advice follows "<What> failed; " in the first line of a run of
	// failures: what it meant for clients and what to do.
	Advice string
	// Every is the least time between two lines of one run: a minute
	// when zero.
	Every time.Duration
	// Quiet is how long after its last failure a success ends a run:
	// zero ends it at the first success. On a disk that is nearly full,
	// small writes go through between failing ones; a run that ended at
	// each would log its first line again and again.
	Quiet time.Duration

	runs
}

// Failed notes a failure at now, and logs it (at ERROR, with attrs and
// err) when it is the first of a run or the first at least Every after
// the run's last line.
func (l *Limiter) Failed(log *slog.Logger, now time.Time, err error, attrs ...any) {
	ln, ok := l.failed(now, l.Every)
	if !ok {
		return
	}
	if ln.First {
		msg := l.What + " failed"
		if l.Advice != "" {
			msg += "; " + l.Advice
		}
		log.Error(msg, slices.Concat(attrs, []any{"err", err})...)
		return
	}
	log.Error(fmt.Sprintf("%s failed %s in the last %s", l.What, Times(ln.Unlogged, "more "), Span(ln.Window)),
		slices.Concat(attrs, []any{"err", err, "failures", ln.Failures, "since", Stamp(ln.Since)})...)
}

// Worked notes a success at now: when it ends a run (none failed for
// Quiet), it logs (at INFO) that it works again, with the run's count.
// Cheap while nothing fails.
func (l *Limiter) Worked(log *slog.Logger, now time.Time) {
	ln, ok := l.worked(now, l.Quiet)
	if !ok {
		return
	}
	msg := fmt.Sprintf("%s works again, after it failed %s since %s", l.What, Times(ln.Failures, ""), Stamp(ln.Since))
	if ln.Unlogged > 0 {
		msg += fmt.Sprintf(" (%s after the last line about it)", Times(ln.Unlogged, ""))
	}
	log.Info(msg, "failures", ln.Failures, "since", Stamp(ln.Since))
}

// Throttle is a Limiter without its wording, for a caller whose lines
// say something else (the store's, whose count is failed_commits; the
// relay scheduler's, one message with the count beside it): it decides
// which failures are logged and counts them, and the caller words the
// lines. Safe for concurrent use; times come from the caller.
type Throttle struct {
	// Every is the least time between two lines of one run: a minute
	// when zero.
	Every time.Duration
	// Quiet is how long after its last failure a success ends a run, as
	// Limiter.Quiet.
	Quiet time.Duration

	runs
}

// Failed notes a failure at now; ok says to log it, as the first of a
// run or the first at least Every after the run's last line.
func (t *Throttle) Failed(now time.Time) (ln Line, ok bool) { return t.failed(now, t.Every) }

// Worked notes a success at now; ok says it ended a run (none failed
// for Quiet), to log that it works again. Cheap while nothing fails.
func (t *Throttle) Worked(now time.Time) (ln Line, ok bool) { return t.worked(now, t.Quiet) }

// Line is what a line about a run of failures can say.
type Line struct {
	// First says the line is the run's first.
	First bool
	// Failures counts the run's failures so far (the whole run, for the
	// line that ends it).
	Failures int
	// Unlogged counts the failures since the run's line before this one
	// (this failure among them), or, for the line that ends it, after
	// its last line.
	Unlogged int
	// Since is the time of the run's first failure.
	Since time.Time
	// Window is the time since the run's line before this one: 0 for
	// the first.
	Window time.Duration
}

// runs is the state of one kind of failure that Limiter and Throttle
// share: the run on, if any.
type runs struct {
	failing atomic.Bool // a run is on: worked takes the lock only then
	mu      sync.Mutex
	run     run
}

// run is one run of failures, from the first to the success that ends it.
type run struct {
	since, last, logged time.Time
	n                   int // failures of the run
	unlogged            int // failures since the last line
}

// Failures is how many times it failed in the run that is on: 0 when
// none is (it works). Cheap while nothing fails.
func (rs *runs) Failures() int {
	if !rs.failing.Load() {
		return 0
	}
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return rs.run.n
}

func (rs *runs) failed(now time.Time, every time.Duration) (Line, bool) {
	if every <= 0 {
		every = time.Minute
	}
	rs.mu.Lock()
	defer rs.mu.Unlock()
	r := &rs.run
	if r.n == 0 {
		r.since = now
		rs.failing.Store(true)
	}
	r.n++
	r.unlogged++
	r.last = now
	first := r.n == 1
	if !first && now.Sub(r.logged) < every {
		return Line{}, false
	}
	ln := Line{First: first, Failures: r.n, Unlogged: r.unlogged, Since: r.since}
	if !first {
		ln.Window = now.Sub(r.logged)
	}
	r.logged, r.unlogged = now, 0
	return ln, true
}

func (rs *runs) worked(now time.Time, quiet time.Duration) (Line, bool) {
	if !rs.failing.Load() {
		return Line{}, false
	}
	rs.mu.Lock()
	defer rs.mu.Unlock()
	r := rs.run
	if r.n == 0 || now.Sub(r.last) < quiet {
		return Line{}, false
	}
	rs.run = run{}
	rs.failing.Store(false)
	return Line{Failures: r.n, Unlogged: r.unlogged, Since: r.since}, true
}

// Times is "1 time", "2 more times" (with word "more "), "1,234 times".
func Times(n int, word string) string {
	if n == 1 {
		return "1 " + word + "time"
	}
	return Count(n) + " " + word + "times"
}

// Count is n with its thousands grouped: "1,234".
func Count(n int) string {
	s := strconv.Itoa(n)
	neg := s[0] == '-'
	if neg {
		s = s[1:]
	}
	out := make([]byte, 0, len(s)+len(s)/3+1)
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	if neg {
		return "-" + string(out)
	}
	return string(out)
}

// Span is d for "in the last ...": "minute", "3 minutes", or "1m30s"
// (to the second) when it is not whole minutes.
func Span(d time.Duration) string {
	d = d.Round(time.Second)
	switch {
	case d == time.Minute:
		return "minute"
	case d > 0 && d%time.Minute == 0:
		return strconv.Itoa(int(d/time.Minute)) + " minutes"
	}
	return d.String()
}

// Stamp is t as the lines' since attribute gives it: RFC 3339, in UTC.
func Stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }
