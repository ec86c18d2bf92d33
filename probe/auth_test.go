package probe

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"net/netip"
	"strings"
	"testing"

	"blitiri.com.ar/go/spf"
	"github.com/emersion/go-msgauth/authres"
	"github.com/emersion/go-msgauth/dkim"
	"github.com/miekg/dns"
)

func TestParseDMARC(t *testing.T) {
	t.Parallel()
	tests := []struct {
		rec      string
		ok       bool
		p        string
		problems string // the tags of Problems, joined with spaces
	}{
		{"v=DMARC1; p=reject", true, "reject", ""},
		{"v=DMARC1;p=none;rua=mailto:a@example.com!10m,mailto:b@example.net", true, "none", ""},
		{"v = DMARC1 ; p = quarantine ; pct = 50 ; adkim = s", true, "quarantine", ""},
		{"v=DMARC1; rua=mailto:a@example.com", true, "", ""}, // no p: none via rua
		{"v=DMARC1; p=reject; fo=1:d:s; rf=afrf; ri=3600; sp=none", true, "reject", ""},
		{"v=DMARC1; p=reject; future=1", true, "reject", ""},
		{"v=DMARC1", false, "", ""},
		{"v=DMARC2; p=reject", false, "", ""},
		{"p=reject; v=DMARC1", false, "", ""},
		{"v=DMARC1; p=block", false, "", ""},
		{"v=DMARC1; p=reject; sp=block", false, "", ""},
		{"v=DMARC1; p=reject; p=none", false, "", ""},  // a repeated tag: see TestParseDMARCRepeats
		{"v=DMARC1; rua=a@example.com", false, "", ""}, // no p and no valid rua
		// RFC 7489 6.3: a malformed tag is discarded; the policy stands.
		{"v=DMARC1; p=reject; pct=101", true, "reject", "pct"},
		{"v=DMARC1; p=reject; adkim=x", true, "reject", "adkim"},
		{"v=DMARC1; p=reject; rua=dmarc@example.com", true, "reject", "rua"},
		{"v=DMARC1; p=reject; rua=mailto:a@example.com!10q", true, "reject", "rua"},
		{"v=DMARC1; p=reject; rua=mailto:a@example.com,b@example.com", true, "reject", "rua"},
		{"v=DMARC1; p=reject; fo=2", true, "reject", "fo"},
		{"v=DMARC1; p=reject; rf=iodef", true, "reject", "rf"},
		{"v=DMARC1; p=reject; ri=daily", true, "reject", "ri"},
		{"v=DMARC1; p=reject; junk", true, "reject", ""},
		// RFC 7489 6.6.3: an invalid p or sp with a valid rua is p=none.
		{"v=DMARC1; p=rejct; rua=mailto:a@example.com", true, "none", "p"},
		{"v=DMARC1; p=reject; sp=block; rua=mailto:a@example.com", true, "none", "sp"},
	}
	for _, tt := range tests {
		r, err := ParseDMARC(tt.rec)
		if tt.ok != (err == nil) {
			t.Errorf("ParseDMARC(%q) err = %v, want ok=%v", tt.rec, err, tt.ok)
			continue
		}
		if err != nil {
			if !errors.Is(err, ErrDMARCSyntax) {
				t.Errorf("ParseDMARC(%q) err %v does not wrap ErrDMARCSyntax", tt.rec, err)
			}
			continue
		}
		var tags []string
		for _, p := range r.Problems {
			tags = append(tags, p.Tag)
		}
		if r.Policy != tt.p || strings.Join(tags, " ") != tt.problems {
			t.Errorf("ParseDMARC(%q) = p %q, problems %+v; want p %q, problems %q", tt.rec, r.Policy, r.Problems, tt.p, tt.problems)
		}
	}
	// The discarded tags take their defaults.
	r, err := ParseDMARC("v=DMARC1; p=quarantine; pct=abc; adkim=x; rua=dmarc@example.com, mailto:ok@example.com")
	if err != nil || r.Pct != 100 || r.ADKIM != "r" || len(r.RUA) != 1 || r.RUA[0] != "mailto:ok@example.com" {
		t.Errorf("defaults not applied: %+v, %v", r, err)
	}
}

