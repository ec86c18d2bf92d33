package probe

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// TestMisplacedDMARCBesideAnAppliedRecord: a DMARC record at the domain
// itself is reported when the organisational domain's record applies
// instead (an error: the domain's own policy is lost), and a stray copy
// at a name whose _dmarc record applies is a warning; before, either was
// named only when no record was found at all.
func TestMisplacedDMARCBesideAnAppliedRecord(t *testing.T) {
	t.Parallel()
	zone := filepath.Join(t.TempDir(), "mis.zone")
	if err := os.WriteFile(zone, []byte(`$ORIGIN mis.test.
@ 300 IN SOA ns.mis.test. h.mis.test. 1 3600 600 86400 300
_dmarc 300 IN TXT "v=DMARC1; p=none; rua=mailto:d@mis.test"
@ 300 IN MX 10 mx.mis.test.
mx 300 IN A 127.0.0.1
sub 300 IN TXT "v=DMARC1; p=reject"
own 300 IN TXT "v=DMARC1; p=quarantine"
_dmarc.own 300 IN TXT "v=DMARC1; p=reject"
`), 0o644); err != nil {
		t.Fatal(err)
	}
	// The organisational domain's record is one receivers discard.
	near := filepath.Join(t.TempDir(), "near.zone")
	if err := os.WriteFile(near, []byte(`$ORIGIN near.test.
@ 300 IN SOA ns.near.test. h.near.test. 1 3600 600 86400 300
_dmarc 300 IN TXT "v=DMARC1 p=reject"
m2 300 IN TXT "v=DMARC1; p=reject"
`), 0o644); err != nil {
		t.Fatal(err)
	}
	rn, _ := testResolver(t, near)
	if rep := CheckDMARC(context.Background(), rn, discard(), "m2.near.test"); codes(rep.Findings)["dmarc.wrong-location"] != SevError {
		t.Errorf("m2.near.test: a record at the domain itself beside a discarded organisational one: findings %v, want dmarc.wrong-location", codes(rep.Findings))
	}
	r, _ := testResolver(t, zone)
	for _, tt := range []struct {
		domain, want string
		sev          Severity
	}{
		{"sub.mis.test", "apply the one of the organisational domain at _dmarc.mis.test instead (mail from sub.mis.test that fails DMARC gets none, not the p=reject it asks for)", SevError},
		{"own.mis.test", `they read the record at _dmarc.own.mis.test ("v=DMARC1; p=reject"), so this one does nothing`, SevWarning},
	} {
		rep := CheckDMARC(context.Background(), r, discard(), tt.domain)
		msgs, ok := findingWith(rep.Findings, "dmarc.wrong-location", tt.want)
		if !ok || codes(rep.Findings)["dmarc.wrong-location"] != tt.sev {
			t.Errorf("%s: dmarc.wrong-location %q (%s), want a %s saying %q", tt.domain, msgs, codes(rep.Findings)["dmarc.wrong-location"], tt.sev, tt.want)
		}
	}
}
