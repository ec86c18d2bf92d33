package sink

import (
	"context"
	"fmt"
	"maps"
	"path/filepath"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/config"
	"github.com/relaylab/relaylab/internal/store"
)

// sizes are the entries of the state's maps: pairs, messages, greylist.
func sizes(s *Sink) [3]int {
	st := s.state
	st.mu.Lock()
	defer st.mu.Unlock()
	return [3]int{len(st.pairs), len(st.msgs), len(st.grey)}
}

// pairCounts are the attempt counters of the pairs, by key.
func pairCounts(s *Sink) map[string]int32 {
	st := s.state
	st.mu.Lock()
	defer st.mu.Unlock()
	out := map[string]int32{}
	for k, c := range st.pairs {
		out[k] = c.n
	}
	return out
}

// The sweep forgets greylist entries once they have expired, in memory and
// in the store, those read back at a restart too, so that triples that
// never pass do not stay for the life of the process (nor of the store);
// what a client sees does not change. They used to stay for ever.
func TestSweepForgetsExpiredGreylist(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	v := clock.NewVirtual(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	path := filepath.Join(t.TempDir(), "sink.db")
	rules := func(c *Config) {
		c.Rules = []Rule{{Name: "grey", Stage: "rcpt", Recipient: "*@grey.test",
			Greylist: &GreylistRule{Delay: ptr(config.Duration(5 * time.Minute)), Expiry: ptr(config.Duration(4 * time.Hour)), KeepPassed: ptr(config.Duration(48 * time.Hour))}}}
	}
	s, st := testSinkAt(t, path, v, rules)
	addr := addrOf(t, s, "mx")
	rows := func(st *store.Store) int { return itCount(t, st.DB(), `SELECT COUNT(*) FROM sink_greylist`) }
	const never = 40
	for i := 0; i < never; i++ {
		if got := rcptReply(t, addr, "s@x.test", fmt.Sprintf("n%d@grey.test", i)); got != 451 {
			t.Fatalf("first contact %d: %d", i, got)
		}
	}
	if got := rcptReply(t, addr, "s@x.test", "passes@grey.test"); got != 451 {
		t.Fatalf("passes, first contact: %d", got)
	}
	v.Advance(6 * time.Minute)
	if got := rcptReply(t, addr, "s@x.test", "passes@grey.test"); got != 250 {
		t.Fatalf("passes, retried: %d", got)
	}
	waitSessions(t, st, never+2)
	if n := rows(st); n != never+1 {
		t.Fatalf("%d greylist rows, want %d", n, never+1)
	}

	// 5 hours on: the 40 triples never retried are past their window.
	v.Advance(5 * time.Hour)
	if err := s.sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if got := sizes(s)[2]; got != 1 {
		t.Errorf("greylist entries in memory after the window: %d, want 1 (the one that passed)", got)
	}
	if n := rows(st); n != 1 {
		t.Errorf("greylist rows after the window: %d, want 1", n)
	}
	// As before: an expired triple starts over, one that passed goes through.
	if got := rcptReply(t, addr, "s@x.test", "n0@grey.test"); got != 451 {
		t.Errorf("an expired triple: %d, want 451 (a first contact)", got)
	}
	if got := rcptReply(t, addr, "s@x.test", "passes@grey.test"); got != 250 {
		t.Errorf("a triple that passed: %d, want 250", got)
	}
	// A directive's greylisting, with a longer window (2 × 3h).
	if got := rcptReply(t, addr, "s@x.test", "greylist3h+d@sink.test"); got != 451 {
		t.Fatalf("directive, first contact: %d", got)
	}
	waitSessions(t, st, never+5)
	if err := s.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	st.Close()

	// Read back at a restart, where nothing says which greylisting made
	// them: each is kept for the longest that could have (the rules' 4h,
	// the directive's 6h, the rules' keep_passed of 48h).
	s2, st2 := testSinkAt(t, path, v, rules)
	v.Advance(5 * time.Hour)
	if err := s2.sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if n, mem := rows(st2), sizes(s2)[2]; n != 2 || mem != 2 {
		t.Errorf("5h after, after a restart: %d rows, %d in memory, want 2 (the directive's, the one that passed)", n, mem)
	}
	v.Advance(49 * time.Hour)
	if err := s2.sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if n, mem := rows(st2), sizes(s2)[2]; n != 0 || mem != 0 {
		t.Errorf("past keep_passed: %d rows, %d in memory, want none", n, mem)
	}
}

// A prune takes the attempt counters of the rows it deletes out of a
// running sink's memory too: after the sweep, each counter no open session
// uses is what a restart would read from the store, so a pair whose
// attempts were all pruned counts from 1 again (as after a restart), one
// with attempts left goes on, and one an open session counted goes on
// too (its attempts are written when it ends). They used to stay in
// memory until a restart.
func TestPruneReleasesCountersInMemory(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	v := clock.NewVirtual(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	path := filepath.Join(t.TempDir(), "sink.db")
	s, st := testSinkAt(t, path, v, nil)
	addr := addrOf(t, s, "mx")
	const unique = 30
	for i := 0; i < unique; i++ {
		if got := rcptReply(t, addr, "a@x.test", fmt.Sprintf("u%d@sink.test", i)); got != 250 {
			t.Fatalf("u%d: %d", i, got)
		}
	}
	for i, want := range []int{451, 451} {
		if got := rcptReply(t, addr, "a@x.test", "defer2+old@sink.test"); got != want {
			t.Fatalf("old, attempt %d: %d", i+1, got)
		}
	}
	c := dial(t, addr)
	c.greet()
	if code, msg := c.send("a@x.test", "msg@sink.test", testMsg); code != 250 {
		t.Fatalf("message: %d %s", code, msg)
	}
	c.cmd("QUIT")
	waitSessions(t, st, unique+3)
	// The sweep of every minute: a session that begins after it does not
	// keep what was counted before it in memory.
	if err := s.sweep(ctx); err != nil {
		t.Fatal(err)
	}
	open := dial(t, addr) // open across the prune
	open.greet()
	open.expect(250, "", "MAIL FROM:<a@x.test>")
	open.expect(451, "", "RCPT TO:<defer2+open@sink.test>")

	v.Advance(2 * time.Hour)
	if got := rcptReply(t, addr, "a@x.test", "defer2+new@sink.test"); got != 451 {
		t.Fatalf("new, attempt 1: %d", got)
	}
	waitSessions(t, st, unique+4)
	before := sizes(s)
	if before != [3]int{unique + 4, 1, 0} {
		t.Fatalf("before the prune: %v", before)
	}
	if _, err := st.Prune(ctx, v.Now().Add(-time.Hour), store.PruneOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := s.sweep(ctx); err != nil {
		t.Fatal(err)
	}
	// The open session's pair and the new one stay; the message's
	// Message-ID goes with its row.
	if got := sizes(s); got != [3]int{2, 0, 0} {
		t.Errorf("after the prune and a sweep: %v, want 2 pairs (open, new), no message", got)
	}
	if got := rcptReply(t, addr, "a@x.test", "defer2+old@sink.test"); got != 451 {
		t.Errorf("old, after its attempts were pruned: %d, want 451 (attempt 1 again, as after a restart)", got)
	}
	open.expect(451, "", "RCPT TO:<defer2+open@sink.test>") // attempt 2
	open.cmd("QUIT")
	for i, want := range []int{451, 250} {
		if got := rcptReply(t, addr, "a@x.test", "defer2+new@sink.test"); got != want {
			t.Errorf("new, attempt %d: %d, want %d", i+2, got, want)
		}
	}
	if err := s.Flush(ctx); err != nil { // the sessions since the prune
		t.Fatal(err)
	}
	running := pairCounts(s)
	if err := s.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	st.Close()
	s2, _ := testSinkAt(t, path, v, nil)
	if restarted := pairCounts(s2); !maps.Equal(running, restarted) {
		t.Errorf("the running sink counted\n%v\nwhere a restart reads\n%v", running, restarted)
	}
}
