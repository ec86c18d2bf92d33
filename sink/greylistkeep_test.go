package sink

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/config"
)

// greylist.expiry is the retry window after the first attempt only: a
// triple that passed stays let through for greylist.keep_passed (default
// 35 days, as postgrey) after its last delivery, also across a restart.
// It used to be greylisted again after expiry (4h) without a delivery.
func TestGreylistKeepsPassedTriples(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	v := clock.NewVirtual(start)
	path := filepath.Join(t.TempDir(), "sink.db")
	rules := func(c *Config) {
		c.Rules = []Rule{
			{Name: "short", Stage: "rcpt", Recipient: "short@sink.test", Greylist: &GreylistRule{Delay: ptr(config.Duration(5 * time.Minute)), Expiry: ptr(config.Duration(4 * time.Hour)), KeepPassed: ptr(config.Duration(time.Hour))}},
			{Name: "grey", Stage: "rcpt", Greylist: &GreylistRule{Delay: ptr(config.Duration(5 * time.Minute)), Expiry: ptr(config.Duration(4 * time.Hour))}},
		}
	}
	s, st := testSinkAt(t, path, v, rules)
	addr := addrOf(t, s, "mx")
	steps := []struct {
		advance time.Duration
		rcpt    string
		want    int
		why     string
	}{
		{0, "a@sink.test", 451, "first contact"},
		{0, "short@sink.test", 451, "first contact"},
		{6 * time.Minute, "a@sink.test", 250, "retried within the window"},
		{0, "short@sink.test", 250, "retried within the window"},
		{5 * time.Hour, "a@sink.test", 250, "passed 5h ago: past expiry, within keep_passed"},
		{0, "short@sink.test", 451, "passed 5h ago: past its keep_passed of 1h"},
	}
	for i, sp := range steps {
		v.Advance(sp.advance)
		if got := rcptReply(t, addr, "s@x.test", sp.rcpt); got != sp.want {
			t.Fatalf("step %d (%s, %s): got %d, want %d", i, sp.rcpt, sp.why, got, sp.want)
		}
	}
	waitSessions(t, st, len(steps))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	st.Close()

	// Kept in the store: after a restart and 30 idle days, still through.
	s2, _ := testSinkAt(t, path, v, rules)
	v.Advance(30 * 24 * time.Hour)
	if got := rcptReply(t, addrOf(t, s2, "mx"), "s@x.test", "a@sink.test"); got != 250 {
		t.Fatalf("30 days after its last delivery, after a restart: got %d, want 250", got)
	}
	v.Advance(36 * 24 * time.Hour)
	if got := rcptReply(t, addrOf(t, s2, "mx"), "s@x.test", "a@sink.test"); got != 451 {
		t.Fatalf("36 days after its last delivery: got %d, want 451", got)
	}
}

// keep_passed is checked as the other durations are.
func TestGreylistKeepPassedChecked(t *testing.T) {
	t.Parallel()
	_, err := decodeSink(t, "sink:\n  rules:\n    - {stage: rcpt, greylist: {delay: 1m, keep_passed: -1h}}\n")
	wantInOrder(t, "negative keep_passed", err, "sink.yaml:3:", "sink.rules[0].greylist.keep_passed:", "-1h0m0s: must not be negative")
}
