package probe

import (
	"context"
	"encoding/json"
	"net/http"
	"net/netip"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/clock"
)

// walkRun probes testdata/walk.zone with no blocklists.
func walkRun(t *testing.T, req Request) *Report {
	t.Helper()
	r, _ := testResolver(t, "testdata/walk.zone")
	req.NoBlocklists = true
	return Run(context.Background(), Deps{Resolver: r, Clock: clock.NewVirtual(epoch), Logger: discard(), HTTPClient: &http.Client{}}, req)
}

// findingsOf returns the findings of one check of a report.
func findingsOf(rep *Report, check string) []Finding {
	for _, c := range rep.Checks {
		if c.Check == check {
			return c.Findings
		}
	}
	return nil
}

// TestHeloSPFWithoutDomain: an IP with a HELO name and no domain still
// gets check_host for the HELO identity (RFC 7208 2.3).
func TestHeloSPFWithoutDomain(t *testing.T) {
	t.Parallel()
	rep := walkRun(t, Request{IPs: []netip.Addr{netip.MustParseAddr("192.0.2.51")}, Helo: "helo.walk.test"})
	if len(rep.SPFResults) != 1 || rep.SPFResults[0].Identity != "helo" || rep.SPFResults[0].Result != "fail" {
		t.Fatalf("spf_results = %+v, want one helo fail", rep.SPFResults)
	}
	if _, ok := codes(findingsOf(rep, "spf"))["spf.helo-result"]; !ok {
		t.Errorf("checks %+v: want an spf check with spf.helo-result", rep.Checks)
	}
	if rep.SPF != nil {
		t.Errorf("spf = %+v, want none: there is no domain", rep.SPF)
	}
}

// TestWatchIPHeloSPF: the monitor checks each watched IP's HELO name with
// SPF, as the README says of probe.helo.
func TestWatchIPHeloSPF(t *testing.T) {
	t.Parallel()
	r, _ := testResolver(t, "testdata/walk.zone")
	vc := clock.NewVirtual(epoch)
	st := openStore(t, vc)
	cfg := DefaultConfig()
	cfg.Helo = "helo.walk.test"
	cfg.IPs = IPList{{IP: "192.0.2.51"}}
	cfg.Zones = []Zone{{Zone: "good.bl.test", Kind: ZoneIP}}
	m, err := NewMonitor(cfg, Options{Store: st, Clock: vc, Logger: discard(), Resolver: r, HTTPClient: &http.Client{}})
	if err != nil {
		t.Fatal(err)
	}
	m.RunOnce(context.Background()) //nolint:errcheck // good.bl.test is not served: its health is unknown
	latest, err := LatestResults(context.Background(), st.DB())
	if err != nil || len(latest) != 1 {
		t.Fatalf("latest = %+v, %v", latest, err)
	}
	var rep Report
	if err := json.Unmarshal(latest[0].Report, &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.SPFResults) != 1 || rep.SPFResults[0].Helo != "helo.walk.test" || rep.SPFResults[0].Result != "fail" {
		t.Errorf("spf_results = %+v, want the HELO name checked and failing", rep.SPFResults)
	}
	if !strings.Contains(string(latest[0].Report), "spf.helo-result") {
		t.Errorf("report has no spf.helo-result finding:\n%s", latest[0].Report)
	}
}

