package scenario

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/config"
)

// dkimKey writes a new Ed25519 key as key.pem in dir and returns the
// public half's DKIM record value.
func dkimKey(t *testing.T, dir string) string {
	t.Helper()
	pub, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "key.pem"), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return "v=DKIM1; k=ed25519; p=" + base64.StdEncoding.EncodeToString(pub)
}

// verifyScenario signs good.test's mail with keyFile; the zone lets the
// relay's address (127.0.0.1) send for good.test, and no one for
// spoofed.test; both ask for p=reject.
func verifyScenario(record, keyFile string) string {
	return `name: verify
dns:
  zone: |
    $ORIGIN test.
    good                 TXT "v=spf1 ip4:127.0.0.1 -all"
    s1._domainkey.good   TXT "` + record + `"
    _dmarc.good          TXT "v=DMARC1; p=reject; adkim=s; aspf=s"
    spoofed              TXT "v=spf1 -all"
    _dmarc.spoofed       TXT "v=DMARC1; p=reject"
sink:
  verify: {enabled: true}
  rules:
    - {stage: data-end, dmarc: reject, reply: "550 5.7.26 Unauthenticated email from this domain is not accepted due to its DMARC policy"}
    - {stage: data-end, spf: pass, dkim: pass, dmarc: pass, reply: "250 2.0.0 Accepted: SPF, DKIM and DMARC pass"}
relay:
  dkim: [{domain: good.test, selector: s1, key_file: "` + keyFile + `"}]
messages:
  - {from: news@good.test, to: [reader@inbox.test]}
  - {from: billing@spoofed.test, to: [victim@inbox.test], at: 1m}
expect:
  recipients:
    - {match: reader@inbox.test, status: delivered, attempts: 1, last_reply: "250 2.0.0 Accepted: SPF, DKIM and DMARC pass"}
    - {match: victim@inbox.test, status: bounced, attempts: 1, last_reply: "550 5.7.26 *DMARC policy"}
`
}

// TestSinkVerifiesAgainstScenarioDNS: with sink.verify on, a replay's sink
// checks SPF, DKIM and DMARC against the scenario's own dns.zone (it used
// to fail before the first message, "no Verifier was given"), so that
// rules on the results, and expectations on the replies they give, work.
func TestSinkVerifiesAgainstScenarioDNS(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	sc, err := Parse("verify.yaml", []byte(verifyScenario(dkimKey(t, dir), filepath.Join(dir, "key.pem"))))
	if err != nil {
		t.Fatal(err)
	}
	out := replay(t, sc)
	if len(out.Results) != 2 {
		t.Fatalf("%d results, want 2", len(out.Results))
	}
	for _, r := range out.Results {
		if !r.Pass {
			t.Errorf("%s: %s", r.Name, r.Message)
		}
	}
}

// TestVerifyNeedsDNS: sink.verify without a dns section has no DNS to ask
// (a replay never asks the system's), and sink.verify.resolvers would be
// asked outside the replay: both are refused when the file is read, at
// their line.
func TestVerifyNeedsDNS(t *testing.T) {
	t.Parallel()
	const msgs = "messages:\n  - {from: a@shop.test, to: [b@example.test]}\n"
	for _, tc := range []struct{ name, yaml, want string }{
		{"no dns", "name: x\nsink:\n  verify: {enabled: true}\n" + msgs,
			"bad.yaml:3:21: sink.verify.enabled: a replay's sink checks SPF, DKIM and DMARC against the scenario's own DNS, and this scenario has none: add dns.zone"},
		{"resolvers", "name: x\ndns:\n  zone: |\n    shop.test. TXT \"v=spf1 -all\"\nsink:\n  verify:\n    enabled: true\n    resolvers: [\"127.0.0.1:43953\"]\n" + msgs,
			"bad.yaml:8:16: sink.verify.resolvers: a replay's sink asks the scenario's dns.zone and nothing else"},
		{"relay resolvers", "name: x\nrelay:\n  resolvers: [\"127.0.0.1:43953\"]\n  paths: [{name: d, type: mx}]\n" + msgs,
			"bad.yaml:3:14: relay.resolvers: a replay's relay asks the scenario's dns.zone and nothing else"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse("bad.yaml", []byte(tc.yaml))
			var ce *config.Error
			if err == nil || !errors.As(err, &ce) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
	// A zone without an mx path is what the sink asks.
	if _, err := Parse("ok.yaml", []byte("name: x\ndns:\n  zone: |\n    shop.test. TXT \"v=spf1 -all\"\nsink:\n  verify: {enabled: true}\n"+msgs)); err != nil {
		t.Errorf("sink.verify with a zone and no mx path: %v", err)
	}
}

// TestFilesBesideScenario: a file name the scenario gives that is not
// absolute (relay.dkim's key_file) is taken from the scenario file's
// directory, as a configuration file's are, so that a scenario can carry
// its DKIM key beside it and be replayed from anywhere.
func TestFilesBesideScenario(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "verify.yaml")
	if err := os.WriteFile(path, []byte(verifyScenario(dkimKey(t, dir), "key.pem")), 0o644); err != nil {
		t.Fatal(err)
	}
	sc, err := Load(path)
	if err != nil {
		t.Fatalf("a key file beside the scenario: %v", err)
	}
	if want := filepath.Join(dir, "key.pem"); sc.Relay.DKIM[0].KeyFile != want {
		t.Errorf("relay.dkim[0].key_file = %q, want %q", sc.Relay.DKIM[0].KeyFile, want)
	}
	// A file that is not there is named at its key, with where it was
	// looked for.
	bad := verifyScenario("v=DKIM1; p=", "missing.pem")
	_, err = Parse(path, []byte(bad))
	if want := "relay.dkim[0].key_file: reading the DKIM key: open " + filepath.Join(dir, "missing.pem"); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("error %v, want %q", err, want)
	}
}