func TestParseDMARCRepeats(t *testing.T) {
	t.Parallel()
	_, err := ParseDMARC("v=DMARC1; p=reject; rua=mailto:a@x.example; P=none; pct=50; rua=mailto:b@x.example")
	var e *DMARCRepeatError
	if !errors.As(err, &e) || !errors.Is(err, ErrDMARCSyntax) {
		t.Fatalf("err = %v, want a *DMARCRepeatError wrapping ErrDMARCSyntax", err)
	}
	if want := "v=DMARC1; p=none; rua=mailto:a@x.example,mailto:b@x.example; pct=50"; e.Merged != want {
		t.Errorf("Merged = %q, want %q", e.Merged, want)
	}
	if len(e.Repeats) != 2 || e.Repeats[0].Tag != "p" || strings.Join(e.Repeats[0].Values, " ") != "reject none" || e.Repeats[1].Tag != "rua" {
		t.Errorf("Repeats = %+v, want p (reject, none) and rua", e.Repeats)
	}
}

func TestCheckDMARC(t *testing.T) {
	t.Parallel()
	r, _ := testResolver(t, "../testdata/dns/auth.zone")
	tests := []struct {
		domain, code string
		status       Status
		where        string
	}{
		{"good.auth.test", "", StatusOK, "good.auth.test"},
		{"none.auth.test", "dmarc.p-none", StatusWarning, "none.auth.test"},
		{"multi.auth.test", "dmarc.multiple", StatusError, "multi.auth.test"}, // where the records are
		{"bad.auth.test", "dmarc.syntax", StatusError, "bad.auth.test"},
		{"ext.auth.test", "dmarc.external-unauthorised", StatusWarning, "ext.auth.test"},
		{"sp.auth.test", "dmarc.sp-none", StatusWarning, "sp.auth.test"},
		{"pct.auth.test", "dmarc.pct", StatusOK, "pct.auth.test"},
		{"badtag.auth.test", "dmarc.tag-invalid", StatusError, "badtag.auth.test"},
		{"order.auth.test", "dmarc.p-order", StatusWarning, "order.auth.test"},
		{"notdmarc.auth.test", "dmarc.none", StatusError, ""},
		{"nothing.auth.test", "dmarc.none", StatusError, ""},
		{"broken.auth.test", "dmarc.dns-error", StatusUnknown, ""},
		{"twice.auth.test", "dmarc.syntax", StatusError, "twice.auth.test"},
	}
	for _, tt := range tests {
		rep := CheckDMARC(context.Background(), r, discard(), tt.domain)
		cs := codes(rep.Findings)
		if _, ok := cs[tt.code]; tt.code != "" && !ok {
			t.Errorf("%s: findings %+v lack %s", tt.domain, rep.Findings, tt.code)
		}
		if rep.Status != tt.status || rep.PolicyDomain != tt.where {
			t.Errorf("%s: status %s at %q, want %s at %q (%+v)", tt.domain, rep.Status, rep.PolicyDomain, tt.status, tt.where, rep.Findings)
		}
	}
	// Only the unauthorised one of two external destinations is reported.
	rep := CheckDMARC(context.Background(), r, discard(), "ext.auth.test")
	n := 0
	for _, f := range rep.Findings {
		if f.Code == "dmarc.external-unauthorised" {
			n++
			if !strings.Contains(f.Message, "other.example") {
				t.Errorf("wrong destination reported: %s", f.Message)
			}
		}
	}
	if n != 1 {
		t.Errorf("%d unauthorised destinations reported, want 1", n)
	}
	// A tag given twice makes the record invalid (RFC 7489 6.3 takes RFC
	// 6376 3.2's rule), but receivers disagree: the finding says both
	// readings and proposes the record with each tag once.
	rep = CheckDMARC(context.Background(), r, discard(), "twice.auth.test")
	for _, want := range []string{
		"p is given 2 times (p=none, p=reject); rua is given 2 times (rua=mailto:a@twice.auth.test, rua=mailto:b@twice.auth.test)",
		"invalid as a whole (RFC 6376 3.2), so receivers that follow it apply no DMARC policy to mail from twice.auth.test",
		"(p=reject, reports to mailto:a@twice.auth.test, mailto:b@twice.auth.test)",
		`publish "v=DMARC1; p=reject; rua=mailto:a@twice.auth.test,mailto:b@twice.auth.test; adkim=s"`,
	} {
		found := false
		for _, f := range rep.Findings {
			found = found || f.Code == "dmarc.syntax" && strings.Contains(f.Message, want)
		}
		if !found {
			t.Errorf("twice: findings %+v lack a dmarc.syntax saying %q", rep.Findings, want)
		}
	}
	// A malformed pct and a rua without mailto: are discarded, not the
	// record (RFC 7489 6.3): the policy is still read, and each finding
	// says what to publish instead.
	rep = CheckDMARC(context.Background(), r, discard(), "badtag.auth.test")
	if rep.Parsed == nil || rep.Parsed.Policy != "reject" {
		t.Fatalf("badtag: parsed %+v, want p=reject", rep.Parsed)
	}
	// A misspelt policy is proposed as the policy meant, not as p=none
	// (which a later finding then warns against).
	typo := CheckDMARC(context.Background(), r, discard(), "typo.auth.test")
	for _, f := range typo.Findings {
		if f.Code == "dmarc.tag-invalid" && !strings.Contains(f.Message, `Publish instead: "v=DMARC1; p=reject; sp=quarantine; rua=mailto:dmarc@typo.auth.test"`) {
			t.Errorf("typo: %s, want the policies meant proposed", f.Message)
		}
	}
	if _, ok := codes(typo.Findings)["dmarc.tag-invalid"]; !ok {
		t.Errorf("typo: findings %+v lack dmarc.tag-invalid", typo.Findings)
	}
	fix := `Publish instead: "v=DMARC1; p=reject; rua=mailto:dmarc@badtag.auth.test"`
	var msgs []string
	for _, f := range rep.Findings {
		if f.Code == "dmarc.tag-invalid" {
			msgs = append(msgs, f.Message)
		}
	}
	if len(msgs) != 2 || !strings.Contains(msgs[0], "pct=abc") || !strings.Contains(msgs[1], "mailto: prefix") {
		t.Errorf("badtag: tag findings %q, want pct and rua", msgs)
	}
	for _, m := range msgs {
		if !strings.Contains(m, fix) || !strings.Contains(m, "still applies") {
			t.Errorf("badtag: %q lacks %q", m, fix)
		}
	}
	// Report addresses at domains that take no mail are reported.
	rep = CheckDMARC(context.Background(), r, discard(), "undeliv.auth.test")
	var undeliv []string
	for _, f := range rep.Findings {
		if f.Code == "dmarc.report-undeliverable" {
			undeliv = append(undeliv, f.Message)
		}
	}
	if len(undeliv) != 2 || !strings.Contains(undeliv[0], "nullmx.auth.test publishes a null MX") || !strings.Contains(undeliv[1], "gone.auth.test does not exist") {
		t.Errorf("undeliv: %q, want the null MX and the missing domain", undeliv)
	}
	rep = CheckDMARC(context.Background(), r, discard(), "order.auth.test")
	if cs := codes(rep.Findings); !hasAll(cs, "dmarc.p-order", "dmarc.fo-without-ruf") {
		t.Errorf("order: findings %+v", rep.Findings)
	}
}

