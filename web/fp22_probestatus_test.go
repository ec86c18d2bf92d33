package web

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/relaylab/relaylab/internal/dnstest"
	"github.com/relaylab/relaylab/internal/events"
	"github.com/relaylab/relaylab/internal/resolver"
	"github.com/relaylab/relaylab/probe"
)

// TestMetricsProbeStatusFromMonitor: relaylab_probe_status{target,check}
// is the status of each check of a watched domain's last run, as a real
// probe.Monitor reports it: 0 ok, 1 warning, 2 error, kept while the
// check's answer is unknown, which relaylab_probe_unknown says. Before,
// /metrics had no status for a domain's checks at all.
func TestMetricsProbeStatusFromMonitor(t *testing.T) {
	t.Parallel()
	r, dnsSrv := probeDNS(t,
		"st.test. 60 IN SOA ns.st.test. hm.st.test. 1 60 60 60 30",
		`st.test. 60 IN TXT "v=spf1 ip4:192.0.2.1 -all"`,
		`_dmarc.st.test. 60 IN TXT "v=DMARC1; p=none"`,
	)
	ts := startServer(t, Options{})
	cfg := probe.DefaultConfig()
	cfg.Domains = probe.Domains("st.test")
	// A list of IPs, and no IP watched: no blocklist is asked.
	cfg.Zones = []probe.Zone{{Zone: "none.bl.test", Kind: probe.ZoneIP}}
	m, err := probe.NewMonitor(cfg, probe.Options{Store: ts.st, Resolver: r, HTTPClient: &http.Client{}})
	if err != nil {
		t.Fatal(err)
	}
	run := func() { m.RunOnce(context.Background()) } //nolint:errcheck // the records' errors are the point
	run()
	expectMetrics(t, ts, "ok", []string{
		`relaylab_probe_status{check="spf",target="st.test"} 0`,
		`relaylab_probe_status{check="dmarc",target="st.test"} 1`, // p=none
		`relaylab_probe_unknown{check="spf",target="st.test"} 0`,
	}, nil)
	dnsSrv.Remove("st.test.", dns.TypeTXT)
	if err := dnsSrv.AddString(`st.test. 60 IN TXT "v=spf1 ip4:192.0.2.1/33 -all"`); err != nil {
		t.Fatal(err)
	}
	run()
	expectMetrics(t, ts, "broken", []string{`relaylab_probe_status{check="spf",target="st.test"} 2`}, nil)
	// The domain's name servers fail: every check of its records is
	// unknown, which relaylab_probe_unknown says, and each status keeps
	// its last known value: an alert on an error must not resolve
	// because DNS failed (it did when the series was deleted).
	dnsSrv.Set("st.test.", dnstest.ServFail)
	run()
	expectMetrics(t, ts, "unknown", []string{
		`relaylab_probe_status{check="spf",target="st.test"} 2`,
		`relaylab_probe_status{check="dmarc",target="st.test"} 1`,
		`relaylab_probe_unknown{check="spf",target="st.test"} 1`,
		`relaylab_probe_unknown{check="dmarc",target="st.test"} 1`,
	}, nil)
}

// TestMetricsProbeStatusKeepsChecksNotRun: a run that made only some
// checks (a blocklist cycle between record cycles) leaves the others'
// series as they were.
func TestMetricsProbeStatusKeepsChecksNotRun(t *testing.T) {
	t.Parallel()
	ts := startServer(t, Options{})
	evs := appendEvents(t, ts.st,
		events.Event{Kind: events.ProbeResult, Target: "k.test"}.WithPayload(probe.ResultPayload{Status: probe.StatusError,
			Checks: []probe.ResultCheck{{Check: "spf", Status: probe.StatusError}, {Check: "mx", Status: probe.StatusOK}}}),
		events.Event{Kind: events.ProbeResult, Target: "k.test"}.WithPayload(probe.ResultPayload{Status: probe.StatusOK,
			Checks: []probe.ResultCheck{{Check: "blocklist", Status: probe.StatusOK}}}),
	)
	text := scrape(t, ts, evs)
	for _, want := range []string{`relaylab_probe_status{check="spf",target="k.test"} 2`, `relaylab_probe_status{check="mx",target="k.test"} 0`,
		`relaylab_probe_status{check="blocklist",target="k.test"} 0`} {
		if !strings.Contains(text, want+"\n") {
			t.Errorf("want %s in:\n%s", want, grepLines(text, "relaylab_probe_status"))
		}
	}
}

// expectMetrics waits until /metrics shows each of want and none of
// absent: the hub follows the log on its own goroutine.
func expectMetrics(t *testing.T, ts *testServer, step string, want, absent []string) {
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
			t.Fatalf("%s: metrics lack %q; probe series:\n%s", step, missing, grepLines(text, "relaylab_probe_"))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// probeDNS serves records (zone-file lines) on 127.0.0.1, for a probe's
// resolver, which it returns (no cache).
func probeDNS(t *testing.T, records ...string) (*resolver.Client, *dnstest.Server) {
	t.Helper()
	srv := dnstest.New()
	if err := srv.AddString(records...); err != nil {
		t.Fatal(err)
	}
	if err := srv.Listen(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	r, err := resolver.New(resolver.Options{Servers: []string{srv.Addr}, Timeout: time.Second, Attempts: 2, CacheSize: -1})
	if err != nil {
		t.Fatal(err)
	}
	return r, srv
}
