package main

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/dnstest"
	"github.com/relaylab/relaylab/relay"
)

// s17f2Key writes a new private key (ed25519, or RSA of bits) to dir and
// returns it, its file and the TXT value that publishes it.
func s17f2Key(t *testing.T, dir, name string, bits int) (crypto.Signer, string, string) {
	t.Helper()
	var key crypto.Signer
	if bits == 0 {
		_, k, err := ed25519.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		key = k
	} else {
		k, err := rsa.GenerateKey(rand.Reader, bits)
		if err != nil {
			t.Fatal(err)
		}
		key = k
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, name)
	if err := os.WriteFile(file, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	rec, err := relay.DNSRecord(key)
	if err != nil {
		t.Fatal(err)
	}
	return key, file, rec
}

// dkim check looks each key's record up on a loopback DNS server and
// says, per key, whether receivers can verify the relay's signatures
// with it, and what to publish when they cannot; exit 1 when a key would
// fail, 3 when a lookup could not be completed.
func TestS17F2DKIMCheck(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	_, edFile, edRec := s17f2Key(t, dir, "ed.pem", 0)
	_, _, otherRec := s17f2Key(t, dir, "other.pem", 0)
	_, rsaFile, rsaRec := s17f2Key(t, dir, "rsa.pem", 1024)
	srv := dnstest.Start(t)
	q := func(v string) string { return `"` + v + `"` }
	if err := srv.AddString("shop.test. 300 IN SOA ns.shop.test. h.shop.test. 1 7200 3600 1209600 300",
		"match._domainkey.shop.test. 300 IN TXT "+q(edRec),
		"rotated._domainkey.shop.test. 300 IN TXT "+q(otherRec),
		"revoked._domainkey.shop.test. 300 IN TXT "+q("v=DKIM1; k=ed25519; p="),
		"testing._domainkey.shop.test. 300 IN TXT "+q(strings.Replace(edRec, "p=", "t=y; p=", 1)),
		"sha1._domainkey.shop.test. 300 IN TXT "+q(strings.Replace(edRec, "p=", "h=sha1; p=", 1)),
		"web._domainkey.shop.test. 300 IN TXT "+q(strings.Replace(edRec, "p=", "s=web; p=", 1)),
		"rsa._domainkey.shop.test. 300 IN TXT "+txtStrings(rsaRec),
		"notdkim._domainkey.shop.test. 300 IN TXT "+q("hello"),
		"slow._domainkey.shop.test. 300 IN TXT "+q(edRec),
	); err != nil {
		t.Fatal(err)
	}
	srv.Set("slow._domainkey.shop.test", dnstest.Timeout)
	publish := `publish SEL._domainkey.shop.test. IN TXT "` + edRec + `"`
	for _, tt := range []struct {
		selector, file string
		code           int
		want           []string
		publish        bool
	}{
		{"match", edFile, 0, []string{"relaylab dkim check: OK", "match._domainkey.shop.test (--key: " + edFile + ", ed25519)  ok", "publishes the public half of " + edFile, "dkim.match"}, false},
		{"rotated", edFile, 1, []string{"ERROR", "publishes another public key than that of " + edFile, "record dkim=fail", "rotated without its record being updated", "dkim.key-mismatch", "record: " + otherRec}, true},
		{"revoked", edFile, 1, []string{"is revoked (empty p=)", `"key revoked", RFC 6376 6.1.2`, "dkim.revoked"}, true},
		{"missing", edFile, 1, []string{"there is no missing._domainkey.shop.test (NXDOMAIN)", `"no key for signature"`, "dkim.missing"}, true},
		{"notdkim", edFile, 1, []string{"none is a DKIM key record", "dkim.missing"}, true},
		{"testing", edFile, 0, []string{"WARNING", "has t=y (testing)", "dkim.testing"}, true},
		{"sha1", edFile, 1, []string{"allows only h=sha1, and the relay signs with sha256", `"inappropriate hash algorithm"`, "dkim.hash"}, true},
		{"web", edFile, 1, []string{"has s=web, which names neither email nor *", "dkim.service"}, true},
		{"rsa", edFile, 1, []string{"publishes a key of type k=rsa, but " + edFile + " is an ed25519 key", `"inappropriate key algorithm"`, "dkim.key-type"}, true},
		{"rsa", rsaFile, 0, []string{"WARNING", "(--key: " + rsaFile + ", rsa, 1024 bits)  warning", "is an RSA key of 1024 bits: allowed, but 2048 bits", "dkim.short-key", "dkim.match"}, false},
		{"slow", edFile, 3, []string{"UNKNOWN", "the lookup of slow._domainkey.shop.test failed", "timed out", "dkim.dns-error"}, false},
	} {
		code, out, errs := runCmd(t, "", "dkim", "check", "--domain", "shop.test", "--selector", tt.selector, "--key", tt.file, "--resolver", srv.Addr, "--timeout", "200ms")
		if code != tt.code {
			t.Errorf("%s with %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", tt.selector, filepath.Base(tt.file), code, tt.code, out, errs)
		}
		for _, w := range append(tt.want, "via "+srv.Addr) {
			if !strings.Contains(out, w) {
				t.Errorf("%s with %s: stdout lacks %q:\n%s", tt.selector, filepath.Base(tt.file), w, out)
			}
		}
		if p := strings.ReplaceAll(publish, "SEL", tt.selector); strings.Contains(out, p) != tt.publish {
			t.Errorf("%s with %s: publishes (%q) %v, want %v:\n%s", tt.selector, filepath.Base(tt.file), p, !tt.publish, tt.publish, out)
		}
	}
}

// With --config, dkim check checks every relay.dkim key, through
// relay.resolvers when no --resolver is given, naming each key's place
// in the file.
func TestS17F2DKIMCheckConfig(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	_, _, shopRec := s17f2Key(t, dir, "shop.pem", 0)
	_, _, bankRec := s17f2Key(t, dir, "bank.pem", 0)
	_, _, oldRec := s17f2Key(t, dir, "old.pem", 0)
	srv := dnstest.Start(t)
	if err := srv.AddString("test. 300 IN SOA ns.test. h.test. 1 7200 3600 1209600 300",
		`s1._domainkey.shop.test. 300 IN TXT "`+shopRec+`"`,
		`s2._domainkey.bank.test. 300 IN TXT "`+oldRec+`"`); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "relaylab.yaml")
	os.WriteFile(cfg, []byte("relay:\n  resolvers: ['"+srv.Addr+"']\n  dkim:\n"+
		"    - {domain: Shop.Test., selector: s1, key_file: shop.pem}\n"+
		"    - {domain: bank.test, selector: s2, key_file: bank.pem}\n"), 0o600)
	code, out, errs := runCmd(t, "", "dkim", "check", "--config", cfg)
	if code != 1 || !strings.Contains(errs, "under s2._domainkey.bank.test") {
		t.Errorf("exit %d, stderr %q; want 1 naming s2._domainkey.bank.test", code, errs)
	}
	for _, w := range []string{"via " + srv.Addr, "s1._domainkey.shop.test (relay.dkim[0]: " + filepath.Join(dir, "shop.pem") + ", ed25519)  ok",
		"s2._domainkey.bank.test (relay.dkim[1]: " + filepath.Join(dir, "bank.pem") + ", ed25519)  error", "dkim.key-mismatch",
		`publish s2._domainkey.bank.test. IN TXT "` + bankRec + `"`} {
		if !strings.Contains(out, w) {
			t.Errorf("stdout lacks %q:\n%s", w, out)
		}
	}
	// One key of the file's, checked through its resolvers.
	if code, out, errs := runCmd(t, "", "dkim", "check", "--config", cfg, "--domain", "shop.test", "--selector", "s1", "--key", filepath.Join(dir, "shop.pem")); code != 0 || strings.Contains(out, "bank.test") {
		t.Errorf("one key with --config: exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
}

// dkim check and keygen refuse flags that do not go together, and a
// selector the relay would refuse, with exit 2.
func TestS17F2DKIMCheckUsage(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	_, key, _ := s17f2Key(t, dir, "k.pem", 0)
	empty := filepath.Join(dir, "empty.yaml")
	os.WriteFile(empty, []byte("relay:\n  hostname: relay.shop.test\n"), 0o600)
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"dkim", "check"}, "give --config FILE to check its relay.dkim keys, or --domain, --selector and --key"},
		{[]string{"dkim", "check", "--domain", "shop.test", "--key", key}, "--domain, --selector and --key go together"},
		{[]string{"dkim", "check", "--domain", "shop.test", "--selector", "s_1", "--key", key, "--resolver", "127.0.0.1:1"}, `--selector "s_1" holds '_'`},
		{[]string{"dkim", "check", "--config", empty}, "has no relay.dkim keys"},
		{[]string{"dkim", "check", "--domain", "shop.test", "--selector", "s1", "--key", filepath.Join(dir, "nope.pem"), "--resolver", "127.0.0.1:1"}, "--key: the key file cannot be read"},
		{[]string{"dkim", "check", "--domain", "shop.test", "--selector", "s1", "--key", empty, "--resolver", "127.0.0.1:1"}, "is not a private key the relay can sign with"},
		{[]string{"dkim", "check", "--config", empty, "--domain", "shop.test"}, "with --config they name one key to check through the file's resolvers; without them, --config checks every relay.dkim key"},
		{[]string{"dkim", "check", "--domain", "shop.test", "--selector", "s1", "--key", key, "--resolver", "127.0.0.1:1", "--zone", dir}, "--zone and --resolver together"},
		{[]string{"dkim", "check", "--domain", "shop.test", "--selector", "s1", "--key", key, "--out", "x"}, "--out applies to dkim keygen only"},
		{[]string{"dkim", "keygen", "--domain", "shop.test", "--selector", "s1", "--out", filepath.Join(dir, "n.pem"), "--key", key}, "--key applies to dkim check only"},
		{[]string{"dkim", "keygen", "--domain", "shop.test", "--selector", "s_1", "--out", filepath.Join(dir, "n.pem")}, `--selector "s_1" holds '_'`},
		{[]string{"dkim", "frob"}, "relaylab dkim: no action \"frob\": dkim takes keygen or check (relaylab dkim --help)\n"},
		{[]string{"dkim"}, "relaylab dkim: say keygen or check\n"},
	} {
		code, out, errs := runIn(t, context.Background(), tt.args...)
		if code != 2 || !strings.Contains(errs, tt.want) || strings.Contains(out, "IN TXT") {
			t.Errorf("%q: exit %d, stdout %q, stderr %q; want 2 and %q", tt.args, code, out, errs, tt.want)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "n.pem")); err == nil {
		t.Error("a refused keygen wrote a key")
	}
}