func hasAll(cs map[string]Severity, want ...string) bool {
	for _, w := range want {
		if _, ok := cs[w]; !ok {
			return false
		}
	}
	return true
}

func TestDMARCOrgFallbackAndAlignment(t *testing.T) {
	t.Parallel()
	r, srv := testResolver(t, "../testdata/dns/auth.zone")
	// auth.test is not a public suffix, so the org domain of x.good.auth.test
	// is auth.test: publish a policy there.
	if err := srv.AddString(`_dmarc.auth.test. 300 IN TXT "v=DMARC1; p=reject; sp=quarantine"`); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	tests := []struct {
		name   string
		in     DMARCInput
		result string
		policy string
	}{
		{"spf aligned relaxed", DMARCInput{From: "x.auth.test", SPFDomain: "bounce.auth.test", SPFResult: spf.Pass}, "pass", "quarantine"},
		{"spf fail", DMARCInput{From: "x.auth.test", SPFDomain: "x.auth.test", SPFResult: spf.Fail}, "fail", "quarantine"},
		{"spf pass unaligned", DMARCInput{From: "x.auth.test", SPFDomain: "other.example", SPFResult: spf.Pass}, "fail", "quarantine"},
		{"dkim aligned", DMARCInput{From: "auth.test", DKIMPasses: []DKIMPass{{Domain: "mail.auth.test"}}}, "pass", "reject"},
		{"dkim strict", DMARCInput{From: "good.auth.test", DKIMPasses: []DKIMPass{{Domain: "mail.good.auth.test"}}}, "fail", "reject"},
		{"dkim strict exact", DMARCInput{From: "good.auth.test", DKIMPasses: []DKIMPass{{Domain: "Good.Auth.Test"}}}, "pass", "reject"},
		{"no policy", DMARCInput{From: "other.example", SPFResult: spf.Pass, SPFDomain: "other.example"}, "none", ""},
		{"temp", DMARCInput{From: "broken.auth.test"}, "temperror", ""},
		// pct=abc is discarded (RFC 7489 6.3), not the whole policy.
		{"bad tag", DMARCInput{From: "badtag.auth.test", SPFDomain: "badtag.auth.test", SPFResult: spf.Fail}, "fail", "reject"},
	}
	for _, tt := range tests {
		got := EvalDMARC(ctx, r, discard(), tt.in)
		if got.Result != tt.result || got.Policy != tt.policy {
			t.Errorf("%s: %+v, want %s with policy %q", tt.name, got, tt.result, tt.policy)
		}
	}
	rep := CheckDMARC(ctx, r, discard(), "deep.x.auth.test")
	if rep.PolicyDomain != "auth.test" {
		t.Errorf("fallback found the policy at %q, want auth.test", rep.PolicyDomain)
	}
	// The report says where the policy came from and which tag applies.
	want := "deep.x.auth.test has no DMARC record of its own, so the record of its organisational domain at _dmarc.auth.test applies, through its sp tag: mail from deep.x.auth.test that fails DMARC gets quarantine"
	found := false
	for _, f := range rep.Findings {
		found = found || f.Code == "dmarc.policy" && strings.HasPrefix(f.Message, want)
	}
	if !found {
		t.Errorf("findings %+v lack dmarc.policy %q", rep.Findings, want)
	}
	// Without any record, both names asked are given.
	srv.Remove("_dmarc.auth.test.", dns.TypeTXT)
	rep = CheckDMARC(ctx, r, discard(), "deep.x.auth.test")
	if len(rep.Findings) != 1 || !strings.Contains(rep.Findings[0].Message, "at _dmarc.deep.x.auth.test or at _dmarc.auth.test (its organisational domain)") {
		t.Errorf("no record anywhere: %+v", rep.Findings)
	}
}

