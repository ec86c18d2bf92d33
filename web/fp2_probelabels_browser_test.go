package web

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/events"
)

// TestBrowserProbeChangeLabels: the Probes page names a watched IP's
// reverse DNS change in words, not by its raw key, and says of an MTA-STS
// change what changed: only the record's id, only the policy (under the
// same id), or both. Before, the first showed "record-changed ip IP ptr"
// and each MTA-STS change read "record and policy changed".
func TestBrowserProbeChangeLabels(t *testing.T) {
	b := newBrowser(t)
	st := openStore(t, clock.Real{})
	at := time.Date(2026, 3, 1, 22, 10, 12, 0, time.UTC)
	const (
		pol1 = " policy 1111111111111111111111111111111111111111111111111111111111111111"
		pol2 = " policy 2222222222222222222222222222222222222222222222222222222222222222"
	)
	for _, c := range []map[string]any{
		{"target": "127.0.2.20", "key": "ip 127.0.2.20 ptr", "kind": "record-changed",
			"old": "mail.shop.test (forward-confirmed)", "new": "mail.shop.test (not forward-confirmed)", "note": "the PTR name of 127.0.2.20 no longer resolves back to it"},
		{"target": "127.0.2.21", "key": "ip 127.0.2.21 ptr", "kind": "record-added", "old": "", "new": "mx.shop.test (forward-confirmed)"},
		{"target": "shop.test", "key": "domain shop.test mta-sts", "kind": "record-changed",
			"old": "v=STSv1; id=20260101" + pol1, "new": "v=STSv1; id=20260301" + pol1},
		{"target": "news.shop.test", "key": "domain news.shop.test mta-sts", "kind": "record-changed",
			"old": "v=STSv1; id=1" + pol1, "new": "v=STSv1; id=1" + pol2},
		{"target": "mail.shop.test", "key": "domain mail.shop.test mta-sts", "kind": "record-changed",
			"old": "v=STSv1; id=1" + pol1, "new": "v=STSv1; id=2" + pol2},
	} {
		c["time"] = at
		appendEvents(t, st, events.Event{Kind: events.ProbeChanged, Time: at, Target: c["target"].(string)}.WithPayload(c))
	}
	s := listen(t, Options{Store: st, Probe: &fakeProbe{}})
	b.do(t, chromedp.Navigate("http://"+s.Addr()+"/#/probes"))
	b.waitFor(t, "the changes", `document.querySelectorAll("#probe-changes li").length === 5`)
	line := func(target string) string {
		t.Helper()
		return b.eval(t, `[...document.querySelectorAll("#probe-changes li")].find(li => li.querySelector(".mono").textContent === "`+target+`").innerText`).(string)
	}
	for _, tc := range []struct{ target, want string }{
		{"127.0.2.20", "reverse DNS (PTR) of 127.0.2.20 changed"},
		{"127.0.2.21", "reverse DNS (PTR) of 127.0.2.21 published"},
		{"shop.test", "MTA-STS id changed, policy unchanged"},
		{"news.shop.test", "MTA-STS policy changed under the same id"},
		{"mail.shop.test", "MTA-STS id and policy changed"},
	} {
		got := line(tc.target)
		if !strings.Contains(got, tc.want) {
			t.Errorf("%s: the change reads %q, want %q", tc.target, got, tc.want)
		}
		if strings.Contains(got, "record-changed") || strings.Contains(got, " ptr") {
			t.Errorf("%s: the change shows its raw kind or key: %q", tc.target, got)
		}
	}
	if ex := b.exceptions(); len(ex) > 0 {
		t.Fatalf("uncaught errors or stray logs in the page: %v", ex)
	}
}
