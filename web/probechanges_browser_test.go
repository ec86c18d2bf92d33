package web

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/events"
)

// TestBrowserProbeChanges: the Probes page says what each run changed and
// which lists a clean IP was checked on, in words, on a page no wider than
// the screen at 1366px and at 390px, with an IP and a time never broken
// in the middle; the check column names the checks a run made.
func TestBrowserProbeChanges(t *testing.T) {
	b := newBrowser(t)
	st := openStore(t, clock.Real{})
	p, changes := probeChangesFixture(t)
	for i := len(changes) - 1; i >= 0; i-- {
		c := changes[i]
		appendEvents(t, st, events.Event{Kind: events.ProbeChanged, Time: c.Time, Target: c.Target}.WithPayload(map[string]any{
			"time": c.Time, "target": c.Target, "key": c.Key, "kind": c.Kind, "old": c.Old, "new": c.New, "note": c.Note}))
	}
	s := listen(t, Options{Store: st, Probe: p})
	base := "http://" + s.Addr()

	for _, vp := range []struct {
		name          string
		width, height int64
		mobile        bool
	}{{"desktop", 1366, 900, false}, {"phone", 390, 844, true}} {
		if vp.mobile {
			b.do(t, chromedp.EmulateViewport(vp.width, vp.height, chromedp.EmulateMobile))
		} else {
			b.do(t, chromedp.EmulateViewport(vp.width, vp.height))
		}
		b.do(t, chromedp.Navigate(base+"/#/probes"))
		b.waitFor(t, "the results and the changes", `document.querySelectorAll("#probe-rows tr").length === 2 && document.querySelector("#probe-changes li")`)
		b.screenshot(t, "probe-changes-"+vp.name)
		// A phone's layout viewport grows with what overflows it: measure
		// against the screen's width.
		fits := fmt.Sprintf(`document.documentElement.scrollWidth <= %d`, vp.width)
		if b.eval(t, fits) != true {
			t.Errorf("%s: the page is %vpx wide on a %dpx screen", vp.name, b.eval(t, `document.documentElement.scrollWidth`), vp.width)
		}
		// Recent changes: in words, not JSON; the long key wrapped or
		// shortened, with its whole value at hand.
		recent := b.eval(t, `document.getElementById("probe-changes").innerText`).(string)
		for _, want := range []string{"shop.test", "SPF record", "v=spf1 ip4:127.0.0.0/8 -all", "DKIM key", "s1", "22:10:12Z", "v=spf1 -all <img src=x onerror=alert(1)>",
			"one SPF record again, where there were two"} {
			if !strings.Contains(recent, want) {
				t.Errorf("%s: the recent changes lack %q:\n%s", vp.name, want, recent)
			}
		}
		if strings.Contains(recent, `{"`) || strings.Contains(recent, `"kind"`) {
			t.Errorf("%s: the recent changes show raw JSON:\n%s", vp.name, recent)
		}
		full := fmt.Sprintf(`[...document.querySelectorAll("#probe-changes [title], #probe-changes details")].some(e => (e.title || e.textContent).includes(%q))`, longKey)
		if b.eval(t, full) != true {
			t.Errorf("%s: the rotated key's full value is nowhere in the recent changes", vp.name)
		}
		if n := b.eval(t, `document.querySelectorAll("#main img").length`); n != float64(0) {
			t.Errorf("%s: a change's value made %v elements", vp.name, n)
		}
		// The clean IP: which lists, and that it is on none of them.
		ip := b.eval(t, `[...document.querySelectorAll("#probe-rows tr")].find(tr => tr.dataset.id === "127.100.200.250").innerText`).(string)
		for _, want := range []string{"not listed on 1", "zen.bl.test", "blocklist, ptr"} {
			if !strings.Contains(ip, want) {
				t.Errorf("%s: the IP's row lacks %q:\n%s", vp.name, want, ip)
			}
		}
		// One line each for the IP and the time.
		for _, cell := range []string{`[data-id="127.100.200.250"] .target`, `[data-id="127.100.200.250"] .checked`} {
			lines := b.eval(t, `(() => { const e = document.querySelector('#probe-rows `+cell+`'); if (!e) return -1; const r = document.createRange(); r.selectNodeContents(e); return new Set([...r.getClientRects()].map(x => Math.round(x.top))).size; })()`)
			if lines != float64(1) {
				t.Errorf("%s: %s takes %v lines, want 1 (-1: not found)", vp.name, cell, lines)
			}
		}
		// The domain's row and its history say what its last run changed.
		b.eval(t, `document.querySelector('#probe-rows tr[data-id="shop.test"] td').click()`)
		b.waitFor(t, "the history", `document.querySelectorAll("#probe-history li.run").length === 2`)
		newest := b.eval(t, `document.querySelector("#probe-history li.run").innerText`).(string)
		for _, want := range []string{"2 changes", "SPF record", "v=spf1 -all", "v=spf1 ip4:127.0.0.0/8 -all", "DKIM key", "s1"} {
			if !strings.Contains(newest, want) {
				t.Errorf("%s: the newest run in the history lacks %q:\n%s", vp.name, want, newest)
			}
		}
		if older := b.eval(t, `document.querySelectorAll("#probe-history li.run")[1].innerText`).(string); strings.Contains(older, "change") {
			t.Errorf("%s: the older run, which changed nothing, reads %q", vp.name, older)
		}
		if b.eval(t, fits) != true {
			t.Errorf("%s: with the history open, the page is %vpx wide on a %dpx screen", vp.name, b.eval(t, `document.documentElement.scrollWidth`), vp.width)
		}
		b.eval(t, `document.getElementById("probe-history").scrollIntoView()`)
		b.screenshot(t, "probe-changes-history-"+vp.name)
	}
	if ex := b.exceptions(); len(ex) > 0 {
		t.Fatalf("uncaught errors or stray logs in the page: %v", ex)
	}
}