func TestParseDKIMKey(t *testing.T) {
	t.Parallel()
	pub, _, _ := ed25519.GenerateKey(rand.Reader)
	ed := base64.StdEncoding.EncodeToString(pub)
	tests := []struct {
		rec     string
		ok      bool
		kt      string
		revoked bool
	}{
		{"v=DKIM1; k=ed25519; p=" + ed, true, "ed25519", false},
		{"p=", true, "rsa", true},
		{"v=DKIM1; p=", true, "rsa", true},
		{"v=DKIM1; k=ed25519; p=AAAA", false, "", false},
		{"v=DKIM1; k=dsa; p=" + ed, false, "", false},
		{"v=DKIM1; p=!!!", false, "", false},
		{"v=DKIM1", false, "", false},
		{"k=rsa; v=DKIM1; p=", false, "", false},
		{"v=DKIM1; p=bm90IGEga2V5", false, "", false},
		{"v=DKIM1; p=; p=", false, "", false},
		{"v=DKIM1; x", false, "", false},
	}
	for _, tt := range tests {
		k, err := ParseDKIMKey(tt.rec)
		if tt.ok != (err == nil) {
			t.Errorf("ParseDKIMKey(%q) = %v, want ok=%v", tt.rec, err, tt.ok)
			continue
		}
		if err == nil && (k.KeyType != tt.kt || k.Revoked != tt.revoked) {
			t.Errorf("ParseDKIMKey(%q) = %+v", tt.rec, k)
		}
	}
}

