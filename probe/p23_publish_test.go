package probe

import (
	"context"
	"encoding/json"
	"net/netip"
	"strings"
	"testing"
)

// key2048 is a 2048-bit RSA public key, as DKIM records give it.
const key2048 = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAwULDUNJhqdkS1/vOl5dYzc0AJHY90c1mrOobwNgojMgS91hvMtl2I8wOIz/dTrEJEXSt/yl9+MYN46c2OaIa+yehszYoN2T92AvpI0nQ1UtBUL7u5s8kX9SzzNppvXV9/h4mbX+Kx7fayqw/GZD8WyQiqEphzYO7NgksYXaMQ6Tfy/dl19GHS7/pToZUnlY5f03cMkEBQL8WlpsJM6+uVfGhJ0S0f000r2VWlOAOlZDoiD1Nr/nWB0ZTGHnZj9yCC2VZSzEoh/MUKnCvFZUYE2zXy99lQzd9d8kJSg4em/MgCOm2fEqG9QPQ7iOyPne5WCg1pDNm4O83QiLuAgjqTwIDAQAB"

// TestFindingsPublish: where a finding's message says to publish a
// record, its JSON form carries that record in publish (name, type,
// value), the very value the message quotes, for SPF (a mistyped record,
// several merged, a HELO name's), DMARC (none, several, a mistyped or
// invalid tag, a misplaced record), DKIM (a record mended), TLS-RPT
// (none, several merged, one MTA-STS needs), PTR and HELO addresses, a
// null MX and BIMI.
func TestFindingsPublish(t *testing.T) {
	t.Parallel()
	r, srv := testResolver(t, "../testdata/dns/auth.zone")
	if err := srv.AddString("pub.test. 60 IN SOA ns.pub.test. h.pub.test. 1 60 60 60 60",
		`near.pub.test. 60 IN TXT "v=spf1;ip4:192.0.2.1 -all"`,
		`two.pub.test. 60 IN TXT "v=spf1 ip4:192.0.2.1 -all"`,
		`two.pub.test. 60 IN TXT "v=spf1 ip4:192.0.2.2 -all"`,
		`_dmarc.multi.pub.test. 60 IN TXT "v=DMARC1; p=reject"`,
		`_dmarc.multi.pub.test. 60 IN TXT "v=DMARC1; p=none; rua=mailto:a@pub.test"`,
		`_dmarc.tag.pub.test. 60 IN TXT "v=DMARC1; p=reject; pct=abc; rua=mailto:d@pub.test"`,
		`_dmarc.nearby.pub.test. 60 IN TXT "v=dmarc1; p=reject"`,
		`s1._domainkey.key.pub.test. 60 IN TXT "k=rsa; v=DKIM1; p=`+key2048+`"`,
		`_smtp._tls.two.pub.test. 60 IN TXT "v=TLSRPTv1; rua=mailto:a@pub.test"`,
		`_smtp._tls.two.pub.test. 60 IN TXT "v=TLSRPTv1; rua=mailto:b@pub.test"`,
		`_bimi.wl.pub.test. 60 IN TXT "v=BIMI1; l=https://wl.pub.test/logo.svg"`,
	); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	log := discard()
	ip := func(s string) netip.Addr { return netip.MustParseAddr(s) }
	helo := Run(ctx, Deps{Resolver: r, Logger: log}, Request{IPs: []netip.Addr{ip("192.0.2.50")}, Helo: "nomx.auth.test", NoBlocklists: true})
	mta := &Report{Domain: "pub.test", MTASTS: &MTASTSReport{Policy: &MTASTSPolicy{Mode: "enforce"}}}
	tls := CheckTLSRPT(ctx, r, log, "pub.test")
	mta.TLSRPT = &tls
	mta.crossCheck()
	for _, tt := range []struct {
		name     string
		findings []Finding
		code     string
		want     Publish
	}{
		{"spf mistyped", CheckSPF(ctx, r, log, "near.pub.test").Findings, "spf.none", Publish{"near.pub.test", "TXT", "v=spf1 ip4:192.0.2.1 -all"}},
		{"spf merged", CheckSPF(ctx, r, log, "two.pub.test").Findings, "spf.multiple", Publish{"two.pub.test", "TXT", "v=spf1 ip4:192.0.2.1 ip4:192.0.2.2 -all"}},
		{"helo spf", helo.Findings(), "spf.helo-result", Publish{"nomx.auth.test", "TXT", "v=spf1 ip4:192.0.2.50 -all"}},
		{"dmarc none", CheckDMARC(ctx, r, log, "sub.pub.test").Findings, "dmarc.none", Publish{"_dmarc.pub.test", "TXT", "v=DMARC1; p=none; rua=mailto:dmarc@pub.test"}},
		{"dmarc multiple", CheckDMARC(ctx, r, log, "multi.pub.test").Findings, "dmarc.multiple", Publish{"_dmarc.multi.pub.test", "TXT", "v=DMARC1; p=reject; rua=mailto:a@pub.test"}},
		{"dmarc tag", CheckDMARC(ctx, r, log, "tag.pub.test").Findings, "dmarc.tag-invalid", Publish{"_dmarc.tag.pub.test", "TXT", "v=DMARC1; p=reject; rua=mailto:d@pub.test"}},
		{"dmarc mistyped", CheckDMARC(ctx, r, log, "nearby.pub.test").Findings, "dmarc.none", Publish{"_dmarc.nearby.pub.test", "TXT", "v=DMARC1; p=reject"}},
		{"dkim mended", CheckDKIM(ctx, r, log, "key.pub.test", []string{"s1"}).Findings, "dkim.syntax", Publish{"s1._domainkey.key.pub.test", "TXT", "v=DKIM1; k=rsa; p=" + key2048}},
		{"tls-rpt none", tls.Findings, "tls-rpt.none", Publish{"_smtp._tls.pub.test", "TXT", "v=TLSRPTv1; rua=mailto:tlsrpt@pub.test"}},
		{"tls-rpt for mta-sts", mta.TLSRPT.Findings, "tls-rpt.missing-for-mta-sts", Publish{"_smtp._tls.pub.test", "TXT", "v=TLSRPTv1; rua=mailto:tlsrpt@pub.test"}},
		{"tls-rpt merged", CheckTLSRPT(ctx, r, log, "two.pub.test").Findings, "tls-rpt.multiple", Publish{"_smtp._tls.two.pub.test", "TXT", "v=TLSRPTv1; rua=mailto:a@pub.test,mailto:b@pub.test"}},
		{"ptr", CheckPTR(ctx, r, log, ip("192.0.2.51"), "").Findings, "ptr.not-confirmed", Publish{"nowhere.auth.test", "A", "192.0.2.51"}},
		{"helo address", CheckPTR(ctx, r, log, ip("192.0.2.50"), "nomx.auth.test").Findings, "ptr.helo-address", Publish{"nomx.auth.test", "A", "192.0.2.50"}},
		{"null mx", CheckMX(ctx, r, log, "nullpref.auth.test").Findings, "mx.null-preference", Publish{"nullpref.auth.test", "MX", "0 ."}},
		{"bimi misplaced", CheckBIMI(ctx, r, log, "wl.pub.test", reject("wl.pub.test")).Findings, "bimi.wrong-location", Publish{"default._bimi.wl.pub.test", "TXT", "v=BIMI1; l=https://wl.pub.test/logo.svg"}},
	} {
		var got *Finding
		for i, f := range tt.findings {
			if f.Code == tt.code {
				got = &tt.findings[i]
				break
			}
		}
		switch {
		case got == nil:
			t.Errorf("%s: no %s finding: %+v", tt.name, tt.code, tt.findings)
		case got.Publish == nil:
			t.Errorf("%s: %s %q has no publish, want %+v", tt.name, tt.code, got.Message, tt.want)
		case *got.Publish != tt.want:
			t.Errorf("%s: %s publish %+v, want %+v", tt.name, tt.code, *got.Publish, tt.want)
		case !strings.Contains(got.Message, got.Publish.Value):
			t.Errorf("%s: %s says %q, not the value it proposes (%q)", tt.name, tt.code, got.Message, got.Publish.Value)
		}
	}
}

