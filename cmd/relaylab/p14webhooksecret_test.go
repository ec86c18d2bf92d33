package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestP14ConfigHidesWebhookSecret: relaylab config prints
// probe.webhook.secret as <redacted> unless --show-secrets, and refuses
// the printout loaded back, as it does every secret.
func TestP14ConfigHidesWebhookSecret(t *testing.T) {
	t.Parallel()
	cfg := filepath.Join(t.TempDir(), "relaylab.yaml")
	os.WriteFile(cfg, []byte("probe:\n  webhook: {url: \"http://127.0.0.1:9/hook\", secret: \"hmac-secret-0123456789\"}\n"), 0o644) //nolint:errcheck
	code, out, errs := runCmd(t, "", "config", "--config", cfg)
	if code != 0 || strings.Contains(out, "hmac-secret-0123456789") || !strings.Contains(out, "secret: "+redacted) {
		t.Fatalf("config: exit %d, %s; want the secret shown as %s:\n%s", code, errs, redacted, out)
	}
	printed := filepath.Join(t.TempDir(), "printed.yaml")
	os.WriteFile(printed, []byte(out), 0o644) //nolint:errcheck
	if code, _, errs := runCmd(t, "", "config", "--config", printed); code != 2 || !strings.Contains(errs, "probe.webhook.secret") {
		t.Errorf("the printout loaded back: exit %d, %q; want exit 2 naming probe.webhook.secret", code, errs)
	}
	code, full, _ := runCmd(t, "", "config", "--show-secrets", "--config", cfg)
	if code != 0 || !strings.Contains(full, "hmac-secret-0123456789") {
		t.Errorf("config --show-secrets: exit %d, secret not shown:\n%s", code, full)
	}
}
