package probe

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/resolver"
)

// TestLowFindingsWording: the wording and citations walk 14 found wrong,
// each in the finding that had it.
func TestLowFindingsWording(t *testing.T) {
	t.Parallel()
	r, _ := testResolver(t, "testdata/p14lows.zone")
	ctx := context.Background()
	tlsrpt := func(d string) []Finding { return CheckTLSRPT(ctx, r, discard(), d).Findings }
	spfOf := func(d string) []Finding { return CheckSPF(ctx, r, discard(), d).Findings }
	dmarcOf := func(d string) []Finding { return CheckDMARC(ctx, r, discard(), d).Findings }
	for _, tt := range []struct {
		name     string
		fs       []Finding
		code     string
		want     string
		sev, rfc string
	}{
		{"TLS-RPT of another version", tlsrpt("v2.lows.test"), "tls-rpt.none", `its version is "TLSRPTv2", and RFC 8460 defines only TLSRPTv1`, "warning", ""},
		{"TLS-RPT of another version, the fix", tlsrpt("v2.lows.test"), "tls-rpt.none", `publish it as "v=TLSRPTv1; rua=mailto:tls@lows.test"`, "", ""},
		{"TLS-RPT without ;", tlsrpt("semi.lows.test"), "tls-rpt.syntax", `rua= follows the value before it after a space, with no ";"`, "error", ""},
		{"TLS-RPT without ;, the fix", tlsrpt("semi.lows.test"), "tls-rpt.syntax", `publish "v=TLSRPTv1; rua=mailto:tls@lows.test"`, "", ""},
		{"TLS-RPT to a null MX", tlsrpt("nmx.lows.test"), "tls-rpt.report-undeliverable", "nullmx.lows.test publishes a null MX", "warning", "RFC 7505 3"},
		{"DMARC to a null MX", dmarcOf("nmxrua.lows.test"), "dmarc.report-undeliverable", "nullmx.lows.test publishes a null MX", "warning", "RFC 7505 3"},
		{"bare all", spfOf("bare.lows.test"), "spf.pass-all", `"all" (without a qualifier, the same as "+all") authorises every host`, "error", ""},
		{"+all", spfOf("plus.lows.test"), "spf.pass-all", `"+all" authorises every host`, "error", ""},
		{"void lookups over the limit", spfOf("voids.lows.test"), "spf.lookups", "and 3 lookups that find nothing (void lookups), more than the 2 allowed", "", ""},
		{"ptr", spfOf("ptr.lows.test"), "spf.ptr", "list the servers it stands for with ip4 and ip6 terms, or with an a term for a host name that has their addresses", "", ""},
		{"external reports, rua and ruf", dmarcOf("ext.lows.test"), "dmarc.external-unauthorised", "aggregate reports (rua) and failure reports (ruf) for ext.lows.test go to agg@other.test and fail@other.test respectively", "warning", ""},
	} {
		var f *Finding
		for i := range tt.fs {
			if tt.fs[i].Code == tt.code && strings.Contains(tt.fs[i].Message, tt.want) {
				f = &tt.fs[i]
			}
		}
		switch {
		case f == nil:
			t.Errorf("%s: no %s saying %q in %+v", tt.name, tt.code, tt.want, tt.fs)
		case tt.sev != "" && string(f.Severity) != tt.sev:
			t.Errorf("%s: %s is %s, want %s", tt.name, tt.code, f.Severity, tt.sev)
		case tt.rfc != "" && f.RFC != tt.rfc:
			t.Errorf("%s: %s cites %s, want %s", tt.name, tt.code, f.RFC, tt.rfc)
		}
	}
	// "3 of the 2" no more.
	if _, bad := findingWith(spfOf("voids.lows.test"), "spf.lookups", "3 of the 2"); bad {
		t.Error(`spf.lookups says "3 of the 2"`)
	}
}

// TestDKIMMissingNamesDanglingAlias: a selector asked for whose name is
// an alias (CNAME) of a name with no key says so, naming the target.
func TestDKIMMissingNamesDanglingAlias(t *testing.T) {
	t.Parallel()
	r, _ := testResolver(t, "testdata/p14lows.zone")
	rep := CheckDKIM(context.Background(), r, discard(), "dk.lows.test", []string{"gone"})
	if msgs, ok := findingWith(rep.Findings, "dkim.missing", "it is an alias (CNAME) of s1._domainkey.provider.lows.test, which has no key"); !ok {
		t.Errorf("dkim.missing %q does not name the alias's target", msgs)
	}
}

