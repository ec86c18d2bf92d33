package main

import (
	"context"
	"strings"
	"testing"
)

// TestProbeRefusesAnIPAsTheDomain: relaylab probe 192.0.2.50 would ask
// for _dmarc.192.0.2.50 and advise a zone file for it; an IP address is
// exit 2, before any query, pointing at --ip. Names the watchlist refuses
// are refused here too (one validator).
func TestProbeRefusesAnIPAsTheDomain(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ arg, want string }{
		{"192.0.2.50", "give it with --ip: relaylab probe --ip 192.0.2.50"},
		{"[2001:db8::1]", "relaylab probe --ip 2001:db8::1"},
		{"bad_domain.test", "holds '_'"},
		{"host.123", "all digits"},
	} {
		dns := listenUDP(t)
		code, out, errOut := runIn(t, context.Background(), "probe", "--no-blocklists", "--resolver", dns.LocalAddr().String(), "--timeout", "1s", tt.arg)
		if code != 2 || !strings.Contains(errOut, tt.want) || out != "" {
			t.Errorf("probe %s: exit %d, stderr %q, stdout %q; want exit 2 saying %q", tt.arg, code, errOut, out, tt.want)
		}
	}
}
