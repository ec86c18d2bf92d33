package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/dnstest"
)

// fp22Key512 is a 512-bit RSA key (Go makes one only with
// GODEBUG=rsa1024min=0) and the record that publishes it.
const (
	fp22Key512 = `-----BEGIN PRIVATE KEY-----
MIIBVQIBADANBgkqhkiG9w0BAQEFAASCAT8wggE7AgEAAkEA7axtT+W83060S5tF
aC9bRA/5Ja7ABKqNRmwzvBt8ZSr97wUUu7IsWiok7tspQ6bPrgZnO5DmSDpDhNf5
b6KW3QIDAQABAkAfe2yLXcoT5k/5h9q8vzEepeMBu9ERjSnjfyenLhjfKX5abPSk
J+NP0CCk7d6RNLmbQ0BgzPYh6bZcIDjrbayBAiEA9tIw/GWameqdGL/GC21YO7V1
exgdJ+GHROooTCbFfeECIQD2gyYLgUdj+AQsJilU8349J1dH2ZIIGX/wmfYY0Hgg
fQIgfmzhvJbKnuZGu6OXbMkAde0XlQqf/IqPwCP0qjT92eECIQD0eEforQMBz1tD
9WyUBQ6y0ysp5EmAotlQ4T9AiK45eQIhAOkb82xYS7T/qrn11BFdLl/Kzf1laUDH
D++S25HXxpee
-----END PRIVATE KEY-----
`
	fp22Rec512 = "v=DKIM1; k=rsa; p=MFwwDQYJKoZIhvcNAQEBBQADSwAwSAJBAO2sbU/lvN9OtEubRWgvW0QP+SWuwASqjUZsM7wbfGUq/e8FFLuyLFoqJO7bKUOmz64GZzuQ5kg6Q4TX+W+ilt0CAwEAAQ=="
)

// TestFP22DKIMCheckWeakKeySummary: a 512-bit key whose record matches
// it is an error (the relay refuses to sign with it), and neither the
// findings nor the closing line say otherwise: no "receivers can verify
// the relay's signatures", no "publish the records above" where there is
// no record to publish. Before, both were said.
func TestFP22DKIMCheckWeakKeySummary(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "weak.pem")
	os.WriteFile(file, []byte(fp22Key512), 0o600)
	srv := dnstest.Start(t)
	if err := srv.AddString("shop.test. 300 IN SOA ns.shop.test. h.shop.test. 1 7200 3600 1209600 300",
		`s1._domainkey.shop.test. 300 IN TXT "`+fp22Rec512+`"`); err != nil {
		t.Fatal(err)
	}
	code, out, errs := runCmd(t, "", "dkim", "check", "--domain", "shop.test", "--selector", "s1", "--key", file, "--resolver", srv.Addr, "--timeout", "1s")
	if code != 1 || !strings.Contains(out, "dkim.weak-key") {
		t.Fatalf("exit %d, want 1 with dkim.weak-key\nstdout:\n%s\nstderr:\n%s", code, out, errs)
	}
	if strings.Contains(out, "receivers can verify") || strings.Contains(out, "  publish ") {
		t.Errorf("stdout says receivers can verify, or offers a record to publish, for a key the relay refuses:\n%s", out)
	}
	if !strings.Contains(out, "too short for receivers to accept") {
		t.Errorf("stdout does not say the record's key is too short:\n%s", out)
	}
	if strings.Contains(errs, "publish the record") || !strings.Contains(errs, "s1._domainkey.shop.test") || !strings.Contains(errs, "the errors above say what to do") {
		t.Errorf("stderr %q: want the key named, with the errors above to follow and no record to publish", errs)
	}
}
