package probe

import (
	"context"
	"strings"
	"testing"
)

// TestMTASTSMaxAgeOutOfRange: a max_age above the 31557600 seconds RFC
// 8461 3.2 allows is said to be out of range, with what senders may do
// (refuse the policy, or cap it), not that senders ignore the policy.
func TestMTASTSMaxAgeOutOfRange(t *testing.T) {
	t.Parallel()
	r, srv := testResolver(t, "../testdata/dns/auth.zone")
	ps := newPolicyServer(t)
	if err := srv.AddString(`_mta-sts.longage.auth.test. 60 IN TXT "v=STSv1; id=1"`); err != nil {
		t.Fatal(err)
	}
	ps.set("mta-sts.longage.auth.test", "version: STSv1\nmode: enforce\nmx: mx1.auth.test\nmax_age: 31557601\n")
	rep := CheckMTASTS(context.Background(), r, discard(), ps.client(), "longage.auth.test", []string{"mx1.auth.test"}, nil)
	for _, f := range rep.Findings {
		if f.Code != "mta-sts.policy-syntax" {
			continue
		}
		for _, want := range []string{"max_age 31557601 is out of range", "31557600", "may refuse the policy or cap", "change the id"} {
			if !strings.Contains(f.Message, want) {
				t.Errorf("finding %q lacks %q", f.Message, want)
			}
		}
		if strings.Contains(f.Message, "senders ignore the policy") {
			t.Errorf("finding %q says senders ignore the policy, which RFC 8461 does not say", f.Message)
		}
		return
	}
	t.Errorf("no mta-sts.policy-syntax in %+v", rep.Findings)
}
