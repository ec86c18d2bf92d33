package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestRelayCommandSaysWhoMaySubmit: the relay command's start lines say
// who may submit, as serve's banner does (with no network and no user, no
// one, and what to change), and where an mx path delivers: its port and
// the DNS servers it asks.
func TestRelayCommandSaysWhoMaySubmit(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "c.yaml")
	if err := os.WriteFile(cfg, []byte(`relay:
  allowed_networks: []
  resolvers: ["127.0.0.1:43055"]
  paths: [{name: direct, type: mx, port: 2526}]
  routes: [{name: all, paths: [direct]}]
`), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb, hup: make(chan os.Signal)},
			[]string{"relay", "--config", cfg, "--db", filepath.Join(dir, "r.db"), "--listen", "127.0.0.1:0"})
	}()
	deadline := time.Now().Add(60 * time.Second) // bounds a hang, measures nothing
	for !strings.Contains(out.String(), "Ctrl-C") {
		select {
		case code := <-done:
			t.Fatalf("relay exited %d early:\n%s\n%s", code, out.String(), errb.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("relay did not start: %s %s", out.String(), errb.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	for _, want := range []string{
		"(submission; no one can submit: relay.allowed_networks does not cover loopback and relay.users is empty)",
		"note: every MAIL FROM from here gets 530 5.7.0",
		"path direct       direct MX on port 2526, asking 127.0.0.1:43055",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("start lines lack %q:\n%s", want, out.String())
		}
	}
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("exit %d: %s", code, errb.String())
	}
}

// TestServeTryLineFollowsRoutes: where the routes send example.test by
// direct MX, serve's banner does not suggest a swaks line to the relay
// that would only meet a DNS failure (it did), but says so; the sink's
// own try line stays.
func TestServeTryLineFollowsRoutes(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "c.yaml")
	if err := os.WriteFile(cfg, []byte(`relay:
  resolvers: ["127.0.0.1:43056"]
  paths: [{name: direct, type: mx, port: 2526}]
  routes: [{name: everything, paths: [direct]}]
`), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out, errb, done := startServeArgs(t, ctx, "--db", filepath.Join(dir, "s.db"), "--config", cfg, "--sink-listen", "127.0.0.1:0",
		"--relay-listen", "127.0.0.1:0", "--web-listen", "127.0.0.1:0")
	got := out.String()
	if strings.Contains(got, "--to 'defer2+you@example.test'") ||
		!strings.Contains(got, `note: the routes send defer2+you@example.test by direct MX (route "everything"), not to the sink`) ||
		!strings.Contains(got, "--to 'rcpt550@example.test'   (the sink rejects it)") {
		t.Errorf("banner:\n%s", got)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("exit %d: %s", code, errb.String())
	}
}
