package probe

import (
	"context"
	"strings"
	"testing"
)

// TestDMARCNP: np, the policy for subdomains that do not exist (RFC 9091
// 4.1), is read and checked, not reported as an unknown tag; a bad value
// is discarded like any other malformed tag.
func TestDMARCNP(t *testing.T) {
	t.Parallel()
	p, err := ParseDMARC("v=DMARC1; p=reject; np=Quarantine")
	if err != nil || p.NP != "quarantine" || len(p.Unknown) != 0 || len(p.Problems) != 0 {
		t.Errorf("np=Quarantine: %+v, %v; want np quarantine, no unknown tag, no problem", p, err)
	}
	p, err = ParseDMARC("v=DMARC1; p=reject; np=block")
	if err != nil || p.NP != "" || len(p.Problems) != 1 || p.Problems[0].Tag != "np" {
		t.Errorf("np=block: %+v, %v; want np discarded as a problem", p, err)
	}
	r, srv := testResolver(t)
	if err := srv.AddString("np.test. 60 IN SOA ns.np.test. h.np.test. 1 60 60 60 60",
		`_dmarc.np.test. 60 IN TXT "v=DMARC1; p=reject; np=none; rua=mailto:d@np.test"`); err != nil {
		t.Fatal(err)
	}
	rep := CheckDMARC(context.Background(), r, discard(), "np.test")
	c := codes(rep.Findings)
	if c["dmarc.unknown-tag"] != "" || c["dmarc.np-none"] != SevWarning {
		t.Errorf("np=none: findings %+v, want dmarc.np-none (warning) and no dmarc.unknown-tag", rep.Findings)
	}
	for _, f := range rep.Findings {
		if f.Code == "dmarc.np-none" && !strings.Contains(f.Message, "do not exist") {
			t.Errorf("dmarc.np-none says %q, want it to say which subdomains it concerns", f.Message)
		}
	}
}
