package main

import (
	"os"
	"path/filepath"
	"testing"
)

// TestSetsBounceRelay: a file that names sink.bounce.relay, even as "",
// keeps it; serve sends the sink's bounces to its own relay only when the
// file leaves the key out.
func TestSetsBounceRelay(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		yaml string
		set  bool
		want string
	}{
		{"relay: {listen: 127.0.0.1:43187}\n", false, "127.0.0.1:2587"},
		{"relay: {listen: 127.0.0.1:43187}\nsink: {bounce: {relay: 127.0.0.1:2587}}\n", true, "127.0.0.1:2587"},
		{"relay: {listen: 127.0.0.1:43187}\nsink: {bounce: {relay: \"\"}}\n", true, ""},
	} {
		cfg := loadYAML(t, tc.yaml)
		if cfg.bounceRelaySet != tc.set || cfg.Sink.Bounce.Relay != tc.want {
			t.Errorf("%q: set %v, relay %q; want %v, %q", tc.yaml, cfg.bounceRelaySet, cfg.Sink.Bounce.Relay, tc.set, tc.want)
		}
	}
	for host, want := range map[string]string{"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1", "127.0.0.2": "127.0.0.2", "192.0.2.5": "192.0.2.5"} {
		if got := dialHost(host); got != want {
			t.Errorf("dialHost(%q) = %q, want %q", host, got, want)
		}
	}
}

// loadYAML loads a configuration file holding text.
func loadYAML(t *testing.T, text string) *fileConfig {
	t.Helper()
	path := filepath.Join(t.TempDir(), "relaylab.yaml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := loadConfig(path)
	if err != nil {
		t.Fatalf("%s: %v", text, err)
	}
	return cfg
}
