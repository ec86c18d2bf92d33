package web

import (
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/events"
)

// TestStatsLateBounceOnce: a recipient the relay delivered and whose
// server bounced it later, in a DSN of its own (relay.delivered, then an
// asynchronous relay.bounced), is counted once, as bounced, in the bucket
// of its bounce, as the store has it; before, it was counted both as
// delivered and as bounced. A delivery whose bounce came after the window
// ended, or to another recipient of the message, stays delivered; a
// delivery before the window is not counted, its bounce inside it is.
func TestStatsLateBounceOnce(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Options{}) // virtual clock at testEpoch
	at := func(ago time.Duration) time.Time { return testEpoch.Add(-ago) }
	delivered := func(msg, rcpt string, t time.Time) events.Event {
		return events.Event{Kind: events.RelayDelivered, Message: msg, Recipient: rcpt, Time: t}
	}
	bounced := func(msg, rcpt string, t time.Time) events.Event {
		return events.Event{Kind: events.RelayBounced, Message: msg, Recipient: rcpt, Time: t}.WithPayload(map[string]any{"async": true, "category": "invalid-recipient"})
	}
	appendEvents(t, ts.st,
		delivered("m1", "a@example.test", at(100*time.Second)), // bucket 0, bounced in bucket 1
		delivered("m1", "b@example.test", at(100*time.Second)), // stays delivered
		delivered("m2", "a@example.test", at(90*time.Second)),  // another message to the same address
		delivered("m3", "c@example.test", at(3*time.Hour)),     // before the window
		bounced("m1", "a@example.test", at(30*time.Second)),
		bounced("m3", "c@example.test", at(20*time.Second)),
		delivered("m4", "d@example.test", at(10*time.Second)),
		bounced("m4", "d@example.test", testEpoch.Add(time.Minute)),           // after the window's end
		events.Event{Kind: events.RelayDelivered, Time: at(10 * time.Second)}, // no message or recipient to match: as before
	)
	var st Stats
	getJSON(t, ts.url+"/api/v1/stats?window=2m&buckets=2", &st)
	if len(st.Delivered) != 2 {
		t.Fatalf("buckets: %+v", st)
	}
	if st.Delivered[0] != 2 || st.Delivered[1] != 2 || st.Bounced[0] != 0 || st.Bounced[1] != 2 {
		t.Errorf("delivered %v, bounced %v; want [2 2] and [0 2]: the late-bounced m1 a@ once, as bounced", st.Delivered, st.Bounced)
	}
	if st.BounceReasons["invalid-recipient"] != 2 {
		t.Errorf("categories %v, want invalid-recipient 2", st.BounceReasons)
	}
}
