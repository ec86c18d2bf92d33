package main

import (
	"strings"
	"testing"
	"time"
)

// TestBounceNotSentNamesTheRelay: a pending bounce whose tries failed
// says where the sink sent it (the relay its record or its error names)
// and what failed there, not "relaylab sink's banner says where bounces
// go", which serve's banner does not say and which is no help once
// sink.bounce.relay is set.
func TestBounceNotSentNamesTheRelay(t *testing.T) {
	t.Parallel()
	due := time.Date(2026, 11, 28, 21, 50, 0, 0, time.UTC)
	for _, c := range []struct {
		name, lastErr, relay string
		wants                []string
	}{
		{"refused, relay in the error", "connecting to the bounce relay 127.0.0.1:43301: dial tcp 127.0.0.1:43301: connect: connection refused", "",
			[]string{"tries at 127.0.0.1:43301 (sink.bounce.relay", "nothing listens there"}},
		{"refused by the relay, relay recorded", "550 5.7.1 relaying denied", "127.0.0.1:2526",
			[]string{"tries at 127.0.0.1:2526", "see that 127.0.0.1:2526 takes mail from the sink"}},
	} {
		got := bounceNotSentAt(due, "", "", 2, c.lastErr, c.relay)
		for _, want := range c.wants {
			if !strings.Contains(got, want) {
				t.Errorf("%s: %q lacks %q", c.name, got, want)
			}
		}
		if strings.Contains(got, "banner") {
			t.Errorf("%s: %q points at a banner", c.name, got)
		}
	}
	if got := bounceNotSentAt(due, "", "", 0, "", "127.0.0.1:2526"); !strings.Contains(got, "sends it to 127.0.0.1:2526") || strings.Contains(got, "banner") {
		t.Errorf("untried: %q", got)
	}
}
