// Package repeatlog keeps a failure that repeats many times a second (every
// write to a store on a full disk) from flooding the log: the first failure
// is logged at once with its error and what to do, then at most one line a
// minute says how many times it failed since the line before, and one line
// says when it works again. A full disk under load had written a line per
// session and per message, thousands in seconds, burying everything else.
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

	failing atomic.Bool // a run is on: Worked takes the lock only then
	mu      sync.Mutex
	run     run
}

// run is one run of failures, from the first to the success that ends it.
type run struct {
	since, last, logged time.Time
	n                   int // failures of the run
	unlogged            int // failures since the last line
}

func (l *Limiter) every() time.Duration {
	if l.Every > 0 {
		return l.Every
	}
	return time.Minute
}

// Failed notes a failure at now, and logs it (at ERROR, with attrs and
// err) when it is the first of a run or the first at least Every after
// the run's last line.
func (l *Limiter) Failed(log *slog.Logger, now time.Time, err error, attrs ...any) {
	l.mu.Lock()
	r := &l.run
	if r.n == 0 {
		r.since = now
		l.failing.Store(true)
	}
	r.n++
	r.unlogged++
	r.last = now
	first := r.n == 1
	if !first && now.Sub(r.logged) < l.every() {
		l.mu.Unlock()
		return
	}
	more, window, n, since := r.unlogged, now.Sub(r.logged), r.n, r.since
	r.logged, r.unlogged = now, 0
	l.mu.Unlock()
	if first {
		msg := l.What + " failed"
		if l.Advice != "" {
			msg += "; " + l.Advice
		}
		log.Error(msg, slices.Concat(attrs, []any{"err", err})...)
		return
	}
	log.Error(fmt.Sprintf("%s failed %s in the last %s", l.What, Times(more, "more "), Span(window)),
		slices.Concat(attrs, []any{"err", err, "failures", n, "since", stamp(since)})...)
}

// Worked notes a success at now: when it ends a run (none failed for
// Quiet), it logs (at INFO) that it works again, with the run's count.
// Cheap while nothing fails.
func (l *Limiter) Worked(log *slog.Logger, now time.Time) {
	if !l.failing.Load() {
		return
	}
	l.mu.Lock()
	r := l.run
	if r.n == 0 || now.Sub(r.last) < l.Quiet {
		l.mu.Unlock()
		return
	}
	l.run = run{}
	l.failing.Store(false)
	l.mu.Unlock()
	msg := fmt.Sprintf("%s works again, after it failed %s since %s", l.What, Times(r.n, ""), stamp(r.since))
	if r.unlogged > 0 {
		msg += fmt.Sprintf(" (%s after the last line about it)", Times(r.unlogged, ""))
	}
	log.Info(msg, "failures", r.n, "since", stamp(r.since))
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

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }
