package relay

import (
	"bufio"
	"bytes"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"io"
	"log/slog"
	"net/textproto"
	"strings"
	"sync"
	"testing"

	"github.com/emersion/go-msgauth/dkim"
	"github.com/relaylab/relaylab/internal/config"
)

// fr22bKeys are one RSA (2048 bits) and one Ed25519 key, written to
// files, made once for the tests of this file (an RSA key takes a while).
var fr22bKeys = sync.OnceValues(func() (crypto.Signer, crypto.Signer) {
	r, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	_, e, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		panic(err)
	}
	return r, e
})

// fr22bLookup serves the DKIM records of keys, by
// "SELECTOR._domainkey.DOMAIN", as a resolver would.
func fr22bLookup(t *testing.T, keys map[string]crypto.Signer) func(string) ([]string, error) {
	t.Helper()
	recs := map[string]string{}
	for name, k := range keys {
		rec, err := DNSRecord(k)
		if err != nil {
			t.Fatal(err)
		}
		recs[name] = rec
	}
	return func(name string) ([]string, error) {
		if rec, ok := recs[name]; ok {
			return []string{rec}, nil
		}
		return nil, fmt.Errorf("no TXT record at %s", name)
	}
}

// fr22bDecode reads a relaylab.yaml whose relay.dkim holds entries.
func fr22bDecode(entries ...string) (*fileWithRelay, error) {
	f := &fileWithRelay{Relay: DefaultConfig()}
	y := "relay:\n  dkim:\n"
	for _, e := range entries {
		y += "    - " + e + "\n"
	}
	return f, config.Decode("relaylab.yaml", []byte(y), f)
}

func fr22bEntry(domain, selector, file string) string {
	return "{domain: '" + domain + "', selector: " + selector + ", key_file: '" + file + "'}"
}

