package probe

import (
	"context"
	"strings"
	"testing"
)

// TestBIMIDMARCIsError: a DMARC policy short of enforcement makes BIMI
// ineligible, so bimi.dmarc-policy is an error that says why in plain
// words, what to publish, and proposes that record (Finding.Publish).
// For a subdomain with no DMARC record of its own, the organisational
// domain's record decides: its sp for the subdomain, and its own p, pct
// too (BIMI draft 7.1).
func TestBIMIDMARCIsError(t *testing.T) {
	t.Parallel()
	const logo = `"v=BIMI1; l=https://brand.example/logo.svg; a=https://brand.example/vmc.pem"`
	for _, tt := range []struct {
		name    string
		domain  string
		records []string
		want    []string // parts of the bimi.dmarc-policy message
		publish *Publish // nil: none proposed
	}{
		{"p none", "pol.test", []string{
			`_dmarc.pol.test. 60 IN TXT "v=DMARC1; p=none; rua=mailto:d@pol.test; pct=50"`,
		}, []string{"mail from pol.test gets no BIMI logo, because its DMARC policy is not enforced", "p=none at _dmarc.pol.test (monitoring only: mail that fails DMARC is delivered as usual)"},
			&Publish{"_dmarc.pol.test", "TXT", "v=DMARC1; p=quarantine; rua=mailto:d@pol.test"}},
		{"no record", "mail.pol.test", nil,
			[]string{"because it has no usable DMARC record"},
			&Publish{"_dmarc.pol.test", "TXT", "v=DMARC1; p=quarantine; rua=mailto:dmarc@pol.test"}},
		// The subdomain has no record: the organisational domain's sp
		// applies to it, and sp=none rules BIMI out.
		{"org sp none", "mail.pol.test", []string{
			`_dmarc.pol.test. 60 IN TXT "v=DMARC1; p=reject; sp=none"`,
		}, []string{"sp=none at _dmarc.pol.test"}, &Publish{"_dmarc.pol.test", "TXT", "v=DMARC1; p=reject"}},
		// sp=reject applies to the subdomain, but the organisational
		// domain's own p=quarantine covers half its mail: not enforced.
		{"org quarantine pct, sp reject", "mail.pol.test", []string{
			`_dmarc.pol.test. 60 IN TXT "v=DMARC1; p=quarantine; sp=reject; pct=50"`,
		}, []string{"p=quarantine with pct=50 at _dmarc.pol.test"}, &Publish{"_dmarc.pol.test", "TXT", "v=DMARC1; p=quarantine; sp=reject"}},
		// Both records fall short: each is named, and no one record is
		// proposed.
		{"both", "mail.pol.test", []string{
			`_dmarc.mail.pol.test. 60 IN TXT "v=DMARC1; p=none"`,
			`_dmarc.pol.test. 60 IN TXT "v=DMARC1; p=none"`,
		}, []string{"p=none at _dmarc.mail.pol.test", "p=none at _dmarc.pol.test", `publish "v=DMARC1; p=quarantine" at _dmarc.mail.pol.test; publish "v=DMARC1; p=quarantine" at _dmarc.pol.test`}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r, srv := testResolver(t)
			recs := append([]string{"pol.test. 60 IN SOA ns.pol.test. h.pol.test. 1 60 60 60 60",
				"default._bimi." + tt.domain + ". 60 IN TXT " + logo}, tt.records...)
			if err := srv.AddString(recs...); err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			d := CheckDMARC(ctx, r, discard(), tt.domain)
			rep := CheckBIMI(ctx, r, discard(), tt.domain, &d)
			var got []Finding
			for _, f := range rep.Findings {
				if f.Code == "bimi.dmarc-policy" {
					got = append(got, f)
				}
			}
			if len(got) != 1 {
				t.Fatalf("%d bimi.dmarc-policy findings, want 1: %+v", len(got), rep.Findings)
			}
			f := got[0]
			if f.Severity != SevError || rep.Status != StatusError {
				t.Errorf("bimi.dmarc-policy is %s (status %s), want error: receivers show no logo", f.Severity, rep.Status)
			}
			for _, w := range tt.want {
				if !strings.Contains(f.Message, w) {
					t.Errorf("message %q lacks %q", f.Message, w)
				}
			}
			switch {
			case tt.publish == nil && f.Publish != nil:
				t.Errorf("publish %+v, want none", *f.Publish)
			case tt.publish != nil && (f.Publish == nil || *f.Publish != *tt.publish):
				t.Errorf("publish %+v, want %+v", f.Publish, *tt.publish)
			case f.Publish != nil && !strings.Contains(f.Message, f.Publish.Value):
				t.Errorf("the message %q does not say to publish %q", f.Message, f.Publish.Value)
			}
		})
	}
}

// TestBIMINoEvidenceWarns: a record without a= is a warning, not a fact:
// Gmail and Apple Mail show no logo without a VMC or CMC; Yahoo Mail does
// not strictly need one.
func TestBIMINoEvidenceWarns(t *testing.T) {
	t.Parallel()
	r, srv := testResolver(t)
	if err := srv.AddString("pol.test. 60 IN SOA ns.pol.test. h.pol.test. 1 60 60 60 60",
		`default._bimi.pol.test. 60 IN TXT "v=BIMI1; l=https://pol.test/logo.svg"`,
		`default._bimi.empty.pol.test. 60 IN TXT "v=BIMI1; l=https://pol.test/logo.svg; a="`); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"pol.test", "empty.pol.test"} {
		rep := CheckBIMI(context.Background(), r, discard(), d, reject(d))
		msgs, _ := findingWith(rep.Findings, "bimi.no-vmc", "")
		if len(msgs) != 1 || codes(rep.Findings)["bimi.no-vmc"] != SevWarning || rep.Status != StatusWarning {
			t.Fatalf("%s: bimi.no-vmc %q (status %s), want one warning", d, msgs, rep.Status)
		}
		for _, w := range []string{"Gmail and Apple Mail show a BIMI logo only with a Verified Mark Certificate (VMC) or a Common Mark Certificate (CMC)", "Yahoo Mail does not strictly require one", "add a=https://HOST/vmc.pem"} {
			if !strings.Contains(msgs[0], w) {
				t.Errorf("%s: bimi.no-vmc %q lacks %q", d, msgs[0], w)
			}
		}
	}
}

// TestEnforcedDMARC: the record BIMI's finding proposes keeps what the
// record says but the policies: none becomes quarantine, sp=none goes,
// pct goes with a quarantine and stays with reject alone, and a misspelt
// policy is read as the one meant, never weakened.
func TestEnforcedDMARC(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ in, want string }{
		{"v=DMARC1; p=none; rua=mailto:d@x.test", "v=DMARC1; p=quarantine; rua=mailto:d@x.test"},
		{"v=DMARC1; p=reject; sp=none; adkim=s", "v=DMARC1; p=reject; adkim=s"},
		{"v=DMARC1; p=reject; sp=quarantine; pct=20", "v=DMARC1; p=reject; sp=quarantine"},
		{"v=DMARC1; p=reject; sp=none; pct=20", "v=DMARC1; p=reject; pct=20"},
		{"v=DMARC1; rua=mailto:d@x.test", "v=DMARC1; p=quarantine; rua=mailto:d@x.test"},
		{"v=DMARC1; p=rejct; rua=mailto:d@x.test", "v=DMARC1; p=reject; rua=mailto:d@x.test"},
	} {
		if got := enforcedDMARC(tt.in); got != tt.want {
			t.Errorf("enforcedDMARC(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
