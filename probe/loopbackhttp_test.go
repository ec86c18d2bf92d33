package probe

import (
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/dnstest"
	"github.com/relaylab/relaylab/internal/resolver"
)

// TestLoopbackHTTPClient: the client of relaylab probe --zone connects to
// a host that resolves to a loopback address, and refuses, without
// dialling, one that resolves elsewhere.
func TestLoopbackHTTPClient(t *testing.T) {
	t.Parallel()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("here")) //nolint:errcheck
	}))
	defer ts.Close()
	_, port, _ := net.SplitHostPort(ts.Listener.Addr().String())
	srv := dnstest.Start(t)
	if err := srv.AddString(
		"loop.test. 60 IN SOA ns.loop.test. h.loop.test. 1 3600 600 86400 60",
		"near.loop.test. 60 IN A 127.0.0.1",
		"far.loop.test. 60 IN A 192.0.2.1",
		"both.loop.test. 60 IN A 192.0.2.1",
		"both.loop.test. 60 IN A 127.0.0.1",
	); err != nil {
		t.Fatal(err)
	}
	r, err := resolver.New(resolver.Options{Servers: []string{srv.Addr}, Timeout: time.Second, Attempts: 2, CacheSize: -1})
	if err != nil {
		t.Fatal(err)
	}
	c := NewLoopbackHTTPClient(r, 10*time.Second)
	for _, host := range []string{"near.loop.test", "both.loop.test"} {
		resp, err := c.Get("http://" + net.JoinHostPort(host, port) + "/")
		if err != nil {
			t.Errorf("%s: %v, want the loopback server's reply", host, err)
			continue
		}
		resp.Body.Close()
	}
	_, err = c.Get("http://" + net.JoinHostPort("far.loop.test", port) + "/")
	if err == nil || !strings.Contains(err.Error(), "far.loop.test resolves to 192.0.2.1, not a loopback address") {
		t.Errorf("far.loop.test: %v, want it refused as not loopback", err)
	}
}