// A domain may have an RSA and an Ed25519 key (RFC 8463: Ed25519 beside
// RSA, for the receivers that implement it): its mail carries two
// DKIM-Signature fields, the RSA one first (added last, RFC 6376 5.6),
// over the same header fields, and each verifies. A second entry for a
// domain was refused ("a domain signs with one key").
func TestFR22BDKIMRSAAndEd25519BothVerify(t *testing.T) {
	t.Parallel()
	rsaKey, edKey := fr22bKeys()
	rsaFile, edFile := writeKey(t, rsaKey), writeKey(t, edKey)
	// Ed25519 written first: the order of the entries does not change
	// the order of the signatures.
	f, err := fr22bDecode(fr22bEntry("shop.test", "ed1", edFile), fr22bEntry("Shop.Test.", "rsa1", rsaFile))
	if err != nil {
		t.Fatalf("an RSA and an Ed25519 key for shop.test: %v, want them taken", err)
	}
	s, err := newDKIMSigner(f.Relay.DKIM, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	msg := []byte("From: Shop <news@shop.test>\r\nTo: b@r.test\r\nSubject: hi\r\nDate: Thu, 1 Jan 2026 00:00:00 +0000\r\nMessage-ID: <1@shop.test>\r\n\r\nbody\r\n")
	out := s.SignQueued("Q1", "bounce@shop.test", msg)
	lookup := fr22bLookup(t, map[string]crypto.Signer{"rsa1._domainkey.shop.test": rsaKey, "ed1._domainkey.shop.test": edKey})
	vs, err := dkim.VerifyWithOptions(bytes.NewReader(out), &dkim.VerifyOptions{LookupTXT: lookup})
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != 2 {
		t.Fatalf("%d signatures, want 2 (RSA and Ed25519):\n%s", len(vs), out)
	}
	for _, v := range vs {
		if v.Err != nil || v.Domain != "shop.test" {
			t.Errorf("signature %+v: want a valid one of d=shop.test", v)
		}
	}
	if fmt.Sprint(vs[0].HeaderKeys) != fmt.Sprint(vs[1].HeaderKeys) {
		t.Errorf("h= differs: %v and %v, want the same fields signed by both", vs[0].HeaderKeys, vs[1].HeaderKeys)
	}
	for _, k := range vs[0].HeaderKeys {
		if strings.EqualFold(k, "DKIM-Signature") {
			t.Errorf("h= %v lists DKIM-Signature: each signature should verify without the other", vs[0].HeaderKeys)
		}
	}
	h, err := textproto.NewReader(bufio.NewReader(bytes.NewReader(out))).ReadMIMEHeader()
	if err != nil && err != io.EOF {
		t.Fatal(err)
	}
	sigs := h["Dkim-Signature"]
	if len(sigs) != 2 || !strings.Contains(sigs[0], "a=rsa-sha256") || !strings.Contains(sigs[1], "a=ed25519-sha256") {
		t.Errorf("DKIM-Signature fields %q: want the RSA one first, then the Ed25519 one", sigs)
	}
	// Each alone: a receiver without Ed25519 still verifies the RSA one.
	rsaOnly := fr22bLookup(t, map[string]crypto.Signer{"rsa1._domainkey.shop.test": rsaKey})
	vs, _ = dkim.VerifyWithOptions(bytes.NewReader(out), &dkim.VerifyOptions{LookupTXT: rsaOnly})
	if len(vs) != 2 || vs[0].Err != nil {
		t.Errorf("with only the RSA record: %+v, want the first (RSA) signature valid", vs)
	}
}

// Mail delivered by the relay through a domain with both keys carries
// both signatures, each valid.
func TestFR22BDKIMDeliveredWithBothSignatures(t *testing.T) {
	t.Parallel()
	rsaKey, edKey := fr22bKeys()
	mta := startMTA(t, nil)
	cfg := testConfig(mta.addr)
	cfg.DKIM = []DKIMConfig{
		{Domain: "signed.test", Selector: "r1", KeyFile: writeKey(t, rsaKey)},
		{Domain: "signed.test", Selector: "e1", KeyFile: writeKey(t, edKey)},
	}
	h := newHarness(t, cfg, Options{})
	id := h.enqueue("alice@signed.test", "b@r.test")
	h.runUntil("delivery", h.done(id, 1))
	lookup := fr22bLookup(t, map[string]crypto.Signer{"r1._domainkey.signed.test": rsaKey, "e1._domainkey.signed.test": edKey})
	got := mta.received()
	if len(got) != 1 {
		t.Fatalf("%d messages received, want 1", len(got))
	}
	vs, err := dkim.VerifyWithOptions(bytes.NewReader(got[0].data), &dkim.VerifyOptions{LookupTXT: lookup})
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != 2 || vs[0].Err != nil || vs[1].Err != nil {
		t.Errorf("verifications %+v, want two valid signatures", vs)
	}
}

// Two keys of one type for a domain, or two entries of a domain with one
// selector, are refused at the later entry, naming the earlier and why;
// an RSA and an Ed25519 key are taken, and so are two domains with the
// same selector.
func TestFR22BDKIMKeysPerDomain(t *testing.T) {
	t.Parallel()
	rsaKey, edKey := fr22bKeys()
	rsaA, rsaB := writeKey(t, rsaKey), writeKey(t, rsaKey)
	edA, edB := writeKey(t, edKey), writeKey(t, edKey)
	for _, tt := range []struct {
		name    string
		entries []string
		want    []string // nil: taken
	}{
		{"rsa and ed25519", []string{fr22bEntry("shop.test", "r", rsaA), fr22bEntry("shop.test", "e", edA)}, nil},
		{"one selector, two domains", []string{fr22bEntry("shop.test", "s1", rsaA), fr22bEntry("bank.test", "s1", rsaB)}, nil},
		{"two rsa", []string{fr22bEntry("shop.test", "r1", rsaA), fr22bEntry("SHOP.test", "r2", rsaB)}, []string{
			`relaylab.yaml:4:16: relay.dkim[1].domain: "SHOP.test" is the domain shop.test of dkim[0] again, and both are RSA keys (` + rsaA + " and " + rsaB + ")",
			"one RSA and one Ed25519 key at most", "make this one an Ed25519 key (relaylab dkim keygen --type ed25519)"}},
		{"two ed25519", []string{fr22bEntry("shop.test", "e1", edA), fr22bEntry("shop.test", "e2", edB)}, []string{
			`relay.dkim[1].domain: "shop.test" is the domain shop.test of dkim[0] again, and both are Ed25519 keys`, "--type rsa"}},
		{"third key", []string{fr22bEntry("shop.test", "r1", rsaA), fr22bEntry("shop.test", "e1", edA), fr22bEntry("shop.test", "r2", rsaB)}, []string{
			`relay.dkim[2].domain: "shop.test" is the domain shop.test of dkim[0] again, and both are RSA keys`}},
		{"one selector", []string{fr22bEntry("shop.test", "s1", rsaA), fr22bEntry("shop.test", "S1", edA)}, []string{
			`relay.dkim[1].domain: "shop.test" is the domain shop.test of dkim[0] again, with the same selector S1: both keys would be published at s1._domainkey.shop.test`,
			"give each key its own selector"}},
	} {
		_, err := fr22bDecode(tt.entries...)
		if tt.want == nil {
			if err != nil {
				t.Errorf("%s: %v, want it taken", tt.name, err)
			}
			continue
		}
		for _, w := range tt.want {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %v, want %q", tt.name, err, w)
			}
		}
	}
	// The signer keeps no more than the configuration allows.
	s := &dkimSigner{keys: map[string]dkimKey{}}
	for i, k := range []dkimKey{{selector: "r", signer: rsaKey}, {selector: "e", signer: edKey}} {
		if err := s.add("shop.test", k); err != nil {
			t.Fatalf("key %d: %v", i, err)
		}
	}
	if err := s.add("shop.test", dkimKey{selector: "r2", signer: rsaKey}); err == nil {
		t.Error("a third key for shop.test was taken")
	}
}

