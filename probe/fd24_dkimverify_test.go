package probe

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"net/netip"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-msgauth/dkim"
)

// fd24Keys are the keys fd24Verify's zone publishes for shop.test: an
// RSA key at r1 and an ed25519 key at e1.
type fd24Keys struct {
	rsa *rsa.PrivateKey
	ed  ed25519.PrivateKey
}

func fd24NewKeys(t *testing.T) fd24Keys {
	t.Helper()
	rk, err := rsa.GenerateKey(rand.Reader, 1024) // the least verifiers take: quick to make
	if err != nil {
		t.Fatal(err)
	}
	_, ek, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return fd24Keys{rsa: rk, ed: ek}
}

// fd24Verify verifies raw from ip with MAIL FROM mailFrom against a zone
// where shop.test publishes SPF for 192.0.2.1, DMARC p=reject, and the
// public keys of published at r1 (RSA) and e1 (ed25519); other.test
// publishes SPF for 192.0.2.1 and nothing else.
func fd24Verify(t *testing.T, published fd24Keys, ip, mailFrom string, raw []byte) AuthResults {
	t.Helper()
	r, srv := testResolver(t)
	der, err := x509.MarshalPKIXPublicKey(&published.rsa.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	err = srv.AddString(
		`test. 300 IN SOA ns.test. hm.test. 1 3600 600 86400 60`,
		`shop.test. 300 IN TXT "v=spf1 ip4:192.0.2.1 -all"`,
		`other.test. 300 IN TXT "v=spf1 ip4:192.0.2.1 -all"`,
		`_dmarc.shop.test. 300 IN TXT "v=DMARC1; p=reject"`,
		`r1._domainkey.shop.test. 300 IN TXT "v=DKIM1; k=rsa; p=`+base64.StdEncoding.EncodeToString(der)+`"`,
		`e1._domainkey.shop.test. 300 IN TXT "v=DKIM1; k=ed25519; p=`+base64.StdEncoding.EncodeToString(published.ed.Public().(ed25519.PublicKey))+`"`,
	)
	if err != nil {
		t.Fatal(err)
	}
	ar, err := VerifyMessage(context.Background(), r, netip.MustParseAddr(ip), "mta.shop.test", mailFrom, raw)
	if err != nil {
		t.Fatal(err)
	}
	return ar
}

const fd24Msg = "From: News <news@shop.test>\r\nTo: b@r.test\r\nSubject: hi\r\nDate: Thu, 1 Jan 2026 00:00:00 +0000\r\n\r\nHello.\r\n"

// fd24Sign signs msg for shop.test with signer under selector, with
// the options opts sets.
func fd24Sign(t *testing.T, msg, selector string, signer crypto.Signer, opts func(*dkim.SignOptions)) string {
	t.Helper()
	o := &dkim.SignOptions{Domain: "shop.test", Selector: selector, Signer: signer, HeaderKeys: []string{"From", "To", "Subject", "Date"},
		HeaderCanonicalization: dkim.CanonicalizationRelaxed, BodyCanonicalization: dkim.CanonicalizationRelaxed}
	if opts != nil {
		opts(o)
	}
	var b bytes.Buffer
	if err := dkim.Sign(&b, strings.NewReader(msg), o); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// M2: a failed signature says which part failed, in words for the one
// who signs: the body hash (naming c=, and the fix for simple body
// canonicalization), or the signature over the header with the body
// intact (a changed Subject, a key in DNS that is not the signer's,
// naming where the key is). No go-msgauth or crypto/rsa words, no
// "dkim:" after dkim=.
func TestFD24DKIMFailCause(t *testing.T) {
	t.Parallel()
	keys := fd24NewKeys(t)
	other := fd24NewKeys(t)
	footer := func(s string) string { return s + "-- \r\nSent with a footer\r\n" }
	simple := func(o *dkim.SignOptions) {
		o.HeaderCanonicalization, o.BodyCanonicalization = dkim.CanonicalizationSimple, dkim.CanonicalizationSimple
	}
	for _, tt := range []struct {
		name      string
		raw       string
		published fd24Keys
		cause     string
		want      []string
		not       []string
	}{
		{"key mismatch", fd24Sign(t, fd24Msg, "r1", other.rsa, nil), keys, DKIMCauseSignature,
			[]string{"though the body hash did", "the body is intact", "the key at r1._domainkey.shop.test is not the one that signed", "relaylab dkim check --config"}, nil},
		{"subject changed", strings.Replace(fd24Sign(t, fd24Msg, "r1", keys.rsa, nil), "Subject: hi", "Subject: [EXT] hi", 1), keys, DKIMCauseSignature,
			[]string{"the body is intact", "A signed header field changed"}, nil},
		{"ed25519 key mismatch", fd24Sign(t, fd24Msg, "e1", other.ed, nil), keys, DKIMCauseSignature,
			[]string{"the key at e1._domainkey.shop.test"}, nil},
		{"footer, relaxed", footer(fd24Sign(t, fd24Msg, "r1", keys.rsa, nil)), keys, DKIMCauseBodyHash,
			[]string{"body hash did not verify (c=relaxed/relaxed)", "a footer added"}, []string{"Sign with c=relaxed/relaxed", "key"}},
		{"footer, simple", footer(fd24Sign(t, fd24Msg, "r1", keys.rsa, simple)), keys, DKIMCauseBodyHash,
			[]string{"body hash did not verify (c=simple/simple)", "trailing whitespace or line endings", "Sign with c=relaxed/relaxed"}, nil},
	} {
		ar := fd24Verify(t, tt.published, "192.0.2.1", "bounce@shop.test", []byte(tt.raw))
		if len(ar.DKIM) != 1 {
			t.Fatalf("%s: %d results, want 1", tt.name, len(ar.DKIM))
		}
		d := ar.DKIM[0]
		if d.Result != "fail" || d.Cause != tt.cause {
			t.Errorf("%s: result %s cause %q, want fail %q (%s)", tt.name, d.Result, d.Cause, tt.cause, d.Error)
		}
		for _, w := range tt.want {
			if !strings.Contains(d.Error, w) {
				t.Errorf("%s: error %q lacks %q", tt.name, d.Error, w)
			}
		}
		for _, w := range append(tt.not, "crypto/", "dkim:", ";") {
			if strings.Contains(d.Error, w) {
				t.Errorf("%s: error %q has %q", tt.name, d.Error, w)
			}
		}
		if got := DKIMCause(d.Error); got != tt.cause {
			t.Errorf("%s: DKIMCause of its own error = %q, want %q", tt.name, got, tt.cause)
		}
		if strings.Contains(ar.Header, `reason="dkim:`) || strings.Contains(ar.Header, "crypto/") {
			t.Errorf("%s: header %q repeats dkim: or names Go's crypto", tt.name, ar.Header)
		}
	}
	// Other errors keep go-msgauth's words, without its "dkim:", which
	// dkim= beside the reason says already.
	ar := fd24Verify(t, keys, "192.0.2.1", "bounce@shop.test", []byte(fd24Sign(t, fd24Msg, "gone", keys.rsa, nil)))
	if len(ar.DKIM) != 1 || ar.DKIM[0].Result != "permerror" || strings.HasPrefix(ar.DKIM[0].Error, "dkim:") || strings.Contains(ar.Header, `reason="dkim:`) {
		t.Errorf("no key: %+v, header %q: want permerror, its reason without dkim:", ar.DKIM, ar.Header)
	}
	// Earlier versions' words, as messages stored by them hold them.
	for reason, want := range map[string]string{
		"dkim: body hash did not verify":                                 DKIMCauseBodyHash,
		"dkim: signature did not verify: crypto/rsa: verification error": DKIMCauseSignature,
		"dkim: signature has expired":                                    DKIMCauseExpired,
		"dkim: no key for signature: lookup failed":                      "",
	} {
		if got := DKIMCause(reason); got != want {
			t.Errorf("DKIMCause(%q) = %q, want %q", reason, got, want)
		}
	}
}

// L4: an expired signature says when it expired (x=) and the verifier's
// time, and that some verifiers allow clock skew.
func TestFD24DKIMExpired(t *testing.T) {
	t.Parallel()
	keys := fd24NewKeys(t)
	x := time.Unix(1000000000, 0)
	raw := fd24Sign(t, fd24Msg, "r1", keys.rsa, func(o *dkim.SignOptions) { o.Expiration = x })
	before := time.Now().Add(-time.Second)
	ar := fd24Verify(t, keys, "192.0.2.1", "bounce@shop.test", []byte(raw))
	after := time.Now().Add(time.Second)
	if len(ar.DKIM) != 1 || ar.DKIM[0].Result != "permerror" || ar.DKIM[0].Cause != DKIMCauseExpired {
		t.Fatalf("expired signature: %+v, want permerror, cause expired", ar.DKIM)
	}
	msg := ar.DKIM[0].Error
	for _, w := range []string{"signature expired at 2001-09-09T01:46:40Z (x=1000000000)", "the verifier's clock read ", "clock skew", "sign with a later x="} {
		if !strings.Contains(msg, w) {
			t.Errorf("error %q lacks %q", msg, w)
		}
	}
	m := regexp.MustCompile(`clock read (\S+),`).FindStringSubmatch(msg)
	if m == nil {
		t.Fatalf("error %q gives no verifier's time", msg)
	}
	at, err := time.Parse(time.RFC3339, m[1])
	if err != nil || at.Before(before.Truncate(time.Second)) || at.After(after) {
		t.Errorf("verifier's time %q (%v), want the time of the check, between %s and %s", m[1], err, before, after)
	}
}

// M3: a From added above the one the signature covers once leaves the
// signature passing (RFC 6376 5.4.2 signs the bottom instance), with a
// note that the unsigned one is what readers see; a signature that
// lists From twice (oversigning) fails instead, and one From signed
// once has no note.
func TestFD24DKIMUnsignedFromAbove(t *testing.T) {
	t.Parallel()
	keys := fd24NewKeys(t)
	added := func(s string) string { return "From: CEO <ceo@shop.test>\r\n" + s }
	once := fd24Sign(t, fd24Msg, "r1", keys.rsa, nil)
	twice := fd24Sign(t, fd24Msg, "r1", keys.rsa, func(o *dkim.SignOptions) { o.HeaderKeys = []string{"From", "From", "To", "Subject", "Date"} })

	ar := fd24Verify(t, keys, "192.0.2.1", "bounce@shop.test", []byte(added(once)))
	if len(ar.DKIM) != 1 || ar.DKIM[0].Result != "pass" {
		t.Fatalf("From added above, From signed once: %+v, want pass (RFC 6376 5.4.2)", ar.DKIM)
	}
	for _, w := range []string{"a From field the signature does not cover sits above the signed one", "RFC 6376 8.15", "oversigning"} {
		if !strings.Contains(ar.DKIM[0].Note, w) {
			t.Errorf("note %q lacks %q", ar.DKIM[0].Note, w)
		}
	}
	if !regexp.MustCompile(`dkim=pass reason="a From field the signature does not cover`).MatchString(ar.Header) {
		t.Errorf("header %q does not give the note as dkim=pass's reason", ar.Header)
	}
	if ar.DMARC.Result != "permerror" {
		t.Errorf("two From fields: dmarc %+v, want permerror (RFC 7489 6.6.1)", ar.DMARC)
	}
	ar = fd24Verify(t, keys, "192.0.2.1", "bounce@shop.test", []byte(added(twice)))
	if len(ar.DKIM) != 1 || ar.DKIM[0].Result != "fail" {
		t.Errorf("From added above an oversigned From: %+v, want fail", ar.DKIM)
	}
	for name, raw := range map[string]string{"signed once": once, "oversigned": twice} {
		ar = fd24Verify(t, keys, "192.0.2.1", "bounce@shop.test", []byte(raw))
		if len(ar.DKIM) != 1 || ar.DKIM[0].Result != "pass" || ar.DKIM[0].Note != "" || strings.Contains(ar.Header, "dkim=pass reason") {
			t.Errorf("one From, %s: %+v, header %q, want pass without a note", name, ar.DKIM, ar.Header)
		}
	}
}

// M1: DMARC that passes on an ed25519-sha256 signature alone (SPF not
// aligned) carries a note: receivers without Ed25519 see no valid
// signature, and DMARC fails there. An RSA signature beside it, or
// aligned SPF, needs no note. Each result names its algorithm.
func TestFD24DMARCEd25519Only(t *testing.T) {
	t.Parallel()
	keys := fd24NewKeys(t)
	ed := fd24Sign(t, fd24Msg, "e1", keys.ed, nil)
	dual := fd24Sign(t, ed, "r1", keys.rsa, nil)

	ar := fd24Verify(t, keys, "192.0.2.1", "bounce@other.test", []byte(ed))
	if ar.DMARC.Result != "pass" || len(ar.DKIM) != 1 || ar.DKIM[0].Algorithm != "ed25519-sha256" {
		t.Fatalf("ed25519 only: dmarc %+v dkim %+v, want pass with an ed25519-sha256 signature", ar.DMARC, ar.DKIM)
	}
	for _, w := range []string{"the only aligned pass is an ed25519-sha256 signature (d=shop.test)", "do not implement Ed25519 (RFC 8463)", "p=reject", "dual signing"} {
		if !strings.Contains(ar.DMARC.Note, w) {
			t.Errorf("dmarc note %q lacks %q", ar.DMARC.Note, w)
		}
	}
	if !regexp.MustCompile(`dmarc=pass \([^)]*\) reason="the only aligned pass is an ed25519-sha256`).MatchString(ar.Header) {
		t.Errorf("header %q does not give the note as dmarc=pass's reason", ar.Header)
	}
	for name, ar := range map[string]AuthResults{
		"dual signed":          fd24Verify(t, keys, "192.0.2.1", "bounce@other.test", []byte(dual)),
		"ed25519, SPF aligned": fd24Verify(t, keys, "192.0.2.1", "bounce@shop.test", []byte(ed)),
	} {
		if ar.DMARC.Result != "pass" || ar.DMARC.Note != "" {
			t.Errorf("%s: dmarc %+v, want pass without a note", name, ar.DMARC)
		}
	}
	ar = fd24Verify(t, keys, "192.0.2.1", "bounce@other.test", []byte(dual))
	var algs []string
	for _, d := range ar.DKIM {
		algs = append(algs, d.Algorithm+" "+d.Selector)
	}
	if got := strings.Join(algs, ", "); got != "rsa-sha256 r1, ed25519-sha256 e1" {
		t.Errorf("dual signed: algorithms %q, want rsa-sha256 r1, ed25519-sha256 e1", got)
	}
}

// L9: reasons are sentences, not clauses a comma runs together where
// the field's ";" were (reasonText).
func TestFD24ReasonSentences(t *testing.T) {
	t.Parallel()
	keys := fd24NewKeys(t)
	r, srv := testResolver(t)
	if err := srv.AddString(`test. 300 IN SOA ns.test. hm.test. 1 3600 600 86400 60`, `_dmarc.mail.strict.test. 300 IN TXT "v=DMARC1; p=reject"`); err != nil {
		t.Fatal(err)
	}
	ev := EvalDMARC(context.Background(), r, discardLogger(), DMARCInput{From: "mail.strict.test", SPFDomain: "other.test", SPFResult: "pass",
		DKIMPasses: []DKIMPass{{Domain: "other.test", Algorithm: "rsa-sha256"}}})
	for _, w := range []string{"must be equal). DKIM passed", "must be equal). To align, sign with d=mail.strict.test"} {
		if !strings.Contains(ev.Error, w) {
			t.Errorf("alignment reason %q lacks %q", ev.Error, w)
		}
	}
	if strings.Contains(ev.Error, ";") || strings.Contains(ev.Error, "), sign with") {
		t.Errorf("alignment reason %q runs its clauses together", ev.Error)
	}
	withL := strings.Replace(fd24Sign(t, fd24Msg, "r1", keys.rsa, nil), "DKIM-Signature: ", "DKIM-Signature: l=8; ", 1)
	ar := fd24Verify(t, keys, "192.0.2.1", "bounce@shop.test", []byte(withL))
	if len(ar.DKIM) != 1 || !strings.Contains(ar.DKIM[0].Error, "relaylab does not accept it. Sign without l=") || strings.Contains(ar.Header, "it, sign without") {
		t.Errorf("l= reason %+v, header %q: want sentences", ar.DKIM, ar.Header)
	}
}
