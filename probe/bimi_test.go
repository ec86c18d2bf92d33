package probe

import (
	"context"
	"strings"
	"testing"
)

// TestBIMIDMARCRequirements: receivers apply BIMI only when neither the
// domain's DMARC record nor its organisational domain's has p=none or
// sp=none, and a p=quarantine of either applies to all mail (BIMI draft
// 7.1, items 7 to 9); a declination record asks for no logo, so DMARC is
// not judged for it.
func TestBIMIDMARCRequirements(t *testing.T) {
	t.Parallel()
	const logo = `"v=BIMI1; l=https://brand.example/logo.svg; a=https://brand.example/vmc.pem"`
	for _, tt := range []struct {
		name    string
		domain  string
		records []string
		want    string // a part of the bimi.dmarc-policy message; "" for none
	}{
		{"sub reject, org none", "mail.bimi.test", []string{
			`_dmarc.mail.bimi.test. 60 IN TXT "v=DMARC1; p=reject"`,
			`_dmarc.bimi.test. 60 IN TXT "v=DMARC1; p=none; rua=mailto:d@bimi.test"`,
			`default._bimi.mail.bimi.test. 60 IN TXT ` + logo,
		}, "p=none at _dmarc.bimi.test"},
		{"org reject with sp=none", "bimi.test", []string{
			`_dmarc.bimi.test. 60 IN TXT "v=DMARC1; p=reject; sp=none"`,
			`default._bimi.bimi.test. 60 IN TXT ` + logo,
		}, "sp=none at _dmarc.bimi.test"},
		{"sub with its own sp=none", "mail.bimi.test", []string{
			`_dmarc.mail.bimi.test. 60 IN TXT "v=DMARC1; p=reject; sp=none"`,
			`default._bimi.mail.bimi.test. 60 IN TXT ` + logo,
		}, "sp=none at _dmarc.mail.bimi.test"},
		{"org quarantine pct", "mail.bimi.test", []string{
			`_dmarc.mail.bimi.test. 60 IN TXT "v=DMARC1; p=reject"`,
			`_dmarc.bimi.test. 60 IN TXT "v=DMARC1; p=quarantine; pct=50"`,
			`default._bimi.mail.bimi.test. 60 IN TXT ` + logo,
		}, "p=quarantine with pct=50 at _dmarc.bimi.test"},
		{"sub and org at enforcement", "mail.bimi.test", []string{
			`_dmarc.mail.bimi.test. 60 IN TXT "v=DMARC1; p=quarantine"`,
			`_dmarc.bimi.test. 60 IN TXT "v=DMARC1; p=reject; sp=quarantine"`,
			`default._bimi.mail.bimi.test. 60 IN TXT ` + logo,
		}, ""},
		// The draft asks pct=100 of p=quarantine only: p=reject with a
		// pct quarantines the rest, which is still enforcement.
		{"reject with pct", "bimi.test", []string{
			`_dmarc.bimi.test. 60 IN TXT "v=DMARC1; p=reject; pct=50"`,
			`default._bimi.bimi.test. 60 IN TXT ` + logo,
		}, ""},
		{"declination", "bimi.test", []string{
			`_dmarc.bimi.test. 60 IN TXT "v=DMARC1; p=none"`,
			`default._bimi.bimi.test. 60 IN TXT "v=BIMI1; l=; a=;"`,
		}, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, srv := testResolver(t)
			if err := srv.AddString(append([]string{"bimi.test. 60 IN SOA ns.bimi.test. h.bimi.test. 1 60 60 60 60"}, tt.records...)...); err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			d := CheckDMARC(ctx, r, discard(), tt.domain)
			rep := CheckBIMI(ctx, r, discard(), tt.domain, &d)
			var got []string
			for _, f := range rep.Findings {
				if f.Code == "bimi.dmarc-policy" {
					got = append(got, f.Message)
				}
			}
			switch {
			case tt.want == "" && len(got) > 0:
				t.Errorf("%s: bimi.dmarc-policy %q, want none", tt.domain, got)
			case tt.want != "" && (len(got) != 1 || !strings.Contains(got[0], tt.want)):
				t.Errorf("%s: bimi.dmarc-policy %q, want one saying %q", tt.domain, got, tt.want)
			}
			if rep.Status == StatusUnknown {
				t.Errorf("%s: status unknown: %+v", tt.domain, rep.Findings)
			}
		})
	}
}

// TestBIMILogoFormats: the draft takes SVG and its gzipped form, SVGZ
// (BIMI draft 4.3.2).
func TestBIMILogoFormats(t *testing.T) {
	t.Parallel()
	r, srv := testResolver(t)
	if err := srv.AddString("bimi.test. 60 IN SOA ns.bimi.test. h.bimi.test. 1 60 60 60 60",
		`svgz.bimi.test. 60 IN TXT "v=spf1 -all"`,
		`default._bimi.svgz.bimi.test. 60 IN TXT "v=BIMI1; l=https://svgz.bimi.test/logo.svgz; a=https://svgz.bimi.test/vmc.pem"`,
		`default._bimi.png.bimi.test. 60 IN TXT "v=BIMI1; l=https://png.bimi.test/logo.png; a=https://png.bimi.test/vmc.pem"`); err != nil {
		t.Fatal(err)
	}
	reject := func(d string) *DMARCReport {
		return &DMARCReport{Domain: d, PolicyDomain: d, Parsed: &DMARCRecord{Policy: "reject", Pct: 100}}
	}
	ctx := context.Background()
	if c := codes(CheckBIMI(ctx, r, discard(), "svgz.bimi.test", reject("svgz.bimi.test")).Findings); c["bimi.logo-format"] != "" {
		t.Errorf("l=...logo.svgz: findings %v, want no bimi.logo-format", c)
	}
	if c := codes(CheckBIMI(ctx, r, discard(), "png.bimi.test", reject("png.bimi.test")).Findings); c["bimi.logo-format"] == "" {
		t.Errorf("l=...logo.png: findings %v, want bimi.logo-format", c)
	}
}
