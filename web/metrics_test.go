package web

import (
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/events"
)

// waitFollowed waits until the hub has read the log up to id.
func waitFollowed(t *testing.T, ts *testServer, id int64) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second) // a hang, not a speed check
	for ts.hub.pos.Load() < id {
		if time.Now().After(deadline) {
			t.Fatalf("the hub never reached event %d (at %d)", id, ts.hub.pos.Load())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestMetrics(t *testing.T) {
	t.Parallel()
	relay := newFakeRelay()
	relay.depth = 3
	ts := startServer(t, Options{Relay: relay})
	evs := appendEvents(t, ts.st,
		events.Event{Kind: events.RelayQueued, Message: "m1"},
		events.Event{Kind: events.SinkMessage},
		events.Event{Kind: events.SinkReply}.WithPayload(map[string]any{"stage": "rcpt", "code": 451}),
		events.Event{Kind: events.SinkReply}.WithPayload(map[string]any{"stage": "data", "code": "abc"}),
		events.Event{Kind: events.RelayAttempt}.WithPayload(map[string]any{"reply": map[string]any{"stage": "rcpt", "code": 250}, "latency_ms": 120}),
		events.Event{Kind: events.RelayAttempt}.WithPayload(map[string]any{"code": 421, "latency": "1.5s"}),
		events.Event{Kind: events.RelayAttempt}.WithPayload(map[string]any{"code": 421, "latency": "not a duration"}),
		events.Event{Kind: events.RelayDelivered},
		events.Event{Kind: events.RelayDeferred},
		events.Event{Kind: events.RelayBounced}.WithPayload(map[string]any{"category": "spam"}),
		events.Event{Kind: events.RelayBounced}.WithPayload(map[string]any{"category": "bad\x00label"}),
		events.Event{Kind: events.RelayBounced},
		events.Event{Kind: events.RelayExpired},
		events.Event{Kind: events.RelaySuppressed},
		events.Event{Kind: events.ProbeResult, Target: "192.0.2.10"}.WithPayload(map[string]any{"check": "dnsbl:zen.example", "status": "listed"}),
		events.Event{Kind: events.ProbeResult, Target: "example.org"}.WithPayload(map[string]any{"check": "spf", "status": "ok"}),
		events.Event{Kind: events.ProbeChanged, Target: "192.0.2.10"},
	)
	waitFollowed(t, ts, evs[len(evs)-1].ID)
	code, _, body := do(t, "GET", ts.url+"/metrics", "")
	if code != 200 {
		t.Fatalf("metrics: %d", code)
	}
	text := string(body)
	for _, want := range []string{
		`relaylab_messages_accepted_total{by="relay"} 1`,
		`relaylab_messages_accepted_total{by="sink"} 1`,
		`relaylab_sink_replies_total{code="451",stage="rcpt"} 1`,
		`relaylab_sink_replies_total{code="other",stage="data"} 1`,
		`relaylab_relay_attempts_total{code="250",path=""} 1`,
		`relaylab_relay_attempts_total{code="421",path=""} 2`,
		`relaylab_attempt_latency_seconds_count 2`,
		`relaylab_attempt_latency_seconds_sum 1.62`,
		`relaylab_deliveries_total 1`,
		`relaylab_deferrals_total{category="unknown"} 1`,
		`relaylab_bounces_total{category="spam"} 1`,
		`relaylab_bounces_total{category="other"} 1`,
		`relaylab_bounces_total{category="unknown"} 1`,
		`relaylab_expired_total 1`,
		`relaylab_suppressed_total 1`,
		`relaylab_probe_listed{check="dnsbl:zen.example",target="192.0.2.10"} 1`,
		`relaylab_probe_listed{check="spf",target="example.org"} 0`,
		`relaylab_probe_changes_total 1`,
		`relaylab_queue_depth 3`,
		`relaylab_events_total{kind="relay.bounced"} 3`,
	} {
		if !strings.Contains(text, want+"\n") {
			t.Errorf("metrics lack %q", want)
		}
	}
	if strings.Contains(text, "promhttp_metric_handler_requests_total") {
		t.Errorf("metrics include the default registry's collectors")
	}
}

// A scrape before any bounce already has each category's series at 0:
// an alert on rate(relaylab_bounces_total{category="spam-block"}[5m])
// otherwise has nothing to read until the first such bounce.
func TestMetricsBounceCategoriesFromStart(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Options{})
	code, _, body := do(t, "GET", ts.url+"/metrics", "")
	if code != 200 {
		t.Fatalf("metrics: %d", code)
	}
	for _, want := range []string{
		`relaylab_bounces_total{category="spam-block"} 0`,
		`relaylab_bounces_total{category="invalid-recipient"} 0`,
		`relaylab_bounces_total{category="expired"} 0`,
		`relaylab_messages_accepted_total{by="relay"} 0`,
		`relaylab_messages_accepted_total{by="sink"} 0`,
	} {
		if !strings.Contains(string(body), want+"\n") {
			t.Errorf("metrics lack %q before any bounce", want)
		}
	}
}

func FuzzObserve(f *testing.F) {
	for _, s := range []string{`{}`, `{"code":451,"stage":"rcpt"}`, `{"reply":{"code":"550"}}`, `{"latency":-5}`, `{"latency_ms":1e308}`, `[`, `{"category":"\u0000"}`} {
		f.Add("relay.attempt", s)
		f.Add("sink.reply", s)
	}
	m := newMetrics(nil, nil, nil)
	f.Fuzz(func(t *testing.T, kind, payload string) {
		m.observe(events.Event{Kind: kind, Payload: []byte(payload)}) // must not panic
	})
}
