package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
