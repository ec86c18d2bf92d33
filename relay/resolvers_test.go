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

// TestConfigResolversRefused: relay.resolvers takes the IP address and
// port of each DNS server (IPv6 in brackets), refused at its key
// otherwise: a name such as localhost:53 would itself be looked up through
// the system's resolvers, which relay.resolvers is there to avoid, and a
// bare IP gets no port made up for it, the error saying what to write.
func TestConfigResolversRefused(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ bad, want string }{
		{"127.0.0.1", `"127.0.0.1" has no port: write 127.0.0.1:53`},
		{"::1", `"::1" has no port: write [::1]:53`},
		{"[::1]", `"[::1]" has no port: write [::1]:53`},
		{"nope", "want IP:PORT of a DNS server"},
		{":53", "want IP:PORT of a DNS server"},
		{"localhost:53", "a name would itself be looked up through the system's resolvers"},
		{"127.0.0.1:0", "want IP:PORT of a DNS server"},
		{"::1:53", "IPv6 in brackets"},
	} {
		cfg := DefaultConfig()
		cfg.Resolvers = []string{"127.0.0.1:5353", tt.bad}
		err := cfg.Validate("relay")
		if err == nil || !strings.Contains(err.Error(), "relay.resolvers[1]: ") || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("resolvers %q: %v, want relay.resolvers[1] and %q", tt.bad, err, tt.want)
		}
	}
	cfg := DefaultConfig()
	cfg.Resolvers = []string{"127.0.0.1:53", "[::1]:5353"}
	if err := cfg.Validate("relay"); err != nil {
		t.Errorf("loopback IPv4 and IPv6 servers: %v", err)
	}
}
