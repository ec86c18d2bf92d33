package relay

import (
	"bytes"
	"crypto/ecdh"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/emersion/go-smtp"
	"github.com/relaylab/relaylab/internal/config"
	"github.com/relaylab/relaylab/internal/testutil"
)

// fd24Submit submits msg from sender to b@r.test over the relay's
// submission listener at addr and returns the reply to the final dot
// (nil for a 250).
func fd24Submit(t *testing.T, addr, sender, msg string) error {
	t.Helper()
	c := dialSubmission(t, addr, false)
	if err := c.Hello("client.test"); err != nil {
		t.Fatal(err)
	}
	if err := c.Mail(sender, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Rcpt("b@r.test", nil); err != nil {
		t.Fatal(err)
	}
	w, err := c.Data()
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte(msg))
	return w.Close()
}

// TestFD24TwoFromsRefusedWhenSigned: walk M4. A message with two From
// fields that a relay.dkim key applies to (its sender's domain or a From
// address's) was taken with 250 and went out unsigned, failing DMARC,
// with a line in the log only. It is refused at the final dot with 554
// 5.6.0 saying how many From fields it has, that RFC 5322 3.6 allows one
// and that it would go out unsigned; one no key applies to is taken, and
// so is one From.
func TestFD24TwoFromsRefusedWhenSigned(t *testing.T) {
	t.Parallel()
	mta := startMTA(t, nil)
	_, cfgs := ed25519Keys(t, "shop.test")
	cfg := testConfig(mta.addr)
	cfg.Listen = "127.0.0.1:0"
	cfg.DKIM = cfgs
	var logs testutil.SyncBuffer
	h := newHarness(t, cfg, Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	addr := h.r.Addr().String()
	var refusal *smtp.SMTPError
	for _, tt := range []struct {
		name, sender, from string
		refused            bool
	}{
		{"sender's domain signed", "bounce@shop.test", "From: <a@other.test>\r\nFrom: <b@other.test>\r\n", true},
		{"a From domain signed", "bounce@esp.test", "From: <news@shop.test>\r\nFrom: <ceo@bank.test>\r\n", true},
		{"a From subdomain signed", "bounce@esp.test", "From: <a@news.shop.test>\r\nfrom: <b@x.test>\r\n", true},
		{"no key applies", "bounce@other.test", "From: <a@other.test>\r\nFrom: <b@other.test>\r\n", false},
		{"one From", "bounce@shop.test", "From: <news@shop.test>\r\n", false},
	} {
		err := fd24Submit(t, addr, tt.sender, tt.from+"To: b@r.test\r\nSubject: hi\r\n\r\nbody\r\n")
		if !tt.refused {
			if err != nil {
				t.Errorf("%s: %v, want 250", tt.name, err)
			}
			continue
		}
		se, ok := err.(*smtp.SMTPError)
		if !ok || se.Code != 554 || se.EnhancedCode != (smtp.EnhancedCode{5, 6, 0}) {
			t.Errorf("%s: reply %v, want 554 5.6.0", tt.name, err)
			continue
		}
		refusal = se
		for _, w := range []string{"has 2 From fields", "RFC 5322 3.6 allows one", "signs shop.test's mail with DKIM", "go out unsigned and fail DMARC", "write one From field"} {
			if !strings.Contains(se.Message, w) {
				t.Errorf("%s: reply %q lacks %q", tt.name, se.Message, w)
			}
		}
	}
	if got := strings.Count(logs.String(), "refused a message with several From fields"); got != 3 {
		t.Errorf("%d refusals logged, want 3:\n%s", got, logs.String())
	}
	// The relay's own classification (relaylab send's too) does not read
	// the refusal as an authentication failure, whose advice is to fix
	// DNS records.
	if refusal != nil {
		v := h.r.Classifier().Classify(Reply{Stage: "data", Code: refusal.Code, Enhanced: "5.6.0", Text: refusal.Message})
		if v.Category == "authentication-failure" || v.Disposition != Bounce {
			t.Errorf("the refusal classifies as %+v, want a bounce that is not authentication-failure", v)
		}
	}
}

// TestFD24LongLineWarnedWhenSigned: walk M5. A line over 998 octets
// (RFC 5322 2.1.1) in a message the relay signs is signed, with a
// warning naming its length, where it is and what to do (a next hop that
// wraps it breaks the signature); the relay.queued note says the same.
// A line of 998 octets, or a message no key signs, gets no word.
func TestFD24LongLineWarnedWhenSigned(t *testing.T) {
	t.Parallel()
	var logs bytes.Buffer
	_, cfgs := ed25519Keys(t, "shop.test")
	s, err := newDKIMSigner(cfgs, slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	r := &Relay{signer: s}
	msg := func(from string, n int) []byte {
		return []byte("From: <" + from + ">\r\nSubject: hi\r\n\r\nfirst\r\n" + strings.Repeat("x", n) + "\r\nlast\r\n")
	}
	long := msg("news@shop.test", 1201)
	out := s.SignQueued("Q1", "bounce@shop.test", long)
	if !bytes.HasPrefix(out, []byte("DKIM-Signature:")) {
		t.Errorf("a message with a long line was not signed:\n%.200s", out)
	}
	got := logs.String()
	for _, w := range []string{"level=WARN", "id=Q1", "line too long for some next hops", "(line 2 of the body) is 1201 octets", "over the 998 that RFC 5322 2.1.1 allows",
		"smtp_line_length_limit", "breaks the DKIM signature", "quoted-printable or base64, or wrap its lines", "octets=1201", "domain=shop.test"} {
		if !strings.Contains(got, w) {
			t.Errorf("the log lacks %q:\n%s", w, got)
		}
	}
	notes := r.queuedNotes("bounce@shop.test", long)
	if len(notes) != 1 || !strings.Contains(notes[0], "the relay signs this message with DKIM, and its longest line (line 2 of the body) is 1201 octets") {
		t.Errorf("relay.queued notes %q", notes)
	}
	for _, tt := range []struct {
		name, sender string
		data         []byte
	}{
		{"998 octets", "bounce@shop.test", msg("news@shop.test", 998)},
		{"no key", "bounce@other.test", msg("a@other.test", 1201)},
	} {
		logs.Reset()
		s.SignQueued("Q2", tt.sender, tt.data)
		if strings.Contains(logs.String(), "too long") {
			t.Errorf("%s: warned:\n%s", tt.name, logs.String())
		}
		if n := r.queuedNotes(tt.sender, tt.data); n != nil {
			t.Errorf("%s: notes %q", tt.name, n)
		}
	}
	// A long header line is said to be in the header.
	if note, octets, _ := longLineNote([]byte("Subject: " + strings.Repeat("y", 1000) + "\r\n\r\nb\r\n")); octets != 1009 || !strings.Contains(note, "(line 1 of the header) is 1009 octets") {
		t.Errorf("header line: %q, %d octets", note, octets)
	}
}

// TestFD24MultiLabelSelector: walk L1. RFC 6376 3.1 makes a selector
// sub-domain *("." sub-domain), so s1.sub is taken, signs as s=s1.sub
// and verifies with the key at s1.sub._domainkey.DOMAIN; each label is
// still checked, and a name too long for DNS is refused.
func TestFD24MultiLabelSelector(t *testing.T) {
	t.Parallel()
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	file := writeKey(t, key)
	decode := func(sel string) error {
		f := &fileWithRelay{Relay: DefaultConfig()}
		return config.Decode("relaylab.yaml", []byte("relay:\n  dkim:\n    - {domain: shop.test, selector: '"+sel+"', key_file: '"+file+"'}\n"), f)
	}
	for _, sel := range []string{"s1.sub", "2026.eu.k1", "S1.Sub"} {
		if err := decode(sel); err != nil {
			t.Errorf("selector %q refused: %v", sel, err)
		}
	}
	for _, tt := range []struct{ sel, want string }{
		{"s1..sub", `"s1..sub" has an empty label`},
		{".s1", "has an empty label"},
		{"s1.", "has an empty label"},
		{"s1.-x", `its label "-x" starts or ends with a hyphen`},
		{"s1.s_2", `holds '_'`},
		{"s1." + strings.Repeat("a", 64), `its label "` + strings.Repeat("a", 64) + `" is 64 characters long, and a DNS label holds at most 63`},
		{strings.Repeat("a23456789.", 24) + "a", "a DNS name holds at most 253 (RFC 1035 2.3.4)"},
	} {
		if err := decode(tt.sel); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("selector %q: error %v, want %q", tt.sel, err, tt.want)
		}
	}
	rec, err := DNSRecord(key)
	if err != nil {
		t.Fatal(err)
	}
	s, err := newDKIMSigner([]DKIMConfig{{Domain: "shop.test", Selector: "s1.sub", KeyFile: file}}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	var asked []string
	vs := s16wdVerify(t, s.Sign("b@shop.test", []byte("From: <a@shop.test>\r\nSubject: hi\r\n\r\nbody\r\n")), func(name string) ([]string, error) {
		asked = append(asked, name)
		if name == "s1.sub._domainkey.shop.test" {
			return []string{rec}, nil
		}
		return nil, nil
	})
	if len(vs) != 1 || vs[0].Err != nil || len(asked) != 1 {
		t.Errorf("signatures %+v, lookups %q; want one valid, found at s1.sub._domainkey.shop.test", vs, asked)
	}
}

// TestFD24PublicSuffixSignsNothing: walk L2. A relay.dkim domain that is
// a public suffix signs no mail (keyFor uses it for no name under it);
// SignsNothing says so, for the configuration's warnings, and nothing of
// an organisation's domain.
func TestFD24PublicSuffixSignsNothing(t *testing.T) {
	t.Parallel()
	for _, d := range []string{"com", "co.uk", "CO.UK.", "github.io", "test"} {
		w := DKIMConfig{Domain: d, Selector: "s1", KeyFile: "k.pem"}.SignsNothing()
		name := strings.ToLower(strings.TrimSuffix(d, "."))
		for _, want := range []string{name + " is a public suffix", "no mail is signed with this key", "RFC 7489 3.2", "k.pem", "example." + name} {
			if !strings.Contains(w, want) {
				t.Errorf("%s: %q lacks %q", d, w, want)
			}
		}
	}
	for _, d := range []string{"shop.test", "shop.co.uk", "me.github.io", "not a domain"} {
		if w := (DKIMConfig{Domain: d}).SignsNothing(); w != "" {
			t.Errorf("%s: %q", d, w)
		}
	}
}

// TestFD24KeyFileFaults: walk L3. A key file that is not there says
// where it was looked for and where a relative name is taken from; a key
// of an algorithm DKIM does not sign with (ECDSA, X25519, Ed448, DSA, an
// unknown one) is named, with the two DKIM does (RFC 6376, RFC 8463),
// rather than in x509's words; an encrypted key and a public key say so.
func TestFD24KeyFileFaults(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, typ string, der []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecPKCS8, err := x509.MarshalPKCS8PrivateKey(ec)
	if err != nil {
		t.Fatal(err)
	}
	ecSEC1, err := x509.MarshalECPrivateKey(ec)
	if err != nil {
		t.Fatal(err)
	}
	x, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	xPKCS8, err := x509.MarshalPKCS8PrivateKey(x)
	if err != nil {
		t.Fatal(err)
	}
	pkcs8 := func(oid asn1.ObjectIdentifier) []byte {
		der, err := asn1.Marshal(struct {
			Version int
			Algo    pkix.AlgorithmIdentifier
			Key     []byte
		}{0, pkix.AlgorithmIdentifier{Algorithm: oid}, make([]byte, 59)})
		if err != nil {
			t.Fatal(err)
		}
		return der
	}
	pub, err := x509.MarshalPKIXPublicKey(&ec.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	const dkimOnly = "DKIM signs with RSA keys (rsaEncryption, for rsa-sha256, RFC 6376 3.3) and Ed25519 keys (ed25519-sha256, RFC 8463) only"
	for _, tt := range []struct {
		name, file string
		want       []string
	}{
		{"missing", filepath.Join(dir, "keys", "gone.pem"), []string{"reading the DKIM key: open " + filepath.Join(dir, "keys", "gone.pem"), "a key_file that is not absolute is taken from the configuration file's directory", "relaylab dkim keygen"}},
		{"ECDSA PKCS#8", write("ec8.pem", "PRIVATE KEY", ecPKCS8), []string{"an ECDSA key (P-256): " + dkimOnly}},
		{"ECDSA SEC1", write("ec1.pem", "EC PRIVATE KEY", ecSEC1), []string{"an ECDSA key (PEM block EC PRIVATE KEY): " + dkimOnly}},
		{"X25519", write("x.pem", "PRIVATE KEY", xPKCS8), []string{"an X25519 key, which is for key agreement, not signing: " + dkimOnly}},
		{"Ed448", write("ed448.pem", "PRIVATE KEY", pkcs8(asn1.ObjectIdentifier{1, 3, 101, 113})), []string{"an Ed448 key (algorithm 1.3.101.113): " + dkimOnly}},
		{"DSA", write("dsa.pem", "PRIVATE KEY", pkcs8(asn1.ObjectIdentifier{1, 2, 840, 10040, 4, 1})), []string{"a DSA key (algorithm 1.2.840.10040.4.1): " + dkimOnly}},
		{"unknown", write("odd.pem", "PRIVATE KEY", pkcs8(asn1.ObjectIdentifier{1, 2, 3, 4})), []string{"a key of algorithm 1.2.3.4: " + dkimOnly}},
		{"encrypted", write("enc.pem", "ENCRYPTED PRIVATE KEY", []byte{0x30, 0}), []string{"encrypted with a passphrase", "openssl pkey"}},
		{"public", write("pub.pem", "PUBLIC KEY", pub), []string{"a public key: key_file is the private key"}},
	} {
		_, err := loadDKIMKey(tt.file)
		if err == nil {
			t.Errorf("%s: loaded", tt.name)
			continue
		}
		for _, w := range tt.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q lacks %q", tt.name, err, w)
			}
		}
		if strings.Contains(err.Error(), "x509:") || strings.Contains(err.Error(), "*ecdsa") {
			t.Errorf("%s: error in x509's or Go's words: %v", tt.name, err)
		}
	}
}

// TestFD24AuthFailureAdviceNamesDKIMCheck: walk L7. The advice for a
// receiver's authentication failure pointed at relaylab probe alone,
// which cannot tell that the relay signs with another key than its
// record publishes; it names relaylab dkim check --config too.
func TestFD24AuthFailureAdviceNamesDKIMCheck(t *testing.T) {
	t.Parallel()
	c, err := NewClassifier(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range []Reply{
		{Stage: "data", Code: 550, Enhanced: "5.7.26", Text: "Unauthenticated email from shop.test is not accepted due to domain's DMARC policy"},
		{Stage: "data", Code: 550, Enhanced: "5.7.9", Text: "This mail has been blocked because the sender is unauthenticated. Yahoo requires all senders to authenticate with either SPF or DKIM"},
		{Stage: "data", Code: 421, Enhanced: "4.7.26", Text: "This mail has been rate limited because it is unauthenticated"},
	} {
		v := c.Classify(r)
		if v.Category != "authentication-failure" || !strings.Contains(v.Advice, "relaylab probe DOMAIN") || !strings.Contains(v.Advice, "relaylab dkim check --config FILE") {
			t.Errorf("%s: verdict %+v, want authentication-failure whose advice names relaylab probe and relaylab dkim check --config", r, v)
		}
	}
}
