package web

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/relaylab/relaylab/internal/events"
)

func TestHealth(t *testing.T) {
	t.Parallel()
	running := startServer(t, Options{})
	// A server whose Run was never called is alive but not ready.
	idle, err := New(Options{Store: openStore(t, nil)})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		h    http.Handler
		path string
		want int
	}{
		{"healthz", running.Handler(), "/healthz", 200},
		{"readyz", running.Handler(), "/readyz", 200},
		{"healthz idle", idle.Handler(), "/healthz", 200},
		{"readyz idle", idle.Handler(), "/readyz", 503},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, body := serve(t, tc.h, "GET", tc.path, "")
			if code != tc.want {
				t.Fatalf("status %d, want %d: %s", code, tc.want, body)
			}
			var v map[string]any
			if err := json.Unmarshal(body, &v); err != nil || v["status"] == nil {
				t.Fatalf("body %q: want JSON with a status", body)
			}
		})
	}
}

func TestListEvents(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Options{})
	evs := appendEvents(t, ts.st,
		relayEvent(events.RelayQueued, "m1", ""),
		relayEvent(events.RelayDeferred, "m1", "a@example.com"),
		relayEvent(events.RelayDelivered, "m1", "a@example.com"),
		relayEvent(events.RelayBounced, "m2", "b@example.com"),
		events.Event{Kind: events.ProbeResult, Target: "192.0.2.1"},
	)
	for _, tc := range []struct {
		query string
		want  []int64 // indexes into evs... as ids
		next  int64
	}{
		{"", ids(evs...), evs[4].ID},
		{"?after=" + itoa(evs[2].ID), ids(evs[3:]...), evs[4].ID},
		{"?kind=relay.bounced,probe.result", ids(evs[3], evs[4]), evs[4].ID},
		{"?kind=relay.&message=m1", ids(evs[:3]...), evs[2].ID},
		{"?recipient=a@example.com&limit=1", ids(evs[1]), evs[1].ID},
		{"?after=" + itoa(evs[4].ID), nil, evs[4].ID},
	} {
		t.Run(tc.query, func(t *testing.T) {
			t.Parallel()
			code, _, body := do(t, "GET", ts.url+"/api/v1/events"+tc.query, "")
			if code != 200 {
				t.Fatalf("status %d: %s", code, body)
			}
			var p eventPage
			if err := json.Unmarshal(body, &p); err != nil {
				t.Fatal(err)
			}
			got := ids(p.Events...)
			if len(got) != len(tc.want) || p.Next != tc.next {
				t.Fatalf("got ids %v next %d, want %v next %d", got, p.Next, tc.want, tc.next)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("got ids %v, want %v", got, tc.want)
				}
			}
		})
	}
	code, _, body := do(t, "GET", ts.url+"/api/v1/events/"+itoa(evs[3].ID), "")
	var e events.Event
	if code != 200 || json.Unmarshal(body, &e) != nil || e.Kind != events.RelayBounced {
		t.Fatalf("get event: %d %s", code, body)
	}
}

func TestBadInput(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Options{})
	for _, tc := range []struct {
		method, path, body string
		want               int
	}{
		{"GET", "/api/v1/events?after=-1", "", 400},
		{"GET", "/api/v1/events?after=abc", "", 400},
		{"GET", "/api/v1/events?limit=100000", "", 400},
		{"GET", "/api/v1/events?kind=RELAY%20X", "", 400},
		{"GET", "/api/v1/events/zero", "", 400},
		{"GET", "/api/v1/events/999999", "", 404},
		{"GET", "/api/v1/stats?window=forever", "", 400},
		{"GET", "/api/v1/stats?buckets=0", "", 400},
		{"GET", "/api/v1/messages?limit=x", "", 400},
		{"GET", "/api/v1/messages?before=-5", "", 400},
		{"GET", "/api/v1/messages/nope/timeline", "", 404},
		{"GET", "/api/v1/recipients/not-an-address/timeline", "", 400},
		{"GET", "/api/v1/nothing-here", "", 404},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			t.Parallel()
			code, hdr, body := do(t, tc.method, ts.url+tc.path, tc.body)
			if code != tc.want {
				t.Fatalf("status %d, want %d: %s", code, tc.want, body)
			}
			if ct := hdr.Get("Content-Type"); ct != "application/json; charset=utf-8" {
				t.Fatalf("content type %q", ct)
			}
			wantAPIError(t, body)
		})
	}
}

func ids(evs ...events.Event) []int64 {
	var out []int64
	for _, e := range evs {
		out = append(out, e.ID)
	}
	return out
}
