package probe

import (
	"context"
	"testing"
)

func TestCheckDNSSEC(t *testing.T) {
	t.Parallel()
	r, _ := testResolver(t, "../testdata/dns/dnssec.zone", "../testdata/dns/auth.zone")
	for _, tt := range []struct {
		domain, zone, code string
		status             Status
		signed             bool
	}{
		{"signed.test", "signed.test", "dnssec.signed", StatusOK, true},
		{"mail.signed.test", "signed.test", "dnssec.signed", StatusOK, true}, // the zone is found from a name in it
		{"nods.test", "nods.test", "dnssec.no-ds", StatusWarning, false},
		{"broken.test", "broken.test", "dnssec.broken", StatusError, false},
		{"dsonly.test", "dsonly.test", "dnssec.broken", StatusError, false},
		{"plain.test", "plain.test", "dnssec.unsigned", StatusOK, false},
		{"good.auth.test", "auth.test", "dnssec.unsigned", StatusOK, false},
		{"missing.plain.test", "", "", StatusOK, false}, // NXDOMAIN: the MX check says so
		{"mxfail.auth.test", "", "dnssec.dns-error", StatusUnknown, false},
	} {
		rep := CheckDNSSEC(context.Background(), r, discard(), tt.domain)
		cs := codes(rep.Findings)
		if _, ok := cs[tt.code]; (tt.code != "" && !ok) || (tt.code == "" && len(cs) > 0) {
			t.Errorf("%s: findings %+v, want %q", tt.domain, rep.Findings, tt.code)
		}
		if rep.Zone != tt.zone || rep.Status != tt.status || rep.Signed != tt.signed {
			t.Errorf("%s: zone %q status %s signed %v, want %q %s %v", tt.domain, rep.Zone, rep.Status, rep.Signed, tt.zone, tt.status, tt.signed)
		}
	}
}
