package repeatlog

import (
	"testing"
	"time"
)

// TestFO3Throttle: a Throttle decides as a Limiter does, without words:
// the first failure of a run and the first Every after the last line are
// to be logged, with the run's count, the failures since the line before
// and when the run began; a success within Quiet of the last failure ends
// nothing, one after it ends the run (once), and Failures counts the run
// that is on (the relay's scheduler pauses by it).
func TestFO3Throttle(t *testing.T) {
	t.Parallel()
	th := &Throttle{Every: 30 * time.Second, Quiet: 5 * time.Second}
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	at := func(s int) time.Time { return t0.Add(time.Duration(s) * time.Second) }
	if n := th.Failures(); n != 0 {
		t.Errorf("Failures() = %d before any failure, want 0", n)
	}
	if _, ok := th.Worked(at(0)); ok {
		t.Error("a success before any failure ends a run")
	}
	type step struct {
		s      int
		failed bool
		ok     bool
		want   Line
	}
	for i, st := range []step{
		{0, true, true, Line{First: true, Failures: 1, Unlogged: 1, Since: at(0)}},
		{10, true, false, Line{}},
		{29, true, false, Line{}},
		{30, true, true, Line{Failures: 4, Unlogged: 3, Since: at(0), Window: 30 * time.Second}},
		{31, true, false, Line{}},
		{34, false, false, Line{}}, // within Quiet
		{36, false, true, Line{Failures: 5, Unlogged: 1, Since: at(0)}},
		{37, false, false, Line{}}, // ended already
		{38, true, true, Line{First: true, Failures: 1, Unlogged: 1, Since: at(38)}},
	} {
		var ln Line
		var ok bool
		if st.failed {
			ln, ok = th.Failed(at(st.s))
		} else {
			ln, ok = th.Worked(at(st.s))
		}
		if ok != st.ok || ln != st.want {
			t.Errorf("step %d (at %ds, failed %v): %+v, %v; want %+v, %v", i, st.s, st.failed, ln, ok, st.want, st.ok)
		}
	}
	if n := th.Failures(); n != 1 {
		t.Errorf("Failures() = %d in a run of one, want 1", n)
	}
	// Every and Quiet left zero: a minute between lines, and the first
	// success ends the run.
	var z Throttle
	z.Failed(at(0))
	if _, ok := z.Failed(at(59)); ok {
		t.Error("a zero Every logged a failure 59 s after the line before")
	}
	if ln, ok := z.Failed(at(60)); !ok || ln.Failures != 3 || ln.Unlogged != 2 {
		t.Errorf("a minute after the first line: %+v, %v; want a line counting 3, 2 unlogged", ln, ok)
	}
	if ln, ok := z.Worked(at(60)); !ok || ln.Failures != 3 || ln.Unlogged != 0 {
		t.Errorf("a success with Quiet zero: %+v, %v; want the run ended, counting 3", ln, ok)
	}
	if n := z.Failures(); n != 0 {
		t.Errorf("Failures() = %d after the run ended, want 0", n)
	}
}
