package probe

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/dnstest"
	"github.com/relaylab/relaylab/internal/resolver"
)

// TestHTTPClientDialsAnIPDirectly: a URL whose host is an IP address is
// dialled as it is, with no A or AAAA query, even when every query would
// fail (a resolver that serves no zone answers REFUSED).
func TestHTTPClientDialsAnIPDirectly(t *testing.T) {
	t.Parallel()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("here")) //nolint:errcheck
	}))
	defer ts.Close()
	srv := dnstest.Start(t)
	r, err := resolver.New(resolver.Options{Servers: []string{srv.Addr}, Timeout: time.Second, Attempts: 1, CacheSize: -1})
	if err != nil {
		t.Fatal(err)
	}
	clients := map[string]*http.Client{
		"NewHTTPClient":         NewHTTPClient(r, 10*time.Second),
		"NewLoopbackHTTPClient": NewLoopbackHTTPClient(r, 10*time.Second),
	}
	for name, c := range clients {
		resp, err := c.Get(ts.URL + "/x")
		if err != nil {
			t.Errorf("%s: GET %s: %v, want the server's reply", name, ts.URL, err)
			continue
		}
		resp.Body.Close()
	}
	if q := srv.Queries(); q != 0 {
		t.Errorf("%d DNS queries for IP-literal URLs, want none", q)
	}
}
