package web

import (
	"net/url"
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
