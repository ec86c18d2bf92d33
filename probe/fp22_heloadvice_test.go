package probe

import (
	"context"
	"net/http"
	"net/netip"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/clock"
)

// heloFindings runs the SPF checks of ips saying HELO helo (or each its
// own, with helos) on espWorld, and returns the spf.helo-result messages.
func heloFindings(t *testing.T, extra []string, ips []string, helo string, helos map[string]string) []string {
	t.Helper()
	r, srv := espWorld(t, "v=spf1 -all", 0)
	if err := srv.AddString(extra...); err != nil {
		t.Fatal(err)
	}
	req := Request{Helo: helo, NoBlocklists: true}
	for _, s := range ips {
		a := netip.MustParseAddr(s)
		req.IPs = append(req.IPs, a)
		if h, ok := helos[s]; ok {
			if req.IPHelos == nil {
				req.IPHelos = map[netip.Addr]string{}
			}
			req.IPHelos[a] = h
		}
	}
	rep := Run(context.Background(), Deps{Resolver: r}, req)
	var out []string
	for _, f := range rep.Findings() {
		if f.Code == "spf.helo-result" {
			out = append(out, f.Message)
		}
	}
	return out
}

// TestHeloAdviceSaysAWorksNow: a HELO name without an SPF record that
// already has an A record of the IP gets "v=spf1 a -all" as what works
// now, not "once it has an A record". Before, the advice said "once"
// even then.
func TestHeloAdviceSaysAWorksNow(t *testing.T) {
	t.Parallel()
	fs := heloFindings(t, []string{"out1.example.test. 60 IN A 192.0.2.10"}, []string{"192.0.2.10"}, "out1.example.test", nil)
	if len(fs) != 1 || !strings.Contains(fs[0], `"v=spf1 a -all"`) || strings.Contains(fs[0], "once") || !strings.Contains(fs[0], "now") {
		t.Errorf("findings %q: want one that offers \"v=spf1 a -all\" as working now", fs)
	}
}

// TestHeloAdviceMergesIPs: two IPs that say one HELO name get one record
// that lists both, not two records of one IP each that conflict (a name
// has one SPF record); "a" is offered for the IP that the name lacks.
func TestHeloAdviceMergesIPs(t *testing.T) {
	t.Parallel()
	fs := heloFindings(t, []string{"out1.example.test. 60 IN A 192.0.2.10"}, []string{"192.0.2.10", "192.0.2.11"}, "out1.example.test", nil)
	if len(fs) != 2 {
		t.Fatalf("findings %q: want two", fs)
	}
	// The first IP's finding says the advice whole; the other's names
	// the same record without repeating the rest (fp24).
	for i, f := range fs {
		wants := []string{`"v=spf1 ip4:192.0.2.10 ip4:192.0.2.11 -all"`, "2 IPs", `"v=spf1 a -all" once out1.example.test has an A/AAAA record of 192.0.2.11`}
		if i > 0 {
			wants = []string{`"v=spf1 ip4:192.0.2.10 ip4:192.0.2.11 -all"`, "the one record proposed with 192.0.2.10 covers this IP too"}
		}
		for _, want := range wants {
			if !strings.Contains(f, want) {
				t.Errorf("finding %q lacks %q", f, want)
			}
		}
	}
}

// TestPerIPHelo: each IP can say its own HELO name (Request.IPHelos):
// each is checked with its own.
func TestPerIPHelo(t *testing.T) {
	t.Parallel()
	fs := heloFindings(t, []string{"out1.example.test. 60 IN A 192.0.2.10", "out2.example.test. 60 IN A 192.0.2.11"},
		[]string{"192.0.2.10", "192.0.2.11"}, "", map[string]string{"192.0.2.10": "out1.example.test", "192.0.2.11": "out2.example.test"})
	joined := strings.Join(fs, "\n")
	for _, want := range []string{"HELO name out1.example.test from 192.0.2.10", "HELO name out2.example.test from 192.0.2.11"} {
		if !strings.Contains(joined, want) {
			t.Errorf("findings lack %q:\n%s", want, joined)
		}
	}
	if strings.Contains(joined, "out1.example.test from 192.0.2.11") || strings.Contains(joined, "2 IPs") {
		t.Errorf("an IP was checked with another's HELO name:\n%s", joined)
	}
}

// TestMonitorMergesHeloAdvice: the watchlist checks each IP in a report
// of its own; two that say one HELO name are still offered one record
// that lists both.
func TestMonitorMergesHeloAdvice(t *testing.T) {
	t.Parallel()
	r, _ := espWorld(t, "v=spf1 -all", 0)
	vc := clock.NewVirtual(epoch)
	st := openStore(t, vc)
	cfg := DefaultConfig()
	cfg.IPs = IPs("192.0.2.10", "192.0.2.11")
	cfg.Helo = "out1.example.test"
	cfg.Zones = []Zone{{Zone: "none.bl.test", Kind: ZoneIP}}
	m, err := NewMonitor(cfg, Options{Store: st, Clock: vc, Logger: discard(), Resolver: r, HTTPClient: &http.Client{}})
	if err != nil {
		t.Fatal(err)
	}
	m.RunOnce(context.Background()) //nolint:errcheck // the unknown blocklist is not the point
	latest, err := LatestResults(context.Background(), st.DB())
	if err != nil || len(latest) != 2 {
		t.Fatalf("latest = %d results, %v", len(latest), err)
	}
	for _, res := range latest {
		if !strings.Contains(string(res.Report), `\"v=spf1 ip4:192.0.2.10 ip4:192.0.2.11 -all\"`) {
			t.Errorf("the report of %s does not offer the one record of both IPs:\n%s", res.Target, res.Report)
		}
	}
}
