package main

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFM22ServeMetricsWiring: serve gives its web server its version
// (relaylab_build_info) and, with store.keep set, the hourly prune's
// statistics: relaylab_store_prune_failures_total is there at 0 from the
// start, and the last success has no sample before the first prune
// (a minute after the start).
func TestFM22ServeMetricsWiring(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "c.yaml")
	os.WriteFile(cfg, []byte("store:\n  keep: 24h\nsink:\n  listeners:\n    - name: mx\n      listen: 127.0.0.1:0\nrelay:\n  listen: 127.0.0.1:0\nweb:\n  listen: 127.0.0.1:0\n"), 0o644)
	ready := filepath.Join(dir, "ready.json")
	_, errb, done := startServeArgs(t, ctx, "--config", cfg, "--db", filepath.Join(dir, "s.db"), "--ready-file", ready)
	info := readReady(t, ready)
	resp, err := http.Get(strings.TrimSuffix(info.Web, "/") + "/metrics")
	if err != nil {
		t.Fatalf("/metrics: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	text := string(body)
	for _, want := range []string{
		`relaylab_build_info{goversion="`,
		`,version="` + moduleVersion() + `"} 1`,
		"\nrelaylab_store_prune_failures_total 0\n",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("serve's /metrics lack %q (serve wires the version and store.keep's prune statistics into the web server)", want)
		}
	}
	if strings.Contains(text, "\nrelaylab_store_prune_last_success_timestamp_seconds ") {
		t.Errorf("serve's /metrics have a last successful prune before the first prune")
	}
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("serve exited %d, want 0:\n%s", code, errb.String())
	}
}
