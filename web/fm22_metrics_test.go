package web

import (
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/events"
)

// TestFM22AttemptsByPath: relaylab_relay_attempts_total has the route
// path of each attempt beside its code, so that a primary smarthost
// failing over to the next shows as attempts moving between paths. The
// payload's path wins; the event's own Path stands in when the payload
// has none, and an attempt that names neither has path="".
func TestFM22AttemptsByPath(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Options{})
	evs := appendEvents(t, ts.st,
		events.Event{Kind: events.RelayAttempt, Path: "primary"}.WithPayload(map[string]any{"path": "primary", "host": "smart1.test", "reply": map[string]any{"code": 421}}),
		events.Event{Kind: events.RelayAttempt, Path: "primary"}.WithPayload(map[string]any{"path": "primary", "reply": map[string]any{"code": 421}}),
		events.Event{Kind: events.RelayAttempt, Path: "secondary"}.WithPayload(map[string]any{"path": "secondary", "reply": map[string]any{"code": 250}}),
		events.Event{Kind: events.RelayAttempt, Path: "from-event"}.WithPayload(map[string]any{"code": 250}),
		events.Event{Kind: events.RelayAttempt}.WithPayload(map[string]any{"code": 550}),
		events.Event{Kind: events.RelayAttempt}.WithPayload(map[string]any{"path": "bad\x01path", "code": 550}),
	)
	text := scrape(t, ts, evs)
	for _, want := range []string{
		`relaylab_relay_attempts_total{code="421",path="primary"} 2`,
		`relaylab_relay_attempts_total{code="250",path="secondary"} 1`,
		`relaylab_relay_attempts_total{code="250",path="from-event"} 1`,
		`relaylab_relay_attempts_total{code="550",path=""} 1`,
		`relaylab_relay_attempts_total{code="550",path="other"} 1`,
	} {
		if !strings.Contains(text, "\n"+want+"\n") {
			t.Errorf("metrics lack %q (the path label of a relay.attempt); have:\n%s", want, grepLines(text, "relaylab_relay_attempts_total"))
		}
	}
}

// TestFM22DeferralsByCategory: relaylab_deferrals_total is by category,
// as relaylab_bounces_total is, each known category at 0 from the start.
func TestFM22DeferralsByCategory(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Options{})
	if text := scrape(t, ts, nil); !strings.Contains(text, "\n"+`relaylab_deferrals_total{category="greylisted"} 0`+"\n") {
		t.Errorf("before any deferral, relaylab_deferrals_total{category=\"greylisted\"} should be 0 (an alert's rate() needs the series); have:\n%s", grepLines(text, "relaylab_deferrals_total"))
	}
	evs := appendEvents(t, ts.st,
		events.Event{Kind: events.RelayDeferred}.WithPayload(map[string]any{"category": "greylisted", "reason": "451 4.7.1 try later"}),
		events.Event{Kind: events.RelayDeferred}.WithPayload(map[string]any{"category": "greylisted"}),
		events.Event{Kind: events.RelayDeferred}.WithPayload(map[string]any{"category": "rate-limited"}),
		events.Event{Kind: events.RelayDeferred},
	)
	text := scrape(t, ts, evs)
	for _, want := range []string{
		`relaylab_deferrals_total{category="greylisted"} 2`,
		`relaylab_deferrals_total{category="rate-limited"} 1`,
		`relaylab_deferrals_total{category="unknown"} 1`,
		`relaylab_deferrals_total{category="spam-block"} 0`,
	} {
		if !strings.Contains(text, "\n"+want+"\n") {
			t.Errorf("metrics lack %q (the category of relay.deferred); have:\n%s", want, grepLines(text, "relaylab_deferrals_total"))
		}
	}
}

// TestFM22BuildInfo: relaylab_build_info is 1 with the version the
// server was given and Go's; "(unknown)" when it was given none.
func TestFM22BuildInfo(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ version, want string }{{"v1.4.2", "v1.4.2"}, {"", "(unknown)"}} {
		ts := startServer(t, Options{Version: tc.version})
		text := scrape(t, ts, nil)
		want := `relaylab_build_info{goversion="` + runtime.Version() + `",version="` + tc.want + `"} 1`
		if !strings.Contains(text, "\n"+want+"\n") {
			t.Errorf("Options.Version %q: metrics lack %q; have:\n%s", tc.version, want, grepLines(text, "relaylab_build_info"))
		}
	}
}

// TestFM22PruneMetrics: with Options.Prune, the failures of store.keep's
// prune count from 0 and the last success has no sample until there was
// one; without it (store.keep 0), neither is there.
func TestFM22PruneMetrics(t *testing.T) {
	t.Parallel()
	const (
		last  = "relaylab_store_prune_last_success_timestamp_seconds"
		fails = "relaylab_store_prune_failures_total"
	)
	if text := scrape(t, startServer(t, Options{}), nil); strings.Contains(text, last) || strings.Contains(text, fails) {
		t.Errorf("without Options.Prune (nothing prunes) the prune metrics should be absent; have:\n%s", grepLines(text, "relaylab_store_prune"))
	}
	ps := new(PruneStats)
	ts := startServer(t, Options{Prune: ps})
	text := scrape(t, ts, nil)
	if strings.Contains(text, "\n"+last+" ") || !strings.Contains(text, "\n"+fails+" 0\n") {
		t.Errorf("before the first prune: want %s 0 and no %s sample; have:\n%s", fails, last, grepLines(text, "relaylab_store_prune"))
	}
	ps.PruneFailed()
	ps.Pruned(time.Unix(1700000000, 500_000_000))
	ps.PruneFailed()
	text = scrape(t, ts, nil)
	for _, want := range []string{fails + " 2", last + " 1.7000000005e+09"} {
		if !strings.Contains(text, "\n"+want+"\n") {
			t.Errorf("after two failed prunes and one that worked: metrics lack %q; have:\n%s", want, grepLines(text, "relaylab_store_prune"))
		}
	}
	if !strings.Contains(text, "# TYPE "+fails+" counter\n") || !strings.Contains(text, "# TYPE "+last+" gauge\n") {
		t.Errorf("prune metrics of the wrong type; have:\n%s", grepLines(text, "relaylab_store_prune"))
	}
}
