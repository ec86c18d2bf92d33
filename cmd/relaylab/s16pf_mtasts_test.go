package main

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/dnstest"
	"github.com/relaylab/relaylab/internal/store"
	"github.com/relaylab/relaylab/probe"
)

// TestWatchlistMTASTSOffline: probe.mta_sts_ca and probe.mta_sts_port are
// the watchlist's --mta-sts-ca and --mta-sts-port: with resolvers on
// loopback, the monitor fetches a watched domain's policy from a loopback
// port with a test CA (the CA file's name taken from the configuration's
// directory), where it dialled 127.0.0.1:443. Values the flags refuse
// are refused at their line.
func TestWatchlistMTASTSOffline(t *testing.T) {
	t.Parallel()
	caFile, cert := testCA(t, "mta-sts.wsts.test")
	ts := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.Write([]byte("version: STSv1\r\nmode: testing\r\nmx: mx.wsts.test\r\nmax_age: 604800\r\n")) //nolint:errcheck
	}))
	ts.TLS = &tls.Config{Certificates: []tls.Certificate{cert}}
	ts.StartTLS()
	defer ts.Close()
	_, port, _ := net.SplitHostPort(ts.Listener.Addr().String())
	srv := dnstest.Start(t)
	if err := srv.AddString(
		"wsts.test. 60 IN SOA ns.wsts.test. h.wsts.test. 1 3600 600 86400 60",
		"wsts.test. 60 IN MX 10 mx.wsts.test.",
		"mx.wsts.test. 60 IN A 127.0.0.1",
		`_mta-sts.wsts.test. 60 IN TXT "v=STSv1; id=1"`,
		"mta-sts.wsts.test. 60 IN A 127.0.0.1",
	); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Dir(caFile)
	write := func(body string) string {
		t.Helper()
		p := filepath.Join(dir, "relaylab.yaml")
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	head := "probe:\n  domains: [wsts.test]\n  resolvers: [\"" + srv.Addr + "\"]\n"
	cfg, err := loadConfig(write(head + "  mta_sts_ca: ca.pem\n  mta_sts_port: " + port + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(context.Background(), store.Options{Path: filepath.Join(t.TempDir(), "s.db"), Sync: store.SyncOff, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	m, err := probe.NewMonitor(cfg.Probe, probe.Options{Store: st, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.RunOnce(context.Background()); err != nil {
		t.Fatal(err)
	}
	latest, err := probe.LatestResults(context.Background(), st.DB())
	if err != nil || len(latest) != 1 {
		t.Fatalf("results %v, %v", latest, err)
	}
	var rep probe.Report
	if err := json.Unmarshal(latest[0].Report, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.MTASTS == nil || rep.MTASTS.Policy == nil || rep.MTASTS.Policy.Mode != "testing" {
		t.Errorf("the watched domain's policy was not fetched: %+v", rep.MTASTS)
	}

	for _, tt := range []struct{ body, want string }{
		{head + "  mta_sts_port: 70000\n", "relaylab.yaml:4"},
		// Without resolvers (those of /etc/resolv.conf): not this machine's zones.
		{"probe:\n  domains: [wsts.test]\n  mta_sts_port: " + port + "\n", "needs probe.resolvers on loopback"},
		{head + "  mta_sts_ca: missing.pem\n", "relaylab.yaml:4"},
		{head + "  mta_sts_ca: relaylab.yaml\n", "holds no PEM certificate"},
	} {
		_, err := loadConfig(write(tt.body))
		if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), "probe.mta_sts_") {
			t.Errorf("%q: %v, want an error naming the key and %q", tt.body, err, tt.want)
		}
	}
}