// TestListingCitesItsKind: a listing cites the section of its list's
// kind: RFC 5782 2.3 for a domain (RHSBL), 2.1 for an IPv4 address, 2.4
// for an IPv6 one.
func TestListingCitesItsKind(t *testing.T) {
	t.Parallel()
	fs, _ := ListingFindings([]Listing{
		{Zone: "dom.bl.test", Subject: "listed.test", Query: "listed.test.dom.bl.test.", Status: Listed, Codes: []string{"127.0.0.2"}},
		{Zone: "ip.bl.test", Subject: "192.0.2.1", Query: "1.2.0.192.ip.bl.test.", Status: Listed, Codes: []string{"127.0.0.2"}},
		{Zone: "ip.bl.test", Subject: "2001:db8::1", Query: "x.ip.bl.test.", Status: Listed, Codes: []string{"127.0.0.2"}},
	})
	for i, want := range []string{"RFC 5782 2.3", "RFC 5782 2.1", "RFC 5782 2.4"} {
		if fs[i].RFC != want {
			t.Errorf("%s: cites %s, want %s", fs[i].Message, fs[i].RFC, want)
		}
	}
}

// TestSPFResultNoneSaysNoRecord: check_host's none says that the domain
// publishes no SPF record, not that the IP is not authorised.
func TestSPFResultNoneSaysNoRecord(t *testing.T) {
	t.Parallel()
	f := spfResultFinding("x.test", SPFResult{Identity: "mailfrom", IP: "192.0.2.1", Result: "none"}, nil)
	if !strings.Contains(f.Message, "x.test publishes no SPF record") || strings.Contains(f.Message, "not authorised") {
		t.Errorf("spf.result none: %q", f.Message)
	}
}

// TestTimeoutSaysHowLong: a lookup that timed out says how long it
// waited, not the words of the sockets closed when the time ran out.
func TestTimeoutSaysHowLong(t *testing.T) {
	t.Parallel()
	_, srv := testResolver(t, "testdata/p14lows.zone")
	srv.Set("slow.lows.test.", "timeout")
	r, err := resolver.New(resolver.Options{Servers: []string{srv.Addr}, Timeout: 200 * time.Millisecond, Attempts: 1, CacheSize: -1})
	if err != nil {
		t.Fatal(err)
	}
	rep := Run(context.Background(), Deps{Resolver: r, Logger: discard(), QueryTimeout: 200 * time.Millisecond}, Request{Domain: "slow.lows.test", NoBlocklists: true})
	msgs, ok := findingWith(rep.DMARC.Findings, "dmarc.dns-error", "timed out after 200ms")
	if !ok {
		t.Errorf("dmarc.dns-error %q does not say it timed out after 200ms", msgs)
	}
	for _, m := range msgs {
		if strings.Contains(m, "use of closed network connection") || strings.Contains(m, "context deadline exceeded") {
			t.Errorf("dmarc.dns-error leaks the socket's words: %s", m)
		}
	}
}

// TestJSONListsNeverNull: the lists SCHEMA.md declares are [] when
// empty, not null: ips without --ip, the hosts of a domain without MX,
// the selectors of a domain without keys.
func TestJSONListsNeverNull(t *testing.T) {
	t.Parallel()
	r, _ := testResolver(t, "testdata/p14lows.zone")
	rep := Run(context.Background(), Deps{Resolver: r, Logger: discard()}, Request{Domain: "bare.lows.test", NoBlocklists: true})
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(b, []byte(":null")) || !bytes.Contains(b, []byte(`"ips":[]`)) {
		t.Errorf("nulls, or no ips list, in %s", b)
	}
}

// TestMTASTSPolicyRecordIndented: a policy that does not parse is shown
// under record: with each of its lines indented, not from the margin.
func TestMTASTSPolicyRecordIndented(t *testing.T) {
	t.Parallel()
	rep := &Report{Checks: []CheckSummary{{Check: "mta-sts", Status: StatusError, Findings: []Finding{{Check: "mta-sts", Severity: SevError,
		Code: "mta-sts.policy-syntax", Message: "bad", Record: "version: STSv1\r\nmode: enforced\r\nmx: mx.x.test\r\n"}}}}}
	var b bytes.Buffer
	if err := rep.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	want := "          record: version: STSv1\n                  mode: enforced\n                  mx: mx.x.test\n"
	if !strings.Contains(b.String(), want) {
		t.Errorf("policy lines not indented under record:\n%s", b.String())
	}
}
