package probe

import (
	"context"
	"strings"
	"testing"
)

func TestCheckDNSSEC(t *testing.T) {
	t.Parallel()
	r, srv := testResolver(t, "../testdata/dns/dnssec.zone", "../testdata/dns/auth.zone")
	for _, tt := range []struct {
		domain, zone, code string
		status             Status
		signed             bool
		validated          string // the finding on the resolver's AD bit, "" none
	}{
		{"signed.test", "signed.test", "dnssec.signed", StatusOK, true, "dnssec.validated"},
		{"mail.signed.test", "signed.test", "dnssec.signed", StatusOK, true, "dnssec.validated"}, // the zone is found from a name in it
		{"insecure.test", "insecure.test", "dnssec.signed", StatusOK, true, "dnssec.not-validated"},
		{"nods.test", "nods.test", "dnssec.no-ds", StatusWarning, false, ""},
		{"broken.test", "broken.test", "dnssec.broken", StatusError, false, ""},
		{"dsonly.test", "dsonly.test", "dnssec.broken", StatusError, false, ""},
		{"plain.test", "plain.test", "dnssec.unsigned", StatusOK, false, ""},
		{"good.auth.test", "auth.test", "dnssec.unsigned", StatusOK, false, ""},
		{"missing.plain.test", "", "", StatusOK, false, ""}, // NXDOMAIN: the MX check says so
		{"mxfail.auth.test", "", "dnssec.dns-error", StatusUnknown, false, ""},
	} {
		rep := CheckDNSSEC(context.Background(), r, discard(), tt.domain)
		cs := codes(rep.Findings)
		if _, ok := cs[tt.code]; (tt.code != "" && !ok) || (tt.code == "" && len(cs) > 0) {
			t.Errorf("%s: findings %+v, want %q", tt.domain, rep.Findings, tt.code)
		}
		if rep.Zone != tt.zone || rep.Status != tt.status || rep.Signed != tt.signed {
			t.Errorf("%s: zone %q status %s signed %v, want %q %s %v", tt.domain, rep.Zone, rep.Status, rep.Signed, tt.zone, tt.status, tt.signed)
		}
		_, validated := cs["dnssec.validated"]
		_, notValidated := cs["dnssec.not-validated"]
		if validated != (tt.validated == "dnssec.validated") || notValidated != (tt.validated == "dnssec.not-validated") ||
			rep.ResolverValidated != (tt.validated == "dnssec.validated") {
			t.Errorf("%s: resolver_validated %v, findings %+v; want %q", tt.domain, rep.ResolverValidated, rep.Findings, tt.validated)
		}
		if tt.validated != "" && rep.Resolver != srv.Addr {
			t.Errorf("%s: resolver %q, want the server that answered, %s", tt.domain, rep.Resolver, srv.Addr)
		}
	}
	// The AD bit is the resolver's word: the finding says so, and names it.
	rep := CheckDNSSEC(context.Background(), r, discard(), "signed.test")
	for _, f := range rep.Findings {
		if f.Code == "dnssec.validated" && !(strings.Contains(f.Message, srv.Addr) && strings.Contains(f.Message, "only as trustworthy as the path")) {
			t.Errorf("dnssec.validated %q does not name the resolver and the limit of its word", f.Message)
		}
	}
}
