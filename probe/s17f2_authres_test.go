package probe

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"net/mail"
	"strings"
	"testing"

	"github.com/emersion/go-msgauth/authres"
	"github.com/emersion/go-msgauth/dkim"
)

// s17f2Parse reads ar's field back with go-msgauth, as a reader of the
// stored message would, failing the test when it does not parse.
func s17f2Parse(t *testing.T, ar AuthResults) []authres.Result {
	t.Helper()
	// Folded before each result (RFC 5322 2.2.3), each line at most
	// 998 octets (2.1.1), with no CR or LF but the folds'.
	lines := strings.Split(ar.Header, "\r\n")
	for i, l := range lines {
		if len(l) > 998 || strings.ContainsAny(l, "\r\n") || i > 0 && !strings.HasPrefix(l, "\t") || i < len(lines)-1 && !strings.HasSuffix(l, ";") {
			t.Errorf("line %d of the field is not folded after a result's \";\" or is over 998 octets (RFC 5322 2.1.1): %q", i+1, ar.Header)
		}
	}
	id, results, err := authres.Parse(strings.TrimPrefix(flat(ar.Header), "Authentication-Results: "))
	if err != nil || id != "relaylab" {
		t.Fatalf("field %q parses to %q, %v", ar.Header, id, err)
	}
	return results
}

// flat is a folded field unfolded (RFC 5322 2.2.3), each fold a space.
func flat(field string) string { return strings.ReplaceAll(field, "\r\n\t", " ") }

