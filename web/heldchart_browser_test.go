package web

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/events"
)

// TestBrowserChartHoldsApart: the Charts page draws the relay's shaping
// holds as their own series, "held by shaping", and its caption says what
// they are, instead of adding them to the deferrals (one bar of 31 where
// the relay got 4 replies).
func TestBrowserChartHoldsApart(t *testing.T) {
	b := newBrowser(t)
	st := openStore(t, clock.Real{})
	s := listen(t, Options{Store: st})
	hold := events.Event{Kind: events.RelayDeferred}.WithPayload(map[string]any{"attempts": 0, "category": "destination-backoff",
		"reply": map[string]any{"stage": "shaping", "text": "not tried: destination path:sinkpath rests until 2026-11-28T17:58:44Z after a 421 or rate limit"}})
	soft := events.Event{Kind: events.RelayDeferred}.WithPayload(map[string]any{"attempts": 1, "category": "rate-limited",
		"reply": map[string]any{"stage": "rcpt", "code": 421, "text": "[TSS04] Messages temporarily deferred"}})
	appendEvents(t, st, hold, hold, hold, soft)

	b.do(t, chromedp.Navigate("http://"+s.Addr()+"/#/charts"))
	b.waitFor(t, "the chart", `document.querySelector("#chart-time svg rect")`)
	titles := b.eval(t, `[...document.querySelectorAll("#chart-time svg rect title")].map((t) => t.textContent.replace(/ at .*/, "")).sort().join(" | ")`).(string)
	if want := "deferred: 1 | held by shaping: 3"; titles != want {
		t.Errorf("the chart's bars: %q, want %q", titles, want)
	}
	if cls := b.eval(t, `document.querySelector("#chart-time .legend").innerText.replace(/\s+/g, " ").trim()`).(string); !strings.Contains(cls, "deferred held by shaping bounced") {
		t.Errorf("the legend: %q, want held by shaping in it", cls)
	}
	note := b.eval(t, `document.getElementById("chart-time-note")?.textContent ?? ""`).(string)
	for _, want := range []string{"Held by shaping, drawn apart", "sent nothing", "not in \"Replies the relay got\""} {
		if !strings.Contains(note, want) {
			t.Errorf("the chart's caption lacks %q: %q", want, note)
		}
	}
	if ex := b.exceptions(); len(ex) > 0 {
		t.Fatalf("uncaught errors or stray logs in the page: %v", ex)
	}
}
