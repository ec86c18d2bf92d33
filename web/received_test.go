package web

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/events"
)

// TestMessageReceived: the relay's message page gets the sink's side: the
// copies under the message's Message-ID, a second copy for the same
// recipient marked as a duplicate, and each sink attempt paired with the
// relay attempt that made it.
func TestMessageReceived(t *testing.T) {
	t.Parallel()
	relay, sink := newFakeRelay(), newFakeSink()
	ts := startServer(t, Options{Relay: relay, Sink: sink})
	t0 := testEpoch
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	relay.msgs["r-1"] = MessageDetail{ID: "r-1", From: "app@shop.test", To: []string{"bob@example.test", "carol@example.test"},
		Received: t0, Headers: []Header{{"Subject", "hi"}, {"Message-Id", " <m1@shop.test>"}}}
	reply := func(code int) map[string]any { return map[string]any{"reply": map[string]any{"code": code}} }
	evs := appendEvents(t, ts.st,
		events.Event{Kind: events.RelayQueued, Time: t0, Message: "r-1"}.WithPayload(map[string]any{"to": []string{"bob@example.test", "carol@example.test"}}),
		events.Event{Kind: events.RelayAttempt, Time: at(1000), Message: "r-1", Recipient: "carol@example.test"}.WithPayload(reply(451)),
		events.Event{Kind: events.RelayAttempt, Time: at(1000), Message: "r-1", Recipient: "bob@example.test"}.WithPayload(reply(0)),
		events.Event{Kind: events.RelayAttempt, Time: at(2000), Message: "r-1", Recipient: "bob@example.test"}.WithPayload(reply(250)),
		events.Event{Kind: events.RelayDelivered, Time: at(2500), Message: "r-1", Recipient: "bob@example.test"}.WithPayload(reply(250)),
	)
	carolAttempt, bob1, bob2 := evs[1].ID, evs[2].ID, evs[3].ID
	sink.received = Received{
		Copies: []SinkCopy{
			{ID: "8", Session: "41", Time: at(1900), To: []string{"bob@example.test"}, Code: 250, Reply: "250 2.0.0 ok"},
			{ID: "7", Session: "40", Time: at(900), To: []string{"Bob@example.test"}, Reply: "no reply: connection dropped after the dot"},
		},
		Attempts: []ReceivedAttempt{
			{SinkAttempt: SinkAttempt{Time: at(900), Recipient: "bob@example.test", Stage: "data"}, Session: "40", Copy: "7"},
			{SinkAttempt: SinkAttempt{Time: at(950), Recipient: "carol@example.test", Stage: "rcpt", Code: 451}, Session: "40"},
			{SinkAttempt: SinkAttempt{Time: at(1900), Recipient: "bob@example.test", Stage: "data", Code: 250}, Session: "41", Copy: "8"},
			{SinkAttempt: SinkAttempt{Time: at(3000), Recipient: "bob@example.test", Stage: "rcpt", Code: 250}, Session: "42"},
		},
	}
	code, _, body := do(t, "GET", ts.url+"/api/v1/messages/r-1/received", "")
	if code != http.StatusOK {
		t.Fatalf("status %d: %s", code, body)
	}
	var got ReceivedPage
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	q := sink.queries[0]
	if q.MessageID != "m1@shop.test" || q.Sender != "app@shop.test" || len(q.Recipients) != 2 || !q.Since.Equal(t0) || !q.Until.Equal(at(2000)) {
		t.Errorf("query %+v: want Message-ID m1@shop.test, the sender and 2 recipients, from the queueing to the last relay attempt", q)
	}
	if got.MessageID != "m1@shop.test" || got.Duplicates != 1 || len(got.Copies) != 2 {
		t.Fatalf("page %+v: want 2 copies, 1 of them a duplicate", got)
	}
	if c := got.Copies[0]; c.ID != "7" || c.Copy != 1 || c.Duplicate {
		t.Errorf("first copy %+v: want 7, copy 1, not a duplicate", c)
	}
	if c := got.Copies[1]; c.ID != "8" || c.Copy != 2 || !c.Duplicate {
		t.Errorf("second copy %+v: want 8, copy 2, a duplicate (the same recipient, differently cased)", c)
	}
	want := []int64{bob1, carolAttempt, bob2, 0} // the last came after every relay attempt
	for i, a := range got.Attempts {
		if a.RelayAttempt != want[i] {
			t.Errorf("sink attempt %d (%s at %s) pairs with relay attempt %d, want %d", i, a.Recipient, a.Time.Format(time.StampMilli), a.RelayAttempt, want[i])
		}
	}

	// Copies to different recipients (one per destination) are not
	// duplicates.
	if n := numberCopies([]SinkCopy{{ID: "1", To: []string{"a@x.test"}}, {ID: "2", To: []string{"b@y.test"}}}, map[string]bool{"1": true, "2": true}); n != 0 {
		t.Errorf("two copies to two recipients: %d duplicates, want 0", n)
	}
}

// TestMessageReceivedAcceptedAs: the relay's attempts that a server
// accepted with the sink's words for a stored copy go to the sink, with
// the address, recipient and number, so that a message without a
// Message-ID is found too; other replies do not.
func TestMessageReceivedAcceptedAs(t *testing.T) {
	t.Parallel()
	relay, sink := newFakeRelay(), newFakeSink()
	ts := startServer(t, Options{Relay: relay, Sink: sink})
	relay.msgs["r-2"] = MessageDetail{ID: "r-2", From: "app@shop.test", To: []string{"bob@example.test"}, Received: testEpoch}
	reply := func(code int, text string) map[string]any {
		return map[string]any{"address": "127.0.0.1:2525", "reply": map[string]any{"code": code, "enhanced": "2.0.0", "text": text}}
	}
	appendEvents(t, ts.st,
		events.Event{Kind: events.RelayAttempt, Time: testEpoch, Message: "r-2", Recipient: "bob@example.test"}.WithPayload(reply(250, "Message accepted as 13")),
		events.Event{Kind: events.RelayAttempt, Time: testEpoch, Message: "r-2", Recipient: "bob@example.test"}.WithPayload(reply(250, "ok queued as 14")),
		events.Event{Kind: events.RelayAttempt, Time: testEpoch, Message: "r-2", Recipient: "bob@example.test"}.WithPayload(reply(451, "Message accepted as 15")),
	)
	code, _, body := do(t, "GET", ts.url+"/api/v1/messages/r-2/received", "")
	if code != http.StatusOK {
		t.Fatalf("status %d: %s", code, body)
	}
	q := sink.queries[0]
	want := AcceptedAs{Address: "127.0.0.1:2525", Recipient: "bob@example.test", Copy: 13, Reply: "250 2.0.0 Message accepted as 13"}
	if len(q.Accepted) != 1 || q.Accepted[0] != want {
		t.Errorf("accepted %+v, want only %+v", q.Accepted, want)
	}
	var page map[string]any
	if err := json.Unmarshal(body, &page); err != nil || page["gone"] == nil {
		t.Errorf("page %s: want \"gone\": [] (%v)", body, err)
	}
}

// TestMessageReceivedWithoutSink: without a sink the endpoint says so.
func TestMessageReceivedWithoutSink(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Options{Relay: newFakeRelay()})
	code, _, body := do(t, "GET", ts.url+"/api/v1/messages/r-1/received", "")
	if e := wantAPIError(t, body); code != http.StatusServiceUnavailable || e.Error != "the sink is not running" {
		t.Errorf("%d %+v, want 503 naming the sink", code, e)
	}
}
