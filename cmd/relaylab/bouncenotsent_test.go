package main

import (
	"strings"
	"testing"
	"time"
)

// TestBounceNotSentSaysFailedTries: a pending bounce whose tries failed
// says how many and why the last did, not "is due at ... and not sent
// yet" with its first due time.
func TestBounceNotSentSaysFailedTries(t *testing.T) {
	t.Parallel()
	due := time.Date(2026, 11, 28, 21, 50, 0, 0, time.UTC)
	got := bounceNotSent(due, "", "", 2, "dial tcp 127.0.0.1:2587: connect: connection refused")
	for _, want := range []string{"2 of its 5 tries", "connection refused", "the next is at 2026-11-28T21:50:00Z", "sink.bounce.relay"} {
		if !strings.Contains(got, want) {
			t.Errorf("bounceNotSent = %q, want it to say %q", got, want)
		}
	}
	if got := bounceNotSent(due, "", "", 0, ""); !strings.HasPrefix(got, "is due at 2026-11-28T21:50:00Z and not sent yet") {
		t.Errorf("untried: %q", got)
	}
}
