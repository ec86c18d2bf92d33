package web

import (
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/events"
)

// TestStatsHoldsApart: a recipient the relay's own shaping held back (a
// relay.deferred whose reply is at stage shaping, as relay/classify.yaml's
// destination-backoff and shaping categories have it) is counted in held,
// not deferred: nothing was sent and no server replied. The walk saw one
// bar of 31 deferrals, 28 of them holds, beside 4 replies the relay got.
func TestStatsHoldsApart(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Options{}) // virtual clock at testEpoch
	at := testEpoch.Add(-10 * time.Second)
	deferred := func(stage string, code int, cat, text string) events.Event {
		return events.Event{Kind: events.RelayDeferred, Time: at}.WithPayload(map[string]any{"attempts": 0, "category": cat,
			"reply": map[string]any{"stage": stage, "code": code, "text": text}})
	}
	var evs []events.Event
	for range 3 {
		evs = append(evs, deferred("shaping", 0, "destination-backoff", "not tried: destination path:sinkpath rests until 2026-11-28T17:58:44Z after a 421 or rate limit"))
	}
	evs = append(evs,
		deferred("shaping", 0, "shaping", "outside the sending windows of route r; the next opens at 2026-11-29T08:00:00Z"),
		deferred("rcpt", 421, "rate-limited", "[TSS04] Messages temporarily deferred"),
		deferred("connect", 0, "connection", "connection refused"),
	)
	appendEvents(t, ts.st, evs...)
	var st Stats
	getJSON(t, ts.url+"/api/v1/stats?window=1m&buckets=1", &st)
	if len(st.Held) != 1 || st.Held[0] != 4 || st.Deferred[0] != 2 {
		t.Errorf("held %v, deferred %v; want 4 holds and 2 deferrals apart", st.Held, st.Deferred)
	}
}
