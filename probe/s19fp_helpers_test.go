package probe

import (
	"testing"
	"time"

	"github.com/relaylab/relaylab/internal/dnstest"
	"github.com/relaylab/relaylab/internal/resolver"
)

// spfWorld serves records (zone-file lines) under the zone b.test, with
// no cache in the resolver, so that the server's query count is what
// the check asked.
func spfWorld(t *testing.T, records []string) (*resolver.Client, *dnstest.Server) {
	t.Helper()
	return servedWorld(t, append([]string{"b.test. 60 IN SOA ns.b.test. hm.b.test. 1 60 60 60 30"}, records...))
}

// servedWorld serves records (zone-file lines), with no cache in the
// resolver.
func servedWorld(t *testing.T, records []string) (*resolver.Client, *dnstest.Server) {
	t.Helper()
	srv := dnstest.New()
	if err := srv.AddString(records...); err != nil {
		t.Fatal(err)
	}
	if err := srv.Listen(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	r, err := resolver.New(resolver.Options{Servers: []string{srv.Addr}, Timeout: time.Second, Attempts: 2, CacheSize: -1})
	if err != nil {
		t.Fatal(err)
	}
	return r, srv
}
