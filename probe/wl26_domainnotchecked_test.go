package probe

import (
	"context"
	"strings"
	"testing"
)

// TestWL26DomainNotChecked: a domain probed with IP blocklists alone
// (probe.zones or --zones without a list of kind domain or uri) was asked
// about nothing, yet its blocklist check read ok, and the watchlist's
// relaylab_probe_status 0. It is said not checked, a warning, as an IP
// that no list takes is; once, however often review runs; and not when
// a domain list was asked.
func TestWL26DomainNotChecked(t *testing.T) {
	t.Parallel()
	r, _ := testResolver(t, "../testdata/dns/blocklists.zone")
	for _, tt := range []struct {
		name  string
		zones []Zone
		want  Status
	}{
		{"ip lists only", []Zone{{Zone: "good.bl.test", Kind: ZoneIP}}, StatusWarning},
		{"a domain list", []Zone{{Zone: "good.bl.test", Kind: ZoneIP}, {Zone: "dom.bl.test", Kind: ZoneDomain}}, StatusOK},
		{"a uri list", []Zone{{Zone: "uri.bl.test", Kind: ZoneURI}}, StatusOK},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			req := Request{Domain: "clean.example", Zones: tt.zones, NoRecords: true, Watched: true}
			rep := Run(context.Background(), Deps{Resolver: r}, req)
			rep.review(req)
			var bl *CheckSummary
			for i := range rep.Checks {
				if rep.Checks[i].Check == "blocklist" {
					bl = &rep.Checks[i]
				}
			}
			if bl == nil {
				t.Fatalf("no blocklist check in %+v", rep.Checks)
			}
			var notChecked []Finding
			for _, f := range bl.Findings {
				if f.Code == "blocklist.not-checked" {
					notChecked = append(notChecked, f)
				}
			}
			if bl.Status != tt.want {
				t.Errorf("blocklist status %s, want %s (findings %+v)", bl.Status, tt.want, bl.Findings)
			}
			p := resultPayload(rep, 0, 0)
			for _, c := range p.Checks {
				if c.Check == "blocklist" && c.Status != tt.want {
					t.Errorf("probe.result blocklist %s, want %s", c.Status, tt.want)
				}
			}
			if tt.want == StatusOK {
				if len(notChecked) > 0 {
					t.Errorf("not-checked %+v, though a domain list was asked", notChecked)
				}
				return
			}
			if len(notChecked) != 1 {
				t.Fatalf("not-checked findings %+v: want one, about clean.example", notChecked)
			}
			f := notChecked[0]
			if f.Name != "clean.example" || f.Severity != SevWarning || f.RFC != "RFC 5782 2.3" {
				t.Errorf("finding %+v: want a warning about clean.example, RFC 5782 2.3", f)
			}
			for _, w := range []string{"clean.example is not checked (no domain blocklist configured)", "the one blocklist configured, good.bl.test, lists IP addresses only", "kind: domain", "--zones", "probe.zones", "dbl.spamhaus.org"} {
				if !strings.Contains(f.Message, w) {
					t.Errorf("%q lacks %q", f.Message, w)
				}
			}
		})
	}
}
