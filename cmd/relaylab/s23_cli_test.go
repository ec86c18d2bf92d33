package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/relay"
)

// TestConfigWarnsOfAShortIdleTimeout: relaylab config says, at its file,
// line and key, the warning the sink logs at start about a listener's
// idle_timeout under the 5 minutes RFC 5321 asks for; it said nothing, so
// the first word of it came from a running sink's log.
func TestConfigWarnsOfAShortIdleTimeout(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "c.yaml")
	os.WriteFile(cfg, []byte(`sink:
  listeners:
    - name: mx
      listen: 127.0.0.1:0
    - name: slow
      listen: 127.0.0.1:0
      limits:
        idle_timeout: 30s
`), 0o600)
	code, _, errOut := runIn(t, context.Background(), "config", "--config", cfg)
	if code != 0 {
		t.Fatalf("config: exit %d, want 0 (a warning does not fail it):\n%s", code, errOut)
	}
	want := "relaylab config: warning: " + cfg + ":8:23: sink.listeners[1].limits.idle_timeout: sink: limits.idle_timeout is below the 5 minutes"
	if !strings.Contains(errOut, want) {
		t.Errorf("config's stderr lacks %q:\n%s", want, errOut)
	}
	if strings.Count(errOut, "idle_timeout is below") != 1 {
		t.Errorf("want the warning once, for the listener that has a short idle_timeout:\n%s", errOut)
	}
}

// TestConfigWarnsOfPublicAllowedNetworks: an allowed_networks entry
// beyond the private, loopback and link-local ranges lets every address
// in it relay without AUTH; relaylab config says so at its key.
func TestConfigWarnsOfPublicAllowedNetworks(t *testing.T) {
	t.Parallel()
	cfg := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(cfg, []byte("relay:\n  allowed_networks: [127.0.0.0/8, 10.0.0.0/8, 198.51.100.0/24]\n"), 0o600)
	code, _, errOut := runIn(t, context.Background(), "config", "--config", cfg)
	if code != 0 {
		t.Fatalf("config: exit %d, want 0 (a warning does not fail it):\n%s", code, errOut)
	}
	if !strings.Contains(errOut, "relay.allowed_networks[2]: \"198.51.100.0/24\" is not a private, loopback or link-local network") ||
		strings.Contains(errOut, "allowed_networks[0]") || strings.Contains(errOut, "allowed_networks[1]") {
		t.Errorf("want one warning, for the public network, at its key:\n%s", errOut)
	}
}

// TestQueueShowExplainsAFailedHop: queue show's attempts say what a
// failure before the last attempt means and what to fix there (a primary
// its backup covered); the last one's explanation is the recipient's.
func TestQueueShowExplainsAFailedHop(t *testing.T) {
	var b strings.Builder
	printHops(&b, []relay.Hop{
		{Attempt: 1, Path: "prova", Host: "smtp.example.test", Reply: relay.Reply{Stage: "starttls", Text: "x509: certificate signed by unknown authority"},
			Category: "tls-failure", Reason: "the certificate is not signed by an authority relaylab trusts", Advice: "trust the CA with SSL_CERT_FILE"},
		{Attempt: 1, Path: "provb", Reply: relay.Reply{Code: 451, Enhanced: "4.3.0", Text: "try later"},
			Category: "temporary", Reason: "the last one", Advice: "wait"},
	})
	out := b.String()
	if !strings.Contains(out, "category tls-failure: the certificate is not signed") || !strings.Contains(out, "what to do: trust the CA with SSL_CERT_FILE") {
		t.Errorf("the failed primary is not explained:\n%s", out)
	}
	if strings.Contains(out, "the last one") {
		t.Errorf("the last attempt's explanation, the recipient's own, is said again:\n%s", out)
	}
}
