package relay

import (
	"strings"
	"testing"

	"github.com/relaylab/relaylab/internal/dnstest"
)

// TestConfigResolvers: relay.resolvers names the DNS servers mx paths
// ask, so that a running relay (serve, relay) delivers straight to MX hosts
// that a DNS server of the user's own publishes, as a replay's relay does
// with its scenario's zone. Before, only the system's resolvers could be
// asked, and relay.resolvers was an unknown key.
func TestConfigResolvers(t *testing.T) {
	t.Parallel()
	dns := dnstest.Start(t, "../testdata/relay/mx.zone")
	mx := startMTA(t, nil)
	d := &mapDialer{to: map[string]string{"192.0.2.1:25": mx.addr}}
	cfg := testConfig("unused:25")
	cfg.Paths = []PathConfig{{Name: "direct", Type: "mx", TLS: "opportunistic"}}
	cfg.Routes = []RouteConfig{{Name: "all", Paths: []string{"direct"}}}
	cfg.Resolvers = []string{dns.Addr}
	h := newHarness(t, cfg, Options{Dialer: d})
	id := h.enqueue("a@s.test", "u@multi.mx.test")
	h.runUntil("delivery", h.done(id, 1))
	if got := d.dialled(); len(got) == 0 || got[0] != "192.0.2.1:25" {
		t.Errorf("dialled %v; want the zone's first MX host, 192.0.2.1:25", got)
	}
}

func TestConfigResolversRefused(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{"127.0.0.1", "nope", ":53"} {
		cfg := DefaultConfig()
		cfg.Resolvers = []string{bad}
		err := cfg.Validate("relay")
		if err == nil || !strings.Contains(err.Error(), "relay.resolvers[0]") || !strings.Contains(err.Error(), "HOST:PORT of a DNS server") {
			t.Errorf("resolvers %q: %v", bad, err)
		}
	}
}
