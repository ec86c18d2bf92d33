package probe

import (
	"context"
	"io"
	"log/slog"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/dnstest"
	"github.com/relaylab/relaylab/internal/resolver"
)

func discard() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// testResolver starts dnstest on the given zone files and returns a
// resolver pointed at it (no cache; two attempts, so that a loaded machine
// does not turn a slow answer into a timeout).
func testResolver(t testing.TB, files ...string) (*resolver.Client, *dnstest.Server) {
	t.Helper()
	srv := dnstest.Start(t, files...)
	r, err := resolver.New(resolver.Options{Servers: []string{srv.Addr}, Timeout: time.Second, Attempts: 2, CacheSize: -1})
	if err != nil {
		t.Fatal(err)
	}
	return r, srv
}

func testZones(t testing.TB) []Zone {
	t.Helper()
	zs := []Zone{
		{Zone: "good.bl.test", Kind: ZoneIP, IPv6: true, Codes: map[string]string{"127.0.0.4": "exploited", "127.0.0.10": "policy"}},
		{Zone: "errcode.bl.test", Kind: ZoneIP, Errors: []string{"127.255.255.0/24"}},
		{Zone: "outside.bl.test", Kind: ZoneIP},
		{Zone: "empty.bl.test", Kind: ZoneIP},
		{Zone: "wild.bl.test", Kind: ZoneIP},
		{Zone: "slow.bl.test", Kind: ZoneIP},
		{Zone: "broken.bl.test", Kind: ZoneIP},
		{Zone: "dom.bl.test", Kind: ZoneDomain, Errors: []string{"127.0.1.255"}},
		{Zone: "uri.bl.test", Kind: ZoneURI, Errors: []string{"127.0.0.1"}},
		{Zone: "absent.bl.test", Kind: ZoneIP}, // not served: REFUSED
	}
	for i := range zs {
		if err := zs[i].Validate(""); err != nil {
			t.Fatal(err)
		}
	}
	return zs
}

func TestDefaultZonesLoad(t *testing.T) {
	t.Parallel()
	zs := DefaultZones()
	seen := map[string]bool{}
	for _, z := range zs {
		seen[z.Zone] = true
		if strings.Contains(z.Zone, "sorbs") {
			t.Errorf("SORBS is closed but %s is a default", z.Zone)
		}
	}
	for _, want := range []string{"zen.spamhaus.org", "dbl.spamhaus.org", "bl.spamcop.net", "b.barracudacentral.org", "dnsbl-1.uceprotect.net", "multi.uribl.com"} {
		if !seen[want] {
			t.Errorf("default zones lack %s", want)
		}
	}
	z := zs[0]
	if bad, _ := z.isError(netip.MustParseAddr("127.255.255.254")); !bad {
		t.Error("Spamhaus 127.255.255.254 is not an error code")
	}
}

func TestHealth(t *testing.T) {
	t.Parallel()
	r, _ := testResolver(t, "../testdata/dns/blocklists.zone")
	h := CheckHealth(context.Background(), r, discard(), testZones(t))
	want := map[string]bool{"good.bl.test": true, "errcode.bl.test": true, "outside.bl.test": true, "empty.bl.test": false,
		"wild.bl.test": false, "slow.bl.test": true, "broken.bl.test": true, "dom.bl.test": true, "uri.bl.test": true, "absent.bl.test": false}
	for zone, healthy := range want {
		if h[zone].Healthy != healthy {
			t.Errorf("%s healthy = %v (%s), want %v", zone, h[zone].Healthy, h[zone].Detail, healthy)
		}
	}
}

