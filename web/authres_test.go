package web

import (
	"testing"

	"github.com/emersion/go-msgauth/authres"
)

// TestAuthVerdictQuotedReason: a reason or a property written as an RFC
// 2045 quoted-string (spaces, colons, semicolons, quoted-pairs inside),
// as the sink's own field writes a DNS error, reaches the verdict whole,
// for SPF, DKIM and DMARC alike; comments and a version are passed over.
func TestAuthVerdictQuotedReason(t *testing.T) {
	t.Parallel()
	const (
		spfWhy   = "dns TXT shop.test.: i/o timeout; tried 127.0.0.1:53"
		dkimWhy  = `no key at s1._domainkey.shop.test ("NXDOMAIN")`
		dmarcWhy = "dns TXT _dmarc.shop.test.: nothing answers at 127.0.0.1:53"
	)
	// The field as the sink writes it (probe/verify.go, sink/authcheck).
	sinks := authres.Format("relaylab", []authres.Result{
		&authres.SPFResult{Value: "temperror", Reason: spfWhy, From: "bounce@shop.test"},
		&authres.DKIMResult{Value: "permerror", Reason: dkimWhy, Domain: "shop.test"},
		&authres.DMARCResult{Value: "temperror", Reason: dmarcWhy, From: "shop.test"},
	})
	byHand := `relaylab 1 (sink.verify); spf=temperror (no answer) reason="` + spfWhy + `" smtp.mailfrom=bounce@shop.test;` +
		` dkim = permerror reason="no key at s1._domainkey.shop.test (\"NXDOMAIN\")" (a (nested) comment) header.d=shop.test;` +
		` dmarc=temperror reason="` + dmarcWhy + `" header.from="shop.test"`
	for name, field := range map[string]string{"as the sink writes it": sinks, "by hand": byHand} {
		hs := []Header{{Name: "Authentication-Results", Value: field}, {Name: "DKIM-Signature", Value: "v=1; d=shop.test; s=s1; b=x"}}
		v := authVerdict(hs, "temperror", "permerror", "temperror", "reject")
		if v.SPF.Reason != spfWhy || v.SPF.Domain != "shop.test" {
			t.Errorf("%s: spf reason %q domain %q, want %q shop.test\n%s", name, v.SPF.Reason, v.SPF.Domain, spfWhy, field)
		}
		if len(v.DKIM) != 1 || v.DKIM[0].Reason != dkimWhy || v.DKIM[0].Domain != "shop.test" || v.DKIM[0].Selector != "s1" {
			t.Errorf("%s: dkim %+v, want reason %q, d=shop.test s=s1\n%s", name, v.DKIM, dkimWhy, field)
		}
		if v.DMARC.Reason != dmarcWhy || v.DMARC.Domain != "shop.test" {
			t.Errorf("%s: dmarc reason %q domain %q, want %q shop.test\n%s", name, v.DMARC.Reason, v.DMARC.Domain, dmarcWhy, field)
		}
	}
}

// TestParseAuthResults: the parser's edges: no result, an unclosed
// quote, a quoted local-part, a resinfo that does not parse.
func TestParseAuthResults(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, id, want string }{
		{"relaylab; none", "relaylab", ""},
		{`"relay lab"; spf=pass smtp.mailfrom="john doe"@shop.test`, "relay lab", "spf=pass smtp.mailfrom=john doe@shop.test;"},
		{`relaylab; dmarc=fail reason="unclosed; still the reason`, "relaylab", "dmarc=fail reason=unclosed; still the reason;"},
		{"relaylab; spf=pass; garbage; dkim=pass", "relaylab", "spf=pass;"},
		{"relaylab; DKIM/1=PASS Header.D=shop.test", "relaylab", "dkim=pass header.d=shop.test;"},
	} {
		id, rs := parseAuthResults(tc.in)
		got := ""
		for _, r := range rs {
			got += r.method + "=" + r.result
			for _, k := range []string{"reason", "smtp.mailfrom", "header.d"} {
				if v, ok := r.params[k]; ok {
					got += " " + k + "=" + v
				}
			}
			got += ";"
		}
		if id != tc.id || got != tc.want {
			t.Errorf("parseAuthResults(%q) = %q, %q; want %q, %q", tc.in, id, got, tc.id, tc.want)
		}
	}
}
