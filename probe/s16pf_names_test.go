package probe

import (
	"context"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSPFNamesWithSpecialCharacters: an SPF term whose name holds
// characters that the zone-file form escapes is looked up like any other:
// exists:%{s} expands to postmaster@DOMAIN..., a local-part may hold a
// backslash, and an include may name "<b>alert(1);<b>...". No
// lookup fails with "the reply answers another question".
func TestSPFNamesWithSpecialCharacters(t *testing.T) {
	t.Parallel()
	zone := filepath.Join(t.TempDir(), "names.zone")
	if err := os.WriteFile(zone, []byte(`$ORIGIN names.test.
@ 300 IN SOA ns.names.test. h.names.test. 1 3600 600 86400 300
macro 300 IN TXT "v=spf1 exists:%{s}._s.names.test -all"
postmaster\@macro.names.test._s 300 IN A 127.0.0.2
local 300 IN TXT "v=spf1 exists:%{l}._s.names.test -all"
a\\b._s 300 IN A 127.0.0.2
hostile 300 IN TXT "v=spf1 include:<b>alert\(1\)\;<b>.names.test -all"
<b>alert\(1\)\;<b> 300 IN TXT "v=spf1 ip4:192.0.2.120 -all"
`), 0o644); err != nil {
		t.Fatal(err)
	}
	r, _ := testResolver(t, zone)
	ctx := context.Background()
	ip := netip.MustParseAddr("192.0.2.120")
	for _, tt := range []struct{ domain, sender string }{
		{"macro.names.test", "postmaster@macro.names.test"},
		{"local.names.test", `a\b@local.names.test`},
		{"hostile.names.test", "postmaster@hostile.names.test"},
	} {
		if res := EvalSPF(ctx, r, ip, tt.domain, tt.sender); res.Result != "pass" {
			t.Errorf("check_host %s as %s: %s (%s), want pass", tt.domain, tt.sender, res.Result, res.Error)
		}
	}
	rep := CheckSPF(ctx, r, discard(), "hostile.names.test")
	for _, f := range rep.Findings {
		if f.Code == "spf.dns-error" || strings.Contains(f.Message, "another question") {
			t.Errorf("hostile.names.test: %s: %s", f.Code, f.Message)
		}
	}
	if rep.Tree == nil || len(rep.Tree.Children) != 1 || rep.Tree.Children[0].Record != "v=spf1 ip4:192.0.2.120 -all" {
		t.Errorf("hostile.names.test: the include was not followed: %+v", rep.Tree)
	}
}

// TestSPFMacroIncludeOfTheDomainIsWalked: an include or redirect whose
// only macros are of the domain (%{d2}) names the same record for every
// sender, so it is walked like any other: one that does not exist is
// spf.include-none naming the term as written and what it expands to.
// One that depends on the sender (%{l}) is not walked.
func TestSPFMacroIncludeOfTheDomainIsWalked(t *testing.T) {
	t.Parallel()
	r, _ := testResolver(t, writeZone(t, "dm.zone", `$ORIGIN dm.test.
@ 300 IN SOA ns.dm.test. h.dm.test. 1 3600 600 86400 300
a 300 IN TXT "v=spf1 ip4:192.0.2.1 include:%{d2}._x.dm.test -all"
b 300 IN TXT "v=spf1 include:%{dr}._y.dm.test -all"
test.dm.b._y 300 IN TXT "v=spf1 ip4:192.0.2.7 -all"
c 300 IN TXT "v=spf1 include:%{l}._z.dm.test -all"
`))
	ctx := context.Background()
	rep := CheckSPF(ctx, r, discard(), "a.dm.test")
	if _, ok := findingWith(rep.Findings, "spf.include-none", "include:%{d2}._x.dm.test (here dm.test._x.dm.test) does not exist"); !ok {
		t.Errorf("a.dm.test: no spf.include-none naming the macro term: %+v", rep.Findings)
	}
	rep = CheckSPF(ctx, r, discard(), "b.dm.test")
	if rep.Tree == nil || len(rep.Tree.Children) != 1 || rep.Tree.Children[0].Record != "v=spf1 ip4:192.0.2.7 -all" || rep.Status != StatusOK {
		t.Errorf("b.dm.test: the %%{dr} include was not followed: %+v %+v", rep.Tree, rep.Findings)
	}
	rep = CheckSPF(ctx, r, discard(), "c.dm.test")
	if rep.Tree == nil || len(rep.Tree.Children) != 0 || rep.Tree.Total != 1 {
		t.Errorf("c.dm.test: an include that depends on the sender was walked: %+v", rep.Tree)
	}
	for _, tt := range []struct{ spec, want string }{
		{"%{d}", "a.b.example"}, {"%{d2}", "b.example"}, {"%{dr}", "example.b.a"}, {"%{d1r}", "a"},
		{"x.%{D}.%%.%_", "x.a.b.example.%. "},
	} {
		if got, ok := expandDomainMacros(tt.spec, "a.b.example"); !ok || got != tt.want {
			t.Errorf("expandDomainMacros(%q) = %q, %v; want %q", tt.spec, got, ok, tt.want)
		}
	}
	if _, ok := expandDomainMacros("%{s}.x", "a.example"); ok {
		t.Error("expandDomainMacros took %{s}")
	}
}
