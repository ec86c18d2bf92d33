package probe

import (
	"context"
	"encoding/json"
	"net/netip"
	"strings"
	"testing"
)

// fp24SPF checks the SPF policy of domain served with records.
func fp24SPF(t *testing.T, domain string, records ...string) SPFReport {
	t.Helper()
	r, _ := servedWorld(t, records)
	return CheckSPF(context.Background(), r, discard(), domain)
}

const (
	fp24SOA  = "b.test. 60 IN SOA ns.b.test. hm.b.test. 1 60 60 60 30"
	fp24SOAo = "example.org. 60 IN SOA ns.example.org. hm.example.org. 1 60 60 60 30"
)

// TestFP24SPFRanges: ip4 and ip6 terms that together cover every
// address of a family are a pass for everyone (spf.pass-all), directly
// or through an include; a single range wider than a registry's block
// is spf.wide-range; a private range in a public domain's own record is
// spf.private-range. Before, only a /0 was flagged.
func TestFP24SPFRanges(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name, domain string
		records      []string
		code         string
		sev          Severity
		want         []string
		not          string // a code that must not be there
	}{
		{"halves", "h.b.test", []string{fp24SOA, `h.b.test. 60 IN TXT "v=spf1 ip4:0.0.0.0/1 ip4:128.0.0.0/1 -all"`},
			"spf.pass-all", SevError, []string{"its terms ip4:0.0.0.0/1, ip4:128.0.0.0/1 together cover every IPv4 address", "replace ip4:0.0.0.0/1 and ip4:128.0.0.0/1 with the addresses of the servers that send as h.b.test"}, "spf.wide-range"},
		{"halves through an include", "i.b.test", []string{fp24SOA, `i.b.test. 60 IN TXT "v=spf1 ip4:0.0.0.0/1 include:other.b.test -all"`,
			`other.b.test. 60 IN TXT "v=spf1 ip4:128.0.0.0/2 ip4:192.0.0.0/2 -all"`},
			"spf.pass-all", SevError, []string{"ip4:128.0.0.0/2 (in the record of other.b.test)", "remove include:other.b.test, or have the owner"}, ""},
		{"ipv6 quarters", "s.b.test", []string{fp24SOA, `s.b.test. 60 IN TXT "v=spf1 ip6:::/2 ip6:4000::/2 ip6:8000::/1 -all"`},
			"spf.pass-all", SevError, []string{"together cover every IPv6 address"}, ""},
		{"a /7", "w.b.test", []string{fp24SOA, `w.b.test. 60 IN TXT "v=spf1 ip4:192.0.2.1 ip4:8.0.0.0/7 -all"`},
			"spf.wide-range", SevError, []string{"ip4:8.0.0.0/7 gives pass to 1/128 of all IPv4 addresses (33554432 addresses), wider than the /8", "replace ip4:8.0.0.0/7"}, "spf.pass-all"},
		{"an ipv6 /3", "v.b.test", []string{fp24SOA, `v.b.test. 60 IN TXT "v=spf1 ip6:2000::/3 -all"`},
			"spf.wide-range", SevError, []string{"1/8 of all IPv6 addresses, wider than the /12"}, ""},
		{"not after -all", "n.b.test", []string{fp24SOA, `n.b.test. 60 IN TXT "v=spf1 ip4:192.0.2.1 -ip4:0.0.0.0/1 ip4:128.0.0.0/1 -all"`},
			"", "", nil, "spf.pass-all"},
		{"a provider's /16", "g.b.test", []string{fp24SOA, `g.b.test. 60 IN TXT "v=spf1 ip4:74.125.0.0/16 ip6:2001:4860:4000::/36 -all"`},
			"", "", nil, "spf.wide-range"},
		{"private, public domain", "example.org", []string{fp24SOAo, `example.org. 60 IN TXT "v=spf1 ip4:192.0.2.1 ip4:10.1.2.0/24 ip6:fd00::/8 -all"`},
			"spf.private-range", SevWarning, []string{"ip4:10.1.2.0/24 is in the private range 10.0.0.0/8, which is not routed on the internet", "remove it"}, ""},
		{"private, test domain", "p.b.test", []string{fp24SOA, `p.b.test. 60 IN TXT "v=spf1 ip4:10.1.2.0/24 -all"`},
			"", "", nil, "spf.private-range"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rep := fp24SPF(t, tt.domain, tt.records...)
			if tt.not != "" {
				if f := fp24Finding(rep.Findings, tt.not); f != nil {
					t.Errorf("unwanted %s: %s", tt.not, f.Message)
				}
			}
			if tt.code == "" {
				return
			}
			f := fp24Finding(rep.Findings, tt.code)
			if f == nil || f.Severity != tt.sev {
				t.Fatalf("findings %+v: want %s (%s)", rep.Findings, tt.code, tt.sev)
			}
			for _, w := range tt.want {
				if !strings.Contains(f.Message, w) {
					t.Errorf("%s %q lacks %q", tt.code, f.Message, w)
				}
			}
		})
	}
}

