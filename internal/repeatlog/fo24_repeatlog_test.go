package repeatlog

import (
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/testutil"
)

// TestFO24Limited: 2,000 failures at once are one line with the error
// and the advice; the first failure a minute after it is a second line
// counting every failure since the first; a success within Quiet of the
// last failure ends nothing; one after it says it works again, with the
// count; a failure after that is logged at once again.
func TestFO24Limited(t *testing.T) {
	t.Parallel()
	var buf testutil.SyncBuffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	l := &Limiter{What: "sink: storing a message", Advice: "check the disk", Quiet: 10 * time.Second}
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	full := errors.New("database or disk is full")
	var wg sync.WaitGroup
	for i := range 2000 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l.Failed(log, t0, full, "session", i)
		}()
	}
	wg.Wait()
	l.Worked(log, t0.Add(5*time.Second)) // within Quiet: not over
	l.Failed(log, t0.Add(time.Minute), full)
	l.Failed(log, t0.Add(time.Minute+time.Second), full) // unlogged
	l.Worked(log, t0.Add(time.Minute+5*time.Second))     // within Quiet
	l.Worked(log, t0.Add(time.Minute+11*time.Second))
	l.Worked(log, t0.Add(time.Minute+12*time.Second)) // nothing more
	l.Failed(log, t0.Add(2*time.Minute), full)

	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	want := [][]string{
		{"level=ERROR", `msg="sink: storing a message failed; check the disk"`, `err="database or disk is full"`, "session="},
		{"level=ERROR", `msg="sink: storing a message failed 2,000 more times in the last minute"`, "failures=2001", "since=2026-03-01T12:00:00Z"},
		{"level=INFO", `msg="sink: storing a message works again, after it failed 2,002 times since 2026-03-01T12:00:00Z (1 time after the last line about it)"`, "failures=2002"},
		{"level=ERROR", `msg="sink: storing a message failed; check the disk"`},
	}
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d:\n%s", len(lines), len(want), buf.String())
	}
	for i, ws := range want {
		for _, w := range ws {
			if !strings.Contains(lines[i], w) {
				t.Errorf("line %d lacks %s:\n%s", i+1, w, lines[i])
			}
		}
	}
}

// TestFO24Words: the counts and spans the lines use.
func TestFO24Words(t *testing.T) {
	t.Parallel()
	for n, want := range map[int]string{0: "0", 7: "7", 999: "999", 1000: "1,000", 1234567: "1,234,567", -4321: "-4,321"} {
		if got := Count(n); got != want {
			t.Errorf("Count(%d) = %q, want %q", n, got, want)
		}
	}
	if got := Times(1, "more "); got != "1 more time" {
		t.Errorf("Times(1) = %q", got)
	}
	for d, want := range map[time.Duration]string{time.Minute: "minute", 60400 * time.Millisecond: "minute", 3 * time.Minute: "3 minutes", 90 * time.Second: "1m30s", 8 * time.Second: "8s"} {
		if got := Span(d); got != want {
			t.Errorf("Span(%s) = %q, want %q", d, got, want)
		}
	}
}