func TestCheckIP(t *testing.T) {
	t.Parallel()
	r, _ := testResolver(t, "../testdata/dns/blocklists.zone")
	zones := testZones(t)
	ctx := context.Background()
	h := CheckHealth(ctx, r, discard(), zones)
	tests := []struct {
		ip   string
		zone string
		want ListingStatus
	}{
		{"192.0.2.10", "good.bl.test", Listed},
		{"192.0.2.20", "good.bl.test", NotListed},
		{"::ffff:192.0.2.10", "good.bl.test", Listed},
		{"2001:db8::bad", "good.bl.test", Listed},
		{"2001:db8::1", "good.bl.test", NotListed},
		{"192.0.2.10", "errcode.bl.test", Unknown}, // 127.255.255.254 is an error
		{"192.0.2.10", "outside.bl.test", Unknown}, // 192.0.2.99 is not a listing
		{"192.0.2.20", "empty.bl.test", Unknown},   // unhealthy: never clean
		{"192.0.2.20", "wild.bl.test", Unknown},
		{"192.0.2.10", "slow.bl.test", Unknown}, // timeout
		{"192.0.2.20", "slow.bl.test", Unknown}, // servfail
		{"192.0.2.30", "slow.bl.test", NotListed},
		{"192.0.2.10", "broken.bl.test", Unknown}, // malformed
		{"192.0.2.20", "broken.bl.test", Unknown}, // wrong type
		{"192.0.2.30", "broken.bl.test", Unknown}, // truncated even over TCP
		{"192.0.2.10", "absent.bl.test", Unknown},
	}
	for _, tt := range tests {
		t.Run(tt.ip+"@"+tt.zone, func(t *testing.T) {
			t.Parallel()
			ls := CheckIP(ctx, r, discard(), zones, h, netip.MustParseAddr(tt.ip))
			for _, l := range ls {
				if l.Zone != tt.zone {
					continue
				}
				if l.Status != tt.want {
					t.Fatalf("status = %s (%s, codes %v), want %s", l.Status, l.Error, l.Codes, tt.want)
				}
				if l.Status == Unknown && l.Error == "" {
					t.Error("unknown without an explanation")
				}
				return
			}
			t.Fatalf("zone %s not asked", tt.zone)
		})
	}
	ls := CheckIP(ctx, r, discard(), zones, h, netip.MustParseAddr("192.0.2.10"))
	l := ls[0]
	if l.Reason == "" || len(l.Meaning) != 2 || l.Meaning[0] != "exploited" || l.Server == "" {
		t.Errorf("listing = %+v, want reason, meanings and server", l)
	}
	// IPv6 is asked only of zones that list IPv6.
	if got := len(CheckIP(ctx, r, discard(), zones, h, netip.MustParseAddr("2001:db8::1"))); got != 1 {
		t.Errorf("IPv6 asked %d zones, want 1", got)
	}
}

func TestCheckDomain(t *testing.T) {
	t.Parallel()
	r, _ := testResolver(t, "../testdata/dns/blocklists.zone")
	zones := testZones(t)
	ctx := context.Background()
	h := CheckHealth(ctx, r, discard(), zones)
	tests := []struct {
		domain  string
		wantDom ListingStatus
		wantURI ListingStatus
	}{
		{"spam.example", Listed, NotListed},
		{"clean.example", NotListed, NotListed},
		{"errdomain.example", Unknown, NotListed},
		{"refused.example", NotListed, Unknown},  // URIBL's 127.0.0.1 is an error
		{"www.example.co.uk", NotListed, Listed}, // URI lists take the registered domain
		{"bad..name", Unknown, Unknown},
	}
	for _, tt := range tests {
		ls := CheckDomain(ctx, r, discard(), zones, h, tt.domain)
		if len(ls) != 2 || ls[0].Status != tt.wantDom || ls[1].Status != tt.wantURI {
			t.Errorf("%s: %+v, want domain %s and uri %s", tt.domain, ls, tt.wantDom, tt.wantURI)
		}
	}
	fs, st := ListingFindings(CheckDomain(ctx, r, discard(), zones, h, "spam.example"))
	if st != StatusError || len(fs) != 1 || fs[0].Severity != SevError {
		t.Errorf("findings %+v status %s", fs, st)
	}
}
