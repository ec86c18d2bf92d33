package probe

import (
	"context"
	"net/netip"
	"strings"
	"testing"
)

// TestIPv6ZoneHealth: a zone that answers IPv6 queries must list
// ::ffff:127.0.0.2 and not ::ffff:127.0.0.1 (RFC 5782 5). One that fails
// this gives unknown for IPv6 addresses, never "not listed", while its
// answers for IPv4 addresses still count.
func TestIPv6ZoneHealth(t *testing.T) {
	t.Parallel()
	r, srv := testResolver(t)
	if err := srv.AddString(
		// v4only.v6.test lists the IPv4 test point but no IPv6 one: its
		// IPv6 side answers NXDOMAIN to everything.
		"v4only.v6.test. 60 IN SOA ns.v6.test. h.v6.test. 1 60 60 60 60",
		"2.0.0.127.v4only.v6.test. 60 IN A 127.0.0.2",
		"10.0.0.127.v4only.v6.test. 60 IN A 127.0.0.2",
		// both.v6.test lists both test points.
		"both.v6.test. 60 IN SOA ns.v6.test. h.v6.test. 1 60 60 60 60",
		"2.0.0.127.both.v6.test. 60 IN A 127.0.0.2",
		"2.0.0.0.0.0.f.7.f.f.f.f.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.both.v6.test. 60 IN A 127.0.0.2",
	); err != nil {
		t.Fatal(err)
	}
	zones := []Zone{{Zone: "v4only.v6.test", Kind: ZoneIP, IPv6: true}, {Zone: "both.v6.test", Kind: ZoneIP, IPv6: true}}
	for i := range zones {
		if err := zones[i].Validate(""); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	h := CheckHealth(ctx, r, discard(), zones)
	if zh := h["v4only.v6.test"]; !zh.Healthy || !strings.Contains(zh.IPv6Detail, "should be listed") {
		t.Errorf("v4only.v6.test health %+v, want healthy for IPv4 with an IPv6 detail", zh)
	}
	if zh := h["both.v6.test"]; !zh.Healthy || zh.IPv6Detail != "" {
		t.Errorf("both.v6.test health %+v, want healthy for both", zh)
	}
	six := CheckIP(ctx, r, discard(), zones, h, netip.MustParseAddr("::1"))
	for _, l := range six {
		want := NotListed
		if l.Zone == "v4only.v6.test" {
			want = Unknown
		}
		if l.Status != want {
			t.Errorf("::1 on %s: %s (%s), want %s", l.Zone, l.Status, l.Error, want)
		}
	}
	for _, l := range CheckIP(ctx, r, discard(), zones, h, netip.MustParseAddr("127.0.0.10")) {
		if l.Zone == "v4only.v6.test" && l.Status != Listed {
			t.Errorf("127.0.0.10 on %s: %s (%s), want listed: the IPv4 side is healthy", l.Zone, l.Status, l.Error)
		}
	}
}
