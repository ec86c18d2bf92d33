package probe

import (
	"context"
	"fmt"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/dnstest"
	"github.com/relaylab/relaylab/internal/resolver"
)

// benchWorld serves 10 blocklist zones (8 for IPs, 2 for domains) and 100
// domains with SPF, DMARC, DKIM and MX records on one loopback server.
func benchWorld(b *testing.B) (*dnstest.Server, []Zone, []string, []netip.Addr) {
	b.Helper()
	srv := dnstest.New()
	var zones []Zone
	add := func(rr string) {
		if err := srv.AddString(rr); err != nil {
			b.Fatal(err)
		}
	}
	var ips []netip.Addr
	for i := 0; i < 1000; i++ {
		ips = append(ips, netip.AddrFrom4([4]byte{10, byte(i >> 8), byte(i), 1}))
	}
	for z := 0; z < 10; z++ {
		name := fmt.Sprintf("bl%d.bench.test", z)
		add(name + ". 300 IN SOA ns.bench.test. hm.bench.test. 1 60 60 60 60")
		kind := ZoneIP
		if z >= 8 {
			kind = ZoneDomain
			add("test." + name + ". 300 IN A 127.0.0.2")
		} else {
			add("2.0.0.127." + name + ". 300 IN A 127.0.0.2")
			for i := z; i < len(ips); i += 50 { // each zone lists 2% of the IPs
				a := ips[i].As4()
				add(fmt.Sprintf("%d.%d.%d.%d.%s. 300 IN A 127.0.0.2", a[3], a[2], a[1], a[0], name))
			}
		}
		zones = append(zones, Zone{Zone: name, Kind: kind})
	}
	var domains []string
	add("bench.test. 300 IN SOA ns.bench.test. hm.bench.test. 1 60 60 60 60")
	add(`_spf.bench.test. 300 IN TXT "v=spf1 ip4:10.0.0.0/16 -all"`)
	add("mx.bench.test. 300 IN A 10.0.0.1")
	for i := 0; i < 100; i++ {
		d := fmt.Sprintf("d%d.bench.test", i)
		domains = append(domains, d)
		add(d + `. 300 IN TXT "v=spf1 include:_spf.bench.test a mx -all"`)
		add(d + ". 300 IN A 10.0.0.1")
		add(d + ". 300 IN MX 10 mx.bench.test.")
		add("_dmarc." + d + `. 300 IN TXT "v=DMARC1; p=reject; rua=mailto:dmarc@` + d + `"`)
		add("s1._domainkey." + d + `. 300 IN TXT "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="`)
	}
	for i := range zones {
		if err := zones[i].Validate(""); err != nil {
			b.Fatal(err)
		}
	}
	if err := srv.Listen(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(srv.Close)
	return srv, zones, domains, ips
}

// BenchmarkWatchlist checks 100 domains (all record checks and 2 domain
// blocklists) and 1,000 IPs (8 IP blocklists) against one loopback server,
// without a cache, through a resolver limited to 32 queries in flight.
func BenchmarkWatchlist(b *testing.B) {
	srv, zones, domains, ips := benchWorld(b)
	r, err := resolver.New(resolver.Options{Servers: []string{srv.Addr}, Timeout: 2 * time.Second, MaxInFlight: 32, CacheSize: -1})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	log := discard()
	const workers = 64
	each := func(n int, f func(i int)) {
		var wg sync.WaitGroup
		next := make(chan int)
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range next {
					f(i)
				}
			}()
		}
		for i := 0; i < n; i++ {
			next <- i
		}
		close(next)
		wg.Wait()
	}
	var domainTime, ipTime time.Duration
	var unknown int
	var mu sync.Mutex
	b.ResetTimer()
	start, q0 := time.Now(), srv.Queries()
	for n := 0; n < b.N; n++ {
		h := CheckHealth(ctx, r, log, zones)
		t0 := time.Now()
		each(len(domains), func(i int) {
			rep := Run(ctx, Deps{Resolver: r, Logger: log}, Request{Domain: domains[i], Selectors: []string{"s1"}, NoBlocklists: true})
			ls := CheckDomain(ctx, r, log, zones, h, domains[i])
			mu.Lock()
			if rep.Status == StatusUnknown {
				unknown++
			}
			for _, l := range ls {
				if l.Status == Unknown {
					unknown++
				}
			}
			mu.Unlock()
		})
		t1 := time.Now()
		each(len(ips), func(i int) {
			for _, l := range CheckIP(ctx, r, log, zones, h, ips[i]) {
				if l.Status == Unknown {
					mu.Lock()
					unknown++
					mu.Unlock()
				}
			}
		})
		domainTime += t1.Sub(t0)
		ipTime += time.Since(t1)
	}
	elapsed, queries := time.Since(start), srv.Queries()-q0
	b.StopTimer()
	if unknown > 0 {
		b.Errorf("%d unknown results under load: the concurrency limit or timeouts are wrong", unknown)
	}
	b.ReportMetric(float64(queries)/elapsed.Seconds(), "queries/s")
	b.ReportMetric(float64(queries)/float64(b.N), "queries/op")
	b.ReportMetric(float64(domainTime.Milliseconds())/float64(b.N*len(domains)), "ms/domain")
	b.ReportMetric(float64(ipTime.Microseconds())/1000/float64(b.N*len(ips)), "ms/ip")
}
