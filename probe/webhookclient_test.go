package probe

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/clock"
	"github.com/relaylab/relaylab/internal/dnstest"
	"github.com/relaylab/relaylab/internal/store"
)

// policyOnly is the HTTP client of MTA-STS policies in these tests: the
// webhook must never post through it.
type policyOnly struct{}

func (policyOnly) RoundTrip(r *http.Request) (*http.Response, error) {
	return nil, errors.New("the MTA-STS client was used for " + r.URL.String())
}

// hookServer is a webhook receiver on loopback that reports each body.
func hookServer(t *testing.T, status func(n int) int) (*httptest.Server, <-chan string) {
	t.Helper()
	got := make(chan string, 4096)
	var mu sync.Mutex
	n := 0
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		n++
		code := status(n)
		if code < 300 {
			got <- string(b)
		}
		w.WriteHeader(code)
	}))
	t.Cleanup(ts.Close)
	return ts, got
}

// listedMonitor is a monitor of 127.0.2.20, listed in good.bl.test from
// its first check, so that its second check confirms one change.
func listedMonitor(t *testing.T, st *store.Store, vc *clock.Virtual, cfg Config, opts Options) (*Monitor, *dnstest.Server) {
	t.Helper()
	r, srv := testResolver(t, "../testdata/dns/blocklists.zone")
	if err := srv.AddString("20.2.0.127.good.bl.test. 60 IN A 127.0.0.2"); err != nil {
		t.Fatal(err)
	}
	cfg.IPs = IPs("127.0.2.20")
	cfg.Zones = []Zone{{Zone: "good.bl.test", Kind: ZoneIP}}
	opts.Store, opts.Clock, opts.Resolver = st, vc, r
	if opts.Logger == nil {
		opts.Logger = discard()
	}
	m, err := NewMonitor(cfg, opts)
	if err != nil {
		t.Fatal(err)
	}
	return m, srv
}

// waitBody waits for the receiver to take a POST; the guard only ends a
// test that has already failed.
func waitBody(t *testing.T, got <-chan string) string {
	t.Helper()
	select {
	case b := <-got:
		return b
	case <-time.After(20 * time.Second):
		t.Fatal("the webhook never posted the change")
		return ""
	}
}

// TestWebhookHasItsOwnClient: the webhook posts through a client of its
// own, not through the client of MTA-STS policies that resolves names
// through probe.resolvers, the servers the checks are about.
func TestWebhookHasItsOwnClient(t *testing.T) {
	t.Parallel()
	ts, got := hookServer(t, func(int) int { return http.StatusNoContent })
	vc := clock.NewVirtual(epoch)
	cfg := DefaultConfig()
	cfg.Webhook.URL = ts.URL + "/hook"
	m, _ := listedMonitor(t, openStore(t, vc), vc, cfg, Options{HTTPClient: &http.Client{Transport: policyOnly{}}})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if _, err := m.RunOnce(ctx); err != nil {
		t.Fatal(err)
	}
	vc.Advance(time.Hour)
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	// Run's first cycle confirms the listing and posts it.
	if b := waitBody(t, got); b == "" {
		t.Error("empty body")
	}
	cancel()
	<-done
}
