package smtpload

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestFC2GiveUpSaysTheRestOnlyWhenThereIsOne: a run against a port where
// nothing listens whose last message's failed dial is the one that makes
// it give up tried every message: its reason no longer says "the rest of
// the messages were not tried" (there was none), while a run with
// messages left says it still.
func TestFC2GiveUpSaysTheRestOnlyWhenThereIsOne(t *testing.T) {
	t.Parallel()
	rest := "the rest of the messages were not tried"
	// 10 sessions give up after 20 failed dials: with 20 messages, the
	// 20th dial is the last message's.
	for _, tc := range []struct {
		messages int
		rest     bool
	}{{20, false}, {1000, true}} {
		cfg := Config{Target: deadPort(t), Sessions: 10, Messages: tc.messages, Size: 100, Rcpts: 1, Reuse: 1, To: "u{n}@sink.test",
			Clock: &stepClock{now: time.Now()}, GiveUp: time.Hour}
		res, err := Run(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		why := res.GaveUp
		if !tc.rest {
			why = res.LastFailures // nothing was left to give up on (TestFXGiveUpAtTheLastMessage)
		}
		if !strings.Contains(why, "none of the first 20 connections") {
			t.Fatalf("%d messages: GaveUp = %q, LastFailures = %q; want the failures of the first 20 connections", tc.messages, res.GaveUp, res.LastFailures)
		}
		if tc.rest != (res.Attempted < tc.messages) {
			t.Fatalf("%d messages: %d tried; the test wants them all tried: %v", tc.messages, res.Attempted, !tc.rest)
		}
		if got := strings.Contains(res.GaveUp, rest); got != tc.rest {
			t.Errorf("%d messages, %d tried: GaveUp = %q; says the rest was not tried: %v, want %v", tc.messages, res.Attempted, res.GaveUp, got, tc.rest)
		}
	}
}
