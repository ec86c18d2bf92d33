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
	srv := dnstest.Start(t)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(srv.AddString(
		`ttl.test. 86400 IN SOA ns.ttl.test. h.ttl.test. 1 3600 600 86400 86400`,
		`ttl.test. 86400 IN TXT "v=spf1 ip4:192.0.2.1 -all"`,
	))
	vc := clock.NewVirtual(epoch)
	// A resolver with its cache on, as the monitor makes one.
	r, err := resolver.New(resolver.Options{Servers: []string{srv.Addr}, Timeout: time.Second, Attempts: 2, Clock: vc})
	must(err)
	st := openStore(t, vc)
	cfg := DefaultConfig()
	cfg.Domains = Domains("ttl.test")
	m, err := NewMonitor(cfg, Options{Store: st, Clock: vc, Logger: discard(), Resolver: r, HTTPClient: &http.Client{}})
	must(err)
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
	must(srv.AddString(`ttl.test. 86400 IN TXT "v=spf1 ip4:192.0.2.2 -all"`))
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
