package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/events"
)

// TestW14StrictParams: a single-valued query parameter given twice and
// one given empty are each a 400 that names it (kind may repeat); limit=0
// is the default on /api/v1/events and /api/v1/messages alike, where it
// gave 1,000 events on one and no message on the other.
func TestW14StrictParams(t *testing.T) {
	t.Parallel()
	relay, sink, _ := filledFakes()
	ts := startServer(t, Options{Relay: relay, Sink: sink})
	var evs []events.Event
	for i := range 120 {
		evs = append(evs, events.Event{Kind: events.RelayQueued, Time: testEpoch, Message: fmt.Sprintf("m%03d", i), Recipient: "a@example.test"})
	}
	appendEvents(t, ts.st, evs...)
	for _, tc := range []struct {
		query string
		code  int
		has   string
	}{
		{"/api/v1/events?limit=1&limit=2", 400, `query parameter \"limit\" given 2 times`},
		{"/api/v1/sink/messages?q=a&q=b", 400, `\"q\" given 2 times`},
		{"/api/v1/events?recipient=", 400, `query parameter \"recipient\" is empty`},
		{"/api/v1/events?kind=relay.queued&kind=relay.deferred", 200, `"events"`},
		{"/api/v1/events?kind=", 400, `\"kind\" is empty`},
	} {
		code, _, body := do(t, "GET", ts.url+tc.query, "")
		if code != tc.code || !strings.Contains(string(body), tc.has) {
			t.Errorf("GET %s: %d %s, want %d and %s", tc.query, code, body, tc.code, tc.has)
		}
	}
	count := func(path, list string) int {
		t.Helper()
		code, _, body := do(t, "GET", ts.url+path, "")
		var page map[string]json.RawMessage
		if err := json.Unmarshal(body, &page); err != nil || code != 200 {
			t.Fatalf("GET %s: %d %s", path, code, body)
		}
		var items []json.RawMessage
		json.Unmarshal(page[list], &items)
		return len(items)
	}
	for _, p := range []struct{ path, list string }{{"/api/v1/events", "events"}, {"/api/v1/messages", "messages"}} {
		if zero, none := count(p.path+"?limit=0", p.list), count(p.path, p.list); zero != none || zero == 0 {
			t.Errorf("%s: limit=0 gives %d, none gives %d: want the default, the same", p.path, zero, none)
		}
	}
}

// TestW14StrictBodies: a JSON body that gives a key twice (in any case,
// as encoding/json matches keys) is a 400 naming it, where the last one
// won; a subject with a line break is a 400 that names it.
func TestW14StrictBodies(t *testing.T) {
	t.Parallel()
	relay, sink, _ := filledFakes()
	ts := startServer(t, Options{Relay: relay, Sink: sink})
	date := time.Now().Format(time.RFC1123Z)
	for _, tc := range []struct {
		method, path, body string
		has                string
	}{
		{"POST", "/api/v1/messages", `{"from":"a@shop.test","to":["b@example.test"],"to":["c@example.test"],"text":"x"}`, `the body gives \"to\" twice`},
		{"POST", "/api/v1/messages", `{"from":"a@shop.test","From":"e@evil.test","to":["b@example.test"],"text":"x"}`, `the body gives \"From\" twice`},
		{"POST", "/api/v1/messages", `{"from":"a@shop.test","to":["b@example.test"],"headers":[{"name":"X-A","value":"1"},{"name":"X-B","value":"2","name":"X-C"}]}`, `the body gives \"headers[1].name\" twice`},
		{"PUT", "/api/v1/sink/rules", `{"yaml":"rules: []","yaml":"rules:\n  - x"}`, `the body gives \"yaml\" twice`},
		{"POST", "/api/v1/messages", `{"from":"a@shop.test","to":["b@example.test"],"subject":"hi\r\nBcc: x@evil.test","text":"x"}`, `subject: a subject is one line`},
	} {
		code, _, body := do(t, tc.method, ts.url+tc.path, tc.body)
		if code != http.StatusBadRequest || !strings.Contains(string(body), tc.has) {
			t.Errorf("%s %s %s: %d %s, want 400 and %s", tc.method, tc.path, tc.body, code, body, tc.has)
		}
	}
	// The same keys in different objects, and values that look like keys,
	// are no duplicates.
	ok := `{"from":"a@shop.test","to":["b@example.test"],"headers":[{"name":"X-A","value":"name"},{"name":"X-B","value":"2"}],"text":"to"}`
	if code, _, body := do(t, "POST", ts.url+"/api/v1/messages", ok); code != http.StatusAccepted {
		t.Errorf("POST %s: %d %s, want 202", ok, code, body)
	}
	raw := `{"from":"a@shop.test","to":["b@example.test"],"raw":"From: a@shop.test\r\nDate: ` + date + `\r\nSubject: x\r\n\r\n"}`
	if code, _, body := do(t, "POST", ts.url+"/api/v1/messages", raw); code != http.StatusAccepted {
		t.Errorf("POST %s: %d %s, want 202: an empty body after the empty line is a body", raw, code, body)
	}
}
