package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestS24DKIMConfigFindings: a relay.dkim key file that does not exist is
// one error at its key (it was two: a stat error, then the relay's own);
// a relay.dkim domain that is a public suffix, whose key signs no mail,
// is a warning at its file, line and key.
func TestS24DKIMConfigFindings(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	missing := filepath.Join(dir, "missing.yaml")
	os.WriteFile(missing, []byte("relay:\n  dkim:\n    - {domain: shop.test, selector: s1, key_file: nowhere.pem}\n"), 0o600)
	code, _, errOut := runIn(t, context.Background(), "config", "--config", missing)
	if code != 2 || strings.Count(errOut, "nowhere.pem") != 1 || !strings.Contains(errOut, "relay.dkim[0].key") {
		t.Errorf("a missing key file: exit %d, want 2 and one error naming it:\n%s", code, errOut)
	}
	key := filepath.Join(dir, "k.pem")
	os.WriteFile(key, keyPEM(t), 0o600)
	suffix := filepath.Join(dir, "suffix.yaml")
	os.WriteFile(suffix, []byte("relay:\n  dkim:\n    - {domain: co.uk, selector: s1, key_file: k.pem}\n"), 0o600)
	code, _, errOut = runIn(t, context.Background(), "config", "--config", suffix)
	if code != 0 || !strings.Contains(errOut, "warning: "+suffix+":3:") || !strings.Contains(errOut, "relay.dkim[0].domain: ") {
		t.Errorf("a public-suffix domain: exit %d, want 0 and a warning at its line and key:\n%s", code, errOut)
	}
}