// The field says what receivers show: dkim= with each signature's d=,
// s=, a= and the start of its b= (long enough to tell two signatures of
// one domain apart), spf= with the MAIL FROM and, in the comment, the
// client IP, dmarc= with the From domain and the policy record's p=.
// go-msgauth reads it back.
func TestS17F2AuthResultsProperties(t *testing.T) {
	t.Parallel()
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	var once, twice bytes.Buffer
	if err := dkim.Sign(&once, bytes.NewReader(s16wdMsg("<a@strict.test>")), &dkim.SignOptions{Domain: "strict.test", Selector: "s1", Signer: key}); err != nil {
		t.Fatal(err)
	}
	if err := dkim.Sign(&twice, bytes.NewReader(once.Bytes()), &dkim.SignOptions{Domain: "strict.test", Selector: "s1", Signer: key, HeaderKeys: []string{"From", "Subject"}}); err != nil {
		t.Fatal(err)
	}
	ar := s16wdVerify(t, key, "192.0.2.1", "a@strict.test", twice.Bytes())
	results := s17f2Parse(t, ar)
	if len(results) != 4 {
		t.Fatalf("%d results in %q, want spf, two dkim, dmarc", len(results), ar.Header)
	}
	if r, ok := results[0].(*authres.SPFResult); !ok || r.Value != "pass" || r.From != "a@strict.test" {
		t.Errorf("spf result %+v", results[0])
	}
	for _, r := range results[1:3] {
		if r, ok := r.(*authres.DKIMResult); !ok || r.Value != "pass" || r.Domain != "strict.test" {
			t.Errorf("dkim result %+v", r)
		}
	}
	if r, ok := results[3].(*authres.DMARCResult); !ok || r.Value != "pass" || r.From != "strict.test" {
		t.Errorf("dmarc result %+v", results[3])
	}
	for _, want := range []string{
		"Authentication-Results: relaylab; spf=pass (relaylab: domain of a@strict.test designates 192.0.2.1 as permitted sender) smtp.mailfrom=a@strict.test; dkim=pass header.a=ed25519-sha256 header.b=",
		"header.d=strict.test header.s=s1;",
		"; dmarc=pass (policy for failing mail is reject) header.from=strict.test polrec.p=reject",
	} {
		if !strings.Contains(flat(ar.Header), want) {
			t.Errorf("field lacks %q:\n%s", want, ar.Header)
		}
	}
	// Each signature's header.b is the start of its own b=.
	m, err := mail.ReadMessage(bytes.NewReader(twice.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	for _, tags := range signatureTags(m.Header, maxDKIMSignatures) {
		if !strings.Contains(flat(ar.Header), "header.b="+tags.b[:8]+" ") {
			t.Errorf("field lacks header.b=%s:\n%s", tags.b[:8], ar.Header)
		}
	}
}

// header.b is at least 8 characters of b=, and longer where another
// signature's b= starts alike (RFC 6008 4).
func TestS17F2HeaderB(t *testing.T) {
	t.Parallel()
	got := headerB([]string{"ABCDEFGHIJKxyz", "ABCDEFGHIJKuvw", "zzzzzzzzzzzz", "short"})
	want := []string{"ABCDEFGHIJKx", "ABCDEFGHIJKu", "zzzzzzzz", "short"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("headerB = %q, want %q", got, want)
	}
	// The same signature twice is not told apart from itself.
	if got := headerB([]string{"ABCDEFGHIJK", "ABCDEFGHIJK"}); got[0] != "ABCDEFGH" {
		t.Errorf("headerB of twins = %q", got)
	}
}

// A null sender's spf= names the HELO identity; a subdomain's dmarc=
// names where the policy was found (polrec.domain) rather than a p= that
// may be the sp= it applied; a reason with ";" (two From fields) and a
// signature whose tags need quoting leave a field go-msgauth still reads.
func TestS17F2AuthResultsEdges(t *testing.T) {
	t.Parallel()
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	ar := s16wdVerify(t, key, "192.0.2.1", "", s16wdMsg("<a@sub.shop.test>"))
	s17f2Parse(t, ar)
	for _, want := range []string{"spf=none (relaylab: domain of postmaster@mta.shop.test does not designate permitted sender hosts, client IP 192.0.2.1) smtp.helo=mta.shop.test",
		"dkim=none", "dmarc=fail (policy for failing mail is reject) header.from=sub.shop.test polrec.domain=shop.test"} {
		if !strings.Contains(flat(ar.Header), want) {
			t.Errorf("null sender, subdomain: field lacks %q:\n%s", want, ar.Header)
		}
	}
	if strings.Contains(flat(ar.Header), "polrec.p=") {
		t.Errorf("subdomain: polrec.p given:\n%s", ar.Header)
	}

	ar = s16wdVerify(t, key, "192.0.2.1", "a@shop.test", []byte("From: <a@shop.test>\r\nFrom: <b@shop.test>\r\n\r\nHi.\r\n"))
	s17f2Parse(t, ar)
	if !strings.Contains(flat(ar.Header), `dmarc=permerror reason="no single From address: the message has 2 From fields`) || strings.Count(flat(ar.Header), ";") != 3 {
		t.Errorf("two From fields: field %q, want a permerror reason without ;", ar.Header)
	}

	odd := []byte("DKIM-Signature: v=1; a=rsa-sha256; d=shop.test; s=x\"y\\; b=AAAA; bh=AAAA; h=From\r\n" + string(s16wdMsg("<a@shop.test>")))
	ar = s16wdVerify(t, key, "192.0.2.1", "a@shop.test", odd)
	results := s17f2Parse(t, ar)
	if len(results) != 3 || strings.Contains(flat(ar.Header), "header.s=") || !strings.Contains(flat(ar.Header), "header.a=rsa-sha256 header.b=AAAA header.d=shop.test") {
		t.Errorf("a selector that needs quoting: field %q, want it left out", ar.Header)
	}
}

// UncheckedHeader, the field of a message that could not be checked,
// reads back whatever its reason holds.
func TestS17F2UncheckedHeader(t *testing.T) {
	t.Parallel()
	h := UncheckedHeader("relaylab", authres.ResultTempError, "resolver: no servers; pass one (such as 127.0.0.1:53) \\ \"quoted\"\r\nX-Evil: 1")
	results := s17f2Parse(t, AuthResults{Header: h})
	if len(results) != 3 || strings.Contains(h, "\r\nX-Evil") {
		t.Errorf("field %q: %d results", h, len(results))
	}
	for _, r := range results {
		if v, _ := authresValue(r); v != authres.ResultTempError {
			t.Errorf("result %+v, want temperror", r)
		}
	}
}

func authresValue(r authres.Result) (authres.ResultValue, bool) {
	switch r := r.(type) {
	case *authres.SPFResult:
		return r.Value, true
	case *authres.DKIMResult:
		return r.Value, true
	case *authres.DMARCResult:
		return r.Value, true
	}
	return "", false
}
