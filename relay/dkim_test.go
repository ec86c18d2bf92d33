package relay

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"log/slog"
	"os"
	"path/filepath"
	"testing"

	"github.com/emersion/go-msgauth/dkim"
)

func writeKey(t *testing.T, key crypto.Signer) string {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "key.pem")
	if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestDKIMSignedDelivery(t *testing.T) {
	t.Parallel()
	rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	_, edKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	for name, key := range map[string]crypto.Signer{"rsa": rsaKey, "ed25519": edKey} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			mta := startMTA(t, nil)
			cfg := testConfig(mta.addr)
			cfg.DKIM = []DKIMConfig{{Domain: "signed.test", Selector: "s1", KeyFile: writeKey(t, key)}}
			h := newHarness(t, cfg, Options{})
			id1 := h.enqueue("alice@signed.test", "b@r.test")
			id2 := h.enqueue("alice@other.test", "b@r.test")
			h.runUntil("delivery", func() bool { return h.done(id1, 1)() && h.done(id2, 1)() })
			rec, err := DNSRecord(key)
			if err != nil {
				t.Fatal(err)
			}
			lookup := func(domain string) ([]string, error) {
				if domain == "s1._domainkey.signed.test" {
					return []string{rec}, nil
				}
				return nil, nil
			}
			signed := 0
			for _, m := range mta.received() {
				vs, err := dkim.VerifyWithOptions(bytes.NewReader(m.data), &dkim.VerifyOptions{LookupTXT: lookup})
				if err != nil {
					t.Fatal(err)
				}
				if m.from == "alice@other.test" {
					if len(vs) != 0 {
						t.Errorf("other.test has no key but was signed")
					}
					continue
				}
				if len(vs) != 1 || vs[0].Err != nil || vs[0].Domain != "signed.test" {
					t.Errorf("verification %+v", vs)
				}
				signed++
			}
			if signed != 1 {
				t.Errorf("%d signed messages, want 1", signed)
			}
		})
	}
}

func TestParsePrivateKeyErrors(t *testing.T) {
	t.Parallel()
	for _, in := range []string{"", "not pem", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"} {
		if _, err := ParsePrivateKey([]byte(in)); err == nil {
			t.Errorf("ParsePrivateKey(%q): no error", in)
		}
	}
	if _, err := newDKIMSigner([]DKIMConfig{{Domain: "x.test", Selector: "s", KeyFile: "/nonexistent/key.pem"}}, slog.New(slog.DiscardHandler)); err == nil {
		t.Error("missing key file: no error")
	}
}
