package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestWL26BannerColumns: serve's banner put every address at column 14,
// "sink %-8s" giving a listener's name 8 places, so a listener named
// selfsigned pushed its own address out of line. The column moves past
// the longest "sink NAME" (bannerColumn), for every row of serve's
// banner and of sink's.
func TestWL26BannerColumns(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "relaylab.yaml")
	body := "sink:\n  listeners:\n    - {name: mx, listen: \"127.0.0.1:0\"}\n    - {name: selfsigned, listen: \"127.0.0.1:0\"}\n" +
		"relay:\n  listen: \"127.0.0.1:0\"\n  tls_listen: \"127.0.0.1:0\"\nweb:\n  listen: \"127.0.0.1:0\"\n"
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, cmd := range [][]string{
		{"relaylab started", "serve", "--db", filepath.Join(dir, "s.db"), "--config", cfg},
		{"relaylab sink started", "sink", "--db", filepath.Join(dir, "k.db"), "--config", cfg},
	} {
		stdout, _ := runDaemonUntil(t, cmd[0], cmd[1:]...)
		addr := regexp.MustCompile(`^(web UI|sink \S+|relay|relay tls) +(https?|smtps?)://`)
		var rows int
		for _, l := range strings.Split(stdout, "\n") {
			m := addr.FindStringSubmatchIndex(l)
			if m == nil {
				continue
			}
			rows++
			if m[4] != 16 {
				t.Errorf("%s: %q has its address at column %d, want 16", cmd[1], l, m[4])
			}
		}
		if want := map[string]int{"serve": 5, "sink": 2}[cmd[1]]; rows != want {
			t.Errorf("%s: %d rows with an address, want %d:\n%s", cmd[1], rows, want, stdout)
		}
	}
}
