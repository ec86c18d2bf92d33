package probe

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"net/netip"
	"strings"
	"testing"

	"github.com/emersion/go-msgauth/dkim"
)

// s16wdVerify verifies raw, from ip with MAIL FROM mailFrom, against a zone
// where shop.test, strict.test and xn--bcher-kva.test publish SPF for
// 192.0.2.1 and DMARC p=reject (strict.test: adkim=s, aspf=s), and
// strict.test's key is key.
func s16wdVerify(t *testing.T, key ed25519.PrivateKey, ip, mailFrom string, raw []byte) AuthResults {
	t.Helper()
	r, srv := testResolver(t)
	pub := key.Public().(ed25519.PublicKey)
	err := srv.AddString(
		`test. 300 IN SOA ns.test. hm.test. 1 3600 600 86400 60`,
		`shop.test. 300 IN TXT "v=spf1 ip4:192.0.2.1 -all"`,
		`_dmarc.shop.test. 300 IN TXT "v=DMARC1; p=reject"`,
		`strict.test. 300 IN TXT "v=spf1 ip4:192.0.2.1 -all"`,
		`sub.strict.test. 300 IN TXT "v=spf1 ip4:192.0.2.1 -all"`,
		`_dmarc.strict.test. 300 IN TXT "v=DMARC1; p=reject; adkim=s; aspf=s"`,
		`s1._domainkey.strict.test. 300 IN TXT "v=DKIM1; k=ed25519; p=`+base64.StdEncoding.EncodeToString(pub)+`"`,
		`xn--bcher-kva.test. 300 IN TXT "v=spf1 ip4:192.0.2.1 -all"`,
		`_dmarc.xn--bcher-kva.test. 300 IN TXT "v=DMARC1; p=reject"`,
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

func s16wdMsg(from string) []byte {
	return []byte("From: " + from + "\r\nTo: b@r.test\r\nSubject: hi\r\nDate: Thu, 1 Jan 2026 00:00:00 +0000\r\n\r\nHello.\r\n")
}

// The From's display name in a charset net/mail does not decode does not
// make DMARC permerror: the address is read, DMARC evaluated, and a
// forgery refused under p=reject. A From that is no address list, or two
// From fields, are permerror with the reason.
func TestS16WDFromField(t *testing.T) {
	t.Parallel()
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	for _, tt := range []struct {
		name, ip, from string
		want           string
		rejects        bool
	}{
		{"windows-1252 name, spf pass", "192.0.2.1", "=?windows-1252?Q?Caf=E9_Shop?= <news@shop.test>", "pass", false},
		{"windows-1252 name, forged", "198.51.100.9", "=?windows-1252?Q?Caf=E9_Shop?= <news@shop.test>", "fail", true},
		{"unknown charset, forged", "198.51.100.9", "=?x-nothing?B?Q2Fm6Q==?= <news@shop.test>", "fail", true},
	} {
		ar := s16wdVerify(t, key, tt.ip, "bounce@shop.test", s16wdMsg(tt.from))
		if ar.DMARC.Result != tt.want || ar.DMARCRejects() != tt.rejects || ar.From != "shop.test" {
			t.Errorf("%s: dmarc %+v from %q, want %s", tt.name, ar.DMARC, ar.From, tt.want)
		}
	}
	ar := s16wdVerify(t, key, "198.51.100.9", "bounce@shop.test", s16wdMsg("Shop <news@shop.test"))
	if ar.DMARC.Result != "permerror" || !strings.Contains(ar.DMARC.Error, "not an address list (mail:") {
		t.Errorf("unparseable From: %+v, want permerror with the parse error", ar.DMARC)
	}
	two := append([]byte("From: ceo@shop.test\r\n"), s16wdMsg("news@shop.test")...)
	ar = s16wdVerify(t, key, "192.0.2.1", "bounce@shop.test", two)
	if ar.DMARC.Result != "permerror" || !strings.Contains(ar.DMARC.Error, "2 From fields") {
		t.Errorf("two From fields: %+v, want permerror naming them", ar.DMARC)
	}
}

// RFC 8616 4 and 6: a From, MAIL FROM or d= domain in U-labels is looked
// up and compared in A-labels, so a forgery from bücher.test meets the
// policy of xn--bcher-kva.test.
func TestS16WDIDNDomains(t *testing.T) {
	t.Parallel()
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	ar := s16wdVerify(t, key, "198.51.100.9", "bounce@bücher.test", s16wdMsg("<ceo@bücher.test>"))
	if ar.DMARC.Result != "fail" || !ar.DMARCRejects() || ar.From != "xn--bcher-kva.test" {
		t.Errorf("forged U-label From: dmarc %+v from %q, want fail under reject", ar.DMARC, ar.From)
	}
	ar = s16wdVerify(t, key, "192.0.2.1", "bounce@bücher.test", s16wdMsg("<ceo@bücher.test>"))
	if ar.SPF.Result != "pass" || ar.DMARC.Result != "pass" {
		t.Errorf("U-label MAIL FROM from an allowed IP: spf %s dmarc %+v, want pass pass", ar.SPF.Result, ar.DMARC)
	}
}

// A signature with l= is "policy", with a reason that says why, not
// "fail" (which says the message was changed); DMARC failing only by
// alignment says which identifiers passed and what to do.
func TestS16WDBodyLengthAndAlignment(t *testing.T) {
	t.Parallel()
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	var b bytes.Buffer
	err := dkim.Sign(&b, bytes.NewReader(s16wdMsg("<news@sub.strict.test>")), &dkim.SignOptions{Domain: "strict.test", Selector: "s1", Signer: key,
		HeaderKeys: []string{"From", "To", "Subject", "Date"}})
	if err != nil {
		t.Fatal(err)
	}
	ar := s16wdVerify(t, key, "192.0.2.1", "bounce@strict.test", b.Bytes())
	if len(ar.DKIM) != 1 || ar.DKIM[0].Result != "pass" || ar.SPF.Result != "pass" || ar.DMARC.Result != "fail" {
		t.Fatalf("strict alignment: spf %s dkim %+v dmarc %+v, want pass pass fail", ar.SPF.Result, ar.DKIM, ar.DMARC)
	}
	for _, w := range []string{"not aligned", "SPF passed for strict.test", "DKIM passed for d=strict.test", "adkim=s", "sign with d=sub.strict.test"} {
		if !strings.Contains(ar.DMARC.Error, w) {
			t.Errorf("alignment reason %q lacks %q", ar.DMARC.Error, w)
		}
	}
	withL := bytes.Replace(b.Bytes(), []byte("DKIM-Signature: "), []byte("DKIM-Signature: l=8; "), 1)
	ar = s16wdVerify(t, key, "192.0.2.1", "bounce@strict.test", withL)
	if len(ar.DKIM) != 1 || ar.DKIM[0].Result != "policy" || !strings.Contains(ar.DKIM[0].Error, "l=") {
		t.Errorf("a signature with l=: %+v, want policy naming l=", ar.DKIM)
	}
	if !strings.Contains(ar.Header, "dkim=policy") {
		t.Errorf("header %q lacks dkim=policy", ar.Header)
	}
}