// TestHeloAdviceFollowsResult: the HELO SPF finding says what to do for
// the result and the record published, not always to publish "a -all".
func TestHeloAdviceFollowsResult(t *testing.T) {
	t.Parallel()
	r, _ := testResolver(t, "testdata/walk.zone")
	ip := netip.MustParseAddr("192.0.2.51")
	for _, tt := range []struct {
		helo, result string
		want         []string
		not          string
	}{
		// It publishes "a -all" already: the A record is what is missing.
		{"helo.walk.test", "fail", []string{"publish an A record of 192.0.2.51 for helo.walk.test", "or add ip4:192.0.2.51"}, `publish "v=spf1 a -all"`},
		{"soft.walk.test", "softfail", []string{"~all", "add ip4:192.0.2.51 to it"}, `publish "v=spf1 a -all"`},
		{"neutral.walk.test", "neutral", []string{"add ip4:192.0.2.51 to it"}, `publish "v=spf1 a -all"`},
		{"nothing.walk.test", "none", []string{`publish "v=spf1 ip4:192.0.2.51 -all" at nothing.walk.test`}, ""},
		{"broken.walk.test", "permerror", []string{"cannot be evaluated", "fix it"}, `publish "v=spf1 a -all"`},
	} {
		e := EvalSPF(context.Background(), r, ip, tt.helo, "")
		f := spfResultFinding("", e, nil)
		if string(e.Result) != tt.result || f.Severity != SevWarning {
			t.Errorf("%s: result %s, severity %s, want %s and a warning", tt.helo, e.Result, f.Severity, tt.result)
		}
		for _, w := range tt.want {
			if !strings.Contains(f.Message, w) {
				t.Errorf("%s: %q lacks %q", tt.helo, f.Message, w)
			}
		}
		if tt.not != "" && strings.Contains(f.Message, tt.not) {
			t.Errorf("%s: %q says %q", tt.helo, f.Message, tt.not)
		}
	}
}

// TestPTRMultipleKeepWhy: ptr.multiple says why it names the PTR name to
// keep: the HELO name only when it is the one given.
func TestPTRMultipleKeepWhy(t *testing.T) {
	t.Parallel()
	r, srv := testResolver(t)
	if err := srv.AddString(
		"p.test. 60 IN SOA ns.p.test. h.p.test. 1 3600 600 86400 60",
		"a.p.test. 60 IN A 127.0.3.1",
		"3.0.127.in-addr.arpa. 60 IN SOA ns.p.test. h.p.test. 1 3600 600 86400 60",
		"1.3.0.127.in-addr.arpa. 60 IN PTR b.p.test.",
		"1.3.0.127.in-addr.arpa. 60 IN PTR a.p.test.",
		"2.3.0.127.in-addr.arpa. 60 IN PTR b.p.test.",
		"2.3.0.127.in-addr.arpa. 60 IN PTR c.p.test.",
	); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		ip, helo, want, not string
	}{
		{"127.0.3.1", "", "keep one PTR record, a.p.test, which resolves back to 127.0.3.1,", "says in HELO"},
		{"127.0.3.1", "other.p.test", "keep one PTR record, a.p.test, which resolves back to 127.0.3.1,", "the name the server says in HELO"},
		{"127.0.3.1", "a.p.test", "keep one PTR record, a.p.test, the HELO name, which resolves back", ""},
		{"127.0.3.2", "", "none of them resolves back to 127.0.3.2", "says in HELO"},
	} {
		rep := CheckPTR(context.Background(), r, discard(), netip.MustParseAddr(tt.ip), tt.helo)
		msgs, ok := findingWith(rep.Findings, "ptr.multiple", tt.want)
		if !ok {
			t.Errorf("%s helo %q: ptr.multiple %q lacks %q", tt.ip, tt.helo, msgs, tt.want)
		}
		if tt.not != "" && strings.Contains(strings.Join(msgs, " "), tt.not) {
			t.Errorf("%s helo %q: ptr.multiple %q says %q", tt.ip, tt.helo, msgs, tt.not)
		}
	}
}

