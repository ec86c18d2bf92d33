package resolver_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/dnstest"
	"github.com/relaylab/relaylab/internal/resolver"
)

func newClient(t *testing.T, servers ...string) *resolver.Client {
	t.Helper()
	c, err := resolver.New(resolver.Options{Servers: servers, Timeout: time.Second, Attempts: 1, CacheSize: -1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestLookupTXTAnswersAndErrors(t *testing.T) {
	t.Parallel()
	srv := dnstest.Start(t, "../../testdata/dns/resolver.zone")
	c := newClient(t, srv.Addr)
	tests := []struct {
		name    string
		want    []string // joined records, sorted as served
		wantErr error
	}{
		{"txt.resolver.test", []string{"v=spf1 -all"}, nil},
		{"TXT.Resolver.Test.", []string{"v=spf1 -all"}, nil},
		{"multi.resolver.test", []string{"firstsecond", "other"}, nil},
		{"www.resolver.test", nil, nil}, // NODATA: no error, no records
		{"missing.resolver.test", nil, resolver.ErrNXDomain},
		{"servfail.resolver.test", nil, resolver.ErrServFail},
		{"refused.resolver.test", nil, resolver.ErrRefused},
		{"outside.zone.test", nil, resolver.ErrRefused},
		{"timeout.resolver.test", nil, resolver.ErrTimeout},
		{"malformed.resolver.test", nil, resolver.ErrMalformed},
		{"wrongtype.resolver.test", nil, resolver.ErrMalformed},
		{"wrongname.resolver.test", nil, resolver.ErrMalformed},
		{"otherq.resolver.test", nil, resolver.ErrMalformed},
		{"trunc-always.resolver.test", nil, resolver.ErrMalformed},
		{"trunc.resolver.test", []string{"only over TCP"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := c.LookupTXT(context.Background(), tt.name)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				var re *resolver.Error
				if !errors.As(err, &re) || re.Server != srv.Addr {
					t.Errorf("error %v does not name server %s", err, srv.Addr)
				}
				if len(got.Records) != 0 {
					t.Errorf("records %q with an error", got.Records)
				}
				return
			}
			if err != nil {
				t.Fatalf("err = %v", err)
			}
			if got.Server != srv.Addr {
				t.Errorf("Server = %q, want %q", got.Server, srv.Addr)
			}
			if j := got.Joined(); strings.Join(j, "|") != strings.Join(tt.want, "|") {
				t.Errorf("records = %q, want %q", j, tt.want)
			}
		})
	}
}

func TestHugeTXTRetriesOverTCP(t *testing.T) {
	t.Parallel()
	srv := dnstest.Start(t, "../../testdata/dns/resolver.zone")
	c := newClient(t, srv.Addr)
	got, err := c.LookupTXT(context.Background(), "huge.resolver.test")
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Records) != 1 || len(got.Records[0]) != 16 || len(got.Joined()[0]) != 16*250 {
		t.Fatalf("got %d records, want one of 16 strings of 250 bytes", len(got.Records))
	}
	if q := srv.Queries(); q != 2 {
		t.Errorf("server saw %d queries, want 2 (UDP truncated, then TCP)", q)
	}
}

func TestEDNS0AvoidsTCP(t *testing.T) {
	t.Parallel()
	srv := dnstest.Start(t, "../../testdata/dns/resolver.zone")
	c := newClient(t, srv.Addr)
	got, err := c.LookupTXT(context.Background(), "medium.resolver.test")
	if err != nil || len(got.Joined()) != 1 || len(got.Joined()[0]) != 800 {
		t.Fatalf("medium TXT = %v, %v", got.Records, err)
	}
	if q := srv.Queries(); q != 1 {
		t.Errorf("server saw %d queries for an 800-byte answer, want 1 (over UDP with EDNS0)", q)
	}
}

func TestTypedLookups(t *testing.T) {
	t.Parallel()
	srv := dnstest.Start(t, "../../testdata/dns/resolver.zone")
	c := newClient(t, srv.Addr)
	ctx := context.Background()

	ips, err := c.LookupIP(ctx, "alias.resolver.test", dns.TypeA)
	if err != nil || len(ips.IPs) != 1 || ips.IPs[0] != netip.MustParseAddr("192.0.2.10") {
		t.Errorf("A alias = %v, %v; want 192.0.2.10 through the CNAME", ips.IPs, err)
	}
	ips, err = c.LookupIP(ctx, "www.resolver.test", dns.TypeAAAA)
	if err != nil || len(ips.IPs) != 1 || ips.IPs[0] != netip.MustParseAddr("2001:db8::10") {
		t.Errorf("AAAA = %v, %v", ips.IPs, err)
	}
	cn, err := c.LookupCNAME(ctx, "alias.resolver.test")
	if err != nil || cn.Target != "www.resolver.test" {
		t.Errorf("CNAME = %q, %v", cn.Target, err)
	}
	cn, err = c.LookupCNAME(ctx, "www.resolver.test")
	if err != nil || cn.Target != "" {
		t.Errorf("CNAME of a non-alias = %q, %v; want empty", cn.Target, err)
	}
	mx, err := c.LookupMX(ctx, "mail.resolver.test")
	if err != nil || len(mx.MX) != 2 || mx.MX[0] != (resolver.MX{Host: "mx1.resolver.test", Pref: 10}) {
		t.Errorf("MX = %v, %v", mx.MX, err)
	}
	mx, err = c.LookupMX(ctx, "nullmx.resolver.test")
	if err != nil || len(mx.MX) != 1 || mx.MX[0].Host != "" {
		t.Errorf("null MX = %v, %v", mx.MX, err)
	}
	ptr, err := c.LookupPTR(ctx, netip.MustParseAddr("192.0.2.10"))
	if err != nil || len(ptr.Names) != 1 || ptr.Names[0] != "www.resolver.test" {
		t.Errorf("PTR = %v, %v", ptr.Names, err)
	}
	if _, err := c.LookupIP(ctx, "www.resolver.test", dns.TypeMX); !errors.Is(err, resolver.ErrMalformed) {
		t.Errorf("LookupIP with MX type: err = %v", err)
	}
}

func TestFallsBackToNextServer(t *testing.T) {
	t.Parallel()
	srv := dnstest.Start(t, "../../testdata/dns/resolver.zone")
	// A bound but silent UDP port: the first server times out.
	dead, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer dead.Close()
	c := newClient(t, dead.LocalAddr().String(), srv.Addr)
	got, err := c.LookupTXT(context.Background(), "txt.resolver.test")
	if err != nil {
		t.Fatal(err)
	}
	if got.Server != srv.Addr {
		t.Errorf("answered by %q, want %q", got.Server, srv.Addr)
	}
	// SERVFAIL from every server is an error that names the last one.
	_, err = c.LookupTXT(context.Background(), "servfail.resolver.test")
	if !errors.Is(err, resolver.ErrServFail) || !resolver.IsTemporary(err) {
		t.Errorf("err = %v, want a temporary SERVFAIL", err)
	}
}

func TestCacheHonoursTTLOnClock(t *testing.T) {
	t.Parallel()
	srv := dnstest.Start(t, "../../testdata/dns/resolver.zone")
	vc := clock.NewVirtual(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	c, err := resolver.New(resolver.Options{Servers: []string{srv.Addr}, Clock: vc})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	steps := []struct {
		advance    time.Duration
		wantCached bool
		wantQ      int64
	}{
		{0, false, 1},
		{10 * time.Second, true, 1},
		{19 * time.Second, true, 1},
		{time.Second, false, 2}, // TTL 30s reached
		{5 * time.Second, true, 2},
	}
	for i, st := range steps {
		vc.Advance(st.advance)
		got, err := c.LookupTXT(ctx, "short.resolver.test")
		if err != nil {
			t.Fatal(err)
		}
		if got.Cached != st.wantCached || srv.Queries() != st.wantQ {
			t.Errorf("step %d: cached=%v queries=%d, want %v %d", i, got.Cached, srv.Queries(), st.wantCached, st.wantQ)
		}
	}
	// Negative answers are cached for the SOA minimum (60s); errors never.
	for i := 0; i < 2; i++ {
		if _, err := c.LookupTXT(ctx, "missing.resolver.test"); !resolver.IsNotFound(err) {
			t.Fatalf("err = %v", err)
		}
	}
	if q := srv.Queries(); q != 3 {
		t.Errorf("queries = %d after two NXDOMAIN lookups, want 3", q)
	}
	for i := 0; i < 2; i++ {
		c.LookupTXT(ctx, "servfail.resolver.test") //nolint:errcheck
	}
	if q := srv.Queries(); q != 3+2*2 {
		t.Errorf("queries = %d, want SERVFAIL asked again each time (2 attempts each)", q)
	}
}

func TestConcurrentLookups(t *testing.T) {
	t.Parallel()
	srv := dnstest.Start(t, "../../testdata/dns/resolver.zone")
	c, err := resolver.New(resolver.Options{Servers: []string{srv.Addr}, MaxInFlight: 2, CacheSize: -1})
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 50)
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.LookupTXT(context.Background(), "txt.resolver.test"); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if q := srv.Queries(); q != 50 {
		t.Errorf("queries = %d, want 50", q)
	}
}

func TestNormalizeServer(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"127.0.0.1", "127.0.0.1:53"},
		{"127.0.0.1:5353", "127.0.0.1:5353"},
		{"::1", "[::1]:53"},
		{"[::1]:54", "[::1]:54"},
		{"dns.example:53", ""}, // a host name: finding it would need DNS itself
		{"nonsense", ""},
		{"127.0.0.1:99999", ""}, // no port: said so, not taken for a host name
		{"127.0.0.1:0", ""},
		{"127.0.0.1:dns", ""},
		{"", ""},
	}
	for _, tt := range tests {
		got, err := resolver.NormalizeServer(tt.in)
		if (err != nil) != (tt.want == "") || got != tt.want {
			t.Errorf("NormalizeServer(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

// TestConcurrencyLimit holds every query at a server that never answers
// and checks that no more than MaxInFlight arrive at once.
func TestConcurrencyLimit(t *testing.T) {
	t.Parallel()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	seen := make(chan struct{}, 100)
	go func() {
		buf := make([]byte, 2048)
		for {
			if _, _, err := pc.ReadFrom(buf); err != nil {
				return
			}
			seen <- struct{}{}
		}
	}()
	c, err := resolver.New(resolver.Options{Servers: []string{pc.LocalAddr().String()}, MaxInFlight: 3, Attempts: 1, Timeout: time.Minute, CacheSize: -1})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for i := 0; i < 10; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			c.LookupTXT(ctx, fmt.Sprintf("q%d.example", i)) //nolint:errcheck // cancelled below
		}(i)
	}
	for i := 0; i < 3; i++ {
		<-seen
	}
	// A fourth query would arrive now if the limit leaked; give it time to.
	select {
	case <-seen:
		t.Error("a fourth query was sent while three were in flight")
	case <-time.After(200 * time.Millisecond):
	}
	cancel()
	wg.Wait()
}

// Exchange sends DO and AD only when the query has them: a DNSSEC query
// gets the RRSIGs and the resolver's AD, every other query neither, and
// the cache never hands one kind of reply to the other.
func TestExchangeDNSSECOptIn(t *testing.T) {
	t.Parallel()
	srv := dnstest.Start(t, "../../testdata/dns/dnssec.zone")
	vc := clock.NewVirtual(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	c, err := resolver.New(resolver.Options{Servers: []string{srv.Addr}, Clock: vc})
	if err != nil {
		t.Fatal(err)
	}
	ask := func(dnssec bool) (sigs int, ad, cached bool) {
		t.Helper()
		q := new(dns.Msg)
		q.SetQuestion("signed.test.", dns.TypeDNSKEY)
		if dnssec {
			q.SetEdns0(4096, true)
			q.AuthenticatedData = true
		}
		r, err := c.Exchange(context.Background(), q)
		if err != nil {
			t.Fatal(err)
		}
		for _, rr := range r.Msg.Answer {
			if rr.Header().Rrtype == dns.TypeRRSIG {
				sigs++
			}
		}
		return sigs, r.Msg.AuthenticatedData, r.Cached
	}
	for i, st := range []struct {
		dnssec, wantAD, wantCached bool
		wantSigs                   int
	}{
		{false, false, false, 0},
		{true, true, false, 1}, // not the plain reply from the cache
		{true, true, true, 1},
		{false, false, true, 0}, // not the DNSSEC reply from the cache
	} {
		sigs, ad, cached := ask(st.dnssec)
		if sigs != st.wantSigs || ad != st.wantAD || cached != st.wantCached {
			t.Errorf("step %d (dnssec %v): %d RRSIGs, AD %v, cached %v; want %d, %v, %v", i, st.dnssec, sigs, ad, cached, st.wantSigs, st.wantAD, st.wantCached)
		}
	}
}

// TestNormalizeServerNamesABadPort: an IP address with a port that is no
// port is refused for its port; it was refused as a server named "by its
// host name" 127.0.0.1.
func TestNormalizeServerNamesABadPort(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"127.0.0.1:99999", "127.0.0.1:dns", "[::1]:0", "127.0.0.1:0"} {
		_, err := resolver.NormalizeServer(in)
		if err == nil || !strings.Contains(err.Error(), "is not a number from 1 to 65535") || strings.Contains(err.Error(), "host name") {
			t.Errorf("NormalizeServer(%q): %v, want the port named as not a port", in, err)
		}
	}
}