func TestCheckDKIM(t *testing.T) {
	t.Parallel()
	r, _ := testResolver(t, "../testdata/dns/auth.zone")
	tests := []struct {
		sel    string
		code   string
		sev    Severity
		bits   int
		cnamed bool
	}{
		{"sel2048", "", "", 2048, false},
		{"pkcs1", "", "", 2048, false},
		{"sel1024", "dkim.short-key", SevWarning, 1024, false},
		{"sel512", "dkim.weak-key", SevError, 512, false},
		{"revoked", "dkim.revoked", SevError, 0, false}, // named, so expected to sign
		{"testing", "dkim.testing", SevWarning, 2048, false},
		{"sha1", "dkim.sha1-only", SevError, 2048, false},
		{"twice", "dkim.multiple", SevError, 2048, false},
		{"garbage", "dkim.syntax", SevError, 0, false},
		{"ed", "", "", 256, false},
		{"alias", "dkim.cname", SevInfo, 2048, true},
		{"absent", "dkim.missing", SevError, 0, false},
	}
	for _, tt := range tests {
		rep := CheckDKIM(context.Background(), r, discard(), "keys.auth.test", []string{tt.sel})
		cs := codes(rep.Findings)
		if tt.code != "" && cs[tt.code] != tt.sev {
			t.Errorf("%s: findings %+v, want %s at %s", tt.sel, rep.Findings, tt.code, tt.sev)
		}
		if tt.code == "" && rep.Status != StatusOK {
			t.Errorf("%s: unexpected findings %+v", tt.sel, rep.Findings)
		}
		var got *DKIMSelector
		for i := range rep.Selectors {
			if rep.Selectors[i].Selector == tt.sel {
				got = &rep.Selectors[i]
			}
		}
		if tt.bits > 0 && (got == nil || got.Key == nil || got.Key.Bits != tt.bits || (got.CNAME != "") != tt.cnamed) {
			t.Errorf("%s: selector %+v, want a %d-bit key", tt.sel, got, tt.bits)
		}
	}
	// Common selectors are found without being asked for.
	rep := CheckDKIM(context.Background(), r, discard(), "keys.auth.test", nil)
	if len(rep.Selectors) != 1 || rep.Selectors[0].Selector != "default" || rep.Status != StatusOK {
		t.Errorf("common selectors: %+v", rep)
	}
	if rep := CheckDKIM(context.Background(), r, discard(), "good.auth.test", nil); codes(rep.Findings)["dkim.none-found"] != SevWarning {
		t.Errorf("no keys at all: %+v", rep.Findings)
	}
	// A guessed selector that could not be looked up might be the key: the
	// check is unknown, not "none found".
	rep = CheckDKIM(context.Background(), r, discard(), "dkimdown.auth.test", nil)
	c := codes(rep.Findings)
	if _, ok := c["dkim.dns-error"]; !ok || rep.Status != StatusUnknown {
		t.Errorf("a guess that failed to resolve: status %s, findings %+v", rep.Status, rep.Findings)
	}
	if _, ok := c["dkim.none-found"]; ok {
		t.Errorf("a guess that failed to resolve: status %s, findings %+v", rep.Status, rep.Findings)
	}
}

