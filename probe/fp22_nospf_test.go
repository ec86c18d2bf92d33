package probe

import (
	"context"
	"net/netip"
	"strings"
	"testing"
)

// TestSPFResultNamesTheNameWithoutRecord: check_host that meets a name
// with no SPF record says which name, not the library's "no DNS record
// found", which reads as if the name did not exist: an include of a name
// that exists but publishes no SPF record (permerror), one that does not
// exist, and a HELO name without a record (none).
func TestSPFResultNamesTheNameWithoutRecord(t *testing.T) {
	t.Parallel()
	r, srv := espWorld(t, "v=spf1 include:nospf.esp.test -all", 0)
	if err := srv.AddString(`nospf.esp.test. 60 IN TXT "google-site-verification=abc"`,
		`gone.example.test. 60 IN TXT "v=spf1 include:absent.esp.test -all"`,
		"out1.example.test. 60 IN A 192.0.2.10"); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		domain, helo, want string
	}{
		{"example.test", "", "check_host for 192.0.2.10: permerror (no SPF record at nospf.esp.test)"},
		{"gone.example.test", "", "check_host for 192.0.2.10: permerror (no SPF record at absent.esp.test, a name that does not exist: NXDOMAIN)"},
		{"", "out1.example.test", "from 192.0.2.10: none (no SPF record at out1.example.test)"},
	} {
		rep := Run(context.Background(), Deps{Resolver: r}, Request{Domain: tt.domain, Helo: tt.helo, IPs: []netip.Addr{netip.MustParseAddr("192.0.2.10")}, NoBlocklists: true})
		var msgs []string
		for _, f := range rep.Findings() {
			if f.Code == "spf.result" || f.Code == "spf.helo-result" {
				msgs = append(msgs, f.Message)
			}
		}
		joined := strings.Join(msgs, "\n")
		if !strings.Contains(joined, tt.want) || strings.Contains(joined, "no DNS record found") {
			t.Errorf("%s%s: findings want %q, without \"no DNS record found\":\n%s", tt.domain, tt.helo, tt.want, joined)
		}
	}
}
