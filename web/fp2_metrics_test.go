package web

import (
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/events"
)

// scrape reads /metrics after the hub has followed the log up to the
// last of evs.
func scrape(t *testing.T, ts *testServer, evs []events.Event) string {
	t.Helper()
	if len(evs) > 0 {
		waitFollowed(t, ts, evs[len(evs)-1].ID)
	}
	code, _, body := do(t, "GET", ts.url+"/metrics", "")
	if code != 200 {
		t.Fatalf("metrics: %d", code)
	}
	return string(body)
}

// TestMetricsConfigReloadState: relaylab_config_last_reload_successful
// is 1 at the start, 0 once a SIGHUP reload was refused (sink.reload_failed),
// still 0 after the web editor replaced the rules (the file is still
// wrong), and 1 again after a SIGHUP reload worked. Before, only
// relaylab_events_total counted the refusals, which no alert can read as
// a state.
func TestMetricsConfigReloadState(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Options{})
	const gauge = "relaylab_config_last_reload_successful "
	for _, step := range []struct {
		name string
		ev   *events.Event
		want string
	}{
		{"at the start", nil, "1"},
		{"a refused reload", &events.Event{Kind: events.SinkReloadFailed, Payload: []byte(`{"by":"SIGHUP","error":"relaylab.yaml:3: sink.rules[0]: bad"}`)}, "0"},
		{"rules from the editor", &events.Event{Kind: events.SinkRules, Payload: []byte(`{"by":"SetRules","rules":[]}`)}, "0"},
		{"a reload that worked", &events.Event{Kind: events.SinkRules, Payload: []byte(`{"by":"Reload","rules":[{"match":"x"}]}`)}, "1"},
	} {
		var evs []events.Event
		if step.ev != nil {
			evs = appendEvents(t, ts.st, *step.ev)
		}
		if text := scrape(t, ts, evs); !strings.Contains(text, "\n"+gauge+step.want+"\n") {
			t.Errorf("%s: want %s%s in:\n%s", step.name, gauge, step.want, grepLines(text, gauge))
		}
	}
}

// TestMetricsProbeWebhookDeliveries: relaylab_probe_webhook_deliveries_total
// counts the webhook's outcomes by result, from 0 at the start, from the
// probe.webhook_delivered and probe.webhook_failed events.
func TestMetricsProbeWebhookDeliveries(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Options{})
	const name = "relaylab_probe_webhook_deliveries_total"
	text := scrape(t, ts, nil)
	for _, r := range []string{"delivered", "refused", "failed"} {
		if want := name + `{result="` + r + `"} 0`; !strings.Contains(text, want+"\n") {
			t.Errorf("before any post: want %s in:\n%s", want, grepLines(text, name))
		}
	}
	evs := appendEvents(t, ts.st,
		events.Event{Kind: "probe.webhook_delivered", Target: "shop.test"}.WithPayload(map[string]any{"result": "delivered", "attempts": 1}),
		events.Event{Kind: "probe.webhook_delivered", Target: "shop.test"}.WithPayload(map[string]any{"result": "delivered", "attempts": 3}),
		events.Event{Kind: "probe.webhook_failed", Target: "shop.test"}.WithPayload(map[string]any{"result": "failed", "attempts": 6, "status": "503 Service Unavailable"}),
		events.Event{Kind: "probe.webhook_failed", Target: "shop.test"}.WithPayload(map[string]any{"result": "refused", "attempts": 1, "status": "404 Not Found"}),
		events.Event{Kind: "probe.webhook_failed", Target: "shop.test"}.WithPayload(map[string]any{"result": "bad\x00value"}),
	)
	text = scrape(t, ts, evs)
	for _, want := range []string{name + `{result="delivered"} 2`, name + `{result="failed"} 2`, name + `{result="refused"} 1`} {
		if !strings.Contains(text, want+"\n") {
			t.Errorf("want %s in:\n%s", want, grepLines(text, name))
		}
	}
}
