package main

import (
	"testing"
	"time"

	"github.com/relaylab/relaylab/sink"
)

// TestDemoRoundsStartAfresh: each demo round tags its addresses with a
// piece the sink takes as a plain name, so that every directive of the
// round still parses as before and counts from its first attempt (the
// sink counts per sender and recipient: a new recipient each round),
// and no address but the one kept for the suppression list repeats
// from round to round. Before, defer1 and greylist30s were used up and
// the bounces only "suppressed" after the first round.
func TestDemoRoundsStartAfresh(t *testing.T) {
	t.Parallel()
	r1 := demoTag(time.Date(2026, 11, 30, 16, 0, 0, 0, time.UTC))
	r2 := demoTag(time.Date(2026, 11, 30, 16, 0, 33, 0, time.UTC))
	for _, to := range demoRecipients {
		a, b := demoTagged(to, r1), demoTagged(to, r2)
		if to == demoKept {
			if a != to || b != to {
				t.Errorf("%s: tagged %s, %s; want it kept", to, a, b)
			}
			continue
		}
		if a == b {
			t.Errorf("%s: both rounds send to %s", to, a)
		}
		want, got := sink.ParseDirectives(to), sink.ParseDirectives(a)
		if len(got) != len(want) {
			t.Errorf("%s tagged %s: directives %v, want %v", to, a, got, want)
			continue
		}
		for i := range got {
			if got[i].Text != want[i].Text {
				t.Errorf("%s tagged %s: directive %q, want %q", to, a, got[i].Text, want[i].Text)
			}
		}
	}
}
