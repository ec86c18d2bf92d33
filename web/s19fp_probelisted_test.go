package web

import (
	"context"
	"net/http"
	"testing"

	"github.com/miekg/dns"

	"github.com/relaylab/relaylab/internal/dnstest"
	"github.com/relaylab/relaylab/probe"
)

// TestMetricsProbeListedFromMonitor: relaylab_probe_listed is read from
// the probe.result events a real probe.Monitor writes: a series per
// blocklist (check="dnsbl:ZONE") that follows the listing, not the
// report's overall status; an unknown answer keeps the last listed
// sample (none before a first answer) with relaylab_probe_unknown 1. Before, the monitor's payload named no check
// and every series read check="unknown" with the overall status.
func TestMetricsProbeListedFromMonitor(t *testing.T) {
	t.Parallel()
	r, dnsSrv := probeDNS(t,
		"good.bl.test. 60 IN SOA ns.bl.test. hm.bl.test. 1 60 60 60 30",
		"2.0.0.127.good.bl.test. 60 IN A 127.0.0.2",
		"20.2.0.192.good.bl.test. 60 IN A 127.0.0.2",
		"clean.bl.test. 60 IN SOA ns.bl.test. hm.bl.test. 1 60 60 60 30",
		"2.0.0.127.clean.bl.test. 60 IN A 127.0.0.2",
		// No PTR for 192.0.2.20: the report's status is error
		// whatever the blocklists say.
		"2.0.192.in-addr.arpa. 60 IN SOA ns.bl.test. hm.bl.test. 1 60 60 60 30",
	)
	ts := startServer(t, Options{})
	cfg := probe.DefaultConfig()
	cfg.IPs = probe.IPs("192.0.2.20")
	// absent.bl.test is not served: refused, so unhealthy and unknown.
	for _, z := range []string{"good.bl.test", "clean.bl.test", "absent.bl.test"} {
		zone := probe.Zone{Zone: z, Kind: probe.ZoneIP}
		if err := zone.Validate(""); err != nil {
			t.Fatal(err)
		}
		cfg.Zones = append(cfg.Zones, zone)
	}
	m, err := probe.NewMonitor(cfg, probe.Options{Store: ts.st, Resolver: r, HTTPClient: &http.Client{}})
	if err != nil {
		t.Fatal(err)
	}
	run := func() { m.RunOnce(context.Background()) } //nolint:errcheck // an unhealthy list is not the monitor's failure
	run()
	expectMetrics(t, ts, "listed", []string{
		`relaylab_probe_listed{check="dnsbl:good.bl.test",target="192.0.2.20"} 1`,
		`relaylab_probe_listed{check="dnsbl:clean.bl.test",target="192.0.2.20"} 0`,
		`relaylab_probe_unknown{check="dnsbl:absent.bl.test",target="192.0.2.20"} 1`,
		`relaylab_probe_unknown{check="dnsbl:good.bl.test",target="192.0.2.20"} 0`,
	}, []string{`relaylab_probe_listed{check="dnsbl:absent.bl.test"`, `check="unknown"`})

	// Delisted: 0, though the missing PTR keeps the report an error.
	dnsSrv.Remove("20.2.0.192.good.bl.test.", dns.TypeA)
	run()
	expectMetrics(t, ts, "delisted", []string{`relaylab_probe_listed{check="dnsbl:good.bl.test",target="192.0.2.20"} 0`}, nil)

	// The list stops answering: unknown, never read as clean; the last
	// answer stays beside it.
	dnsSrv.Set("2.0.0.127.good.bl.test.", dnstest.ServFail)
	dnsSrv.Set("20.2.0.192.good.bl.test.", dnstest.ServFail)
	run()
	expectMetrics(t, ts, "unknown", []string{`relaylab_probe_unknown{check="dnsbl:good.bl.test",target="192.0.2.20"} 1`,
		`relaylab_probe_listed{check="dnsbl:good.bl.test",target="192.0.2.20"} 0`}, nil)
}
