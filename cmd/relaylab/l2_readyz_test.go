package main

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/relay"
	"github.com/relaylab/relaylab/web"
)

// TestL2ReadyzNamesTheRelaysListeners: serve's /readyz checks the relay's
// submission listeners as it checks the sink's, relay:submission
// (relay.listen) and relay:tls (relay.tls_listen), through the relay
// adapter, which says when they stop accepting; it checked the sink's
// alone.
func TestL2ReadyzNamesTheRelaysListeners(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "c.yaml")
	os.WriteFile(cfgPath, []byte("sink:\n  listeners:\n    - name: mx\n      listen: 127.0.0.1:0\nrelay:\n  listen: 127.0.0.1:0\n  tls_listen: 127.0.0.1:0\nweb:\n  listen: 127.0.0.1:0\n"), 0o644)
	ready := filepath.Join(dir, "ready.json")
	_, _, done := startServeArgs(t, ctx, "--config", cfgPath, "--db", filepath.Join(dir, "s.db"), "--ready-file", ready)
	info := readReady(t, ready)
	resp, err := http.Get(strings.TrimSuffix(info.Web, "/") + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	var body struct {
		Checks map[string]string `json:"checks"`
	}
	json.NewDecoder(resp.Body).Decode(&body)
	resp.Body.Close()
	if resp.StatusCode != 200 || body.Checks["relay:submission"] != "ok" || body.Checks["relay:tls"] != "ok" || body.Checks["sink:mx"] != "ok" {
		t.Errorf("serve's /readyz: %d %v, want 200 with relay:submission, relay:tls and sink:mx ok", resp.StatusCode, body.Checks)
	}
	cancel()
	<-done

	// The adapter over a relay that stops (web's own tests hold /readyz
	// to 503 for a listener that does not accept).
	_, st, _ := startSinkStore(t)
	cfg := relay.DefaultConfig()
	cfg.Listen, cfg.TLSListen = "127.0.0.1:0", "127.0.0.1:0"
	rl, err := startRelay(context.Background(), cfg, st, slog.New(slog.DiscardHandler), 1)
	if err != nil {
		t.Fatal(err)
	}
	var api web.RelayAPI = relayAdapter{rl: rl}
	states, ok := api.(web.ListenerStateAPI)
	if !ok {
		t.Fatal("serve's relay adapter does not say whether its listeners accept (web.ListenerStateAPI)")
	}
	if got := states.Accepting(); len(got) != 2 || got["submission"] != nil || got["tls"] != nil {
		t.Errorf("a running relay: Accepting() = %v, want submission and tls, both nil", got)
	}
	sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer scancel()
	rl.Shutdown(sctx)
	for name, err := range states.Accepting() {
		if !errors.Is(err, net.ErrClosed) {
			t.Errorf("a stopped relay: Accepting()[%s] = %v, want net.ErrClosed", name, err)
		}
	}
}