// TestBIMINearMiss: a record at the domain's own BIMI name that is almost
// BIMI is named, with what to publish, not passed over in silence.
func TestBIMINearMiss(t *testing.T) {
	t.Parallel()
	r, _ := testResolver(t, "testdata/walk.zone")
	for _, tt := range []struct {
		domain, code string
		want         []string
	}{
		{"v2.walk.test", "bimi.discarded", []string{`"v=BIMI2;l=https://walk.test/v2.svg" at default._bimi.v2.walk.test`,
			"default._bimi.walk.test instead", `publish it as "v=BIMI1; l=https://walk.test/v2.svg"`}},
		{"vlate.walk.test", "bimi.discarded", []string{`"v=BIMI1" must come first`, `publish it as "v=BIMI1; l=https://walk.test/late.svg"`}},
		{"bimiown.test", "bimi.none", []string{"it starts with a space", `publish it as "v=BIMI1; l=https://bimiown.test/logo.svg"`}},
		// Tag names are case-sensitive; a version is a whole value.
		{"vupper.walk.test", "bimi.discarded", []string{`its first tag is "V"`, `publish it as "v=BIMI1; l=https://walk.test/upper.svg"`}},
		{"v10.walk.test", "bimi.discarded", []string{`its version is "BIMI10"`, `publish it as "v=BIMI1; l=https://walk.test/ten.svg"`}},
	} {
		dm := CheckDMARC(context.Background(), r, discard(), tt.domain)
		rep := CheckBIMI(context.Background(), r, discard(), tt.domain, &dm)
		msgs, ok := findingWith(rep.Findings, tt.code, tt.want[0])
		if !ok {
			t.Errorf("%s: %s %q lacks %q (findings %+v)", tt.domain, tt.code, msgs, tt.want[0], rep.Findings)
			continue
		}
		for _, w := range tt.want[1:] {
			if !strings.Contains(strings.Join(msgs, " "), w) {
				t.Errorf("%s: %s %q lacks %q", tt.domain, tt.code, msgs, w)
			}
		}
		if codes(rep.Findings)[tt.code] != SevError {
			t.Errorf("%s: %s is %s, want error", tt.domain, tt.code, codes(rep.Findings)[tt.code])
		}
	}
}

// TestDMARCLeadingSpace: a record that starts with a space is discarded
// (RFC 7489 6.6.3: it must start with v=DMARC1), as SPF's is.
func TestDMARCLeadingSpace(t *testing.T) {
	t.Parallel()
	r, _ := testResolver(t, "testdata/walk.zone")
	rep := CheckDMARC(context.Background(), r, discard(), "dmarcws.test")
	if rep.Record != "" {
		t.Errorf("record %q accepted", rep.Record)
	}
	if msgs, ok := findingWith(rep.Findings, "dmarc.none", "it starts with a space"); !ok || !strings.Contains(strings.Join(msgs, ""), `publish it as "v=DMARC1; p=reject"`) {
		t.Errorf("dmarc.none %q: want the leading space named and the record to publish", msgs)
	}
	if IsDMARC(" v=DMARC1; p=reject") || !IsDMARC("v = DMARC1; p=reject") {
		t.Error("IsDMARC: a leading space is allowed, or spaces around = (RFC 7489 6.4) are not")
	}
}

// TestDMARCAtApex: a DMARC record published at the domain instead of at
// _dmarc.DOMAIN is named, with where to move it.
func TestDMARCAtApex(t *testing.T) {
	t.Parallel()
	r, _ := testResolver(t, "testdata/walk.zone")
	rep := CheckDMARC(context.Background(), r, discard(), "dmarcapex.test")
	msgs, ok := findingWith(rep.Findings, "dmarc.wrong-location", "move it to _dmarc.dmarcapex.test")
	if !ok || codes(rep.Findings)["dmarc.wrong-location"] != SevError {
		t.Errorf("findings %+v: want a dmarc.wrong-location error saying to move it (got %q)", rep.Findings, msgs)
	}
	if _, ok := codes(rep.Findings)["dmarc.none"]; !ok {
		t.Errorf("findings %+v: want dmarc.none too", rep.Findings)
	}
}

// TestSPFVoidIncludeCountedInParent: an include that finds nothing is a
// void lookup of the record that holds it, named and counted there.
func TestSPFVoidIncludeCountedInParent(t *testing.T) {
	t.Parallel()
	r, _ := testResolver(t, "testdata/walk.zone")
	rep := CheckSPF(context.Background(), r, discard(), "voidinc.walk.test")
	if msgs, ok := findingWith(rep.Findings, "spf.void-limit", "include:gone3.walk.test (in voidinc.walk.test)"); !ok {
		t.Errorf("spf.void-limit %q does not name the include in voidinc.walk.test", msgs)
	}
	root := rep.Tree
	if root == nil || root.Void != 3 || len(root.Children) != 1 || root.Children[0].Void != 0 || root.VoidSum != 3 {
		t.Errorf("tree %+v: want 3 void lookups in the root, none in its include", root)
	}
}

