package web

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/events"
)

// TestW14ReceivedPairsByNumber: the same message sent to the sink
// directly first (before the relay queued it, and again after, before the
// relay's attempt) and then by the relay: the relay's attempt, which the
// sink accepted as copy 9, pairs with the sink attempt that left copy 9,
// not with an earlier one; the direct copies are unpaired, and none is a
// duplicate of the relay's.
func TestW14ReceivedPairsByNumber(t *testing.T) {
	t.Parallel()
	relay, sink := newFakeRelay(), newFakeSink()
	ts := startServer(t, Options{Relay: relay, Sink: sink})
	t0 := testEpoch
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	relay.msgs["r-3"] = MessageDetail{ID: "r-3", From: "app@shop.test", To: []string{"bob@example.test"},
		Received: t0, Headers: []Header{{"Message-Id", "<m3@shop.test>"}}}
	evs := appendEvents(t, ts.st,
		events.Event{Kind: events.RelayQueued, Time: t0, Message: "r-3"}.WithPayload(map[string]any{"to": []string{"bob@example.test"}}),
		events.Event{Kind: events.RelayAttempt, Time: at(2000), Message: "r-3", Recipient: "bob@example.test"}.WithPayload(map[string]any{
			"address": "127.0.0.1:2525", "reply": map[string]any{"code": 250, "enhanced": "2.0.0", "text": "Message accepted as 9"}}),
	)
	relayAttempt := evs[1].ID
	sink.received = Received{
		Copies: []SinkCopy{
			{ID: "7", Session: "40", Time: at(-5000), To: []string{"bob@example.test"}, Code: 250},
			{ID: "8", Session: "41", Time: at(500), To: []string{"bob@example.test"}, Code: 250},
			{ID: "9", Session: "42", Time: at(1900), To: []string{"bob@example.test"}, Code: 250},
		},
		Attempts: []ReceivedAttempt{
			{SinkAttempt: SinkAttempt{Time: at(-5000), Recipient: "bob@example.test", Stage: "data", Code: 250}, Session: "40", Copy: "7"},
			{SinkAttempt: SinkAttempt{Time: at(500), Recipient: "bob@example.test", Stage: "data", Code: 250}, Session: "41", Copy: "8"},
			{SinkAttempt: SinkAttempt{Time: at(1900), Recipient: "Bob@example.test", Stage: "data", Code: 250}, Session: "42", Copy: "9"},
		},
	}
	code, _, body := do(t, "GET", ts.url+"/api/v1/messages/r-3/received", "")
	if code != http.StatusOK {
		t.Fatalf("status %d: %s", code, body)
	}
	var got ReceivedPage
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	for _, a := range got.Attempts {
		want := int64(0)
		if a.Copy == "9" {
			want = relayAttempt
		}
		if a.RelayAttempt != want {
			t.Errorf("the sink attempt that left copy %s pairs with relay attempt %d, want %d", a.Copy, a.RelayAttempt, want)
		}
	}
	if got.Duplicates != 0 {
		t.Errorf("%d duplicates, want 0: the relay left one copy", got.Duplicates)
	}
	for _, c := range got.Copies {
		if c.Duplicate || c.Unpaired != (c.ID != "9") {
			t.Errorf("copy %s: duplicate %v, unpaired %v; want no duplicate, and unpaired for the direct copies 7 and 8", c.ID, c.Duplicate, c.Unpaired)
		}
	}
}
