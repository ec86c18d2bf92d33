package web

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
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-msgauth/dkim"

	"github.com/relaylab/relaylab/internal/dnstest"
	"github.com/relaylab/relaylab/internal/resolver"
	"github.com/relaylab/relaylab/probe"
)

// fd24Checked is the verdict the message page gives raw after the sink's
// checks (probe.VerifyMessage, as sink.verify runs them, its field put
// first as the sink stores it) from 192.0.2.1 with MAIL FROM mailFrom,
// against a zone where shop.test publishes SPF for 192.0.2.1, DMARC
// p=reject and the public keys of rk at r1 and ek at e1; other.test
// publishes SPF for 192.0.2.1.
func fd24Checked(t *testing.T, rk *rsa.PrivateKey, ek ed25519.PrivateKey, mailFrom, raw string) *AuthVerdict {
	t.Helper()
	srv := dnstest.Start(t)
	der, err := x509.MarshalPKIXPublicKey(&rk.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	err = srv.AddString(
		`test. 300 IN SOA ns.test. hm.test. 1 3600 600 86400 60`,
		`shop.test. 300 IN TXT "v=spf1 ip4:192.0.2.1 -all"`,
		`other.test. 300 IN TXT "v=spf1 ip4:192.0.2.1 -all"`,
		`_dmarc.shop.test. 300 IN TXT "v=DMARC1; p=reject"`,
		`r1._domainkey.shop.test. 300 IN TXT "v=DKIM1; k=rsa; p=`+base64.StdEncoding.EncodeToString(der)+`"`,
		`e1._domainkey.shop.test. 300 IN TXT "v=DKIM1; k=ed25519; p=`+base64.StdEncoding.EncodeToString(ek.Public().(ed25519.PublicKey))+`"`,
	)
	if err != nil {
		t.Fatal(err)
	}
	r, err := resolver.New(resolver.Options{Servers: []string{srv.Addr}, Timeout: time.Second, Attempts: 2, CacheSize: -1})
	if err != nil {
		t.Fatal(err)
	}
	ar, err := probe.VerifyMessage(context.Background(), r, netip.MustParseAddr("192.0.2.1"), "mta.shop.test", mailFrom, []byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	dkimResult := "none"
	for i, d := range ar.DKIM {
		if i == 0 || d.Result == "pass" {
			dkimResult = d.Result
		}
	}
	stored := DecodeMessage([]byte(ar.Header + "\r\n" + raw))
	return authVerdict(stored.Headers, string(ar.SPF.Result), dkimResult, ar.DMARC.Result, ar.DMARC.Policy)
}

const fd24WebMsg = "From: News <news@shop.test>\r\nTo: b@r.test\r\nSubject: hi\r\nDate: Thu, 1 Jan 2026 00:00:00 +0000\r\n\r\nHello.\r\n"

func fd24WebSign(t *testing.T, msg, selector string, signer crypto.Signer, c dkim.Canonicalization) string {
	t.Helper()
	var b bytes.Buffer
	err := dkim.Sign(&b, strings.NewReader(msg), &dkim.SignOptions{Domain: "shop.test", Selector: selector, Signer: signer,
		HeaderKeys: []string{"From", "To", "Subject", "Date"}, HeaderCanonicalization: dkim.CanonicalizationRelaxed, BodyCanonicalization: c})
	if err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// M2: a failed DKIM signature's meaning follows its cause, which the
// sink's reason carries: a changed body (naming the signature's c=, and
// the fix when it is simple) is told from a signature that failed with
// the body intact (naming the key's place). Fields written by earlier
// versions ("dkim: body hash did not verify") are read alike.
func TestFD24DKIMMeaningFollowsCause(t *testing.T) {
	t.Parallel()
	rk, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	other, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	_, ek, _ := ed25519.GenerateKey(rand.Reader)
	footer := "-- \r\nSent with a footer\r\n"
	for _, tt := range []struct {
		name, raw, cause string
		want, not        []string
	}{
		{"key mismatch", fd24WebSign(t, fd24WebMsg, "r1", other, dkim.CanonicalizationRelaxed), "signature",
			[]string{"the body is intact; a signed header field changed on the way, or the key at r1._domainkey.shop.test is not the one that signed (relaylab dkim check --config compares them)"},
			[]string{"footer"}},
		{"footer, simple body", fd24WebSign(t, fd24WebMsg, "r1", rk, dkim.CanonicalizationSimple) + footer, "body-hash",
			[]string{"the body changed after signing (a footer added, long lines rewrapped; under the signature's c=relaxed/simple also trailing whitespace or line endings: sign with c=relaxed/relaxed)"},
			[]string{"key"}},
		{"footer, relaxed body", fd24WebSign(t, fd24WebMsg, "r1", rk, dkim.CanonicalizationRelaxed) + footer, "body-hash",
			[]string{"the body changed after signing (a footer added, long lines rewrapped, under the signature's c=relaxed/relaxed)"},
			[]string{"key", "trailing whitespace"}},
	} {
		v := fd24Checked(t, rk, ek, "bounce@shop.test", tt.raw)
		if v == nil || len(v.DKIM) != 1 {
			t.Fatalf("%s: verdict %+v, want one DKIM result", tt.name, v)
		}
		d := v.DKIM[0]
		if d.Result != "fail" || d.Cause != tt.cause || d.Algorithm != "rsa-sha256" || d.Selector != "r1" {
			t.Errorf("%s: %+v, want fail, cause %s, a=rsa-sha256 s=r1", tt.name, d, tt.cause)
		}
		for _, w := range tt.want {
			if !strings.Contains(d.Meaning, w) {
				t.Errorf("%s: meaning %q lacks %q", tt.name, d.Meaning, w)
			}
		}
		for _, w := range append(tt.not, "or the key in DNS is not the one") {
			if strings.Contains(d.Meaning, w) {
				t.Errorf("%s: meaning %q has %q", tt.name, d.Meaning, w)
			}
		}
		if strings.HasPrefix(d.Reason, "dkim:") || strings.Contains(d.Reason, "crypto/") {
			t.Errorf("%s: reason %q repeats dkim: or names Go's crypto", tt.name, d.Reason)
		}
	}
	old := []Header{{Name: "Authentication-Results", Value: `relaylab; spf=pass smtp.mailfrom=a@shop.test; dkim=fail reason="dkim: body hash did not verify" header.d=shop.test; dmarc=fail header.from=shop.test`},
		{Name: "Dkim-Signature", Value: "v=1; a=rsa-sha256; c=simple/simple; d=shop.test; s=s1; h=From; bh=x; b=y"}}
	v := authVerdict(old, "pass", "fail", "fail", "reject")
	if d := v.DKIM[0]; d.Cause != "body-hash" || !strings.Contains(d.Meaning, "the signature's c=simple/simple also trailing whitespace") || d.Algorithm != "rsa-sha256" {
		t.Errorf("an earlier version's body hash failure: %+v, want cause body-hash, c= named, a= from the signature", d)
	}
}

// M1 and M3: cautions on a pass reach the page as notes, not reasons:
// DMARC passing on an ed25519 signature alone, and a From field the
// signature does not cover above the signed one. Each DKIM result
// names its algorithm.
func TestFD24PassNotes(t *testing.T) {
	t.Parallel()
	rk, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	_, ek, _ := ed25519.GenerateKey(rand.Reader)
	v := fd24Checked(t, rk, ek, "bounce@other.test", fd24WebSign(t, fd24WebMsg, "e1", ek, dkim.CanonicalizationRelaxed))
	if v.DMARC.Result != "pass" || !strings.Contains(v.DMARC.Note, "Ed25519 (RFC 8463)") || !strings.Contains(v.DMARC.Note, "dual signing") || v.DMARC.Reason != "" {
		t.Errorf("ed25519 alone: dmarc %+v, want pass with the note (not a reason)", v.DMARC)
	}
	if d := v.DKIM[0]; d.Algorithm != "ed25519-sha256" || d.Selector != "e1" || d.Note != "" {
		t.Errorf("ed25519 alone: dkim %+v, want a=ed25519-sha256 s=e1 without a note", d)
	}
	v = fd24Checked(t, rk, ek, "bounce@shop.test", "From: CEO <ceo@shop.test>\r\n"+fd24WebSign(t, fd24WebMsg, "r1", rk, dkim.CanonicalizationRelaxed))
	if d := v.DKIM[0]; d.Result != "pass" || !strings.Contains(d.Note, "RFC 6376 8.15") || d.Reason != "" || d.Meaning != meaning("dkim", "pass") {
		t.Errorf("unsigned From above: dkim %+v, want pass with the note", d)
	}
	v = fd24Checked(t, rk, ek, "bounce@shop.test", fd24WebSign(t, fd24WebMsg, "r1", rk, dkim.CanonicalizationRelaxed))
	if d := v.DKIM[0]; d.Note != "" || v.DMARC.Note != "" || d.Algorithm != "rsa-sha256" {
		t.Errorf("a plain pass: dkim %+v dmarc %+v, want no notes and a=rsa-sha256", d, v.DMARC)
	}
}
