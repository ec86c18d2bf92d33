package web

import (
	"maps"
	"testing"

	"github.com/relaylab/relaylab/internal/events"
)

// fw2sHolds are a message's events whose recipients the Queue calls
// held: a@ held by the relay's shaping (a deferral at stage shaping,
// nothing sent), b@ held by hand after a server's deferral, c@ held by
// hand and released (deferred again, as before), d@ deferred by a server
// and delivered.
func fw2sHolds(id string) []events.Event {
	deferred := func(rcpt, stage string) events.Event {
		return events.Event{Kind: events.RelayDeferred, Message: id, Recipient: rcpt}.
			WithPayload(map[string]any{"reply": map[string]any{"code": 451, "stage": stage, "text": "later"}})
	}
	ev := func(kind, rcpt string) events.Event { return events.Event{Kind: kind, Message: id, Recipient: rcpt} }
	return []events.Event{
		events.Event{Kind: events.RelayQueued, Message: id}.WithPayload(map[string]any{"sender": "app@shop.test",
			"to": []string{"a@example.test", "b@example.test", "c@example.test", "d@example.test"}}),
		deferred("a@example.test", "shaping"),
		deferred("b@example.test", "rcpt"), ev(events.RelayHeld, "b@example.test"),
		deferred("c@example.test", "data-end"), ev(events.RelayHeld, "c@example.test"), ev(events.RelayReleased, "c@example.test"),
		deferred("d@example.test", "rcpt"), ev(events.RelayHeld, "d@example.test"), ev(events.RelayDelivered, "d@example.test"),
	}
}

// TestMessageListHeld: the Messages list names the recipients the Queue
// calls held as held, not deferred: "held" for one held by hand (until
// its release gives back the state before), "shaped" for one the relay's
// shaping holds with nothing sent; a terminal event still wins.
func TestMessageListHeld(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Options{})
	appendEvents(t, ts.st, fw2sHolds("h-1")...)
	var ml struct {
		Messages []MessageSummary `json:"messages"`
	}
	getJSON(t, ts.url+"/api/v1/messages", &ml)
	want := map[string]string{"a@example.test": "shaped", "b@example.test": "held", "c@example.test": "deferred", "d@example.test": "delivered"}
	if len(ml.Messages) != 1 || !maps.Equal(ml.Messages[0].States, want) {
		t.Fatalf("messages %+v, want one with states %v", ml.Messages, want)
	}
}
