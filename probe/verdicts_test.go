package probe

import (
	"context"
	"net/netip"
	"strings"
	"testing"
)

// TestDMARCVerdicts: pct=0 with quarantine or reject is a warning (the
// policy applies to none of the failing mail, RFC 7489 6.6.4); an
// inherited sp=none is one warning, not a p-none and an sp-none.
func TestDMARCVerdicts(t *testing.T) {
	t.Parallel()
	r, srv := testResolver(t)
	if err := srv.AddString(
		"v.test. 60 IN SOA ns.v.test. h.v.test. 1 3600 600 86400 60",
		`_dmarc.q0.v.test. 60 IN TXT "v=DMARC1; p=quarantine; pct=0"`,
		`_dmarc.r0.v.test. 60 IN TXT "v=DMARC1; p=reject; pct=0"`,
		`_dmarc.r50.v.test. 60 IN TXT "v=DMARC1; p=reject; pct=50"`,
		`_dmarc.v.test. 60 IN TXT "v=DMARC1; p=reject; sp=none; rua=mailto:d@v.test"`,
		"v.test. 60 IN MX 10 mx.v.test.",
		"mx.v.test. 60 IN A 127.0.0.1",
	); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, tt := range []struct {
		domain, want string
		sev          Severity
	}{
		{"q0.v.test", "pct=0: the quarantine policy applies to none of the mail that fails DMARC, and receivers give all of it the next milder policy, none", SevWarning},
		{"r0.v.test", "pct=0: the reject policy applies to none of the mail that fails DMARC, and receivers give all of it the next milder policy, quarantine", SevWarning},
		{"r50.v.test", "pct=50: the policy applies to only 50% of failing mail", SevInfo},
	} {
		rep := CheckDMARC(ctx, r, discard(), tt.domain)
		got := false
		for _, f := range rep.Findings {
			if f.Code == "dmarc.pct" {
				got = true
				if !strings.Contains(f.Message, tt.want) || f.Severity != tt.sev {
					t.Errorf("%s: dmarc.pct %s %q, want %s %q", tt.domain, f.Severity, f.Message, tt.sev, tt.want)
				}
			}
		}
		if !got {
			t.Errorf("%s: no dmarc.pct finding (%+v)", tt.domain, rep.Findings)
		}
	}
	rep := CheckDMARC(ctx, r, discard(), "sub.v.test")
	var codes []string
	for _, f := range rep.Findings {
		if f.Code == "dmarc.p-none" || f.Code == "dmarc.sp-none" {
			codes = append(codes, f.Code)
		}
	}
	if len(codes) != 1 || codes[0] != "dmarc.sp-none" {
		t.Errorf("sub.v.test: %q, want the inherited sp=none said once, as dmarc.sp-none", codes)
	}
	if msgs, ok := findingWith(rep.Findings, "dmarc.sp-none", "every subdomain, sub.v.test among them, open to forgery"); !ok {
		t.Errorf("dmarc.sp-none %q does not name sub.v.test", msgs)
	}
	// At the domain itself sp=none is still said.
	if msgs, ok := findingWith(CheckDMARC(ctx, r, discard(), "v.test").Findings, "dmarc.sp-none", "every subdomain open to forgery"); !ok {
		t.Errorf("v.test: dmarc.sp-none %q", msgs)
	}
}

// TestPTRMultipleNames: several PTR names for one IP are a warning
// (receivers that use one name take whichever comes first), naming the
// one to keep and the name that does not resolve back.
func TestPTRMultipleNames(t *testing.T) {
	t.Parallel()
	r, srv := testResolver(t)
	if err := srv.AddString(
		"p.test. 60 IN SOA ns.p.test. h.p.test. 1 3600 600 86400 60",
		"a.p.test. 60 IN A 127.0.3.1",
		"3.0.127.in-addr.arpa. 60 IN SOA ns.p.test. h.p.test. 1 3600 600 86400 60",
		"1.3.0.127.in-addr.arpa. 60 IN PTR b.p.test.",
		"1.3.0.127.in-addr.arpa. 60 IN PTR a.p.test.",
	); err != nil {
		t.Fatal(err)
	}
	rep := CheckPTR(context.Background(), r, discard(), netip.MustParseAddr("127.0.3.1"), "a.p.test")
	if rep.Status != StatusWarning {
		t.Errorf("status %s, want warning (%+v)", rep.Status, rep.Findings)
	}
	for _, want := range []string{"127.0.3.1 has 2 PTR records", "one that does not resolve back fails", "keep one PTR record, a.p.test,"} {
		if msgs, ok := findingWith(rep.Findings, "ptr.multiple", want); !ok {
			t.Errorf("ptr.multiple %q lacks %q", msgs, want)
		}
	}
}
