package web

import (
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/events"
)

// sinkReplyEvent is the sink's reply of code to rcpt, as sink.reply
// records it.
func sinkReplyEvent(at time.Time, rcpt string, code int) events.Event {
	return events.Event{Kind: events.SinkReply, Time: at, Recipient: rcpt, Listener: "mx"}.
		WithPayload(map[string]any{"session": 1, "stage": "rcpt", "code": code, "text": "try later"})
}

// TestRecipientTimelineSinkSide: a recipient's timeline gives the sink's
// events their own timelines, with the sink's states: the replies the sink
// gave before the message it accepted are one timeline with that message
// (one "as the sink saw it", not one for the replies and another for the
// message), accepted; a reply after it starts the next; a 5xx is refused;
// the relay's timeline beside them keeps the relay's state. A message's
// timeline under a Message-ID the sink filed is the sink's too.
func TestRecipientTimelineSinkSide(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Options{})
	at := testEpoch
	sec := func(n int) time.Time { return at.Add(time.Duration(n) * time.Second) }
	const rcpt = "defer2+t1@example.test"
	appendEvents(t, ts.st,
		sinkReplyEvent(sec(0), rcpt, 451),
		sinkReplyEvent(sec(1), rcpt, 451),
		events.Event{Kind: events.SinkMessage, Time: sec(2), Message: "1@vm", Recipient: rcpt}.WithPayload(map[string]any{"id": 7, "code": 250}),
		sinkReplyEvent(sec(3), rcpt, 451),
		events.Event{Kind: events.RelayQueued, Time: sec(4), Message: "r1", Recipient: rcpt},
		events.Event{Kind: events.RelayDeferred, Time: sec(5), Message: "r1", Recipient: rcpt},
		sinkReplyEvent(sec(6), "rcpt550@example.test", 550),
		events.Event{Kind: events.SinkMessage, Time: sec(7), Message: "2@vm", Recipient: "alice@example.test"}.WithPayload(map[string]any{"id": 8, "code": 250}),
	)
	type tl struct {
		Message, Side, State string
		kinds                []string
	}
	read := func(path string) []tl {
		var rt struct {
			Timelines  []RecipientTimeline `json:"timelines"`
			Recipients []RecipientTimeline `json:"recipients"`
		}
		getJSON(t, ts.url+path, &rt)
		var out []tl
		for _, x := range append(rt.Timelines, rt.Recipients...) {
			var kinds []string
			for _, e := range x.Events {
				kinds = append(kinds, e.Kind)
			}
			out = append(out, tl{x.Message, x.Side, x.State, kinds})
		}
		return out
	}
	for _, tc := range []struct {
		path string
		want string
	}{
		{"/api/v1/recipients/defer2%2Bt1@example.test/timeline",
			"1@vm sink accepted [sink.reply sink.reply sink.message] | sink deferred [sink.reply] | r1 relay deferred [relay.queued relay.deferred]"},
		{"/api/v1/recipients/rcpt550@example.test/timeline", "sink refused [sink.reply]"},
		{"/api/v1/recipients/alice@example.test/timeline", "2@vm sink accepted [sink.message]"},
		{"/api/v1/messages/2@vm/timeline", " sink accepted [sink.message]"},
		{"/api/v1/messages/r1/timeline", " relay deferred [relay.queued relay.deferred]"},
	} {
		var got []string
		for _, x := range read(tc.path) {
			got = append(got, strings.TrimSpace(x.Message+" "+x.Side+" "+x.State+" ["+strings.Join(x.kinds, " ")+"]"))
		}
		want := tc.want
		if strings.HasPrefix(want, " ") {
			want = strings.TrimSpace(want)
		}
		if g := strings.Join(got, " | "); g != want {
			t.Errorf("%s:\n got %s\nwant %s", tc.path, g, want)
		}
	}
}
