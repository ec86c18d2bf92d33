package web

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/events"
)

// TestBrowserProbeResultChanged: a result-changed change (a check's
// outcome moved while its record did not: an included SPF record grew
// past 10 lookups) reads "SPF result changed" with both outcomes, not
// the raw kind and key.
func TestBrowserProbeResultChanged(t *testing.T) {
	b := newBrowser(t)
	st := openStore(t, clock.Real{})
	p, _ := probeChangesFixture(t)
	at := time.Date(2026, 11, 30, 5, 0, 0, 0, time.UTC)
	appendEvents(t, st, events.Event{Kind: events.ProbeChanged, Time: at, Target: "shop.test"}.WithPayload(map[string]any{
		"time": at, "target": "shop.test", "key": "domain shop.test spf-result", "kind": "result-changed",
		"old": "pass (10 lookups)", "new": "permerror: spf.lookup-limit (11 lookups)",
		"note": "SPF now gives permerror (its own SPF record did not change: a record it includes or redirects to did)"}))
	s := listen(t, Options{Store: st, Probe: p})
	b.do(t, chromedp.Navigate("http://"+s.Addr()+"/#/probes"))
	b.waitFor(t, "the changes", `document.querySelector("#probe-changes li")`)
	recent := b.eval(t, `document.getElementById("probe-changes").innerText`).(string)
	for _, want := range []string{"SPF result changed", "pass (10 lookups)", "permerror: spf.lookup-limit (11 lookups)"} {
		if !strings.Contains(recent, want) {
			t.Errorf("the recent changes lack %q:\n%s", want, recent)
		}
	}
	if strings.Contains(recent, "result-changed domain") {
		t.Errorf("the change shows its raw kind and key:\n%s", recent)
	}
}
