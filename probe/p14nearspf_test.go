package probe

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestNearSPFProposesOnlyValidRecords: the record proposed for a TXT
// record that is almost SPF passes the probe's own parser; digits or
// punctuation stuck to "v=spf1" are dropped, not kept as a term, and a
// record that would still fail gets no proposal but the reason.
func TestNearSPFProposesOnlyValidRecords(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ txt, want string }{
		{"v=spf10 ip4:192.0.2.50 -all", `publish it as "v=spf1 ip4:192.0.2.50 -all"`},
		{"v=spf1;ip4:192.0.2.50 -all", `publish it as "v=spf1 ip4:192.0.2.50 -all"`},
		{"v=spf1.0 ip4:192.0.2.50 -all", `publish it as "v=spf1 ip4:192.0.2.50 -all"`},
		{"v=spf1ip4:192.0.2.50 -all", `publish it as "v=spf1 ip4:192.0.2.50 -all"`},
		{"v=spf1-all", `publish it as "v=spf1 -all"`},
		{"v=spf1\tip4:192.0.2.50\t-all", `publish it as "v=spf1 ip4:192.0.2.50 -all"`},
		{"v=spf1;foo:bar -all", `would still not be valid (unknown mechanism "foo:bar")`},
		{"v=spf12", `publish it as "v=spf1"`},
	} {
		near := nearSPF([]string{"other", tt.txt})
		if near != tt.txt {
			t.Errorf("nearSPF took %q for %q", near, tt.txt)
			continue
		}
		got := nearSPFAdvice(near)
		if !strings.Contains(got, tt.want) {
			t.Errorf("nearSPFAdvice(%q) = %q, want %q in it", tt.txt, got, tt.want)
		}
		if fixed, err := fixedNearSPF(tt.txt); err == nil {
			if _, perr := ParseSPF(fixed); perr != nil {
				t.Errorf("the record proposed for %q, %q, fails the probe's own parser: %v", tt.txt, fixed, perr)
			}
		}
	}
}

// TestNearSPFFindingProposesAValidRecord: through CheckSPF, at the domain
// and through an include, the record the finding says to publish passes
// ParseSPF ("v=spf1 0 ip4:..." and "v=spf1 ;ip4:..." did not).
func TestNearSPFFindingProposesAValidRecord(t *testing.T) {
	t.Parallel()
	zone := filepath.Join(t.TempDir(), "near.zone")
	if err := os.WriteFile(zone, []byte(`$ORIGIN near.test.
@ 300 IN SOA ns.near.test. h.near.test. 1 3600 600 86400 300
a 300 IN TXT "v=spf10 ip4:192.0.2.50 -all"
b 300 IN TXT "v=spf1;ip4:192.0.2.50 -all"
c 300 IN TXT "v=spf1 include:a.near.test -all"
`), 0o644); err != nil {
		t.Fatal(err)
	}
	r, _ := testResolver(t, zone)
	quoted := regexp.MustCompile(`(?:publish it as|it should be) "((?:[^"\\]|\\.)*)"`)
	for _, tt := range []struct{ domain, code string }{
		{"a.near.test", "spf.none"}, {"b.near.test", "spf.none"}, {"c.near.test", "spf.include-none"},
	} {
		rep := CheckSPF(context.Background(), r, discard(), tt.domain)
		msgs, _ := findingWith(rep.Findings, tt.code, "")
		if len(msgs) != 1 {
			t.Errorf("%s: %s findings %q, want one", tt.domain, tt.code, msgs)
			continue
		}
		m := quoted.FindStringSubmatch(msgs[0])
		if m == nil {
			t.Errorf("%s: %s proposes no record: %s", tt.domain, tt.code, msgs[0])
			continue
		}
		if _, err := ParseSPF(m[1]); err != nil || m[1] != "v=spf1 ip4:192.0.2.50 -all" {
			t.Errorf("%s: proposes %q (%v), want \"v=spf1 ip4:192.0.2.50 -all\", which the probe's parser takes: %s", tt.domain, m[1], err, msgs[0])
		}
	}
}