// TestMXBracketedLiteral: "[192.0.2.31]." as an MX target is an address
// literal, as the unbracketed form is, not a name to serve.
func TestMXBracketedLiteral(t *testing.T) {
	t.Parallel()
	r, _ := testResolver(t, "testdata/walk.zone")
	rep := CheckMX(context.Background(), r, discard(), "bracket.walk.test")
	if msgs, ok := findingWith(rep.Findings, "mx.ip-literal", "[192.0.2.31] is an IP address"); !ok {
		t.Errorf("findings %+v: want mx.ip-literal naming it (got %q)", rep.Findings, msgs)
	}
	if _, ok := codes(rep.Findings)["mx.dns-error"]; ok {
		t.Errorf("findings %+v: want no mx.dns-error", rep.Findings)
	}
}

// TestDKIMKeyMessages: a key that does not parse is told what to publish
// for its own key type, in words, not in a parser's error text.
func TestDKIMKeyMessages(t *testing.T) {
	t.Parallel()
	r, _ := testResolver(t, "testdata/walk.zone")
	rep := CheckDKIM(context.Background(), r, discard(), "walk.test", []string{"edbad", "edasrsa", "semi"})
	for _, tt := range []struct {
		name string
		want []string
		not  []string
	}{
		{"edbad._domainkey.walk.test", []string{"an ed25519 key is 32 bytes", `"v=DKIM1; k=ed25519; p=`}, []string{"k=rsa"}},
		{"edasrsa._domainkey.walk.test", []string{"32 bytes, the size of an ed25519 key", "k=ed25519"}, []string{"asn1", "structure"}},
		{"semi._domainkey.walk.test", []string{`"rsa p=AAEC`, `no ";" before p=`, `"v=DKIM1; k=rsa; p=AAEC`}, nil},
	} {
		var msg string
		for _, f := range rep.Findings {
			if f.Code == "dkim.syntax" && f.Name == tt.name {
				msg = f.Message
			}
		}
		if msg == "" {
			t.Errorf("%s: no dkim.syntax in %+v", tt.name, rep.Findings)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(msg, w) {
				t.Errorf("%s: %q lacks %q", tt.name, msg, w)
			}
		}
		for _, n := range tt.not {
			if strings.Contains(msg, n) {
				t.Errorf("%s: %q says %q", tt.name, msg, n)
			}
		}
	}
}

// TestUnknownListingNamed: a listing not known because its zone is
// unhealthy (never queried) names the zone.
func TestUnknownListingNamed(t *testing.T) {
	t.Parallel()
	fs, _ := ListingFindings([]Listing{{Zone: "sick.bl.test", Subject: "192.0.2.1", Status: Unknown, Error: "the zone failed its health check"}})
	if len(fs) != 1 || fs[0].Code != "blocklist.unknown" || fs[0].Name != "sick.bl.test" {
		t.Errorf("findings %+v: want one blocklist.unknown at sick.bl.test", fs)
	}
}

// TestSPFTypeRecord: a record of DNS type SPF is named: RFC 7208 3.1
// retired it, and receivers read only TXT.
func TestSPFTypeRecord(t *testing.T) {
	t.Parallel()
	r, _ := testResolver(t, "testdata/walk.zone")
	rep := CheckSPF(context.Background(), r, discard(), "spftype.walk.test")
	if msgs, ok := findingWith(rep.Findings, "spf.type-spf", "remove the record of type SPF"); !ok || codes(rep.Findings)["spf.type-spf"] != SevWarning {
		t.Errorf("findings %+v: want a spf.type-spf warning (got %q)", rep.Findings, msgs)
	}
	if _, ok := codes(CheckSPF(context.Background(), r, discard(), "walk.test").Findings)["spf.type-spf"]; ok {
		t.Error("walk.test has no record of type SPF, but spf.type-spf is reported")
	}
}

