package web

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/events"
)

// fp24Browser is a browser that resolves no name but 127.0.0.1.
func fp24Browser(t *testing.T) *browserPage {
	t.Helper()
	return newBrowser(t, chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"))
}

// TestBrowserFP24ProbeChanges: without results the page says that no
// domain or IP is watched and how to watch some (not "No checks yet",
// which reads as results on their way); once there are results, the
// count above the table counts targets, not results; a revoked DKIM key
// reads "DKIM key revoked", not "rotated"; an MTA-STS policy changed
// under the same id shows the server's note, and the headline leaves the
// explanation to it.
func TestBrowserFP24ProbeChanges(t *testing.T) {
	b := fp24Browser(t)
	st := openStore(t, clock.Real{})
	probe := &fakeProbe{}
	s := listen(t, Options{Store: st, Probe: probe})
	b.do(t, chromedp.Navigate("http://"+s.Addr()+"/#/probes"))
	b.waitFor(t, "the note", `document.getElementById("probes-empty")`)
	empty := b.eval(t, `document.getElementById("probes-empty").textContent`).(string)
	for _, want := range []string{"No domains or IP addresses are watched yet", "To watch some, list them under probe.domains and probe.ips", "README"} {
		if !strings.Contains(empty, want) {
			t.Errorf("the note %q lacks %q", empty, want)
		}
	}
	if strings.Contains(empty, "No checks yet") {
		t.Errorf("the note %q still says no checks yet", empty)
	}

	now := time.Now()
	probe.add(ProbeResult{Target: "shop.test", Check: "spf, dkim", Status: "ok", Time: now.Add(-time.Hour)})
	probe.add(ProbeResult{Target: "shop.test", Check: "blocklist", Status: "ok", Time: now})
	probe.add(ProbeResult{Target: "192.0.2.25", Check: "blocklist, ptr", Status: "ok", Time: now})
	const note = "the MTA-STS policy of shop.test changed but the id in _mta-sts.shop.test did not (still 1): publish a new id"
	appendEvents(t, st,
		events.Event{Kind: events.ProbeChanged, Target: "shop.test"}.WithPayload(map[string]any{
			"id": 1, "kind": "key-revoked", "key": "domain shop.test dkim s1", "old": "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=", "new": "v=DKIM1; p="}),
		events.Event{Kind: events.ProbeChanged, Target: "shop.test"}.WithPayload(map[string]any{
			"id": 2, "kind": "record-changed", "key": "domain shop.test mta-sts", "old": "v=STSv1; id=1 policy aaaa", "new": "v=STSv1; id=1 policy bbbb", "note": note}))
	b.waitFor(t, "the changes", `document.querySelectorAll("#probe-changes li.change").length === 2`)
	changes := b.eval(t, `document.getElementById("probe-changes").innerText`).(string)
	for _, want := range []string{"DKIM key revoked (selector s1)", "MTA-STS policy changed under the same id:", note} {
		if !strings.Contains(changes, want) {
			t.Errorf("the changes lack %q:\n%s", want, changes)
		}
	}
	if strings.Contains(changes, "rotated") || strings.Contains(changes, "senders that cached the old one keep it") {
		t.Errorf("the changes say rotated, or repeat the note in the headline:\n%s", changes)
	}
	b.waitFor(t, "the results", `document.querySelectorAll("#probe-rows tr").length === 3`)
	if got := b.eval(t, `document.querySelector("#main > p.muted").textContent`); got != "2 targets" {
		t.Errorf("the count says %q, want \"2 targets\" (two targets, three results)", got)
	}
}
