package probe

import (
	"errors"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/config"
)

// TestConfigTimeoutBounded: probe.timeout is bounded as relaylab probe
// --timeout is (more than 0, at most 1m), with the file, line and key.
func TestConfigTimeoutBounded(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		timeout string
		ok      bool
	}{{"5m", false}, {"61s", false}, {"1m", true}, {"3s", true}} {
		_, err := decodeProbe(t, "probe:\n  timeout: "+tt.timeout+"\n")
		if tt.ok {
			if err != nil {
				t.Errorf("timeout %s: %v, want it taken", tt.timeout, err)
			}
			continue
		}
		var ce *config.Error
		if !errors.As(err, &ce) || ce.Line != 2 || !strings.Contains(err.Error(), "probe.timeout") || !strings.Contains(err.Error(), "at most 1m0s") {
			t.Errorf("timeout %s: %v, want an error at line 2 naming probe.timeout and its bound", tt.timeout, err)
		}
	}
}

// TestConfigWebhookSecret: probe.webhook.secret is taken when long
// enough, and a short one is refused at its line.
func TestConfigWebhookSecret(t *testing.T) {
	t.Parallel()
	cfg, err := decodeProbe(t, "probe:\n  webhook:\n    url: http://127.0.0.1:9/hook\n    secret: 0123456789abcdef\n")
	if err != nil || cfg.Webhook.Secret != "0123456789abcdef" {
		t.Errorf("a 16-character secret: %v (secret %q), want it taken", err, cfg.Webhook.Secret)
	}
	_, err = decodeProbe(t, "probe:\n  webhook:\n    url: http://127.0.0.1:9/hook\n    secret: short\n")
	var ce *config.Error
	if !errors.As(err, &ce) || ce.Line != 4 || !strings.Contains(err.Error(), "probe.webhook.secret") {
		t.Errorf("a 5-character secret: %v, want an error at line 4 naming probe.webhook.secret", err)
	}
}
