package probe

import (
	"context"
	"testing"
	"time"
)

// TestMTASTSNotFetchedIsUnknown: a policy host beyond loopback, with a
// client that connects to loopback only (relaylab probe --zone), is a
// policy the probe did not fetch: the check is unknown, with a warning
// that says so and why, not an error blaming the domain.
func TestMTASTSNotFetchedIsUnknown(t *testing.T) {
	t.Parallel()
	r, srv := testResolver(t)
	if err := srv.AddString(
		"far.test. 60 IN SOA ns.far.test. h.far.test. 1 3600 600 86400 60",
		`_mta-sts.far.test. 60 IN TXT "v=STSv1; id=1"`,
		"mta-sts.far.test. 60 IN A 192.0.2.1",
	); err != nil {
		t.Fatal(err)
	}
	rep := CheckMTASTS(context.Background(), r, discard(), NewLoopbackHTTPClient(r, 10*time.Second), "far.test", nil, nil)
	if rep.Status != StatusUnknown {
		t.Errorf("status %s, want unknown: %+v", rep.Status, rep.Findings)
	}
	for _, f := range rep.Findings {
		if f.Severity == SevError {
			t.Errorf("an error finding for a policy the probe did not fetch: %+v", f)
		}
	}
	if _, ok := findingWith(rep.Findings, "mta-sts.fetch", "the probe did not fetch the policy"); !ok {
		t.Errorf("no finding says the probe did not fetch the policy: %+v", rep.Findings)
	}
	if _, ok := findingWith(rep.Findings, "mta-sts.fetch", "192.0.2.1, not a loopback address"); !ok {
		t.Errorf("the finding does not say why: %+v", rep.Findings)
	}
}