// TestFP24PassAllFix: the fix of spf.pass-all fits what opens the policy:
// a term of the record itself is replaced with the senders' addresses;
// an include is removed or its record mended. Before, a direct
// ip4:0.0.0.0/0 was told to "have the record it points to end with -all".
func TestFP24PassAllFix(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		rec, extra string
		want       string
	}{
		{"v=spf1 ip4:0.0.0.0/0 -all", "", "replace ip4:0.0.0.0/0 with the addresses of the servers that send as d.b.test"},
		{"v=spf1 ip6:::/0 -all", "", "replace ip6:::/0 with the addresses"},
		{"v=spf1 include:open.b.test -all", `open.b.test. 60 IN TXT "v=spf1 +all"`, "remove include:open.b.test, or have the record it leads to end with -all or ~all instead"},
		{"v=spf1 include:open.b.test -all", `open.b.test. 60 IN TXT "v=spf1 ip4:0.0.0.0/0 -all"`, "remove include:open.b.test, or have the owner of the record it leads to list only its senders' addresses in place of ip4:0.0.0.0/0"},
		{"v=spf1 a/0 -all", `d.b.test. 60 IN A 192.0.2.1`, "remove the /0"},
	} {
		records := []string{fp24SOA, `d.b.test. 60 IN TXT "` + tt.rec + `"`}
		if tt.extra != "" {
			records = append(records, tt.extra)
		}
		rep := fp24SPF(t, "d.b.test", records...)
		f := fp24Finding(rep.Findings, "spf.pass-all")
		if f == nil || !strings.Contains(f.Message, tt.want) || strings.Contains(tt.rec, "ip") && strings.Contains(f.Message, "points to") {
			t.Errorf("%s: pass-all %+v, want it to say %q", tt.rec, f, tt.want)
		}
	}
}

// TestFP24SPFLoopCount: beside spf.loop, the count of lookups says it
// cannot be counted, rather than a small number that reads as fine.
func TestFP24SPFLoopCount(t *testing.T) {
	t.Parallel()
	rep := fp24SPF(t, "l.b.test", fp24SOA,
		`l.b.test. 60 IN TXT "v=spf1 include:m.b.test -all"`,
		`m.b.test. 60 IN TXT "v=spf1 include:l.b.test -all"`)
	if fp24Finding(rep.Findings, "spf.loop") == nil {
		t.Fatalf("findings %+v: want spf.loop", rep.Findings)
	}
	f := fp24Finding(rep.Findings, "spf.lookups")
	if f == nil || !strings.Contains(f.Message, "cannot be counted: its include/redirect chain loops back") || strings.Contains(f.Message, "of the 10 DNS lookups allowed") {
		t.Errorf("spf.lookups %+v: want it to say the count is unknown because of the loop", f)
	}
}

