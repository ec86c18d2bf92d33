package probe

import (
	"context"
	"errors"
	"net/netip"
	"strings"
	"testing"

	"blitiri.com.ar/go/spf"
	"github.com/miekg/dns"
)

func TestParseSPF(t *testing.T) {
	t.Parallel()
	tests := []struct {
		rec   string
		terms int
		bad   bool
	}{
		{"v=spf1", 0, false},
		{"v=spf1 -all", 1, false},
		{"V=SPF1 IP4:192.0.2.1 -ALL", 2, false},
		{"v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/32 a mx ptr ~all", 6, false},
		{"v=spf1 a:example.com/24//64 mx/28 exists:%{i}.%{d2}.x.example ?all", 4, false},
		{"v=spf1 include:_spf.example.com redirect=example.net", 2, false},
		{"v=spf1 foo=bar -all", 2, false},
		{"v=spf1 exp=%{d}.exp.example -all", 2, false},
		{"v=spf1  -all", 1, false}, // extra spaces
		{"v=spf10 -all", 0, true},
		{"spf1 -all", 0, true},
		{"v=spf1 ip4:192.0.2.300", 0, true},
		{"v=spf1 ip4:2001:db8::1", 0, true},
		{"v=spf1 ip6:192.0.2.1", 0, true},
		{"v=spf1 ip4:192.0.2.0/33", 0, true},
		{"v=spf1 foo:bar", 0, true},
		{"v=spf1 include:", 0, true},
		{"v=spf1 include", 0, true},
		{"v=spf1 include:localhost", 0, true},
		{"v=spf1 include:example.123", 0, true},
		{"v=spf1 all:x", 0, true},
		{"v=spf1 redirect=a.example redirect=b.example", 0, true},
		{"v=spf1 exists:%{z}.example", 0, true},
		{"v=spf1 exists:%{i.example", 0, true},
		{"v=spf1 exists:100%.example", 0, true},
		{"v=spf1 ptr/24", 0, true},
		{"v=spf1 a/99", 0, true},
		{"v=spf1 9x=y", 0, true},
	}
	for _, tt := range tests {
		r, err := ParseSPF(tt.rec)
		if tt.bad {
			if err == nil || !errors.Is(err, ErrSPFSyntax) {
				t.Errorf("ParseSPF(%q) = %v, want a syntax error", tt.rec, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseSPF(%q): %v", tt.rec, err)
			continue
		}
		if len(r.Terms) != tt.terms {
			t.Errorf("ParseSPF(%q) has %d terms, want %d", tt.rec, len(r.Terms), tt.terms)
		}
	}
}

func codes(fs []Finding) map[string]Severity {
	m := map[string]Severity{}
	for _, f := range fs {
		m[f.Code] = f.Severity
	}
	return m
}

func TestCheckSPF(t *testing.T) {
	t.Parallel()
	r, _ := testResolver(t, "../testdata/dns/spf.zone")
	tests := []struct {
		domain string
		code   string // a finding that must be present ("" none at warning or above)
		status Status
		total  int // lookups, -1 to skip
	}{
		{"simple.spf.test", "", StatusOK, 0},
		{"include.spf.test", "", StatusOK, 1},
		{"pass-all.spf.test", "spf.pass-all", StatusError, 0},
		{"any-ip4.spf.test", "spf.pass-all", StatusError, 0},
		{"include-open.spf.test", "spf.pass-all", StatusError, 1},
		{"include-open2.spf.test", "spf.pass-all", StatusError, 2},
		{"include-neutral.spf.test", "", StatusOK, 1},
		{"redirect-open.spf.test", "spf.pass-all", StatusError, 1},
		{"redirect-neutral.spf.test", "spf.neutral-all", StatusWarning, 1},
		{"redirect-no-all.spf.test", "spf.no-all", StatusWarning, 1},
		{"after-all.spf.test", "spf.after-all", StatusWarning, 0},
		{"neutral-all.spf.test", "spf.neutral-all", StatusWarning, 0},
		{"no-all.spf.test", "spf.no-all", StatusWarning, 0},
		{"redirect.spf.test", "", StatusOK, 1},
		{"redirect-all.spf.test", "spf.redirect-ignored", StatusWarning, 0},
		{"limit.spf.test", "spf.lookup-limit", StatusError, 11},
		{"limit-ok.spf.test", "spf.lookup-near-limit", StatusWarning, 10},
		{"limit-nested.spf.test", "spf.lookup-limit", StatusError, 11},
		{"void.spf.test", "spf.void-limit", StatusError, 3},
		{"void-ok.spf.test", "", StatusOK, 2},
		{"void-v6only.spf.test", "spf.void-limit", StatusError, 3}, // three A queries find nothing for IPv4 senders
		{"void-v6only-ok.spf.test", "", StatusOK, 2},
		{"void-v4only.spf.test", "spf.void-limit", StatusWarning, 3}, // three AAAA queries find nothing for IPv6 senders
		{"multiple.spf.test", "spf.multiple", StatusError, -1},
		{"syntax-ip.spf.test", "spf.syntax", StatusError, -1},
		{"syntax-macro.spf.test", "spf.syntax", StatusError, -1},
		{"ptr.spf.test", "spf.ptr", StatusWarning, 1},
		{"include-none.spf.test", "spf.include-none", StatusError, 1},
		{"include-nx.spf.test", "spf.include-none", StatusError, 1},
		{"include-broken.spf.test", "spf.dns-error", StatusUnknown, -1},
		{"loop.spf.test", "spf.loop", StatusError, -1},
		{"split.spf.test", "spf.string-split", StatusWarning, 1},
		{"long.spf.test", "spf.long", StatusWarning, 0},
		{"mx-many.spf.test", "spf.mx-limit", StatusError, 1},
		{"nospf.spf.test", "spf.none", StatusError, -1},
		{"nonexistent.spf.test", "spf.none", StatusError, -1},
	}
	for _, tt := range tests {
		t.Run(tt.domain, func(t *testing.T) {
			t.Parallel()
			rep := CheckSPF(context.Background(), r, discard(), tt.domain)
			cs := codes(rep.Findings)
			if tt.code != "" {
				if _, ok := cs[tt.code]; !ok {
					t.Errorf("findings %v lack %s", rep.Findings, tt.code)
				}
			}
			if rep.Status != tt.status {
				t.Errorf("status = %s, want %s (findings %v)", rep.Status, tt.status, rep.Findings)
			}
			if tt.total >= 0 && (rep.Tree == nil || rep.Tree.Total != tt.total) {
				t.Errorf("lookups = %+v, want %d", rep.Tree, tt.total)
			}
			for _, f := range rep.Findings {
				if f.Severity != SevInfo && (f.RFC == "" || f.Message == "") && f.Code != "spf.dns-error" {
					t.Errorf("finding %+v lacks an RFC section or message", f)
				}
			}
		})
	}
}

// The lookup count is shown when it is within the limit too, as an info
// finding, so that people see how close they are.
func TestSPFLookupsShown(t *testing.T) {
	t.Parallel()
	r, _ := testResolver(t, "../testdata/dns/spf.zone")
	for domain, want := range map[string]string{
		"simple.spf.test":         "the policy needs 0 of the 10 DNS lookups allowed, and 0 of the 2",
		"void-ok.spf.test":        "the policy needs 2 of the 10 DNS lookups allowed (2 in the record's own terms), and 2 of the 2",
		"include.spf.test":        "the policy needs 1 of the 10 DNS lookups allowed (0 in the record's own terms, include:simple.spf.test 1), and 0 of the 2",
		"void-v6only-ok.spf.test": "the policy needs 2 of the 10 DNS lookups allowed (2 in the record's own terms), and 2 for mail from IPv4 addresses and 0 for IPv6 of the 2",
	} {
		rep := CheckSPF(context.Background(), r, discard(), domain)
		found := false
		for _, f := range rep.Findings {
			found = found || f.Code == "spf.lookups" && f.Severity == SevInfo && strings.HasPrefix(f.Message, want)
		}
		if !found {
			t.Errorf("%s: findings %+v lack spf.lookups %q", domain, rep.Findings, want)
		}
	}
}

// A failing check says what is wrong and what to publish or change.
func TestSPFMessagesSayWhatToDo(t *testing.T) {
	t.Parallel()
	r, _ := testResolver(t, "../testdata/dns/spf.zone")
	for _, tt := range []struct{ domain, code, want string }{
		{"include-nx.spf.test", "spf.include-none", "include:nonexistent.spf.test does not exist (NXDOMAIN)"},
		{"include-none.spf.test", "spf.include-none", "include:nospf.spf.test has no SPF record"},
		{"include-none.spf.test", "spf.include-none", "remove the include, or correct the name"},
		{"void.spf.test", "spf.void-limit", "(a:nx1.spf.test (in void.spf.test), a:nx2.spf.test (in void.spf.test), a:nx3.spf.test (in void.spf.test))"},
		{"void-v6only.spf.test", "spf.void-limit", "for mail from IPv4 addresses, 3 lookups find nothing (a:v6a.spf.test (in void-v6only.spf.test: v6a.spf.test has no A record), a:v6b.spf.test"},
		{"void-v4only.spf.test", "spf.void-limit", "for mail from IPv6 addresses, 3 lookups find nothing (a:v4a.spf.test (in void-v4only.spf.test: v4a.spf.test has no AAAA record)"},
		{"multiple.spf.test", "spf.multiple", "replace them with this one record, which lists every sender they list: \"v=spf1 ip4:192.0.2.1 ip4:192.0.2.2 -all\" (it needs 0 of the 10 DNS lookups allowed)"},
		{"syntax-ip.spf.test", "spf.syntax", "correct or remove that term"},
		{"loop.spf.test", "spf.loop", "remove the include or redirect that leads back"},
		{"nospf.spf.test", "spf.none", `or "v=spf1 -all" if it sends no mail`},
		// A short SPF record in a TXT answer swollen by other records.
		{"crowded.spf.test", "spf.long", "is about 600 bytes (the SPF record is 164 and 2 other TXT records of crowded.spf.test), over the 512"},
	} {
		rep := CheckSPF(context.Background(), r, discard(), tt.domain)
		var msgs []string
		found := false
		for _, f := range rep.Findings {
			if f.Code == tt.code {
				msgs = append(msgs, f.Message)
				found = found || strings.Contains(f.Message, tt.want)
			}
		}
		if !found {
			t.Errorf("%s: %s messages %q lack %q", tt.domain, tt.code, msgs, tt.want)
		}
	}
}

// txtAnswerSize agrees with the size of the packed reply.
func TestTXTAnswerSize(t *testing.T) {
	t.Parallel()
	records := [][]string{{"v=spf1 ip4:192.0.2.1 -all"}, {strings.Repeat("a", 255), "bc"}, {""}}
	m := new(dns.Msg)
	m.SetQuestion("crowded.spf.test.", dns.TypeTXT)
	m.Response, m.Compress = true, true
	for _, r := range records {
		m.Answer = append(m.Answer, &dns.TXT{Hdr: dns.RR_Header{Name: "crowded.spf.test.", Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: 300}, Txt: r})
	}
	if got, want := txtAnswerSize("crowded.spf.test", records), m.Len(); got != want {
		t.Errorf("txtAnswerSize = %d, packed reply %d", got, want)
	}
}

func TestMergeSPF(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		recs []string
		want string
	}{
		{[]string{"v=spf1 ip4:192.0.2.1 -all", "v=spf1 include:_spf.example.net ~all"}, "v=spf1 ip4:192.0.2.1 include:_spf.example.net -all"},
		// ip4 and ip6 first, each term once.
		{[]string{"v=spf1 mx a -all", "v=spf1 MX ip4:192.0.2.9 -all"}, "v=spf1 ip4:192.0.2.9 mx a -all"},
		{[]string{"v=spf1 redirect=_spf.example.net", "v=spf1 ip4:192.0.2.1"}, "v=spf1 ip4:192.0.2.1 redirect=_spf.example.net"},
		// ptr goes (RFC 7208 5.5); the strictest all stays.
		{[]string{"v=spf1 a mx ptr ?all", "v=spf1 ip4:192.0.2.77 -all"}, "v=spf1 ip4:192.0.2.77 a mx -all"},
		// Beside an all, a redirect would be ignored: it becomes an include.
		{[]string{"v=spf1 redirect=_spf.example.net", "v=spf1 ip4:192.0.2.1 ~all"}, "v=spf1 ip4:192.0.2.1 include:_spf.example.net ~all"},
		{[]string{"v=spf1 redirect=a.example", "v=spf1 redirect=b.example"}, "v=spf1 include:b.example redirect=a.example"},
		// Nothing protective to keep: ~all.
		{[]string{"v=spf1 ip4:192.0.2.1 +all", "v=spf1 ip4:192.0.2.2"}, "v=spf1 ip4:192.0.2.1 ip4:192.0.2.2 ~all"},
		// One explanation; other modifiers once each, after the all.
		{[]string{"v=spf1 a exp=e1.example -all", "v=spf1 mx exp=e2.example -all"}, "v=spf1 a mx -all exp=e1.example"},
	} {
		if got := mergeSPF(tt.recs).Record; got != tt.want {
			t.Errorf("mergeSPF(%q) = %q, want %q", tt.recs, got, tt.want)
		}
	}
}

func TestEvalSPF(t *testing.T) {
	t.Parallel()
	r, _ := testResolver(t, "../testdata/dns/spf.zone")
	for _, c := range spfCases {
		t.Run(c.domain+"/"+c.ip, func(t *testing.T) {
			t.Parallel()
			got := EvalSPF(context.Background(), r, netip.MustParseAddr(c.ip), "mta.example", "postmaster@"+c.domain)
			if got.Result != c.want {
				t.Errorf("check_host = %s (%s), want %s", got.Result, got.Error, c.want)
			}
		})
	}
}

// spfCases are evaluated by EvalSPF and, in the integration test, by
// python3-spf: both must agree with want. Not here: an IPv6 sender against
// "a" terms naming IPv4-only hosts (void-v4only), which python3-spf counts
// as void lookups and EvalSPF does not, because the library asks addresses
// through one call for "a" and "exists" alike (see netResolver).
var spfCases = []struct {
	domain, ip string
	want       spf.Result
}{
	{"pass-all.spf.test", "192.0.2.1", spf.Pass},
	{"neutral-all.spf.test", "192.0.2.1", spf.Neutral},
	{"softfail-all.spf.test", "192.0.2.1", spf.SoftFail},
	{"no-all.spf.test", "192.0.2.1", spf.Pass},
	{"no-all.spf.test", "192.0.2.9", spf.Neutral},
	{"empty.spf.test", "192.0.2.1", spf.Neutral},
	{"simple.spf.test", "192.0.2.1", spf.Pass},
	{"simple.spf.test", "198.51.100.1", spf.Fail},
	{"upper.spf.test", "192.0.2.1", spf.Pass},
	{"ip6.spf.test", "2001:db8::1", spf.Pass},
	{"ip6.spf.test", "192.0.2.1", spf.Fail},
	{"a.spf.test", "192.0.2.5", spf.Pass},
	{"a.spf.test", "2001:db8::5", spf.Pass},
	{"a.spf.test", "192.0.2.6", spf.Fail},
	{"a-cidr.spf.test", "203.0.113.200", spf.Pass},
	{"a-dual.spf.test", "2001:db8:1::99", spf.Pass},
	{"a-dual.spf.test", "203.0.113.8", spf.Fail},
	{"mx.spf.test", "192.0.2.25", spf.Pass},
	{"mx.spf.test", "192.0.2.26", spf.Fail},
	{"mx-many.spf.test", "198.51.100.101", spf.PermError},
	{"include.spf.test", "192.0.2.1", spf.Pass},
	{"include.spf.test", "198.51.100.1", spf.Fail},
	{"include-soft.spf.test", "198.51.100.7", spf.Pass},
	{"include-soft.spf.test", "192.0.2.1", spf.SoftFail},
	{"include-none.spf.test", "192.0.2.1", spf.PermError},
	{"include-nx.spf.test", "192.0.2.1", spf.PermError},
	{"include-broken.spf.test", "192.0.2.1", spf.TempError},
	{"redirect.spf.test", "192.0.2.1", spf.Pass},
	{"redirect.spf.test", "198.51.100.1", spf.Fail},
	{"include-open.spf.test", "203.0.113.99", spf.Pass},
	{"include-neutral.spf.test", "203.0.113.99", spf.Fail},
	{"redirect-open.spf.test", "203.0.113.99", spf.Pass},
	{"after-all.spf.test", "198.51.100.1", spf.Fail},
	{"syntax-ip.spf.test", "192.0.2.1", spf.PermError},
	{"syntax-mech.spf.test", "192.0.2.1", spf.PermError},
	{"ptr.spf.test", "203.0.113.5", spf.Pass},
	{"ptr.spf.test", "203.0.113.6", spf.Fail},
	{"exists.spf.test", "192.0.2.1", spf.Pass},
	{"exists.spf.test", "192.0.2.2", spf.Fail},
	{"macro-local.spf.test", "192.0.2.3", spf.Pass},
	{"unknown-mod.spf.test", "192.0.2.1", spf.Pass},
	{"exp.spf.test", "192.0.2.2", spf.Fail},
	{"void.spf.test", "192.0.2.1", spf.PermError},
	{"void-ok.spf.test", "192.0.2.1", spf.Pass},
	{"void-v6only.spf.test", "192.0.2.1", spf.PermError}, // three A queries that find nothing
	{"void-v6only.spf.test", "2001:db8::1", spf.Pass},
	{"void-v6only-ok.spf.test", "192.0.2.1", spf.Pass},
	{"limit.spf.test", "198.51.100.11", spf.PermError},
	{"limit-ok.spf.test", "198.51.100.10", spf.Pass},
	{"limit-nested.spf.test", "203.0.113.251", spf.PermError},
	{"limit-nested.spf.test", "203.0.113.250", spf.Pass}, // matched before the 11th lookup
	{"loop.spf.test", "192.0.2.1", spf.PermError},
	{"multiple.spf.test", "192.0.2.1", spf.PermError},
	{"split.spf.test", "192.0.2.1", spf.Pass},
	{"long.spf.test", "198.51.100.39", spf.Pass},
	{"nospf.spf.test", "192.0.2.1", spf.None},
	{"nonexistent.spf.test", "192.0.2.1", spf.None},
}

func FuzzParseSPF(f *testing.F) {
	for _, s := range []string{"v=spf1 -all", "v=spf1 ip4:192.0.2.0/24 a:x.example/24//64 mx ptr ~all",
		"v=spf1 exists:%{ir}.%{l1r+-}._spf.%{d} redirect=x.example", "v=spf1 include:", "v=spf1 ip6:::1/129", "v=spf1 %{"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseSPF(s)
		if err != nil {
			return
		}
		// What parses must print back to something that parses alike.
		out := "v=spf1"
		for _, term := range r.Terms {
			out += " " + term.String()
		}
		r2, err := ParseSPF(out)
		if err != nil || len(r2.Terms) != len(r.Terms) {
			t.Fatalf("%q parsed, its rewrite %q did not: %v", s, out, err)
		}
	})
}

// TestSPFTermStringIPv6Prefix: an ip6 term prints its prefix length with
// one slash (RFC 7208 5.6 ip6-cidr-length), as it is written, where it
// printed "ip6:2001:db8:://32", which no receiver reads; the dual length
// of a and mx keeps its "//". Found by FuzzParseSPF ("ip6:::/0").
func TestSPFTermStringIPv6Prefix(t *testing.T) {
	t.Parallel()
	for _, rec := range []string{"ip6:2001:db8::/32", "ip6:::/0", "ip6:::1", "a:x.example/24//64", "-mx//48", "ip4:192.0.2.0/24"} {
		r, err := ParseSPF("v=spf1 " + rec)
		if err != nil {
			t.Fatalf("%s: %v", rec, err)
		}
		if got := r.Terms[0].String(); got != rec {
			t.Errorf("%s prints as %s", rec, got)
		}
	}
}
