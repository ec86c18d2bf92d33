package web

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/events"
)

// TestBrowserProbes: the Probes page shows what each result found and what
// to do (as text: a finding is outside input), in the list and in the
// history, and follows the event stream: a new result appears without a
// reload, and the pill says live.
func TestBrowserProbes(t *testing.T) {
	b := newBrowser(t)
	st := openStore(t, clock.Real{})
	now := time.Now()
	probe := &fakeProbe{}
	probe.add(ProbeResult{Target: "shop.test", Check: "all", Status: "error", Detail: "1 errors, 1 warnings", Time: now.Add(-time.Hour),
		Findings: []ProbeFinding{
			{Check: "spf", Severity: "error", Code: "spf.missing", Message: "No SPF record: publish `v=spf1 -all` at shop.test <img src=x onerror=alert(1)>", Name: "shop.test", RFC: "RFC 7208 4.5"},
			{Check: "dmarc", Severity: "warning", Code: "dmarc.p-none", Message: "p=none asks receivers for nothing", Name: "_dmarc.shop.test"},
			{Check: "mx", Severity: "info", Code: "mx.found", Message: "mx.shop.test takes the mail"},
		}})
	s := listen(t, Options{Store: st, Probe: probe})
	base := "http://" + s.Addr()
	status := `document.getElementById("status").textContent`

	b.do(t, chromedp.Navigate(base+"/#/probes"))
	b.waitFor(t, "the findings", `document.querySelector('#probe-rows li.finding[data-kind="error"]')`)
	row := b.eval(t, `document.querySelector("#probe-rows tr").innerText`).(string)
	for _, want := range []string{"No SPF record: publish v=spf1 -all at shop.test <img src=x onerror=alert(1)>", "spf.missing · shop.test · RFC 7208 4.5", "p=none asks receivers for nothing", "1 fact"} {
		if !strings.Contains(row, want) {
			t.Errorf("the result's row lacks %q:\n%s", want, row)
		}
	}
	if got := b.eval(t, `document.querySelector("#probe-rows li.finding code")?.textContent`); got != "v=spf1 -all" {
		t.Errorf("the backticked record shows as %v, want <code>v=spf1 -all</code>", got)
	}
	if n := b.eval(t, `document.querySelectorAll("#main img").length`); n != float64(0) {
		t.Errorf("a finding's text made %v elements", n)
	}
	b.waitFor(t, "the pill says live", status+` === "live"`)

	b.eval(t, `document.querySelector("#probe-rows tr td").click()`)
	b.waitFor(t, "the history's findings", `document.querySelector("#probe-history details li.finding")`)

	// A new result: its event redraws the list and the open history.
	probe.add(ProbeResult{Target: "shop.test", Check: "all", Status: "ok", Detail: "0 errors, 0 warnings", Time: now})
	appendEvents(t, st, events.Event{Kind: events.ProbeResult, Target: "shop.test"}.WithPayload(map[string]any{"status": "ok", "errors": 0, "warnings": 0}))
	b.waitFor(t, "the new result", `[...document.querySelectorAll("#probe-rows tr")].some(tr => tr.textContent.includes("0 errors, 0 warnings"))`)
	b.waitFor(t, "the new result in the history", `document.querySelectorAll("#probe-history li .badge.p-ok").length === 1`)
	b.screenshot(t, "probes-findings")
	if ex := b.exceptions(); len(ex) > 0 {
		t.Fatalf("uncaught errors or stray logs in the page: %v", ex)
	}
}

// TestBrowserProbesNone: with nothing checked yet, the Probes page says
// where the targets come from, not only "0 check(s)".
func TestBrowserProbesNone(t *testing.T) {
	b := newBrowser(t)
	s := listen(t, Options{Probe: &fakeProbe{}})
	b.do(t, chromedp.Navigate("http://"+s.Addr()+"/#/probes"))
	b.waitFor(t, "the note", `document.getElementById("probes-empty")`)
	note := b.eval(t, `document.getElementById("probes-empty").textContent`).(string)
	for _, want := range []string{"probe.domains", "probe.ips", "relaylab probe DOMAIN"} {
		if !strings.Contains(note, want) {
			t.Errorf("the note %q does not name %s", note, want)
		}
	}
}
