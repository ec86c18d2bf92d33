package main

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestServeBounceRelay: serve's sink bounces to serve's own relay unless
// the file names sink.bounce.relay.
func TestServeBounceRelay(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, yaml, bounce, listen string
	}{
		{"moved relay", "relay: {listen: 127.0.0.1:43187}\n", "127.0.0.1:43187", "127.0.0.1:43187"},
		{"all addresses", "relay: {listen: \"0.0.0.0:43187\"}\n", "127.0.0.1:43187", "0.0.0.0:43187"},
		{"all v6 addresses", "relay: {listen: \"[::]:43187\"}\n", "[::1]:43187", "[::]:43187"},
		{"explicit", "relay: {listen: 127.0.0.1:43187}\nsink: {bounce: {relay: 127.0.0.1:2587}}\n", "127.0.0.1:2587", "127.0.0.1:43187"},
		{"explicitly none", "relay: {listen: 127.0.0.1:43187}\nsink: {bounce: {relay: \"\"}}\n", "", "127.0.0.1:43187"},
		{"no submission listener", "relay: {listen: \"\"}\n", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := loadYAML(t, tc.yaml)
			bounce, listen, err := serveBounceRelay(cfg)
			if err != nil || bounce != tc.bounce || listen != tc.listen {
				t.Errorf("got bounce %q, listen %q, err %v; want %q, %q", bounce, listen, err, tc.bounce, tc.listen)
			}
		})
	}
	// Port 0 is chosen now, so that the sink knows it before the relay
	// listens.
	bounce, listen, err := serveBounceRelay(loadYAML(t, "relay: {listen: 127.0.0.1:0}\n"))
	if _, port, _ := net.SplitHostPort(listen); err != nil || port == "0" || bounce != listen || !strings.HasPrefix(listen, "127.0.0.1:") {
		t.Errorf("relay.listen on port 0: bounce %q, listen %q, err %v", bounce, listen, err)
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
