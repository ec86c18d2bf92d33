package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestS24BannerSaysWatchlist: serve with a probe watchlist says so in its
// banner (what is watched, how often, through which DNS servers), and in
// its start record under --log-format json; nothing said the monitor ran
// until its first confirmed change, two runs in.
func TestS24BannerSaysWatchlist(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "c.yaml")
	os.WriteFile(cfg, []byte("probe:\n  domains: [shop.test, news.shop.test]\n  ips: [192.0.2.50]\n  resolvers: [\"127.0.0.1:9\"]\n"), 0o600)
	ctx, cancel := context.WithCancel(context.Background())
	out, _, done := startDaemon(t, ctx, "serve", "--config", cfg, "--db", filepath.Join(dir, "s.db"),
		"--sink-listen", "127.0.0.1:0", "--relay-listen", "127.0.0.1:0", "--web-listen", "127.0.0.1:0")
	cancel()
	<-done
	want := "probes        2 domains and 1 IP watched: records every 1h0m0s, blocklists every 30m0s, through 127.0.0.1:9\n"
	if !strings.Contains(out.String(), want) {
		t.Errorf("banner:\n%s\nwant the line %q", out.String(), want)
	}
}
