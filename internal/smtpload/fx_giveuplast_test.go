package smtpload

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestFXGiveUpAtTheLastMessage: a run whose give-up test fires at its
// last message (20 messages, whose 20 failed dials are what gives up on a
// dead target) stopped nothing: it ended with every message tried
// (EndedAll, no GaveUp), and LastFailures says how the last ones failed,
// with the last failure in GaveUpStage and GaveUpErr. It ended as given
// up, and load said "stopped early (--give-up)" and "the run gave up
// early" of a run that had tried every message. A run with messages left
// still gives up.
func TestFXGiveUpAtTheLastMessage(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		messages int
		ended    string
	}{{20, EndedAll}, {1000, EndedGaveUp}} {
		cfg := Config{Target: deadPort(t), Sessions: 10, Messages: tc.messages, Size: 100, Rcpts: 1, Reuse: 1, To: "u{n}@sink.test",
			Clock: &stepClock{now: time.Now()}, GiveUp: time.Hour}
		res, err := Run(context.Background(), cfg)
		if err != nil {
			t.Fatal(err)
		}
		checkAddsUp(t, res)
		if res.Ended != tc.ended {
			t.Errorf("%d messages, %d tried: ended %q, want %q", tc.messages, res.Attempted, res.Ended, tc.ended)
		}
		if res.GaveUpStage != StageConnect || res.GaveUpErr == nil {
			t.Errorf("%d messages: last failure at %q (%v), want the failed dial", tc.messages, res.GaveUpStage, res.GaveUpErr)
		}
		const why = "none of the first 20 connections"
		switch tc.ended {
		case EndedAll:
			if res.Attempted != tc.messages || res.GaveUp != "" || !strings.Contains(res.LastFailures, why) || !strings.Contains(res.LastFailures, "is the target running") {
				t.Errorf("%d of %d tried: GaveUp %q, LastFailures %q; want all tried, no give-up, and how the last ones failed", res.Attempted, tc.messages, res.GaveUp, res.LastFailures)
			}
		default:
			if res.LastFailures != "" || !strings.Contains(res.GaveUp, why) || !strings.Contains(res.GaveUp, "the rest of the messages were not tried") {
				t.Errorf("%d of %d tried: GaveUp %q, LastFailures %q; want the give-up, and the rest untried", res.Attempted, tc.messages, res.GaveUp, res.LastFailures)
			}
		}
	}
}