// TestFP24RepeatedInclude: an include met twice is counted twice by
// receivers, and the probe says so with what it costs, instead of
// counting it silently.
func TestFP24RepeatedInclude(t *testing.T) {
	t.Parallel()
	rep := fp24SPF(t, "r.b.test", fp24SOA,
		`r.b.test. 60 IN TXT "v=spf1 include:esp.b.test include:mid.b.test -all"`,
		`mid.b.test. 60 IN TXT "v=spf1 include:esp.b.test -all"`,
		`esp.b.test. 60 IN TXT "v=spf1 a:out.b.test -all"`,
		`out.b.test. 60 IN A 192.0.2.9`)
	f := fp24Finding(rep.Findings, "spf.repeated-include")
	if f == nil || f.Severity != SevWarning {
		t.Fatalf("findings %+v: want spf.repeated-include (warning)", rep.Findings)
	}
	for _, w := range []string{"esp.b.test is met twice", "include:esp.b.test in the record of r.b.test, include:esp.b.test in the record of mid.b.test",
		"it takes 4 of the 10 lookups allowed where once would take 2", "remove the later include:esp.b.test from the record of mid.b.test"} {
		if !strings.Contains(f.Message, w) {
			t.Errorf("%q lacks %q", f.Message, w)
		}
	}
	if rep.Tree.Total != 5 {
		t.Errorf("total %d lookups, want 5 (the repeat counted again)", rep.Tree.Total)
	}
	if f.Record != "v=spf1 include:esp.b.test -all" {
		t.Errorf("record %q, want that of mid.b.test, which has the later include", f.Record)
	}
	rep = fp24SPF(t, "t.b.test", fp24SOA,
		`t.b.test. 60 IN TXT "v=spf1 include:esp.b.test include:esp.b.test -all"`,
		`esp.b.test. 60 IN TXT "v=spf1 ip4:192.0.2.9 -all"`)
	if f := fp24Finding(rep.Findings, "spf.repeated-include"); f == nil || !strings.Contains(f.Message, "(the record of t.b.test names it twice)") {
		t.Errorf("one record naming an include twice: %+v", f)
	}
}

// TestFP24SPFNoneFromIPs: without an SPF record, the advice for a probe
// with --ip is a record of those addresses, also as publish; with none
// given, an example to fill in, without publish. Before, it always
// proposed ip4:192.0.2.25 and never carried publish.
func TestFP24SPFNoneFromIPs(t *testing.T) {
	t.Parallel()
	r, _ := servedWorld(t, []string{fp24SOAo, `nospf.example.org. 60 IN A 192.0.2.60`})
	req := Request{Domain: "nospf.example.org", IPs: []netip.Addr{netip.MustParseAddr("192.0.2.60"), netip.MustParseAddr("2001:db8::60")}, NoBlocklists: true}
	rep := Run(context.Background(), Deps{Resolver: r}, req)
	rep.review(req) // what Run is to call once summarised (see review)
	rep.review(req) // and more than once, as the monitor may
	const want = "v=spf1 ip4:192.0.2.60 ip6:2001:db8::60 -all"
	var seen int
	for _, c := range rep.Checks {
		for _, f := range c.Findings {
			if f.Code != "spf.none" {
				continue
			}
			seen++
			if !strings.Contains(f.Message, `publish "`+want+`" at nospf.example.org, which authorises the 2 addresses given with --ip`) || strings.Contains(f.Message, "192.0.2.25") ||
				f.Publish == nil || f.Publish.Value != want || f.Publish.Name != "nospf.example.org" {
				t.Errorf("spf.none %+v: want the record of the --ip addresses, with publish", f)
			}
		}
	}
	if seen != 1 {
		t.Errorf("%d spf.none findings, want 1", seen)
	}
	b, _ := json.Marshal(rep)
	if !strings.Contains(string(b), `"publish":{"name":"nospf.example.org","type":"TXT","value":"`+want+`"}`) {
		t.Errorf("--json lacks the publish of spf.none: %s", b)
	}
	bare := Request{Domain: "nospf.example.org", NoBlocklists: true}
	rep = Run(context.Background(), Deps{Resolver: r}, bare)
	rep.review(bare)
	if f := fp24Finding(rep.SPF.Findings, "spf.none"); f == nil || f.Publish != nil || !strings.Contains(f.Message, "ip4:192.0.2.25") {
		t.Errorf("spf.none without --ip %+v: want the example to fill in, no publish", f)
	}
}
