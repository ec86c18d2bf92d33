package web

import (
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/events"
)

// TestRecipientTimelineIgnoresCase: a recipient is found however its
// letters are cased (RFC 5321 2.4 for the domain; in practice for the
// local part too), with the spelling asked for first and each timeline
// naming the spelling the log has.
func TestRecipientTimelineIgnoresCase(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Options{})
	at := testEpoch
	appendEvents(t, ts.st,
		events.Event{Kind: events.RelayQueued, Time: at, Message: "m1", Recipient: "defer2+you@example.test"},
		events.Event{Kind: events.RelayDelivered, Time: at.Add(time.Second), Message: "m1", Recipient: "defer2+you@example.test"},
		events.Event{Kind: events.RelayQueued, Time: at.Add(2 * time.Second), Message: "m2", Recipient: "Defer2+You@Example.TEST"},
		events.Event{Kind: events.RelayQueued, Time: at.Add(3 * time.Second), Message: "m3", Recipient: "defer2+yours@example.test"},
		events.Event{Kind: events.RelayQueued, Time: at.Add(4 * time.Second), Message: "m4", Recipient: "edefer2+you@example.test"},
	)
	for _, tc := range []struct {
		ask  string
		want string // message:spelling of each timeline, in order
	}{
		{"defer2+you@example.test", "m1:defer2+you@example.test m2:Defer2+You@Example.TEST"},
		{"DEFER2+you@example.test", "m1:defer2+you@example.test m2:Defer2+You@Example.TEST"},
		{"defer2+you@EXAMPLE.test", "m1:defer2+you@example.test m2:Defer2+You@Example.TEST"},
		{"Defer2+You@Example.TEST", "m2:Defer2+You@Example.TEST m1:defer2+you@example.test"},
		{"9nobody@example.test", ""},
	} {
		var rt struct {
			Timelines []RecipientTimeline `json:"timelines"`
		}
		getJSON(t, ts.url+"/api/v1/recipients/"+url.PathEscape(tc.ask)+"/timeline", &rt)
		var got []string
		for _, tl := range rt.Timelines {
			got = append(got, tl.Message+":"+tl.Recipient)
		}
		if strings.Join(got, " ") != tc.want {
			t.Errorf("%s: timelines %v, want %s", tc.ask, got, tc.want)
		}
	}
}

// TestEventsRecipientIgnoresCase: /api/v1/events?recipient= and the
// stream's recipient filter, backlog and live, find an address however
// its letters are cased, as a recipient's timeline does.
func TestEventsRecipientIgnoresCase(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Options{})
	evs := appendEvents(t, ts.st,
		relayEvent(events.RelayQueued, "m1", "defer2+you@example.test"),
		relayEvent(events.RelayQueued, "m2", "Defer2+You@Example.TEST"),
		relayEvent(events.RelayQueued, "m3", "defer2+yours@example.test"),
		relayEvent(events.RelayDeferred, "m1", "defer2+you@example.test"),
	)
	for _, tc := range []struct {
		query string
		want  []int64
		next  int64
	}{
		{"?recipient=DEFER2%2Byou@example.test", ids(evs[0], evs[1], evs[3]), evs[3].ID},
		{"?recipient=defer2%2Byou@EXAMPLE.test&limit=2", ids(evs[0], evs[1]), evs[1].ID},
		{"?recipient=defer2%2Byou@example.test&after=" + itoa(evs[0].ID), ids(evs[1], evs[3]), evs[3].ID},
		{"?recipient=defer2%2Byou@example.test&kind=relay.deferred", ids(evs[3]), evs[3].ID},
		{"?recipient=nobody@example.test&after=7", nil, 7},
	} {
		var p eventPage
		getJSON(t, ts.url+"/api/v1/events"+tc.query, &p)
		if got := ids(p.Events...); !slices.Equal(got, tc.want) || p.Next != tc.next {
			t.Errorf("%s: got ids %v next %d, want %v next %d", tc.query, got, p.Next, tc.want, tc.next)
		}
	}

	conn, _, err := dialStream(t, ts.url, "recipient=DEFER2%2BYOU@example.TEST", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	live := appendEvents(t, ts.st,
		relayEvent(events.RelayDelivered, "m3", "defer2+yours@example.test"),
		relayEvent(events.RelayDelivered, "m2", "Defer2+You@Example.TEST"),
		relayEvent(events.RelayDelivered, "m4", "DEFER2+YOU@EXAMPLE.TEST"), // a spelling new to the log
	)
	want := ids(evs[0], evs[1], evs[3], live[1], live[2])
	var got []int64
	for len(got) < len(want) {
		frame, err := readFrame(t, conn)
		if err != nil {
			t.Fatalf("after %v: %v", got, err)
		}
		got = append(got, ids(frame...)...)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("stream sent %v, want %v", got, want)
	}
}
