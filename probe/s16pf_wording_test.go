package probe

import (
	"context"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeZone(t *testing.T, name, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestSPFLimitsFailOnlyUnmatchedMail: over the lookup or void-lookup
// limit, receivers return permerror when an evaluation reaches the limit
// (RFC 7208 4.6.4), so an IP matched before it still passes, as the same
// report's check_host says: the findings say the limit fails the mail
// not matched within it, not all mail.
func TestSPFLimitsFailOnlyUnmatchedMail(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	b.WriteString("$ORIGIN lim.test.\n@ 300 IN SOA ns.lim.test. h.lim.test. 1 3600 600 86400 300\n")
	b.WriteString(`@ 300 IN TXT "v=spf1 ip4:192.0.2.1`)
	for i := 1; i <= 11; i++ {
		b.WriteString(" include:i" + string(rune('a'+i)) + ".lim.test")
	}
	b.WriteString(" -all\"\n")
	for i := 1; i <= 11; i++ {
		b.WriteString("i" + string(rune('a'+i)) + ` 300 IN TXT "v=spf1 ip4:198.51.100.1 -all"` + "\n")
	}
	b.WriteString(`void 300 IN TXT "v=spf1 ip4:192.0.2.1 a:n1.lim.test a:n2.lim.test a:n3.lim.test -all"` + "\n")
	r, _ := testResolver(t, writeZone(t, "lim.zone", b.String()))
	ctx := context.Background()
	for _, tt := range []struct{ domain, code, want string }{
		{"lim.test", "spf.lookup-limit", "every server that the terms within the first 10 lookups do not match"},
		{"void.lim.test", "spf.void-limit", "every server that no term before it matches"},
	} {
		rep := CheckSPF(ctx, r, discard(), tt.domain)
		msgs, ok := findingWith(rep.Findings, tt.code, tt.want)
		if !ok || strings.Contains(strings.Join(msgs, " "), "fails for all mail") {
			t.Errorf("%s: %s %q, want it to say %q and not that all mail fails", tt.domain, tt.code, msgs, tt.want)
		}
		if res := EvalSPF(ctx, r, netip.MustParseAddr("192.0.2.1"), tt.domain, "postmaster@"+tt.domain); res.Result != "pass" {
			t.Errorf("%s: check_host for 192.0.2.1, matched before the limit: %s, want pass", tt.domain, res.Result)
		}
		res := EvalSPF(ctx, r, netip.MustParseAddr("192.0.2.99"), tt.domain, "postmaster@"+tt.domain)
		f := spfResultFinding(tt.domain, res, nil)
		if res.Result != "permerror" || strings.Contains(f.Message, "any other") || !strings.Contains(f.Message, "as it does for every IP that") {
			t.Errorf("%s: check_host for 192.0.2.99: %s: %q, want a permerror said to be for the IPs not matched in time", tt.domain, res.Result, f.Message)
		}
	}
}

// TestDMARCProposalsKeepPolicyAndAddresses: a record to publish instead
// never weakens the user's p or sp, never puts another address in place
// of theirs, agrees with dmarc.missing-semicolon when a ";" is missing,
// and keeps two URIs per list as dmarc.uri-count says.
func TestDMARCProposalsKeepPolicyAndAddresses(t *testing.T) {
	t.Parallel()
	r, _ := testResolver(t, writeZone(t, "prop.zone", `$ORIGIN prop.test.
@ 300 IN SOA ns.prop.test. h.prop.test. 1 3600 600 86400 300
@ 300 IN MX 10 mx.prop.test.
mx 300 IN A 127.0.0.1
_dmarc.semi 300 IN TXT "v=DMARC1; p=reject rua=mailto:a@prop.test"
_dmarc.twice 300 IN TXT "v=DMARC1; p=reject; p=none; rua=mailto:a@prop.test"
_dmarc.badsp 300 IN TXT "v=DMARC1; p=reject; sp=rejct"
_dmarc.typo 300 IN TXT "v=DMARC1; p=quarantin"
_dmarc.bare 300 IN TXT "v=DMARC1; rua=dmarc@prop.test"
_dmarc.four 300 IN TXT "v=DMARC1; p=reject; rua=dmarc@prop.test,mailto:a@prop.test,mailto:b@prop.test,mailto:c@prop.test"
_dmarc.two 300 IN TXT "v=DMARC1; p=none; rua=mailto:a@prop.test,mailto:b@prop.test"
_dmarc.two 300 IN TXT "v=DMARC1; p=reject; rua=mailto:c@prop.test"
`))
	ctx := context.Background()
	for _, tt := range []struct {
		domain, code, want string
		not                []string
	}{
		{"semi.prop.test", "dmarc.syntax", `publish "v=DMARC1; p=reject; rua=mailto:a@prop.test"`, []string{"p=none", "dmarc@"}},
		{"semi.prop.test", "dmarc.missing-semicolon", `publish "v=DMARC1; p=reject; rua=mailto:a@prop.test"`, nil},
		{"twice.prop.test", "dmarc.syntax", `publish "v=DMARC1; p=reject; rua=mailto:a@prop.test"`, nil},
		{"badsp.prop.test", "dmarc.syntax", `publish "v=DMARC1; p=reject; sp=reject; rua=mailto:dmarc@WHERE"`, []string{"p=none"}},
		{"typo.prop.test", "dmarc.syntax", `publish "v=DMARC1; p=quarantine; rua=mailto:dmarc@WHERE"`, []string{"p=none"}},
		{"bare.prop.test", "dmarc.syntax", `publish "v=DMARC1; p=none; rua=mailto:dmarc@prop.test"`, []string{"@bare.prop.test"}},
		{"four.prop.test", "dmarc.tag-invalid", `"v=DMARC1; p=reject; rua=mailto:dmarc@prop.test,mailto:a@prop.test"`, []string{"b@prop.test"}},
		{"two.prop.test", "dmarc.multiple", `publish only "v=DMARC1; p=reject; rua=mailto:c@prop.test,mailto:a@prop.test"`, nil},
		{"two.prop.test", "dmarc.multiple", `forward to mailto:b@prop.test`, nil},
	} {
		rep := CheckDMARC(ctx, r, discard(), tt.domain)
		tt.want = strings.ReplaceAll(tt.want, "WHERE", tt.domain) // the record's own domain
		msgs, ok := findingWith(rep.Findings, tt.code, tt.want)
		if !ok {
			t.Errorf("%s: %s %q, want %q", tt.domain, tt.code, msgs, tt.want)
		}
		for _, m := range msgs {
			for _, n := range tt.not {
				if strings.Contains(m, n) {
					t.Errorf("%s: %s proposes %q: %s", tt.domain, tt.code, n, m)
				}
			}
		}
	}
}

// TestMXNoneNeverAdvisesNullMXToASender: a domain with no MX and no
// address is told to publish an MX; a null MX only if it sends no mail
// either, since receivers refuse mail from a domain with one (RFC 7505
// 4.2, as mx.null-sender says).
func TestMXNoneNeverAdvisesNullMXToASender(t *testing.T) {
	t.Parallel()
	r, _ := testResolver(t, writeZone(t, "mx.zone", `$ORIGIN nomx.test.
@ 300 IN SOA ns.nomx.test. h.nomx.test. 1 3600 600 86400 300
@ 300 IN TXT "v=spf1 ip4:192.0.2.1 -all"
`))
	rep := CheckMX(context.Background(), r, discard(), "nomx.test")
	msgs, ok := findingWith(rep.Findings, "mx.none", "must not have a null MX")
	if !ok || strings.Contains(strings.Join(msgs, " "), "if it sends only") {
		t.Errorf("mx.none %q: want no null MX for a domain that sends", msgs)
	}
}