// TestPublishFollowsMessage: over whole probes of many domains, every
// finding that proposes a record quotes that record's value in its
// message and names its owner (in the message, or as the finding's name),
// so that JSON and text never disagree; findings that only suggest a
// pattern (HOST to fill in) propose nothing.
func TestPublishFollowsMessage(t *testing.T) {
	t.Parallel()
	r, _ := testResolver(t, "../testdata/dns/auth.zone", "../testdata/dns/spf.zone", "testdata/walk.zone")
	n := 0
	for _, d := range []string{"none.auth.test", "bad.auth.test", "badtag.auth.test", "typo.auth.test", "twice.auth.test", "multi.auth.test", "order.auth.test",
		"ext.auth.test", "sp.auth.test", "keys.auth.test", "badsts.auth.test", "bare.auth.test", "nullpref.auth.test", "multiple.spf.test", "v2.walk.test", "bimiown.test", "bimisel.test"} {
		rep := Run(context.Background(), Deps{Resolver: r, Logger: discard()}, Request{Domain: d, NoBlocklists: true,
			IPs: []netip.Addr{netip.MustParseAddr("192.0.2.51")}, Helo: "nomx.auth.test"})
		for _, f := range rep.Findings() {
			if f.Publish == nil {
				continue
			}
			n++
			p := f.Publish
			switch {
			case p.Name == "" || p.Type == "" || p.Value == "":
				t.Errorf("%s: %s publish %+v has an empty field", d, f.Code, *p)
			case !strings.Contains(f.Message, p.Value):
				t.Errorf("%s: %s publishes %q, which its message does not quote: %q", d, f.Code, p.Value, f.Message)
			case p.Name != strings.TrimSuffix(f.Name, ".") && !strings.Contains(f.Message, p.Name):
				t.Errorf("%s: %s publishes at %s, which neither its name (%s) nor its message names: %q", d, f.Code, p.Name, f.Name, f.Message)
			case strings.Contains(p.Value, "HOST"):
				t.Errorf("%s: %s publishes a pattern, %q, not a record", d, f.Code, p.Value)
			}
		}
	}
	if n < 10 {
		t.Errorf("only %d findings proposed a record: the domains probed should give more", n)
	}
}

// TestPublishJSON: publish is an object of name, type and value, and is
// left out of a finding that proposes nothing.
func TestPublishJSON(t *testing.T) {
	t.Parallel()
	b, err := json.Marshal([]Finding{
		{Check: "tls-rpt", Code: "tls-rpt.none", Publish: &Publish{Name: "_smtp._tls.x.test", Type: "TXT", Value: "v=TLSRPTv1; rua=mailto:tlsrpt@x.test"}},
		{Check: "spf", Code: "spf.lookups"},
	})
	if err != nil {
		t.Fatal(err)
	}
	got := string(b)
	if want := `"publish":{"name":"_smtp._tls.x.test","type":"TXT","value":"v=TLSRPTv1; rua=mailto:tlsrpt@x.test"}`; !strings.Contains(got, want) {
		t.Errorf("JSON %s lacks %s", got, want)
	}
	if strings.Count(got, `"publish"`) != 1 {
		t.Errorf("JSON %s: publish given for a finding that proposes nothing", got)
	}
}
