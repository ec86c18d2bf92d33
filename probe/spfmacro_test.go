package probe

import (
	"context"
	"strings"
	"testing"
)

// TestSPFPMacro: the p macro, like the ptr mechanism, should not be used
// (RFC 7208 7.2, 5.5): it costs a PTR lookup and address lookups per name
// at every evaluation, and large receivers treat it as ptr.
func TestSPFPMacro(t *testing.T) {
	t.Parallel()
	r, srv := testResolver(t)
	if err := srv.AddString("m.test. 60 IN SOA ns.m.test. h.m.test. 1 60 60 60 60",
		`p.m.test. 60 IN TXT "v=spf1 exists:%{p}.%{i}._spf.m.test -all"`,
		`pr.m.test. 60 IN TXT "v=spf1 a:%{P2r}.m.test -all"`,
		`i.m.test. 60 IN TXT "v=spf1 exists:%{i}._spf.m.test -all"`,
	); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		domain, want string
	}{
		{"p.m.test", "exists:%{p}.%{i}._spf.m.test"},
		{"pr.m.test", "a:%{P2r}.m.test"},
		{"i.m.test", ""},
	} {
		rep := CheckSPF(context.Background(), r, discard(), tt.domain)
		var got []string
		for _, f := range rep.Findings {
			if f.Code == "spf.p-macro" {
				got = append(got, f.Message)
			}
		}
		switch {
		case tt.want == "" && len(got) > 0:
			t.Errorf("%s: spf.p-macro %q, want none", tt.domain, got)
		case tt.want != "" && (len(got) != 1 || !strings.Contains(got[0], tt.want)):
			t.Errorf("%s: spf.p-macro %q, want one naming %q", tt.domain, got, tt.want)
		}
	}
}
