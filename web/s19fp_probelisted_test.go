package web

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/relaylab/relaylab/internal/dnstest"
	"github.com/relaylab/relaylab/internal/resolver"
	"github.com/relaylab/relaylab/probe"
)

// TestMetricsProbeListedFromMonitor: relaylab_probe_listed is read from
// the probe.result events a real probe.Monitor writes: a series per
// blocklist (check="dnsbl:ZONE") that follows the listing, not the
// report's overall status; an unknown answer has no listed sample but
// relaylab_probe_unknown 1. Before, the monitor's payload named no check
// and every series read check="unknown" with the overall status.
func TestMetricsProbeListedFromMonitor(t *testing.T) {
	t.Parallel()
	dnsSrv := dnstest.New()
	for _, rr := range []string{
		"good.bl.test. 60 IN SOA ns.bl.test. hm.bl.test. 1 60 60 60 30",
		"2.0.0.127.good.bl.test. 60 IN A 127.0.0.2",
		"20.2.0.192.good.bl.test. 60 IN A 127.0.0.2",
		"clean.bl.test. 60 IN SOA ns.bl.test. hm.bl.test. 1 60 60 60 30",
		"2.0.0.127.clean.bl.test. 60 IN A 127.0.0.2",
		// No PTR for 192.0.2.20: the report's status is error
		// whatever the blocklists say.
		"2.0.192.in-addr.arpa. 60 IN SOA ns.bl.test. hm.bl.test. 1 60 60 60 30",
	} {
		if err := dnsSrv.AddString(rr); err != nil {
			t.Fatal(err)
		}
	}
	if err := dnsSrv.Listen(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(dnsSrv.Close)
	r, err := resolver.New(resolver.Options{Servers: []string{dnsSrv.Addr}, Timeout: time.Second, Attempts: 2, CacheSize: -1})
	if err != nil {
		t.Fatal(err)
	}
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
	// expect waits until the metrics show want (and lack each of
	// absent): the hub follows the log on its own goroutine.
	expect := func(step string, want, absent []string) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second) // a hang, not a speed check
		for {
			_, _, body := do(t, "GET", ts.url+"/metrics", "")
			text, missing := string(body), ""
			for _, w := range want {
				if !strings.Contains(text, w+"\n") {
					missing = w
				}
			}
			for _, a := range absent {
				if strings.Contains(text, a) {
					missing = "no " + a
				}
			}
			if missing == "" {
				return
			}
			if time.Now().After(deadline) {
				var probeLines []string
				for _, l := range strings.Split(text, "\n") {
					if strings.HasPrefix(l, "relaylab_probe_") {
						probeLines = append(probeLines, l)
					}
				}
				t.Fatalf("%s: metrics lack %q; probe series:\n%s", step, missing, strings.Join(probeLines, "\n"))
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	run()
	expect("listed", []string{
		`relaylab_probe_listed{check="dnsbl:good.bl.test",target="192.0.2.20"} 1`,
		`relaylab_probe_listed{check="dnsbl:clean.bl.test",target="192.0.2.20"} 0`,
		`relaylab_probe_unknown{check="dnsbl:absent.bl.test",target="192.0.2.20"} 1`,
		`relaylab_probe_unknown{check="dnsbl:good.bl.test",target="192.0.2.20"} 0`,
	}, []string{`relaylab_probe_listed{check="dnsbl:absent.bl.test"`, `check="unknown"`})

	// Delisted: 0, though the missing PTR keeps the report an error.
	dnsSrv.Remove("20.2.0.192.good.bl.test.", dns.TypeA)
	run()
	expect("delisted", []string{`relaylab_probe_listed{check="dnsbl:good.bl.test",target="192.0.2.20"} 0`}, nil)

	// The list stops answering: unknown, never read as clean.
	dnsSrv.Set("2.0.0.127.good.bl.test.", dnstest.ServFail)
	dnsSrv.Set("20.2.0.192.good.bl.test.", dnstest.ServFail)
	run()
	expect("unknown", []string{`relaylab_probe_unknown{check="dnsbl:good.bl.test",target="192.0.2.20"} 1`},
		[]string{`relaylab_probe_listed{check="dnsbl:good.bl.test"`})
}
