package web

import (
	"encoding/json"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/events"
	"github.com/relaylab/relaylab/sink"
)

// TestEventParamsRefused: a kind= that is no event kind, nor a prefix of
// one, is a 400 that lists the kinds, instead of an empty page that
// passes for no events; a missing event's 404 carries a detail, as every
// error of the API does.
func TestEventParamsRefused(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Options{})
	appendEvents(t, ts.st, relayEvent(events.RelayBounced, "m", "a@example.com"))
	for _, tc := range []struct {
		path string
		want int
		has  string
	}{
		{"/api/v1/events?kind=nonsense", 400, "relay.bounced"},
		{"/api/v1/events?kind=relay.bouncd", 400, `kind=\"relay.bouncd\": not an event kind`},
		{"/api/v1/events?kind=relay.", 200, `"relay.bounced"`},
		{"/api/v1/events?kind=relay.bounced,sink.reset", 200, `"relay.bounced"`},
		{"/api/v1/events/999999", 404, "up to 1"},
	} {
		code, _, b := do(t, "GET", ts.url+tc.path, "")
		if code != tc.want || !strings.Contains(string(b), tc.has) {
			t.Errorf("%s: %d %s, want %d with %q", tc.path, code, b, tc.want, tc.has)
			continue
		}
		if code >= 400 {
			var e apiError
			if err := json.Unmarshal(b, &e); err != nil || e.Error == "" || e.Detail == "" {
				t.Errorf("%s: %s, want {error, detail}", tc.path, b)
			}
		}
	}
	if code, _, _ := do(t, "GET", ts.url+"/api/v1/events/1", ""); code != http.StatusOK {
		t.Errorf("event 1: %d", code)
	}
}

// TestEventKindsAreEveryKind: the kinds kind= takes are every kind the
// log can hold: the constants of internal/events and the sink's reset.
func TestEventKindsAreEveryKind(t *testing.T) {
	t.Parallel()
	src, err := os.ReadFile("../internal/events/events.go")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{sink.EventReset, sink.EventDeleted}
	for _, m := range regexp.MustCompile(`(?m)^\s+\w+\s*= "([a-z]+\.[a-z_.]+)"`).FindAllStringSubmatch(string(src), -1) {
		want = append(want, m[1])
	}
	if len(want) < 10 {
		t.Fatalf("read only %v from internal/events", want)
	}
	for _, k := range want {
		if !slices.Contains(eventKinds, k) {
			t.Errorf("kind %q is missing from eventKinds", k)
		}
		if !strings.Contains(string(openAPISpec), " "+k+",") && !strings.Contains(string(openAPISpec), " "+k+" ") {
			t.Errorf("openapi.yaml's kind parameter does not list %q", k)
		}
	}
}
