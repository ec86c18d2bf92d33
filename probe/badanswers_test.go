package probe

import (
	"context"
	"net/http"
	"net/netip"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/dnstest"
)

// TestBadAnswersAreNeverClean runs every record check against a domain
// whose every answer is broken: each must report unknown, never ok.
func TestBadAnswersAreNeverClean(t *testing.T) {
	t.Parallel()
	for _, b := range []dnstest.Behaviour{dnstest.ServFail, dnstest.Timeout, dnstest.Malformed, dnstest.WrongType,
		dnstest.WrongName, dnstest.OtherQuestion, dnstest.TruncateAlways} {
		t.Run(string(b), func(t *testing.T) {
			t.Parallel()
			r, srv := testResolver(t)
			if err := srv.AddString("bad.test. 60 IN SOA ns.bad.test. hm.bad.test. 1 60 60 60 60",
				`x.bad.test. 60 IN TXT "v=spf1 -all"`); err != nil {
				t.Fatal(err)
			}
			srv.Set("x.bad.test.", b)
			ctx, log, d := context.Background(), discard(), "x.bad.test"
			got := map[string]Status{
				"spf":     CheckSPF(ctx, r, log, d).Status,
				"dmarc":   CheckDMARC(ctx, r, log, d).Status,
				"dkim":    CheckDKIM(ctx, r, log, d, []string{"s1"}).Status,
				"mx":      CheckMX(ctx, r, log, d).Status,
				"mta-sts": CheckMTASTS(ctx, r, log, &http.Client{}, d, nil, nil).Status,
				"tls-rpt": CheckTLSRPT(ctx, r, log, d).Status,
				"bimi":    CheckBIMI(ctx, r, log, d, &DMARCReport{Domain: d, PolicyDomain: d, Parsed: &DMARCRecord{Policy: "reject", Pct: 100}}).Status,
			}
			if b == dnstest.WrongName {
				// Renaming leaves NXDOMAIN answers alone, and those are
				// good answers: only the name with records is broken.
				got = map[string]Status{"spf": got["spf"]}
			}
			for check, st := range got {
				if st != StatusUnknown {
					t.Errorf("%s with %s answers: status %s, want unknown", check, b, st)
				}
			}
			ev := EvalSPF(ctx, r, netip.MustParseAddr("192.0.2.1"), "mta.example", "a@"+d)
			if ev.Result != "temperror" && !strings.Contains(string(ev.Result), "error") {
				t.Errorf("check_host with %s answers = %s, want an error result", b, ev.Result)
			}
		})
	}
}
