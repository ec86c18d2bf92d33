package probe

import (
	"context"
	"net/netip"
	"strings"
	"testing"
)

// A name in none of the zone files that a zone-file server (relaylab probe
// --zone) serves is reported as such, with the zones it serves and what to
// add, instead of as a resolver that refuses.
func TestNameOutsideTheZoneFiles(t *testing.T) {
	t.Parallel()
	r, _ := testResolver(t, "testdata/notserved.zone")
	for _, tt := range []struct {
		name string
		req  Request
		want []string // in every dns-error finding
	}{
		{"domain", Request{Domain: "nothere.test", NoBlocklists: true},
			[]string{"in none of the zone files served (100.51.198.in-addr.arpa, served.test)", "add a zone file for nothere.test"}},
		{"PTR target", Request{IPs: []netip.Addr{netip.MustParseAddr("198.51.100.7")}, NoBlocklists: true},
			[]string{"host.other.test is in none of the zone files served (100.51.198.in-addr.arpa, served.test)", "add a zone file for other.test"}},
		{"MX host", Request{Domain: "served.test", NoBlocklists: true},
			[]string{"host.other.test is in none of the zone files served"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rep := Run(context.Background(), Deps{Resolver: r}, tt.req)
			n := 0
			for _, f := range rep.Findings() {
				if !strings.HasSuffix(f.Code, ".dns-error") {
					continue
				}
				n++
				for _, w := range tt.want {
					if !strings.Contains(f.Message, w) {
						t.Errorf("%s: %q lacks %q", f.Code, f.Message, w)
					}
				}
				if strings.Contains(f.Message, "check the resolver") {
					t.Errorf("%s blames the resolver: %s", f.Code, f.Message)
				}
			}
			if n == 0 {
				t.Errorf("no dns-error finding in %+v", rep.Findings())
			}
		})
	}
}

// A name inside the zones that the server refuses is still a lookup that
// failed: the finding does not say the name is missing from the files.
func TestRefusedInsideTheZoneFiles(t *testing.T) {
	t.Parallel()
	r, _ := testResolver(t, "testdata/notserved.zone")
	rep := Run(context.Background(), Deps{Resolver: r}, Request{Domain: "refusing.served.test", NoBlocklists: true})
	n := 0
	for _, f := range rep.Findings() {
		if strings.HasSuffix(f.Code, ".dns-error") {
			n++
			if strings.Contains(f.Message, "zone files") || !strings.Contains(f.Message, "check the resolver") {
				t.Errorf("%s: %s", f.Code, f.Message)
			}
		}
	}
	if n == 0 {
		t.Errorf("no dns-error finding in %+v", rep.Findings())
	}
}