// A domain whose only key is Ed25519 is warned of at its entry, at its
// line: receivers that do not implement Ed25519 see its mail as unsigned.
// One with an RSA key too, or an RSA key alone, is not.
func TestFR22BDKIMEd25519OnlyWarns(t *testing.T) {
	t.Parallel()
	rsaKey, edKey := fr22bKeys()
	rsaFile, edFile := writeKey(t, rsaKey), writeKey(t, edKey)
	for _, tt := range []struct {
		name    string
		entries []string
		want    string // "" for no warning
	}{
		{"ed25519 alone", []string{fr22bEntry("bank.test", "r1", rsaFile), fr22bEntry("Shop.Test.", "e1", edFile)},
			"relaylab.yaml:4:7: relay.dkim[1]: the Ed25519 key " + edFile + " is the only key of shop.test: receivers that do not implement Ed25519 (RFC 8463) see its mail as unsigned"},
		{"beside rsa", []string{fr22bEntry("shop.test", "e1", edFile), fr22bEntry("shop.test", "r1", rsaFile)}, ""},
		{"rsa alone", []string{fr22bEntry("shop.test", "r1", rsaFile)}, ""},
	} {
		f, err := fr22bDecode(tt.entries...)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		var got []string
		y := "relay:\n  dkim:\n    - " + strings.Join(tt.entries, "\n    - ") + "\n"
		for _, w := range f.Relay.Warnings("relay") {
			got = append(got, config.Locate("relaylab.yaml", []byte(y), w).Error())
		}
		switch {
		case tt.want == "" && len(got) != 0:
			t.Errorf("%s: warnings %q, want none", tt.name, got)
		case tt.want != "" && (len(got) != 1 || !strings.HasPrefix(got[0], tt.want) || !strings.Contains(got[0], "add an RSA key beside it")):
			t.Errorf("%s: warnings %q, want one starting %q that says to add an RSA key", tt.name, got, tt.want)
		}
	}
}

// fr22bFailSigner is a key of a type DKIM does not know: signing with it
// fails.
type fr22bFailSigner struct{}

func (fr22bFailSigner) Public() crypto.PublicKey { return "none" }
func (fr22bFailSigner) Sign(io.Reader, []byte, crypto.SignerOpts) ([]byte, error) {
	return nil, fmt.Errorf("no")
}

// Each line the signer logs about a message names its queue id (id=),
// as the relay's other lines about a message do: the one for a message
// with two From fields had none.
func TestFR22BDKIMLogLinesNameQueueID(t *testing.T) {
	t.Parallel()
	_, edKey := fr22bKeys()
	var log bytes.Buffer
	s := &dkimSigner{keys: map[string]dkimKey{}, log: slog.New(slog.NewTextHandler(&log, nil))}
	if err := s.add("shop.test", dkimKey{selector: "e1", signer: edKey}); err != nil {
		t.Fatal(err)
	}
	if err := s.add("fail.test", dkimKey{selector: "x", signer: fr22bFailSigner{}}); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ name, sender, msg, line string }{
		{"two From fields", "a@shop.test", "From: a@shop.test\r\nFrom: b@shop.test\r\n\r\nx\r\n", "not signing a message with 2 From fields"},
		{"From not one address, signed", "a@shop.test", "From: a@, b@\r\n\r\nx\r\n", "the From field is not one address; signing"},
		{"From not one address, unsigned", "a@other.test", "From: a@, b@\r\n\r\nx\r\n", "not signing: the From field is not one address"},
		{"signing fails", "a@fail.test", "From: a@fail.test\r\n\r\nx\r\n", "DKIM signing failed"},
	} {
		log.Reset()
		s.SignQueued("Q7", tt.sender, []byte(tt.msg))
		if !strings.Contains(log.String(), tt.line) || !strings.Contains(log.String(), " id=Q7 ") {
			t.Errorf("%s: logged %q, want a line %q with id=Q7", tt.name, log.String(), tt.line)
		}
	}
}
