package web

import (
	"encoding/json"
	"net/url"
	"testing"

	"github.com/relaylab/relaylab/internal/events"
)

// explainingSink explains the sink's 4xx and 5xx replies, as serve's
// adapter does with the relay's classifier.
type explainingSink struct{ *fakeSink }

var _ SinkExplainAPI = explainingSink{}

func (explainingSink) ExplainReply(stage string, code int, enhanced, text string) (Explanation, bool) {
	switch {
	case code == 451 && stage == "rcpt":
		return Explanation{Category: "greylisted", Reason: "the server <greylists> new senders", Advice: "retry in a few minutes; `relaylab` does"}, true
	case code >= 500:
		return Explanation{Category: "invalid-recipient", Reason: "the mailbox does not exist"}, true
	}
	return Explanation{}, false
}

// TestSinkRepliesExplained: each sink.reply the API and the stream serve
// carries the sink's explanation of its reply (category, reason, advice,
// as the relay's events do and the Sink page shows them), its own
// members kept as written: on a page of /api/v1/events, one event, a
// timeline, and the stream's backlog and live events. A reply the sink
// does not explain, a payload that explains itself and the other kinds
// are served as logged, and so is everything of a sink that explains
// nothing.
func TestSinkRepliesExplained(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Options{Sink: explainingSink{newFakeSink()}})
	grey := events.Event{Kind: events.SinkReply, Recipient: "greylist@example.test", Listener: "mx"}.
		WithPayload(map[string]any{"session": 3, "stage": "rcpt", "code": 451, "enhanced": "4.7.1", "text": "greylisted, try again"})
	evs := appendEvents(t, ts.st,
		grey,
		events.Event{Kind: events.SinkReply, Recipient: "rcpt550@example.test"}.WithPayload(map[string]any{"stage": "rcpt", "code": 550, "text": "no such user"}),
		events.Event{Kind: events.SinkReply, Recipient: "a@example.test"}.WithPayload(map[string]any{"stage": "data-end", "code": 452, "text": "full"}),
		events.Event{Kind: events.SinkReply, Recipient: "b@example.test"}.WithPayload(map[string]any{"stage": "rcpt", "code": 550, "category": "own"}),
		events.Event{Kind: events.RelayDeferred, Message: "m1", Recipient: "greylist@example.test"}.WithPayload(map[string]any{"stage": "rcpt", "code": 451}),
	)
	type payload map[string]any
	wantGrey := payload{"session": 3.0, "stage": "rcpt", "code": 451.0, "enhanced": "4.7.1", "text": "greylisted, try again",
		"category": "greylisted", "reason": "the server <greylists> new senders", "advice": "retry in a few minutes; `relaylab` does"}
	want := []payload{wantGrey,
		{"stage": "rcpt", "code": 550.0, "text": "no such user", "category": "invalid-recipient", "reason": "the mailbox does not exist"},
		{"stage": "data-end", "code": 452.0, "text": "full"},
		{"stage": "rcpt", "code": 550.0, "category": "own"},
		{"stage": "rcpt", "code": 451.0},
	}
	check := func(where string, got []events.Event, want ...payload) {
		t.Helper()
		if len(got) != len(want) {
			t.Fatalf("%s: %d events, want %d", where, len(got), len(want))
		}
		for i, e := range got {
			var p payload
			if err := json.Unmarshal(e.Payload, &p); err != nil {
				t.Fatalf("%s: event %d's payload %s: %v", where, e.ID, e.Payload, err)
			}
			if g, w := mustMarshal(t, p), mustMarshal(t, want[i]); g != w {
				t.Errorf("%s: event %d (%s) payload\n got %s\nwant %s", where, e.ID, e.Kind, g, w)
			}
		}
	}
	var page eventPage
	getJSON(t, ts.url+"/api/v1/events", &page)
	check("the page", page.Events, want...)
	var one events.Event
	getJSON(t, ts.url+"/api/v1/events/"+itoa(evs[0].ID), &one)
	check("the event", []events.Event{one}, wantGrey)
	var tl struct {
		Timelines []RecipientTimeline `json:"timelines"`
	}
	getJSON(t, ts.url+"/api/v1/recipients/"+url.PathEscape("greylist@example.test")+"/timeline", &tl)
	if len(tl.Timelines) != 2 {
		t.Fatalf("timelines: %+v", tl.Timelines)
	}
	check("the sink's timeline", tl.Timelines[0].Events, wantGrey)

	conn, _, err := dialStream(t, ts.url, "after=0&kind=sink.reply", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	backlog, err := readFrame(t, conn)
	if err != nil {
		t.Fatal(err)
	}
	check("the stream's backlog", backlog, want[:4]...)
	appendEvents(t, ts.st, grey)
	live, err := readFrame(t, conn)
	if err != nil {
		t.Fatal(err)
	}
	check("the stream's live event", live, wantGrey)
	// The stream has joined the hub by now: the next one comes from it.
	appendEvents(t, ts.st, grey)
	live, err = readFrame(t, conn)
	if err != nil {
		t.Fatal(err)
	}
	check("the hub's live event", live, wantGrey)

	// A sink that explains nothing: served as logged.
	plain := startServer(t, Options{Sink: newFakeSink()})
	appendEvents(t, plain.st, grey)
	getJSON(t, plain.url+"/api/v1/events", &page)
	check("a sink that explains nothing", page.Events, payload{"session": 3.0, "stage": "rcpt", "code": 451.0, "enhanced": "4.7.1", "text": "greylisted, try again"})
}

func mustMarshal(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