func signed(t *testing.T, key ed25519.PrivateKey, domain, from string) []byte {
	t.Helper()
	msg := "From: Alice <alice@" + from + ">\r\nTo: bob@example.net\r\nSubject: hello\r\nDate: Thu, 1 Jan 2026 00:00:00 +0000\r\nMessage-ID: <1@" + from + ">\r\n\r\nHello Bob.\r\n"
	var b bytes.Buffer
	err := dkim.Sign(&b, strings.NewReader(msg), &dkim.SignOptions{Domain: domain, Selector: "sig", Signer: key,
		HeaderKeys: []string{"From", "To", "Subject", "Date", "Message-ID"}})
	if err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestVerifyMessage(t *testing.T) {
	t.Parallel()
	r, srv := testResolver(t, "../testdata/dns/auth.zone")
	pub, key, _ := ed25519.GenerateKey(rand.Reader)
	rec := `sig._domainkey.good.auth.test. 300 IN TXT "v=DKIM1; k=ed25519; p=` + base64.StdEncoding.EncodeToString(pub) + `"`
	if err := srv.AddString(rec); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	good := signed(t, key, "good.auth.test", "good.auth.test")
	tampered := bytes.Replace(good, []byte("Hello Bob."), []byte("Pay me."), 1)
	tests := []struct {
		name             string
		ip, from         string
		raw              []byte
		spf, dkim, dmarc string
	}{
		{"all pass", "192.0.2.1", "bounce@good.auth.test", good, "pass", "pass", "pass"},
		{"dkim saves dmarc", "198.51.100.9", "bounce@good.auth.test", good, "fail", "pass", "pass"},
		{"tampered, spf pass", "192.0.2.1", "bounce@good.auth.test", tampered, "pass", "fail", "pass"},
		{"tampered, spf fail", "198.51.100.9", "bounce@good.auth.test", tampered, "fail", "fail", "fail"},
	}
	for _, tt := range tests {
		ar, err := VerifyMessage(ctx, r, netip.MustParseAddr(tt.ip), "mta.example", tt.from, tt.raw)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if ar.DMARCRejects() != (tt.dmarc == "fail") {
			t.Errorf("%s: DMARCRejects = %v with DMARC %s (p=reject)", tt.name, ar.DMARCRejects(), ar.DMARC.Result)
		}
		if string(ar.SPF.Result) != tt.spf || len(ar.DKIM) != 1 || ar.DKIM[0].Result != tt.dkim || ar.DMARC.Result != tt.dmarc {
			t.Errorf("%s: spf %s dkim %+v dmarc %+v, want %s %s %s", tt.name, ar.SPF.Result, ar.DKIM, ar.DMARC, tt.spf, tt.dkim, tt.dmarc)
		}
		// The header parses back with go-msgauth.
		id, results, err := authres.Parse(strings.TrimPrefix(flat(ar.Header), "Authentication-Results: "))
		if err != nil || id != "relaylab" || len(results) != 3 {
			t.Errorf("%s: header %q parses to %q %d results, %v", tt.name, ar.Header, id, len(results), err)
		}
	}
	if _, err := VerifyMessage(ctx, r, netip.MustParseAddr("192.0.2.1"), "h", "a@b", []byte("no header separator")); err == nil {
		t.Error("a non-message verified")
	}
	ar, err := VerifyMessage(ctx, r, netip.MustParseAddr("192.0.2.1"), "h", "", []byte("From: a@x.example, b@y.example\r\n\r\nbody\r\n"))
	if err != nil || ar.DMARC.Result != "permerror" || len(ar.DKIM) != 0 {
		t.Errorf("two From addresses: %+v, %v", ar, err)
	}
}

func FuzzParseDMARC(f *testing.F) {
	for _, s := range []string{"v=DMARC1; p=reject", "v=DMARC1;p=none;rua=mailto:a@b.example!10m", "v=DMARC1; p=quarantine; pct=50; fo=1:d", "v=DMARC1; rua=x:",
		"v=DMARC1; rua=d@x.example, mailto:e@x.example!1q; pct=abc; p=reject", "v=DMARC1; p=rejct; sp=none; rua=mailto:a@b.example; junk",
		"v=DMARC1; p=nonee; sp=Quarentine; rua=mailto:a@b.example", "v=DMARC1; p=xyz; sp=abc; rua=mailto:a@b.example",
		"v=DMARC1; p=Reject; sp=quarentine; rua=mailto:a@b.example"} {
		f.Add(s)
	}
	f.Add("v=DMARC1; p=none; rua=mailto:a@b.example; P=reject; rua=x; rua=mailto:c@d.example")
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseDMARC(s)
		var repeat *DMARCRepeatError
		if errors.As(err, &repeat) {
			// The record proposed for a repeated tag repeats none.
			if again := repeatedTags(repeat.Merged); again != nil || !errors.Is(err, ErrDMARCSyntax) {
				t.Fatalf("%q merges to %q, which repeats %+v", s, repeat.Merged, again)
			}
		}
		if err != nil {
			return
		}
		if r.Pct < 0 || r.Pct > 100 {
			t.Fatalf("pct %d accepted", r.Pct)
		}
		// The record proposed instead parses cleanly, with the same policy
		// or the one a misspelt p meant.
		fixed := fixedDMARC(s, r)
		f, err := ParseDMARC(fixed)
		policy := r.Policy
		for _, pr := range r.Problems {
			switch {
			case pr.Tag == "p" && meantPolicy(pr.Value) != "":
				policy = meantPolicy(pr.Value)
			case pr.Tag == "sp":
				policy = "" // the record's own p comes back, checked below
			}
		}
		if err != nil || len(f.Problems) > 0 || f.pNotSecond || (policy != "" && f.Policy != policy) {
			t.Fatalf("%q proposes %q, which parses to %+v, %v", s, fixed, f, err)
		}
	})
}