// TestBIMIDMARCPolicyCitesOneSection: every bimi.dmarc-policy cites the
// draft's Authentication Requirements (7.1), whichever requirement fails.
func TestBIMIDMARCPolicyCitesOneSection(t *testing.T) {
	t.Parallel()
	r, srv := testResolver(t)
	if err := srv.AddString(
		"cite.test. 60 IN SOA ns.cite.test. h.cite.test. 1 3600 600 86400 60",
		`default._bimi.cite.test. 60 IN TXT "v=BIMI1; l=https://cite.test/logo.svg"`,
		`default._bimi.none.cite.test. 60 IN TXT "v=BIMI1; l=https://cite.test/logo.svg"`,
		`_dmarc.cite.test. 60 IN TXT "v=DMARC1; p=none"`,
		`_dmarc.none.cite.test. 60 IN TXT "v=DMARC1; p=reject"`,
		"nodmarc.test. 60 IN SOA ns.cite.test. h.cite.test. 1 3600 600 86400 60",
		`default._bimi.nodmarc.test. 60 IN TXT "v=BIMI1; l=https://cite.test/logo.svg"`,
	); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"cite.test", "none.cite.test", "nodmarc.test"} {
		dm := CheckDMARC(context.Background(), r, discard(), d)
		rep := CheckBIMI(context.Background(), r, discard(), d, &dm)
		found := false
		for _, f := range rep.Findings {
			if f.Code == "bimi.dmarc-policy" {
				found = true
				if f.RFC != "draft-brand-indicators-for-message-identification 7.1" {
					t.Errorf("%s: bimi.dmarc-policy cites %q, want 7.1", d, f.RFC)
				}
			}
		}
		if !found {
			t.Errorf("%s: no bimi.dmarc-policy in %+v", d, rep.Findings)
		}
	}
}

// TestDMARCMultipleSaysWhichToKeep: dmarc.multiple names the record to
// keep, with the other's report addresses, as spf.multiple proposes one.
func TestDMARCMultipleSaysWhichToKeep(t *testing.T) {
	t.Parallel()
	r, _ := testResolver(t, "testdata/walk.zone")
	rep := CheckDMARC(context.Background(), r, discard(), "dmarctwo.test")
	if msgs, ok := findingWith(rep.Findings, "dmarc.multiple", `publish only "v=DMARC1; p=reject; rua=mailto:x@dmarctwo.test"`); !ok {
		t.Errorf("dmarc.multiple %q: want the strictest record kept, with the other's rua", msgs)
	}
}

// TestDMARCFixDropsUnknownTag: the record proposed instead leaves out a
// tag the report says receivers ignore.
func TestDMARCFixDropsUnknownTag(t *testing.T) {
	t.Parallel()
	r, _ := testResolver(t, "testdata/walk.zone")
	rep := CheckDMARC(context.Background(), r, discard(), "dmarcfoo.test")
	msgs, ok := findingWith(rep.Findings, "dmarc.tag-invalid", `"v=DMARC1; p=reject"`)
	if !ok || strings.Contains(strings.Join(msgs, " "), "foo=bar") {
		t.Errorf("dmarc.tag-invalid %q: want the record to publish without foo=bar", msgs)
	}
}

// TestBIMIWrongLocation: a BIMI record at the domain itself or at _bimi
// without the selector, where receivers never look, is named with where
// it belongs.
func TestBIMIWrongLocation(t *testing.T) {
	t.Parallel()
	r, _ := testResolver(t, "testdata/walk.zone")
	for _, tt := range []struct{ domain, at string }{
		{"bimiapex.test", "bimiapex.test"},
		{"bimisel.test", "_bimi.bimisel.test"},
	} {
		dm := CheckDMARC(context.Background(), r, discard(), tt.domain)
		rep := CheckBIMI(context.Background(), r, discard(), tt.domain, &dm)
		msgs, ok := findingWith(rep.Findings, "bimi.wrong-location", "is published at "+tt.at+",")
		if !ok || !strings.Contains(strings.Join(msgs, " "), "default._bimi."+tt.domain) {
			t.Errorf("%s: bimi.wrong-location %q, want it named at %s with default._bimi.%s (findings %+v)", tt.domain, msgs, tt.at, tt.domain, rep.Findings)
		}
		if codes(rep.Findings)["bimi.wrong-location"] != SevError {
			t.Errorf("%s: bimi.wrong-location is not an error", tt.domain)
		}
	}
}
