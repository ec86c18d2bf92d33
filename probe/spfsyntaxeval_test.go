package probe

import (
	"context"
	"net/netip"
	"strings"
	"testing"

	"blitiri.com.ar/go/spf"
)

// TestEvalSPFSyntaxBeforeMatch: RFC 7208 4.6 makes a record with a
// syntax error a permerror before any of its terms is evaluated, so a
// term that matches before the error does not pass; the error, a doubled
// redirect included, is named, as is the loop behind a lookup limit.
func TestEvalSPFSyntaxBeforeMatch(t *testing.T) {
	t.Parallel()
	r, _ := testResolver(t, "../testdata/dns/spf.zone")
	for _, c := range []struct {
		domain, ip string
		want       spf.Result
		why        string
	}{
		{"syntax-late.spf.test", "127.0.2.1", spf.PermError, `unknown mechanism "foo:bar", in the record of syntax-late.spf.test`},
		{"syntax-dupredir.spf.test", "127.0.2.1", spf.PermError, `modifier "redirect" appears more than once`},
		{"include-syntax.spf.test", "127.0.2.1", spf.PermError, `unknown mechanism "foo:bar", in the record of syntax-late.spf.test`},
		{"redirect-syntax.spf.test", "127.0.2.1", spf.PermError, `unknown mechanism "foo:bar"`},
		// The include is never reached: the broken record plays no part.
		{"include-syntax-unreached.spf.test", "127.0.2.1", spf.Pass, ""},
		{"include-syntax-unreached.spf.test", "127.0.2.2", spf.PermError, `in the record of syntax-late.spf.test`},
		{"loop.spf.test", "127.0.2.1", spf.PermError, "the include/redirect chain loops (loop.spf.test -> loop.spf.test)"},
		{"loop-a.spf.test", "127.0.2.1", spf.PermError, "the include/redirect chain loops (loop-a.spf.test -> loop-b.spf.test -> loop-a.spf.test)"},
		{"loop-a.spf.test", "127.0.2.9", spf.Pass, ""},
		{"limit.spf.test", "127.0.2.1", spf.PermError, "lookup limit reached"},
	} {
		got := EvalSPF(context.Background(), r, netip.MustParseAddr(c.ip), "mta.example", "postmaster@"+c.domain)
		if got.Result != c.want || !strings.Contains(got.Error, c.why) || c.why == "" && got.Error != "" {
			t.Errorf("%s from %s: check_host = %s (%s), want %s (%s)", c.domain, c.ip, got.Result, got.Error, c.want, c.why)
		}
	}
}