func FuzzParseDKIMKey(f *testing.F) {
	for _, s := range []string{"v=DKIM1; p=", "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=", "k=rsa; h=sha1:sha256; t=y:s; p=AAAA"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k, err := ParseDKIMKey(s)
		if err == nil && !k.Revoked && k.Bits == 0 {
			t.Fatalf("a key of 0 bits accepted from %q", s)
		}
	})
}

// fixedDMARC proposes the policy a misspelt p or sp meant, keeps a valid
// p when only sp is wrong, and falls back to p=none only when nothing
// says what was meant.
func TestFixedDMARCPolicies(t *testing.T) {
	t.Parallel()
	for rec, want := range map[string]string{
		"v=DMARC1; p=rejectt; rua=mailto:a@b.example":                "v=DMARC1; p=reject; rua=mailto:a@b.example",
		"v=DMARC1; p=Reject; sp=quarentine; rua=mailto:a@b.example":  "v=DMARC1; p=reject; sp=quarantine; rua=mailto:a@b.example",
		"v=DMARC1; p=quarantine; sp=xyz; rua=mailto:a@b.example":     "v=DMARC1; p=quarantine; rua=mailto:a@b.example",
		"v=DMARC1; p=xyz; sp=nonee; rua=mailto:a@b.example":          "v=DMARC1; p=none; sp=none; rua=mailto:a@b.example",
		"v=DMARC1; p=QUARANTINEE; sp=rejekt; rua=mailto:a@b.example": "v=DMARC1; p=quarantine; sp=reject; rua=mailto:a@b.example",
	} {
		r, err := ParseDMARC(rec)
		if err != nil {
			t.Fatalf("%q: %v", rec, err)
		}
		if got := fixedDMARC(rec, r); got != want {
			t.Errorf("%q proposes %q, want %q", rec, got, want)
		}
	}
}
