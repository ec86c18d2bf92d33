package probe

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/dnstest"
	"github.com/relaylab/relaylab/internal/resolver"
)

// TestMonitorRunsReadDNSAfresh: the monitor's resolver caches answers for
// their TTL, but each run reads DNS again, so that "confirmed by two runs
// in a row" means two answers from the servers, and a change shows two
// runs after it was made, not after the TTL of the old answer.
func TestMonitorRunsReadDNSAfresh(t *testing.T) {
	t.Parallel()
	vc := clock.NewVirtual(epoch)
	// A resolver with its cache on, as the monitor makes one.
	m, srv, _ := zoneMonitor(t, vc, resolver.Options{Timeout: time.Second, Attempts: 2, Clock: vc}, "ttl.test",
		`ttl.test. 86400 IN SOA ns.ttl.test. h.ttl.test. 1 3600 600 86400 86400`,
		`ttl.test. 86400 IN TXT "v=spf1 ip4:192.0.2.1 -all"`,
	)
	run := func(step string) []Change {
		t.Helper()
		ch, err := m.RunOnce(context.Background())
		if err != nil {
			t.Fatalf("%s: %v", step, err)
		}
		vc.Advance(time.Hour) // well within the day-long TTL
		return ch
	}
	run("baseline")
	srv.Remove("ttl.test.", dns.TypeTXT)
	if err := srv.AddString(`ttl.test. 86400 IN TXT "v=spf1 ip4:192.0.2.2 -all"`); err != nil {
		t.Fatal(err)
	}
	before := srv.Queries()
	run("first sight")
	if srv.Queries() == before {
		t.Fatal("the second run asked the server nothing: it read the cache")
	}
	var spf *Change
	for _, c := range run("second sight") {
		if c.Key == "domain ttl.test spf" {
			spf = &c
		}
	}
	if spf == nil || spf.New != "v=spf1 ip4:192.0.2.2 -all" {
		t.Errorf("SPF change after two runs: %+v, want the new record (the old one was still cached)", spf)
	}
}

// zoneMonitor serves zone on a DNS server of its own on loopback and
// makes a monitor of domain on the virtual clock vc, asking that server
// through a resolver of ropts (its Servers filled in), which it returns
// too.
func zoneMonitor(t *testing.T, vc *clock.Virtual, ropts resolver.Options, domain string, zone ...string) (*Monitor, *dnstest.Server, *resolver.Client) {
	t.Helper()
	srv := dnstest.Start(t)
	if err := srv.AddString(zone...); err != nil {
		t.Fatal(err)
	}
	ropts.Servers = []string{srv.Addr}
	r, err := resolver.New(ropts)
	if err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.Domains = Domains(domain)
	cfg.BIMILogo = false // a logo's host would be looked up by http.Client's own resolver
	m, err := NewMonitor(cfg, Options{Store: openStore(t, vc), Clock: vc, Logger: discard(), Resolver: r, HTTPClient: &http.Client{}})
	if err != nil {
		t.Fatal(err)
	}
	return m, srv, r
}
