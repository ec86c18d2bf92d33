package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/relay"
)

// TestServeBannerNamesTLSListener: with relay.tls_listen, serve's banner
// has a line for the implicit-TLS submission listener at the address it
// took, as the ready file has relay_tls.
func TestServeBannerNamesTLSListener(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "relaylab.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf(`store: {path: %q}
sink: {listeners: [{name: mx, listen: "127.0.0.1:0", hostname: sink.test}]}
relay: {listen: "127.0.0.1:0", tls_listen: "127.0.0.1:0"}
web: {listen: "127.0.0.1:0"}
`, filepath.Join(dir, "serve.db"))), 0o644)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out, _, done := startServe(t, ctx, cfg)
	banner := out.String()
	cancel()
	<-done
	m := regexp.MustCompile(`(?m)^relay tls +smtps://(127\.0\.0\.1:\d+) \(implicit TLS submission`).FindStringSubmatch(banner)
	if m == nil || strings.HasSuffix(m[1], ":0") {
		t.Errorf("no implicit-TLS line with its port in serve's banner:\n%s", banner)
	}
	if !regexp.MustCompile(`(?m)^relay +smtp://127\.0\.0\.1:\d+ \(submission`).MatchString(banner) {
		t.Errorf("the plain submission line is gone:\n%s", banner)
	}
}

// TestServeTLSListenBusyAdvises: a relay.tls_listen address in use stops
// serve (exit 1) with the advice the other listeners' bind errors give.
func TestServeTLSListenBusyAdvises(t *testing.T) {
	t.Parallel()
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "relaylab.yaml")
	os.WriteFile(cfg, []byte(fmt.Sprintf(`store: {path: %q}
sink: {listeners: [{name: mx, listen: "127.0.0.1:0", hostname: sink.test}]}
relay: {listen: "127.0.0.1:0", tls_listen: %q}
web: {listen: "127.0.0.1:0"}
`, filepath.Join(dir, "serve.db"), busy.Addr())), 0o644)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute) // a guard: serve that started would run on
	defer cancel()
	code, _, errOut := runIn(t, ctx, "serve", "--config", cfg)
	if code != 1 || !strings.Contains(errOut, "implicit-TLS submission listener on "+busy.Addr().String()) ||
		!strings.Contains(errOut, "move relay.tls_listen in the configuration; port 0 takes any free one") {
		t.Errorf("busy tls_listen: exit %d (want 1), stderr %q", code, errOut)
	}
}

// TestRelayBanners: the implicit-TLS line comes after the plain one, and
// alone when relay.listen is left out.
func TestRelayBanners(t *testing.T) {
	t.Parallel()
	plain := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 43187}
	tls := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 43465}
	cfg := relay.Config{AllowedNetworks: []string{"127.0.0.0/8"}}
	got := relayBanners(plain, tls, cfg)
	if len(got) < 2 || !strings.HasPrefix(got[0], "relay         smtp://127.0.0.1:43187") || !strings.HasPrefix(got[len(got)-1], "relay tls     smtps://127.0.0.1:43465 ") {
		t.Errorf("both listeners: %q", got)
	}
	if got := relayBanners(nil, tls, cfg); len(got) != 1 || !strings.HasPrefix(got[0], "relay tls     smtps://127.0.0.1:43465 ") {
		t.Errorf("implicit TLS only: %q", got)
	}
	if got := relayBanners(plain, nil, cfg); strings.Contains(strings.Join(got, "\n"), "smtps://") {
		t.Errorf("no tls_listen: %q", got)
	}
}
