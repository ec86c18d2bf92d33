package probe

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDMARCVersionWithoutSemicolonAgrees: "v=DMARC1 p=reject" makes the
// version "DMARC1 p=reject", so receivers discard the record (RFC 7489
// 6.6.3): the findings say so together. With an organisational record,
// it applies instead (dmarc.discarded), and no finding says that no
// policy applies; without one, dmarc.none says none does.
func TestDMARCVersionWithoutSemicolonAgrees(t *testing.T) {
	t.Parallel()
	zone := filepath.Join(t.TempDir(), "semi.zone")
	if err := os.WriteFile(zone, []byte(`$ORIGIN semi.test.
@ 300 IN SOA ns.semi.test. h.semi.test. 1 3600 600 86400 300
_dmarc 300 IN TXT "v=DMARC1; p=quarantine"
_dmarc.x 300 IN TXT "v=DMARC1 p=reject"
$ORIGIN lone.test.
@ 300 IN SOA ns.lone.test. h.lone.test. 1 3600 600 86400 300
_dmarc 300 IN TXT "v=DMARC1 p=reject"
`), 0o644); err != nil {
		t.Fatal(err)
	}
	r, _ := testResolver(t, zone)
	rep := CheckDMARC(context.Background(), r, discard(), "x.semi.test")
	if rep.PolicyDomain != "semi.test" {
		t.Errorf("x.semi.test: policy from %q, want the organisational domain's record, semi.test", rep.PolicyDomain)
	}
	if _, ok := findingWith(rep.Findings, "dmarc.discarded", "gets quarantine, not the p=reject it asks for"); !ok {
		t.Errorf("x.semi.test: no dmarc.discarded naming the policy that applies: %+v", rep.Findings)
	}
	for _, f := range rep.Findings {
		if f.Code == "dmarc.syntax" || strings.Contains(f.Message, "apply no DMARC policy") {
			t.Errorf("x.semi.test: %s says no policy applies, while the organisational domain's does: %s", f.Code, f.Message)
		}
	}
	rep = CheckDMARC(context.Background(), r, discard(), "lone.test")
	if _, ok := findingWith(rep.Findings, "dmarc.none", `publish it as "v=DMARC1; p=reject"`); !ok {
		t.Errorf("lone.test: no dmarc.none with the record to publish: %+v", rep.Findings)
	}
	if c := codes(rep.Findings); c["dmarc.syntax"] != "" {
		t.Errorf("lone.test: dmarc.syntax beside dmarc.none: %+v", rep.Findings)
	}
}
