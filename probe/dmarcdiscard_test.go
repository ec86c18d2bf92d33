package probe

import (
	"context"
	"strings"
	"testing"
)

// TestDMARCDiscardedRecord: a record at _dmarc.NAME that receivers
// discard (v=DMARC1 not first, or not in capitals) is named, with why and
// the same record with v=DMARC1 first, whether or not the organisational
// domain's record applies instead; the advice never drops the policy the
// discarded record asked for to p=none.
func TestDMARCDiscardedRecord(t *testing.T) {
	t.Parallel()
	r, _ := testResolver(t, "testdata/dmarcdiscard.zone")
	for _, tt := range []struct {
		domain, code string
		want         []string
	}{
		{"lower.dd.test", "dmarc.discarded", []string{`"v=dmarc1; p=reject" at _dmarc.lower.dd.test is not read as DMARC`, `its version is "dmarc1"`,
			"apply the record of the organisational domain at _dmarc.dd.test instead: mail from lower.dd.test that fails DMARC gets none, not the p=reject it asks for", `publish it as "v=DMARC1; p=reject"`}},
		{"vsecond.dd.test", "dmarc.discarded", []string{`at _dmarc.vsecond.dd.test is not read as DMARC, because "v=DMARC1" must come first (RFC 7489 6.4), and here it comes after "p=reject"`, `publish it as "v=DMARC1; p=reject"`}},
		{"nov.dd.test", "dmarc.discarded", []string{`it has no "v=DMARC1", which must come first`, `publish it as "v=DMARC1; p=reject; adkim=s"`}},
		{"vsecond.dd.test", "dmarc.policy", []string{"has no DMARC record of its own that receivers read (the one at _dmarc.vsecond.dd.test is discarded)"}},
		{"vsecond.nd.test", "dmarc.none", []string{`because "v=DMARC1" must come first`, `publish it as "v=DMARC1; p=reject"`}},
		{"vlater.nd.test", "dmarc.none", []string{`here it comes after "p=reject; sp=quarantine"`, `publish it as "v=DMARC1; p=reject; sp=quarantine; rua=mailto:a@nd.test"`}},
		{"lower.nd.test", "dmarc.none", []string{`its version is "dmarc1"`, `publish it as "v=DMARC1; p=reject"`}},
	} {
		rep := CheckDMARC(context.Background(), r, discard(), tt.domain)
		for _, w := range tt.want {
			if msgs, ok := findingWith(rep.Findings, tt.code, w); !ok {
				t.Errorf("%s: %s messages %q lack %q (findings %+v)", tt.domain, tt.code, msgs, w, rep.Findings)
			}
		}
		if rep.Status != StatusError {
			t.Errorf("%s: status %s, want error", tt.domain, rep.Status)
		}
		for _, f := range rep.Findings {
			if strings.Contains(f.Message, "p=none") && !strings.Contains(f.Message, "sp=none") {
				t.Errorf("%s: %s advises p=none though the discarded record asks for reject: %s", tt.domain, f.Code, f.Message)
			}
		}
	}
	// A valid record of its own, or a DKIM key in the wrong place, is no
	// discarded DMARC record.
	for _, d := range []string{"good.dd.test", "dkim.dd.test"} {
		rep := CheckDMARC(context.Background(), r, discard(), d)
		if msgs, _ := findingWith(rep.Findings, "dmarc.discarded", ""); len(msgs) > 0 {
			t.Errorf("%s: dmarc.discarded %q", d, msgs)
		}
	}
}
