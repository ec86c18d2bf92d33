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

// TestBrowserProbesHistoryCheck: the history of a target can keep the runs
// that made one check, picked from the checks its results made, and keeps
// that choice when a new result redraws it.
func TestBrowserProbesHistoryCheck(t *testing.T) {
	b := newBrowser(t)
	st := openStore(t, clock.Real{})
	now := time.Now()
	probe := &fakeProbe{}
	probe.add(ProbeResult{Target: "shop.test", Check: "spf, dkim, dmarc", Status: "ok", Detail: "records run", Time: now.Add(-2 * time.Hour)})
	probe.add(ProbeResult{Target: "shop.test", Check: "blocklist", Status: "warning", Detail: "blocklist run", Time: now.Add(-time.Hour)})
	s := listen(t, Options{Store: st, Probe: probe})
	runs := `[...document.querySelectorAll("#probe-history li.run")].map(li => li.innerText).join("\n")`

	b.do(t, chromedp.Navigate("http://"+s.Addr()+"/#/probes"))
	b.waitFor(t, "the results", `document.querySelectorAll("#probe-rows tr").length === 2`)
	b.eval(t, `document.querySelector("#probe-rows tr td").click()`)
	b.waitFor(t, "every run", `document.querySelectorAll("#probe-history li.run").length === 2`)
	opts := b.eval(t, `[...document.querySelectorAll("#probe-history-check option")].map(o => o.value + "=" + o.textContent).join(",")`)
	if opts != "=every check,spf=spf,dkim=dkim,dmarc=dmarc,blocklist=blocklist" {
		t.Errorf("the check picker offers %v", opts)
	}

	b.eval(t, `(() => { const s = document.getElementById("probe-history-check"); s.value = "blocklist"; s.dispatchEvent(new Event("change")); })()`)
	b.waitFor(t, "the blocklist runs", `document.querySelectorAll("#probe-history li.run").length === 1`)
	if got := b.eval(t, runs).(string); !strings.Contains(got, "blocklist run") {
		t.Errorf("with blocklist picked the history shows %q", got)
	}

	// A new blocklist run redraws the history with the same check kept:
	// two blocklist runs, not the records run as well.
	probe.add(ProbeResult{Target: "shop.test", Check: "blocklist", Status: "ok", Detail: "second blocklist run", Time: now})
	appendEvents(t, st, events.Event{Kind: events.ProbeResult, Target: "shop.test"}.WithPayload(map[string]any{"status": "ok"}))
	b.waitFor(t, "the redrawn history", `document.querySelectorAll("#probe-history li.run").length >= 2`)
	if got := b.eval(t, runs).(string); strings.Contains(got, "records run") || !strings.Contains(got, "second blocklist run") {
		t.Errorf("after a new blocklist run, with blocklist picked, the history shows %q", got)
	}
	if got := b.eval(t, `document.getElementById("probe-history-check").value`); got != "blocklist" {
		t.Errorf("the picker shows %v after the redraw, want blocklist", got)
	}
	b.eval(t, `(() => { const s = document.getElementById("probe-history-check"); s.value = "dkim"; s.dispatchEvent(new Event("change")); })()`)
	b.waitFor(t, "the dkim runs", `document.querySelectorAll("#probe-history li.run").length === 1`)
	if got := b.eval(t, runs).(string); !strings.Contains(got, "records run") {
		t.Errorf("with dkim picked the history shows %q", got)
	}
	b.screenshot(t, "probes-history-check")
	if ex := b.exceptions(); len(ex) > 0 {
		t.Fatalf("uncaught errors or stray logs in the page: %v", ex)
	}
}
