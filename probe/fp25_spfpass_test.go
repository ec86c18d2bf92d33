package probe

import (
	"strings"
	"testing"
)

// TestFP25SPFPassThroughRedirect pins what opensToAll, checkRanges and
// effectiveAll share (passTerms): a redirect counts only in a record
// without "all" (RFC 7208 6.1), and then its record's pass terms count
// as the domain's own; terms after "all" never run. Before the three
// read the record each in their own loop, and nothing tested the
// redirect of the ranges, nor a redirect beside an "all".
func TestFP25SPFPassThroughRedirect(t *testing.T) {
	t.Parallel()
	// The record of d.b.test, and that of t.b.test, which it redirects
	// to. want is the pass-all message's parts; none: not open to all.
	for _, tt := range []struct {
		name, record, target string
		want                 []string
	}{
		{"ranges through a redirect", "v=spf1 ip4:0.0.0.0/1 redirect=t.b.test", "v=spf1 ip4:128.0.0.0/1 -all",
			[]string{"ip4:0.0.0.0/1, ip4:128.0.0.0/1 (in the record of t.b.test) together cover every IPv4 address", "replace ip4:0.0.0.0/1 and ip4:128.0.0.0/1 with the addresses"}},
		{"ranges with a redirect beside -all", "v=spf1 ip4:0.0.0.0/1 redirect=t.b.test -all", "v=spf1 ip4:128.0.0.0/1 -all", nil},
		{"+all through a redirect", "v=spf1 ip4:192.0.2.1 redirect=t.b.test", "v=spf1 +all",
			[]string{"(redirect=t.b.test, which has +all)", "remove redirect=t.b.test"}},
		{"+all redirect beside ~all", "v=spf1 ip4:192.0.2.1 redirect=t.b.test ~all", "v=spf1 +all", nil},
		{"ip4:0.0.0.0/0 after -all", "v=spf1 ip4:192.0.2.1 -all ip4:0.0.0.0/0", "v=spf1 +all", nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rep := fp24SPF(t, "d.b.test", fp24SOA, `d.b.test. 60 IN TXT "`+tt.record+`"`, `t.b.test. 60 IN TXT "`+tt.target+`"`)
			f := fp24Finding(rep.Findings, "spf.pass-all")
			if tt.want == nil {
				if f != nil {
					t.Errorf("unwanted spf.pass-all: %s", f.Message)
				}
				return
			}
			if f == nil || f.Severity != SevError {
				t.Fatalf("findings %+v: want spf.pass-all (error)", rep.Findings)
			}
			for _, w := range tt.want {
				if !strings.Contains(f.Message, w) {
					t.Errorf("spf.pass-all %q lacks %q", f.Message, w)
				}
			}
		})
	}
}
