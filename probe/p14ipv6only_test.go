package probe

import (
	"bytes"
	"context"
	"net/netip"
	"strings"
	"testing"
)

// TestIPv6OnlyBlocklist: a list declared ipv4: false (with ipv6: true)
// is health-checked on its IPv6 test points only, is not asked about
// IPv4 addresses, and the text report shows it as not applicable to
// them rather than counting them not listed.
func TestIPv6OnlyBlocklist(t *testing.T) {
	t.Parallel()
	r, srv := testResolver(t)
	nib := func(a string) string { return reverseLabels(netip.MustParseAddr(a)) + "v6only.bl.test." }
	if err := srv.AddString(
		"bl.test. 60 IN SOA ns.bl.test. h.bl.test. 1 3600 600 86400 60",
		nib("::ffff:127.0.0.2")+" 60 IN A 127.0.0.2",
		nib("2001:db8::25")+" 60 IN A 127.0.0.2",
	); err != nil {
		t.Fatal(err)
	}
	zs, err := decodeProbe(t, "probe:\n  zones: [{zone: v6only.bl.test, kind: ip, ipv6: true, ipv4: false}]\n")
	if err != nil {
		t.Fatal(err)
	}
	zones := []Zone(zs.Zones)
	h := CheckHealth(context.Background(), r, discard(), zones)
	if zh := h["v6only.bl.test"]; !zh.Healthy || zh.IPv6Detail != "" {
		t.Fatalf("health %+v, want healthy on its IPv6 test points alone", zh)
	}
	if ls := CheckIP(context.Background(), r, discard(), zones, h, netip.MustParseAddr("192.0.2.25")); len(ls) != 0 {
		t.Errorf("an IPv6-only list was asked about an IPv4 address: %+v", ls)
	}
	if ls := CheckIP(context.Background(), r, discard(), zones, h, netip.MustParseAddr("2001:db8::25")); len(ls) != 1 || ls[0].Status != Listed {
		t.Errorf("2001:db8::25: %+v, want listed", ls)
	}
	rep := Run(context.Background(), Deps{Resolver: r, Logger: discard()}, Request{IPs: []netip.Addr{netip.MustParseAddr("192.0.2.25")}, Zones: zones, NoRecords: true})
	var b bytes.Buffer
	if err := rep.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	if want := "192.0.2.25: listed on 0, not listed on 0, unknown on 0, not applicable on 1 (lists of IPv6 addresses only)"; !strings.Contains(b.String(), want) {
		t.Errorf("text report lacks %q:\n%s", want, b.String())
	}
}

// TestIPv4FalseNeedsIPv6: ipv4: false is for lists of IPv6 addresses: it
// needs ipv6: true, an IP list, and IPv6 test points.
func TestIPv4FalseNeedsIPv6(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ zone, want string }{
		{"{zone: a.bl.test, kind: ip, ipv4: false}", "probe.zones[0].ipv4"},
		{"{zone: a.bl.test, kind: domain, ipv6: true, ipv4: false}", "probe.zones[0].ipv4"},
		{"{zone: a.bl.test, kind: ip, ipv6: true, ipv4: false, test_listed: 127.0.0.2}", "probe.zones[0].test_listed"},
	} {
		_, err := decodeProbe(t, "probe:\n  zones: ["+tt.zone+"]\n")
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want an error at %s", tt.zone, err, tt.want)
		}
	}
}
