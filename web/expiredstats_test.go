package web

import (
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/events"
)

// TestStatsExpiredAndFoldedReplies: an expiry (relay.expired) is a series
// of its own in the stats, as it is in the reports (a walk saw `relaylab
// report` say "expired 2" where the charts had no trace of them), and a
// sink.reply that stands for many replies (past a session's first 2,000
// the sink folds them, with a count) counts as many.
func TestStatsExpiredAndFoldedReplies(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Options{}) // virtual clock at testEpoch
	at := testEpoch.Add(-10 * time.Second)
	appendEvents(t, ts.st,
		events.Event{Kind: events.RelayExpired, Time: at, Message: "m1", Recipient: "a@x.test"}.WithPayload(map[string]any{"category": "expired"}),
		events.Event{Kind: events.RelayExpired, Time: at, Message: "m2", Recipient: "b@x.test"}.WithPayload(map[string]any{"category": "expired"}),
		events.Event{Kind: events.SinkReply, Time: at}.WithPayload(map[string]any{"stage": "rcpt", "code": 451}),
		events.Event{Kind: events.SinkReply, Time: at}.WithPayload(map[string]any{"stage": "rcpt", "code": 451, "count": 1500}),
	)
	var st Stats
	getJSON(t, ts.url+"/api/v1/stats?window=1m&buckets=1", &st)
	if len(st.Expired) != 1 || st.Expired[0] != 2 {
		t.Errorf("expired %v, want [2]", st.Expired)
	}
	if n := st.SinkReplyCodes["451"]; n != 1501 {
		t.Errorf("sink 451s %d, want 1501 (one, and one event standing for 1,500)", n)
	}
}
