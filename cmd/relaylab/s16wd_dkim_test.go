package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// dkim keygen takes a domain in U-labels and publishes it in A-labels,
// as relay.dkim signs for it; --bits is refused for ed25519, whose size
// is fixed, and a 1024-bit RSA key comes with a note that 2048 is advised.
func TestS16WDKeygen(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	code, out, errs := runCmd(t, "", "dkim", "keygen", "--domain", "bücher.test", "--selector", "s1", "--type", "ed25519", "--out", filepath.Join(dir, "a.pem"))
	if code != 0 || !strings.HasPrefix(out, "s1._domainkey.xn--bcher-kva.test. IN TXT") || !strings.Contains(errs, "domain: xn--bcher-kva.test") {
		t.Errorf("U-label domain: exit %d, stdout %q, stderr %q", code, out, errs)
	}
	code, _, errs = runCmd(t, "", "dkim", "keygen", "--domain", "shop.test", "--selector", "s1", "--type", "ed25519", "--bits", "4096", "--out", filepath.Join(dir, "b.pem"))
	if code != 2 || !strings.Contains(errs, "--bits 4096 applies to RSA keys only") {
		t.Errorf("ed25519 with --bits: exit %d, stderr %q", code, errs)
	}
	code, _, errs = runCmd(t, "", "dkim", "keygen", "--domain", "shop.test", "--selector", "s1", "--bits", "1024", "--out", filepath.Join(dir, "c.pem"))
	if code != 0 || !strings.Contains(errs, "2048 bits is the current recommendation") {
		t.Errorf("--bits 1024: exit %d, stderr %q", code, errs)
	}
}
