package reports

import (
	"context"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/events"
)

// TestLatencyZeroAndSubMillisecond: an attempt answered at once (0 ms, as
// every attempt is on a replay's virtual clock unless the receiving side
// waits) is a latency like any other, and a fraction of a millisecond is
// kept; only an event without the field is left out.
func TestLatencyZeroAndSubMillisecond(t *testing.T) {
	t.Parallel()
	var l fakeLog
	for i, p := range []map[string]any{
		{"code": 250, "latency_ms": 0},
		{"code": 250, "latency_ms": 0.25},
		{"code": 250, "latency_ms": 30000},
		{"code": 250}, // an event of another writer, without a latency
	} {
		rcpt := string(rune('a'+i)) + "@x.test"
		l = append(l, events.Event{ID: int64(2*i + 1), Time: t0, Kind: events.RelayQueued, Message: "m", Recipient: rcpt})
		l = append(l, events.Event{ID: int64(2*i + 2), Time: t0, Kind: events.RelayAttempt, Message: "m", Recipient: rcpt}.WithPayload(p))
	}
	d, err := Load(context.Background(), l)
	if err != nil {
		t.Fatal(err)
	}
	s := Summarize(d)
	if s.Latency.N != 3 || s.Latency.P50 != 0.25 || s.Latency.Max != 30000 {
		t.Errorf("Latency = %+v, want 3 attempts, p50 0.25 ms, max 30000 ms", s.Latency)
	}
	var text strings.Builder
	if err := WriteText(&text, d); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text.String(), "attempt latency  p50 250µs  p90 30s  p99 30s  max 30s") {
		t.Errorf("no attempt latency line:\n%s", text.String())
	}
}
